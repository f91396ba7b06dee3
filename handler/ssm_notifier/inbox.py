"""The email model: a bounded number of digests per invocation, failures first, every field safe.

- One invocation publishes at most `cap` emails (default 1): one digest grouped inside by account,
  region and association, failing instances first. `split_by` = "account" or "association" gives
  one email per account or association instead, still at most `cap`: the overflow is merged into
  the last email. The rate is bounded by construction: an invocation waits 1 s between its
  publishes and returns no sooner than 1 s after its last one (publish.Pacer), so with the event
  source mapping's MaximumConcurrency of 2 the notifier sends at most 2 emails a second; the sweep
  (paced the same way, one function) adds 1 and the alarms a handful per minute: `rate_bound`
  stays under 4 a second against SNS's 10 per email endpoint.
- Each email is bounded (`budget_bytes`); instances that do not fit are counted, and the email
  then always carries the link to the full report, where every one of them is named.
- Bad input stays alone: `build_entries` builds each entry in its own try; a record whose entry
  cannot be built or rendered is quarantined with its reason, its neighbours go on. Every value
  passes through `neutral` (bounded, no line breakers, no bidi) before it reaches a subject or body.
- Names people use (`Naming`): an instance's Name tag or computer name beside its id
  (instance_names.py), an account's name beside its id under Scope=organization, times in UTC
  and the DisplayTimeZone (display_time.py). The subject names the account and region when the
  email spans several or the deployment is organization-wide: account ids and region codes only
  in their AWS shapes, account names (from Organizations) bounded and made ASCII.
- `publish_outcome` sorts a failed publish into "not_sent" (retry is safe) and "unknown" (it may
  have gone out: never send it again; state.Store.confirm(..., "unknown")).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import tzinfo
from typing import NamedTuple, TypeVar

from . import runs
from .display_time import shown as shown_time
from .neutral import block, one_line
from .text import ID_CHARS, NAME_CHARS, SUBJECT_MAX_CHARS, counted, subject_place

MESSAGE_BUDGET_BYTES = 240_000  # SNS takes 262,144; the rest is room for the envelope
DEFAULT_CAP = 1
SPLITS = ("none", "account", "association")
FAILED_STATUSES = ("Failed", "TimedOut")
# Within an association: what needs attention first.
CLASS_ORDER = {"new": 0, "still_failing": 1, "other": 2, "recovered": 3, "ok": 4}
CLASS_LABELS = {
    "new": "NEW",
    "still_failing": "STILL FAILING",
    "recovered": "RECOVERED",
    "other": "OTHER",
    "ok": "OK",
}
FIELD_CHARS = 300
OUTPUT_CHARS = 2_000
OUTPUT_LINES = 12
ALARM_EMAILS_PER_SECOND = 0.2  # a handful of alarms, each at most once per 60 s period
SWEEP_EMAILS_PER_SECOND = 1.0

T = TypeVar("T")


class Entry(NamedTuple):
    """One instance's latest run as an email shows it (values untrusted until rendered)."""

    account: str
    region: str
    association_id: str
    document_name: str
    instance_id: str
    status: str
    classification: str  # new | still_failing | recovered | ok | other (state.classify)
    last_execution: str
    failing_since: str = ""
    error_code: str = ""
    summary: str = ""
    output: str = ""
    possible_repeat: bool = False
    output_url: str = ""  # the event's: where State Manager wrote the run's whole output
    instance_name: str = ""  # its Name tag or computer name, when looked up (instance_names.py)

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES

    @property
    def group_key(self) -> tuple[str, str, str]:
        return (self.account, self.region, self.association_id)


class Links(NamedTuple):
    """Where the full reports are (reports.Written): the index, and per association."""

    index: str
    associations: dict[tuple[str, str, str], str]


class Naming(NamedTuple):
    """How an email names what it shows beyond ids: account names (Scope=organization), whether
    the subject always names the place, the zone times are also shown in."""

    account_name: Callable[[str], str] = lambda _: ""
    across_organization: bool = False
    zone: tzinfo | None = None


class Email(NamedTuple):
    subject: str
    body: str
    entries: list[Entry]  # every entry this email covers (shown or counted)
    shown: int  # entries named in the body


def build_entries(
    items: Iterable[tuple[str, T]], make: Callable[[T], Entry]
) -> tuple[list[tuple[str, Entry]], list[tuple[str, str]]]:
    """(id, entry) for each item that builds and renders; (id, reason) for each that does not."""
    built: list[tuple[str, Entry]] = []
    quarantined: list[tuple[str, str]] = []
    for item_id, item in items:
        try:
            entry = make(item)
            "\n".join(entry_lines(entry)).encode("utf-8")  # it must render and encode, alone
        except Exception as error:  # any failure is this item's alone
            quarantined.append((item_id, f"{type(error).__name__}: {one_line(str(error), 200)}"))
        else:
            built.append((item_id, entry))
    return built, quarantined


def plan_emails(
    entries: list[Entry],
    links: Links,
    *,
    split_by: str = "none",
    cap: int = DEFAULT_CAP,
    run_totals: dict[tuple[str, str, str], dict[str, int]] | None = None,
    unconfirmed: list[str] | None = None,
    budget_bytes: int = MESSAGE_BUDGET_BYTES,
    naming: Naming | None = None,
) -> list[Email]:
    """At most `cap` emails covering every entry; each under `budget_bytes` UTF-8 bytes."""
    if split_by not in SPLITS:
        raise ValueError(f"split_by must be one of {', '.join(SPLITS)}, not {split_by!r}")
    if cap < 1:
        raise ValueError("cap must be at least 1")
    if not entries:
        return []
    parts: dict[tuple, list[Entry]] = {}
    for entry in entries:
        key = {
            "none": (),
            "account": (entry.account,),
            "association": entry.group_key,
        }[split_by]
        parts.setdefault(key, []).append(entry)
    # Parts with failures first, so the ones merged into the last email are the quiet ones.
    ordered = sorted(parts.items(), key=lambda part: (not any(e.failed for e in part[1]), part[0]))
    if len(ordered) <= cap:
        chunks = [part for _, part in ordered]
    else:
        chunks = [part for _, part in ordered[: cap - 1]]
        chunks.append([entry for _, part in ordered[cap - 1 :] for entry in part])
    return [
        render_email(chunk, links, run_totals or {}, unconfirmed or [], budget_bytes, naming)
        for chunk in chunks
    ]


def render_email(
    entries: list[Entry],
    links: Links,
    run_totals: dict[tuple[str, str, str], dict[str, int]],
    unconfirmed: list[str],
    budget_bytes: int,
    naming: Naming | None = None,
) -> Email:
    naming = naming or Naming()
    counts = _class_counts(entries)
    groups: dict[tuple[str, str, str], list[Entry]] = {}
    for entry in entries:
        groups.setdefault(entry.group_key, []).append(entry)
    kinds = [runs.kind_of(key[2]) for key in groups]
    what = "SSM association" if set(kinds) <= {runs.ASSOCIATION} else "SSM"
    head = [
        _summary(counts, what),
        f"{runs_counted(kinds)}, {counted(len({k[0] for k in groups}), 'account')}"
        f", {counted(len({k[:2] for k in groups}), 'account-region')}.",
        f"Full report, every instance named: {links.index}",
    ]
    head.extend(
        f"An earlier digest of this run had no answer from SNS and may not have arrived: {link}"
        for link in unconfirmed[:5]
    )
    head.append("")
    tail_room = 400  # the closing lines about what was left out
    room = budget_bytes - _size(head) - tail_room
    body: list[str] = []
    shown = 0
    left_out = 0
    ordered_groups = sorted(
        groups.items(), key=lambda item: (not any(e.failed for e in item[1]), item[0])
    )
    for key, members in ordered_groups:
        group_lines = _group_header(key, members, links, run_totals.get(key), naming)
        if _size(group_lines) > room:
            left_out += sum(1 for e in members if e.classification != "ok")
            continue
        body.extend(group_lines)
        room -= _size(group_lines)
        for entry in sorted(members, key=_entry_order):
            if entry.classification == "ok":
                continue  # successes are counted in the header; the report names them
            lines = entry_lines(entry, naming.zone)
            if _size(lines) > room:
                left_out += 1
                continue
            body.extend(lines)
            room -= _size(lines)
            shown += 1
        body.append("")
    if left_out:
        body.append(
            f"{left_out} more {'instance' if left_out == 1 else 'instances'} not shown here "
            f"are named in the full report: {links.index}"
        )
    subject = _subject(counts, what)
    subject += _subject_place(entries, naming, subject)
    return Email(subject, "\n".join(head + body).rstrip() + "\n", entries, shown)


def entry_lines(entry: Entry, zone: tzinfo | None = None) -> list[str]:
    """One instance, neutralised and bounded: a line, then its detail lines; times in UTC and,
    with `zone`, in that zone too."""
    label = CLASS_LABELS.get(entry.classification, "OTHER")
    first = f"  {label} {one_line(entry.instance_id, ID_CHARS)}"
    if entry.instance_name:
        first += f" ({one_line(entry.instance_name, NAME_CHARS)})"
    first += f": {one_line(entry.status, 40)}"
    if entry.classification == "still_failing" and entry.failing_since:
        first += f" since {one_line(shown_time(entry.failing_since, zone), 80)}"
    if entry.possible_repeat:
        first += " (may repeat an earlier email)"
    lines = [first]
    if entry.failed:
        lines.append(f"    last run {one_line(shown_time(entry.last_execution, zone), 80)}")
        if entry.error_code:
            lines.append(f"    error code {one_line(entry.error_code, 100)}")
        if entry.summary:
            lines.append(f"    {one_line(entry.summary, FIELD_CHARS)}")
        lines.extend("    | " + line for line in block(entry.output, OUTPUT_CHARS, OUTPUT_LINES))
        if entry.output_url:
            lines.append(f"    output url {one_line(entry.output_url, FIELD_CHARS)}")
    return lines


def publish_outcome(error: BaseException) -> str:
    """'not_sent' if SNS surely did not take the message (safe to retry), else 'unknown'."""
    names = {cls.__name__ for cls in type(error).__mro__}
    # No connection was made: nothing was sent.
    if names & {"ConnectTimeoutError", "EndpointConnectionError", "OutOfTimeError"}:
        return "not_sent"
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        # SNS answered with a refusal (throttled, invalid, denied): it did not publish.
        if 400 <= status < 500:
            return "not_sent"
    # A read timeout, a dropped connection, a 5xx: the message may have gone out.
    return "unknown"


def rate_bound(max_concurrency: int = 2, seconds_between_emails: float = 1.0) -> float:
    """Emails a second at most, alarms and sweep included, by the pacing rule above."""
    notifier = max_concurrency / seconds_between_emails
    return notifier + SWEEP_EMAILS_PER_SECOND + ALARM_EMAILS_PER_SECOND


def _class_counts(entries: list[Entry]) -> dict[str, int]:
    counts = {"failed": 0, "new": 0, "still_failing": 0, "recovered": 0, "ok": 0, "other": 0}
    for entry in entries:
        counts["failed"] += entry.failed
        counts[entry.classification if entry.classification in counts else "other"] += 1
    return counts


def runs_counted(kinds: list[str]) -> str:
    """ "2 associations" or, with other kinds of run, "1 association, 1 Run Command command"."""
    nouns = {
        runs.ASSOCIATION: "association",
        runs.COMMAND: "Run Command command",
        runs.WINDOW: "maintenance window execution",
    }
    parts = [counted(kinds.count(kind), nouns[kind]) for kind in runs.KINDS if kind in kinds]
    return ", ".join(parts) or counted(0, "association")


def _summary(counts: dict[str, int], what: str) -> str:
    """`what`: "SSM association" when every run is an association's, else "SSM"."""
    return (
        f"{what} runs: {counts['failed']} failed ({counts['new']} new, "
        f"{counts['still_failing']} still failing), {counts['recovered']} recovered, "
        f"{counts['ok']} succeeded, {counts['other']} other."
    )


def _subject(counts: dict[str, int], what: str) -> str:
    # Numbers only: nothing from an event reaches the subject (its place is added apart).
    noun = "SSM associations" if what == "SSM association" else "SSM runs"
    return (
        f"{noun}: {counts['failed']} failed ({counts['new']} new), "
        f"{counts['recovered']} recovered, {counts['ok']} ok"
    )[:99]


def _subject_place(entries: list[Entry], naming: Naming, before: str) -> str:
    """Where the email's runs are (text.subject_place), when it spans several accounts or
    regions or the deployment is organization-wide; "" otherwise."""
    accounts = {entry.account for entry in entries}
    regions = {entry.region for entry in entries}
    if len(accounts) <= 1 and len(regions) <= 1 and not naming.across_organization:
        return ""
    return subject_place(
        accounts,
        regions,
        lambda account: one_line(naming.account_name(account), NAME_CHARS),
        SUBJECT_MAX_CHARS - len(before),
    )


def _group_header(
    key: tuple[str, str, str],
    members: list[Entry],
    links: Links,
    run_totals: dict[str, int] | None,
    naming: Naming | None = None,
) -> list[str]:
    account, region, association_id = key
    failed = sum(entry.failed for entry in members)
    name = (naming or Naming()).account_name(account)
    named = f" ({one_line(name, NAME_CHARS)})" if name else ""
    lines = [
        f"== {one_line(account, 20)}{named} {one_line(region, 30)} "
        f"{runs.heading(association_id, members[0].document_name)}: "
        f"{failed} failed, {len(members) - failed} other in this digest"
    ]
    if run_totals:
        so_far = ", ".join(f"{count} {status}" for status, count in sorted(run_totals.items()))
        lines.append(f"   run so far: {so_far}")
    if key in links.associations:
        lines.append(f"   report: {links.associations[key]}")
    return lines


def _entry_order(entry: Entry) -> tuple[int, str]:
    return (CLASS_ORDER.get(entry.classification, 2), one_line(entry.instance_id, ID_CHARS))


def _size(lines: list[str]) -> int:
    return sum(len(line.encode("utf-8", "replace")) + 1 for line in lines)

"""The sweep's digest: the subject and plain-text body of a SweepReport (missed instances, what
could not be checked, and findings of misconfiguration, each in a section that says what it means
and what to do). Pure; built from the same `text` helpers as the notifier's digest.

Under Scope=organization the associations are grouped by account, then region (an `Account:`
and a `Region:` line where each group starts; console links in the association's own region),
and what coverage has to say closes the message; the subject then also says where (one account
by id and name, and its region, or how many). Instances show their names beside their ids (the
Name tag, else the computer name: targets.InstanceState.name), times are in UTC and, with
DISPLAY_TIME_ZONE, in that zone too.
"""

from __future__ import annotations

from . import text
from .display_time import shown
from .neutral import one_line
from .sweep_check import AssociationResult
from .sweep_report import SweepReport
from .sweep_silence import NOT_RUN, RAN_NO_EVENT
from .targets import InstanceState, unresolved_reason

# Room in the message for the "could not check", "targets not checked" and findings sections.
PROBLEMS_BUDGET_BYTES = 30_000
# A section's explanation is wrapped like the header's text.
WRAP_WIDTH = 92


# An instance's name as the digest shows it.


def subject(report: SweepReport) -> str:
    """`_subject` and, under Scope=organization, where the missed and unchecked associations
    are (text.subject_place): e.g. `[SSM] 2 instances missed by AWS-UpdateSSMAgent - prod
    (123456789012) eu-west-1`. Printable ASCII, at most 99 characters."""
    head = _subject(report)
    reported = report.missed + report.not_checked
    if not report.across_organization or not reported:
        return head
    place = text.subject_place(
        {result.account for result in reported},
        {result.region for result in reported},
        lambda account: one_line(report.name_of(account), text.NAME_CHARS),
        text.SUBJECT_MAX_CHARS - len(head),
    )
    return head + place


def _subject(report: SweepReport) -> str:
    """E.g. `[SSM] 2 instances missed by AWS-UpdateSSMAgent`: printable ASCII, at most 99 chars."""
    failed = len(report.not_checked)
    if report.missed_count:
        documents = sorted({result.document for result in report.missed})
        head = f"[SSM] {text.counted(report.missed_count, 'instance')} missed by "
        tail = f" ({text.counted(failed, 'check')} failed)" if failed else ""
    else:
        documents = sorted({result.document for result in report.not_checked})
        head = "[SSM] Sweep of "
        tail = f": {text.counted(failed, 'check')} failed"
    if not documents:
        if report.findings:
            found = text.counted(report.findings, "finding")
            return f"[SSM] Sweep: nothing missed, {found} to look at"
        if report.coverage:
            return "[SSM] Sweep: nothing missed, coverage to look at"
        return "[SSM] Sweep: nothing missed"
    name = text.ascii_text(documents[0] if len(documents) == 1 else f"{len(documents)} documents")
    room = text.SUBJECT_MAX_CHARS - len(head) - len(tail)
    if room >= 12:
        return head + text.shorten(name, room) + tail
    return text.shorten(text.ascii_text(head + name + tail), text.SUBJECT_MAX_CHARS)


def message(report: SweepReport, budget_bytes: int = text.MESSAGE_BUDGET_BYTES) -> str:
    """The plain-text body, at most `budget_bytes` UTF-8 bytes.

    What could not be checked keeps its own bounded share; instances that do not fit are counted
    in an "... and N more" line.
    """
    header = text.clean(_header(report))
    problems = text.clean(_problems(report, min(PROBLEMS_BUDGET_BYTES, budget_bytes // 4)))
    used = text.utf8_size(header) + text.utf8_size(problems) + 2
    room = budget_bytes - text.OMISSION_LINES_BYTES - used
    lines: list[str] = []
    shown = 0
    place = ("", "")
    for result in _in_order(report.missed):
        section = text.clean(_place_heading(result, place, report) + _section(result, report))
        for index, state in enumerate(result.missed):
            instance = text.clean(_instance_text(state, result, report))
            needed = text.utf8_size(instance) + 1
            if index == 0:
                needed += text.utf8_size(section) + 1
            if needed > room:
                break
            if index == 0:
                lines.append(section)
                place = (result.account, result.region)
            lines.append(instance)
            room -= needed
            shown += 1
        else:
            continue
        break
    hidden = report.missed_count - shown
    if hidden:
        lines.append(text.more_instances(hidden) + "\n")
    return "\n".join([header, *lines, problems]).rstrip() + "\n"


def _in_order(results: list[AssociationResult]) -> list[AssociationResult]:
    """Scope=organization: by account, then region (stable: the association order kept)."""
    return sorted(results, key=lambda result: (result.account, result.region))


def _place(result: AssociationResult, report: SweepReport) -> str:
    """`123456789012 (name) eu-west-1: ` under Scope=organization, "" in Scope=account."""
    if not result.account:
        return ""
    name = report.name_of(result.account)
    account = f"{result.account} ({name})" if name else result.account
    return f"{account} {result.region}: "


def _place_heading(
    result: AssociationResult, previous: tuple[str, str], report: SweepReport
) -> str:
    """Where an account's group, or a region's within it, starts: its `Account:` and `Region:`
    lines (Scope=account: none)."""
    if not result.account or (result.account, result.region) == previous:
        return ""
    lines = [""]
    if result.account != previous[0]:
        name = report.name_of(result.account)
        lines.append(
            text.header_field("Account", f"{result.account} ({name})" if name else result.account)
        )
    lines.append(text.header_field("Region", result.region))
    return "\n".join(lines)


def _header(report: SweepReport) -> str:
    checked = [r for r in report.results if r.association_id and not r.error and not r.unresolved]
    documents = sorted({result.document for result in report.results})
    lines = [
        f"SSM missed-instance sweep: {text.counted(report.missed_count, 'instance')} missed by "
        f"{text.counted(len(report.missed), 'association')}",
        "",
        "Instances a watched association targets but that did not run since its last scheduled",
        "run was due (its schedule read exactly, plus a grace). SSM sends no event for them:",
        "stopped or offline instances are not run (they run late when they come back).",
        "Instances already reported are reported again only when something changed or after",
        "the reminder period. Findings: what keeps events or this sweep from seeing a watched",
        "association (a document missing or unused, targets not resolved, runs with no event).",
        "",
        text.header_field("Swept at", shown(report.swept_at, report.zone)),
        *_where(report),
        text.header_field("Documents", ", ".join(documents)),
        text.header_field(
            "Associations",
            f"{len(checked)} checked ({len(report.missed)} with missed instances), "
            f"{len(report.not_checked)} could not be checked, "
            f"{len(report.unresolved)} with targets not checked",
        ),
        text.header_field(
            "Held back",
            f"{text.counted(report.held_back_count, 'instance')} still missed, already reported",
        ),
        text.header_field(
            "Findings",
            f"{report.findings} (misconfiguration: see below)" if report.findings else "none",
        ),
    ]
    return "\n".join(lines)


def _where(report: SweepReport) -> list[str]:
    """The header's Region (Scope=account), or how many accounts and regions were swept."""
    if not report.across_organization:
        return [text.header_field("Region", report.region)]
    accounts = {account for account, _ in report.places}
    regions = {region for _, region in report.places}
    return [
        text.header_field(
            "Swept",
            f"{text.counted(len(accounts), 'account')}, {text.counted(len(regions), 'region')} "
            f"(hub region {report.region})",
        )
    ]


def _section(result: AssociationResult, report: SweepReport) -> str:
    lines = ["", f"== {result.label} =="]
    if result.window:
        lines.append(text.field("Schedule", f"{result.schedule or '(none)'}: {result.window}"))
    lines.append(text.field("Targets", result.targets or "-"))
    lines.append(
        text.field(
            "Instances",
            f"{result.targeted} targeted, {result.ran} ran, {result.missed_total} missed"
            + (f" ({result.held_back} reported before)" if result.held_back else ""),
        )
    )
    link = _association_link(report, result)
    if link:
        lines.append(text.field("Console", link))
    lines.extend(text.field("Note", note) for note in result.notes)
    return "\n".join(lines)


def _instance_text(state: InstanceState, result: AssociationResult, report: SweepReport) -> str:
    named = f" ({one_line(state.name, text.NAME_CHARS)})" if state.name else ""
    last_success = (
        shown(state.last_success, report.zone) if state.last_success else state.last_success_text
    )
    lines = [
        f"  {state.instance_id}{named}: {state.summary}",
        text.field("Last successful association run (any association)", last_success, 4),
    ]
    link = _instance_link(report, result, state)
    if link:
        lines.append(text.field("Console", link, 4))
    return "\n".join(lines)


# Each finding's section: its title, and what it means and what to do (wrapped, indented).
MISSING_DOCUMENTS = "Watched documents that do not exist"
MISSING_DOCUMENTS_MEANS = (
    "WatchedDocuments names them, but SSM has no such document here (DescribeDocument: "
    "InvalidDocument): misspelled? No event of theirs passes the rule and nothing is swept for "
    "them. Correct WatchedDocuments (a document shared from another account is named by its ARN)."
)
DOCUMENTS_NOT_LOOKED_UP = "Watched documents not looked up"
DOCUMENTS_NOT_LOOKED_UP_MEANS = (
    "No association uses them here, and whether they exist could not be told: let the sweep's "
    "role (or the spoke's reader role) call ssm:DescribeDocument, or read the sweep's logs."
)
UNUSED_DOCUMENTS = "Watched documents no association uses"
UNUSED_DOCUMENTS_MEANS = (
    "They exist, but no association of theirs was found in any account and region swept: "
    "nothing of them is notified or swept. Create the association, or remove them from "
    "WatchedDocuments."
)
RAN_NO_EVENT_TITLE = "Associations that ran but sent no event"
RAN_NO_EVENT_MEANS = (
    "SSM ran them, with a status WatchedStatuses names, but the notifier recorded no event of "
    "those runs: look at the notifier's rule (its WatchedDocuments and WatchedStatuses, enabled?), "
    "its queue and dead-letter queue, and the notifier function's errors."
)
NOT_RUN_TITLE = "Associations that should have run but did not"
NOT_RUN_MEANS = (
    "Their schedule says a run was due, but SSM has no execution of them since, and no event "
    "came: check the association's schedule, targets and status in State Manager (instances it "
    "missed are listed above)."
)
UNRESOLVED_TITLE = "Targets not checked (the sweep resolves InstanceIds and tag targets only)"
UNRESOLVED_MEANS = (
    "Which instances these target is not known to the sweep, so missed instances cannot be found "
    "for them; their runs' events are still notified. Said again after the reminder period or "
    "when the targets change."
)


def _problems(report: SweepReport, budget_bytes: int) -> str:
    def place_line(result: AssociationResult, reason: str) -> str:
        return f"  {_place(result, report)}{result.label}: {reason}"

    candidates = [
        (
            MISSING_DOCUMENTS,
            MISSING_DOCUMENTS_MEANS,
            [place_line(r, "does not exist") for r in _in_order(report.missing_documents)],
        ),
        (
            DOCUMENTS_NOT_LOOKED_UP,
            DOCUMENTS_NOT_LOOKED_UP_MEANS,
            [place_line(r, r.document_lookup) for r in _in_order(report.documents_not_looked_up)],
        ),
        (UNUSED_DOCUMENTS, UNUSED_DOCUMENTS_MEANS, [f"  {d}" for d in report.unused_documents]),
        (
            RAN_NO_EVENT_TITLE,
            RAN_NO_EVENT_MEANS,
            [place_line(r, r.silent_text) for r in _in_order(report.silent(RAN_NO_EVENT))],
        ),
        (
            NOT_RUN_TITLE,
            NOT_RUN_MEANS,
            [place_line(r, r.silent_text) for r in _in_order(report.silent(NOT_RUN))],
        ),
        (
            "Could not check",
            "",
            [place_line(r, r.error) for r in _in_order(report.not_checked)],
        ),
        (
            UNRESOLVED_TITLE,
            UNRESOLVED_MEANS,
            [
                place_line(
                    r,
                    "; ".join(f"{t}: {unresolved_reason(t)}" for t in r.unresolved)
                    + (" (reported before)" if r.unresolved_before else ""),
                )
                for r in _in_order(report.unresolved)
            ],
        ),
        (
            "Checked with notes (nothing to report)",
            "",
            [
                place_line(r, "; ".join(r.notes))
                for r in _in_order(
                    [r for r in report.results if r.notes and not r.missed and not r.error]
                )
            ],
        ),
    ]
    shown = [(title, means, items) for title, means, items in candidates if items]
    # Coverage, under Scope=organization, takes a share of its own.
    share = budget_bytes // max(3, len(shown) + (1 if report.coverage else 0))
    sections = [
        _bounded_list(f"{title}:", [*_explained(means), *items], share, len(_explained(means)))
        for title, means, items in shown
    ]
    if report.coverage:
        sections.append(_bounded_list(report.coverage[0], report.coverage[1:], share))
    text = "\n".join(sections)
    return "\n" + text if text else ""


def _explained(means: str) -> list[str]:
    """What a section means and what to do, as indented lines in parentheses."""
    if not means:
        return []
    import textwrap  # only for a digest with findings

    return textwrap.wrap(
        f"({means})", width=WRAP_WIDTH, initial_indent="  ", subsequent_indent="   "
    )


def _bounded_list(title: str, items: list[str], share: int, fixed: int = 0) -> str:
    """The title and as many items as fit in `share` bytes; the first `fixed` items (the
    section's explanation) are not counted in "... and N more"."""
    lines = [title]
    used = text.utf8_size(title)
    for index, item in enumerate(items):
        item = text.shorten(item, 1000)
        if used + text.utf8_size(item) + 1 > share:
            lines.append(f"  ... and {len(items) - max(index, fixed)} more")
            break
        lines.append(item)
        used += text.utf8_size(item) + 1
    return "\n".join(lines) + "\n"


def _association_link(report: SweepReport, result: AssociationResult) -> str:
    association_id = result.association_id
    page = f"systems-manager/state-manager/{association_id}/description"
    return text.console_link(report.partition, result.region or report.region, page, association_id)


def _instance_link(report: SweepReport, result: AssociationResult, state: InstanceState) -> str:
    """In the association's region (under Scope=organization a console signed in to its account
    shows it)."""
    instance_id = state.instance_id
    region = result.region or report.region
    if state.managed:
        page = f"systems-manager/fleet-manager/managed-nodes/{instance_id}/general"
        return text.console_link(report.partition, region, page, instance_id)
    if instance_id.startswith("i-"):
        link = text.console_link(report.partition, region, "ec2/home", instance_id)
        return f"{link}#InstanceDetails:instanceId={instance_id}" if link else ""
    return ""

"""Group a batch's events by association and write one readable SNS message per group. Pure."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable

from .enrich import OutputLookup
from .events import AssociationEvent
from .text import (
    CONSOLE_HOSTS,
    MESSAGE_BUDGET_BYTES,
    OMISSION_LINES_BYTES,
    REGION_PATTERN,
    SUBJECT_MAX_CHARS,
    URL_SAFE_ID,
    ascii_text,
    clean,
    plural,
    shorten,
    utf8_size,
)

FIELD_MAX_CHARS = 4_000

# Subject order of the final statuses; any other status follows, alphabetically.
STATUS_LABELS = {
    "Failed": "failed",
    "TimedOut": "timed out",
    "Skipped": "skipped",
    "Success": "succeeded",
}
OTHER_LABELS = {"Pending": "pending", "InProgress": "in progress", "": "without status"}
NEEDS_OUTPUT = ("Failed", "TimedOut")
# Body order: what needs attention first, successes last.
LISTING_RANK = {"Failed": 0, "TimedOut": 1, "Success": 3}
LISTING_RANK_OTHER = 2


class Entry:
    """One distinct run in the digest, with every SQS message id that reported it."""

    __slots__ = ("event", "message_ids", "output")

    def __init__(
        self, event: AssociationEvent, message_ids: list[str], output: OutputLookup | None = None
    ) -> None:
        self.event = event
        self.message_ids = message_ids
        self.output = output

    @property
    def needs_output(self) -> bool:
        return self.event.status in NEEDS_OUTPUT


class Group:
    """The events of one association in one batch: one SNS message."""

    __slots__ = ("association_id", "entries")

    def __init__(self, association_id: str, entries: list[Entry] | None = None) -> None:
        self.association_id = association_id
        self.entries = [] if entries is None else entries

    @property
    def message_ids(self) -> list[str]:
        return [message_id for entry in self.entries for message_id in entry.message_ids]

    @property
    def document_name(self) -> str:
        return next((e.event.document_name for e in self.entries if e.event.document_name), "")


def group_events(events: Iterable[tuple[str, AssociationEvent]]) -> list[Group]:
    """Groups in order of first appearance; duplicate runs collapse into one entry."""
    groups: dict[str, dict[tuple[str, str, str, str], Entry]] = {}
    for message_id, event in events:
        entries = groups.setdefault(event.association_id, {})
        entry = entries.get(event.dedupe_key)
        if entry is None:
            entries[event.dedupe_key] = Entry(event, [message_id])
        else:
            entry.message_ids.append(message_id)
    return [
        Group(association_id, sorted(entries.values(), key=_listing_order))
        for association_id, entries in groups.items()
    ]


def _listing_order(entry: Entry) -> tuple[int, str, str]:
    rank = LISTING_RANK.get(entry.event.status, LISTING_RANK_OTHER)
    return (rank, entry.event.instance_id, entry.event.last_execution_date)


def status_counts(group: Group) -> str:
    """E.g. "1 failed, 1 succeeded": the final statuses first, then any other, alphabetically."""
    counts = Counter(entry.event.status for entry in group.entries)
    known = [status for status in STATUS_LABELS if status in counts]
    others = sorted((status for status in counts if status not in STATUS_LABELS), key=_label)
    return ", ".join(f"{counts[status]} {_label(status)}" for status in known + others)


def _label(status: str) -> str:
    return STATUS_LABELS.get(status) or OTHER_LABELS.get(status) or status


def subject(group: Group) -> str:
    """`[SSM] <document>: <counts>`, printable ASCII, at most 99 characters."""
    name = ascii_text(group.document_name) or f"association {ascii_text(group.association_id)}"
    counts = ascii_text(status_counts(group))
    name_room = SUBJECT_MAX_CHARS - len("[SSM] : ") - len(counts)
    if name_room >= 12:
        return f"[SSM] {shorten(name, name_room)}: {counts}"
    return shorten(f"[SSM] {name}: {counts}", SUBJECT_MAX_CHARS)


def message(group: Group, budget_bytes: int = MESSAGE_BUDGET_BYTES) -> str:
    """The plain-text body: header, instances, raw events; at most `budget_bytes` UTF-8 bytes.

    When it does not fit, the raw events go first, then instances from the end of the list
    (successes), each cut announced in the text.
    """
    lines = [_header(group)]
    room = budget_bytes - OMISSION_LINES_BYTES - utf8_size(lines[0])
    listed, room = _fill(lines, (_entry_text(entry) for entry in group.entries), room)
    hidden = len(group.entries) - listed
    if hidden:
        lines.append(f"... and {hidden} more {plural(hidden, 'instance')} (message size limit)")
        lines.append(f"{len(group.entries)} raw events omitted (message size limit)")
        return "\n".join(lines)
    lines.append(f"Raw events ({len(group.entries)}):")
    raw_texts = (
        json.dumps(entry.event.raw, indent=2, ensure_ascii=False) + "\n" for entry in group.entries
    )
    included, _ = _fill(lines, raw_texts, room - utf8_size(lines[-1]))
    if included < len(group.entries):
        lines.append(f"{len(group.entries) - included} raw events omitted (message size limit)")
    return "\n".join(lines)


def _fill(lines: list[str], texts: Iterable[str], room: int) -> tuple[int, int]:
    """Append texts while they fit in `room` bytes; return how many did and the room left.

    Texts are made lazily, so a batch far over the limit is not formatted in full.
    """
    count = 0
    for text in texts:
        size = utf8_size(text) + 1  # and the newline that joins it
        if size > room:
            break
        lines.append(text)
        room -= size
        count += 1
    return count, room


def _header(group: Group) -> str:
    first = group.entries[0].event
    document = group.document_name or "-"
    lines = [
        f"SSM association {document}: {status_counts(group)}",
        "",
        f"Document:    {document}",
        f"Association: {group.association_id}",
        f"Region:      {first.region or '-'}",
        f"Account:     {first.account or '-'}",
        f"Instances:   {len(group.entries)}",
    ]
    link = _console_link(first, f"state-manager/{first.association_id}/description")
    if link:
        lines.append(f"Console:     {link}")
    return clean("\n".join(lines)) + "\n"


def _entry_text(entry: Entry) -> str:
    event = entry.event
    lines = [
        f"{event.instance_id}: {event.status or '-'}",
        _field("Last execution", event.last_execution_date),
        _field("Detailed status", event.detailed_status),
        _field("Error code", event.error_code),
        _field("Execution summary", event.execution_summary),
        _field("Output URL", event.output_url),
    ]
    link = _console_link(event, f"fleet-manager/managed-nodes/{event.instance_id}/general")
    if link:
        lines.append(_field("Console", link))
    if len(entry.message_ids) > 1:
        lines.append(_field("Reported", f"{len(entry.message_ids)} times (duplicates collapsed)"))
    if entry.output is not None:
        lines.extend(_output_lines(entry.output))
    return clean("\n".join(lines)) + "\n"


def _output_lines(output: OutputLookup) -> list[str]:
    if output.not_fetched:
        return [f"  output not fetched: {output.not_fetched}"]
    lines = []
    for title, text in (
        ("Standard output", output.stdout_tail),
        ("Standard error", output.stderr_tail),
    ):
        if text:
            lines.append(f"  {title} (last lines):")
            lines.extend(f"    | {line}" for line in text.splitlines())
    return lines or ["  Output: (empty)"]


def _field(label: str, value: str) -> str:
    value = value if len(value) <= FIELD_MAX_CHARS else value[:FIELD_MAX_CHARS] + " ...(cut)"
    first, *rest = (value or "-").splitlines() or ["-"]
    return "\n".join([f"  {label + ':':<19}{first}", *(f"    {line}" for line in rest)])


def _console_link(event: AssociationEvent, page: str) -> str:
    host = CONSOLE_HOSTS.get(event.partition)
    ids_ok = URL_SAFE_ID.fullmatch(event.instance_id) and URL_SAFE_ID.fullmatch(
        event.association_id
    )
    if not host or not REGION_PATTERN.fullmatch(event.region) or not ids_ok:
        return ""
    return f"https://{host}/systems-manager/{page}?region={event.region}"

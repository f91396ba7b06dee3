"""The notifier's digest: the subject and plain-text body of one association's Group of runs.
Pure; built from the same `text` helpers as the sweep's digest."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable

from . import text
from .enrich import OutputLookup
from .events import AssociationEvent
from .grouping import Entry, Group

# Subject order of the final statuses; any other status follows, alphabetically.
STATUS_LABELS = {
    "Failed": "failed",
    "TimedOut": "timed out",
    "Skipped": "skipped",
    "Success": "succeeded",
}
OTHER_LABELS = {"Pending": "pending", "InProgress": "in progress", "": "without status"}


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
    name = text.ascii_text(group.document_name)
    name = name or f"association {text.ascii_text(group.association_id)}"
    counts = text.ascii_text(status_counts(group))
    name_room = text.SUBJECT_MAX_CHARS - len("[SSM] : ") - len(counts)
    if name_room >= 12:
        return f"[SSM] {text.shorten(name, name_room)}: {counts}"
    return text.shorten(f"[SSM] {name}: {counts}", text.SUBJECT_MAX_CHARS)


def message(group: Group, budget_bytes: int = text.MESSAGE_BUDGET_BYTES) -> str:
    """The plain-text body: header, instances, raw events; at most `budget_bytes` UTF-8 bytes.

    When it does not fit, the raw events go first, then instances from the end of the list
    (successes), each cut announced in the text.
    """
    lines = [_header(group)]
    room = budget_bytes - text.OMISSION_LINES_BYTES - text.utf8_size(lines[0])
    listed, room = _fill(lines, (_entry_text(entry) for entry in group.entries), room)
    hidden = len(group.entries) - listed
    if hidden:
        lines.append(text.more_instances(hidden))
        lines.append(f"{len(group.entries)} raw events omitted (message size limit)")
        return "\n".join(lines)
    lines.append(f"Raw events ({len(group.entries)}):")
    raw_texts = (
        json.dumps(entry.event.raw, indent=2, ensure_ascii=False) + "\n" for entry in group.entries
    )
    included, _ = _fill(lines, raw_texts, room - text.utf8_size(lines[-1]))
    if included < len(group.entries):
        lines.append(f"{len(group.entries) - included} raw events omitted (message size limit)")
    return "\n".join(lines)


def _fill(lines: list[str], texts: Iterable[str], room: int) -> tuple[int, int]:
    """Append texts while they fit in `room` bytes; return how many did and the room left.

    Texts are made lazily, so a batch far over the limit is not formatted in full.
    """
    count = 0
    for piece in texts:
        size = text.utf8_size(piece) + 1  # and the newline that joins it
        if size > room:
            break
        lines.append(piece)
        room -= size
        count += 1
    return count, room


def _header(group: Group) -> str:
    first = group.entries[0].event
    document = group.document_name or "-"
    lines = [
        f"SSM association {document}: {status_counts(group)}",
        "",
        text.header_field("Document", document),
        text.header_field("Association", group.association_id),
        text.header_field("Region", first.region),
        text.header_field("Account", first.account),
        text.header_field("Instances", str(len(group.entries))),
    ]
    link = _console_link(first, f"state-manager/{first.association_id}/description")
    if link:
        lines.append(text.header_field("Console", link))
    return text.clean("\n".join(lines)) + "\n"


def _entry_text(entry: Entry) -> str:
    event = entry.event
    lines = [
        f"{event.instance_id}: {event.status or '-'}",
        text.field("Last execution", event.last_execution_date),
        text.field("Detailed status", event.detailed_status),
        text.field("Error code", event.error_code),
        text.field("Execution summary", event.execution_summary),
        text.field("Output URL", event.output_url),
    ]
    link = _console_link(event, f"fleet-manager/managed-nodes/{event.instance_id}/general")
    if link:
        lines.append(text.field("Console", link))
    if len(entry.message_ids) > 1:
        reported = f"{len(entry.message_ids)} times (duplicates collapsed)"
        lines.append(text.field("Reported", reported))
    if entry.output is not None:
        lines.extend(_output_lines(entry.output))
    return text.clean("\n".join(lines)) + "\n"


def _output_lines(output: OutputLookup) -> list[str]:
    if output.not_fetched:
        return [f"  output not fetched: {output.not_fetched}"]
    lines = []
    for title, tail in (
        ("Standard output", output.stdout_tail),
        ("Standard error", output.stderr_tail),
    ):
        if tail:
            lines.append(f"  {title} (last lines):")
            lines.extend(f"    | {line}" for line in tail.splitlines())
    return lines or ["  Output: (empty)"]


def _console_link(event: AssociationEvent, page: str) -> str:
    return text.console_link(
        event.partition,
        event.region,
        f"systems-manager/{page}",
        event.instance_id,
        event.association_id,
    )

"""Group a batch's events by association: one Group (one digest) per association, duplicate runs
collapsed into one Entry, entries in the order the digest lists them. Pure."""

from __future__ import annotations

from collections.abc import Iterable

from .enrich import OutputLookup
from .events import AssociationEvent

# Runs whose command output is looked up (the event's own summary holds stderr only).
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

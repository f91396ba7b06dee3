"""The sweep's findings about the watched documents themselves: one that does not exist (or
could not be looked up) where no association uses it, and one no association uses anywhere.

A document an association uses plainly exists: only a document whose listing in a place found no
association is looked up there (one DescribeDocument per document and place per run). SSM's
`InvalidDocument` alone means "does not exist"; any other failure (AccessDenied, throttling, the
time) is "not looked up", never "does not exist". AWS-owned documents (AWS-RunPatchBaseline...)
exist in every region and are found like any other.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .log import describe_error
from .paging import Pager

NOT_FOUND = "not found"
USED_ELSEWHERE = "no such document here; associations elsewhere use it"
# Planned units that are no association (sweep_check.unit_key, sweep.place_unit).
NOT_ASSOCIATIONS = ("document:", "place:")


def look_up(ssm: Any, pager: Pager, document: str) -> str:
    """ "" when the document exists; NOT_FOUND when SSM says it does not; otherwise
    "not looked up: <why>"."""
    try:
        pager.call(ssm.describe_document, Name=document)
    except Exception as error:
        code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
        if code == "InvalidDocument":
            return NOT_FOUND
        return f"not looked up: {describe_error(error)}"
    return ""


def used(planned: dict[str, str]) -> set[str]:
    """The documents some planned association uses (any place); `planned`: {unit: document}."""
    return {document for unit, document in planned.items() if not unit.startswith(NOT_ASSOCIATIONS)}


def unused(
    documents: Iterable[str], planned: dict[str, str], said: set[str], all_listed: bool
) -> list[str]:
    """Watched documents no association uses in any place swept. Said only when every place was
    listed (a place not listed may hold its associations), and not for a document `said`
    elsewhere in the digest (a finding or a listing failure of its own)."""
    if not all_listed:
        return []
    in_use = used(planned)
    return [document for document in documents if document not in in_use | said]


def used_elsewhere_is_no_finding(results: Iterable[Any], planned: dict[str, str]) -> None:
    """Scope=organization: a document of your own may exist only where associations use it; "not
    found" in the other places becomes a note on that place, not a misconfiguration."""
    in_use = used(planned)
    for result in results:
        if result.document_lookup == NOT_FOUND and result.document in in_use:
            result.document_lookup = ""
            result.notes.append(USED_ELSEWHERE)

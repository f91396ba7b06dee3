"""Bounded listings: follow NextToken under a page cap, an item cap and the invocation's time.

A listing that was cut by a cap says so (the caller reports what it could not see), and a call
that would start with less time left than is kept back raises OutOfTimeError.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

# Page sizes asked of the APIs (their maximums are 50 for these SSM calls and 1000 for EC2's).
SSM_PAGE_SIZE = 50
EC2_PAGE_SIZE = 1000
MAX_PAGES_PER_CALL = 100
MAX_ITEMS_PER_CALL = 10_000


class OutOfTimeError(Exception):
    """Less time is left in the invocation than is kept back for publishing the digest."""


class Pager:
    """Follows NextToken under a page cap, an item cap and the invocation's time budget."""

    def __init__(
        self,
        seconds_left: Callable[[], float],
        reserve_seconds: float,
        max_pages: int | None = None,
        max_items: int | None = None,
    ) -> None:
        self._seconds_left = seconds_left
        self._reserve = reserve_seconds
        self.max_pages = MAX_PAGES_PER_CALL if max_pages is None else max_pages
        self.max_items = MAX_ITEMS_PER_CALL if max_items is None else max_items

    def check_time(self) -> None:
        if self._seconds_left() < self._reserve:
            raise OutOfTimeError("time budget of this invocation spent")

    def items(
        self,
        call: Callable[..., dict[str, Any]],
        request: dict[str, Any],
        extract: Callable[[dict[str, Any]], Iterable[Any]],
        max_items: int | None = None,
    ) -> tuple[list[Any], bool]:
        """Every item of every page, and whether the listing was cut by a cap."""
        max_items = self.max_items if max_items is None else max_items
        found: list[Any] = []
        token = None
        for _ in range(self.max_pages):
            self.check_time()
            page = call(**request, **({"NextToken": token} if token else {}))
            found.extend(extract(page))
            token = page.get("NextToken")
            if len(found) > max_items or (len(found) == max_items and token):
                return found[:max_items], True
            if not token:
                return found, False
        return found, True

"""Listings without a cap: follow NextToken page by page, each call started only while it fits in
the invocation's time.

Pages are streamed (`Pager.stream`), so a listing of 100,000 items never sits in memory as pages;
the caller keeps what it needs (a set of ids). No page or item cap: what bounds a listing is the
time left, and a listing cut by it raises OutOfTimeError so the caller reports it as not checked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

# Page sizes asked of the APIs: the maximums in their botocore models (50 for ListAssociations,
# DescribeAssociationExecutions(Targets) and DescribeInstanceInformation; 1000 for EC2's).
SSM_PAGE_SIZE = 50
EC2_PAGE_SIZE = 1000


class OutOfTimeError(Exception):
    """A call would not fit in the time left of the invocation (its reserve kept back)."""


class Pager:
    """Starts a call only if its worst case (`call_seconds`) fits in the time left minus the
    reserve; follows NextToken to the end."""

    def __init__(
        self,
        seconds_left: Callable[[], float],
        reserve_seconds: float,
        call_seconds: float = 0.0,
    ) -> None:
        self.seconds_left = seconds_left
        self._reserve = reserve_seconds
        self._call_seconds = call_seconds
        self.calls = 0

    def check_time(self) -> None:
        """Raise OutOfTimeError unless one more call, at its worst, still leaves the reserve."""
        if self.seconds_left() < self._reserve + self._call_seconds:
            raise OutOfTimeError(
                f"out of time after {self.calls} calls: the invocation's time was spent"
            )

    def call(self, call: Callable[..., dict[str, Any]], **request: Any) -> dict[str, Any]:
        """One call, started only in time."""
        self.check_time()
        self.calls += 1
        return call(**request)

    def stream(
        self,
        call: Callable[..., dict[str, Any]],
        request: dict[str, Any],
        extract: Callable[[dict[str, Any]], Iterable[Any]],
    ) -> Iterator[Any]:
        """Every item of every page, page by page."""
        token = None
        while True:
            page = self.call(call, **request, **({"NextToken": token} if token else {}))
            yield from extract(page)
            token = page.get("NextToken")
            if not token:
                return

    def items(
        self,
        call: Callable[..., dict[str, Any]],
        request: dict[str, Any],
        extract: Callable[[dict[str, Any]], Iterable[Any]],
    ) -> list[Any]:
        """Every item of every page, as a list (for short listings)."""
        return list(self.stream(call, request, extract))

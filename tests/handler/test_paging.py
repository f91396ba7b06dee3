"""paging.Pager: NextToken followed to the end (no cap), each call started only in time."""

from __future__ import annotations

import pytest
from ssm_notifier.paging import OutOfTimeError, Pager


def pages(count: int):
    calls = []

    def call(**request):
        calls.append(request)
        number = len(calls)
        return {"Items": [number], **({"NextToken": f"t{number}"} if number < count else {})}

    return call, calls


def test_pager_follows_next_token_to_the_end() -> None:
    call, calls = pages(3)

    items = Pager(lambda: 100, 10).items(call, {"A": 1}, lambda page: page["Items"])

    assert items == [1, 2, 3]
    assert calls == [{"A": 1}, {"A": 1, "NextToken": "t1"}, {"A": 1, "NextToken": "t2"}]


def test_pager_has_no_page_or_item_cap() -> None:
    """(Was test_pager_stops_at_its_page_cap / _item_cap: the caps are gone, issue 14.)"""
    call, calls = pages(1_000)

    items = Pager(lambda: 100, 10).items(call, {}, lambda page: page["Items"])

    assert items == list(range(1, 1_001))
    assert len(calls) == 1_000


def test_pager_streams_page_by_page() -> None:
    call, calls = pages(5)

    stream = Pager(lambda: 100, 10).stream(call, {}, lambda page: page["Items"])

    assert next(stream) == 1
    assert len(calls) == 1


def test_a_call_starts_only_if_its_worst_case_fits_before_the_reserve() -> None:
    call, calls = pages(3)
    left = iter([100.0, 35.0, 33.9])

    with pytest.raises(OutOfTimeError, match="after 2 calls"):
        Pager(lambda: next(left), 10, call_seconds=24).items(call, {}, lambda page: page["Items"])
    assert len(calls) == 2


def test_pager_makes_no_call_once_the_time_budget_is_spent() -> None:
    call, calls = pages(1)

    with pytest.raises(OutOfTimeError):
        Pager(lambda: 9.9, 10).items(call, {}, lambda page: page["Items"])
    assert calls == []

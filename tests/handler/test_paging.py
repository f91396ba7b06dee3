"""paging.Pager: NextToken followed under a page cap, an item cap and the time budget."""

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

    items, cut = Pager(lambda: 100, 10).items(call, {"A": 1}, lambda page: page["Items"])

    assert (items, cut) == ([1, 2, 3], False)
    assert calls == [{"A": 1}, {"A": 1, "NextToken": "t1"}, {"A": 1, "NextToken": "t2"}]


def test_pager_stops_at_its_page_cap_and_says_so() -> None:
    call, calls = pages(5)

    items, cut = Pager(lambda: 100, 10, max_pages=2).items(call, {}, lambda page: page["Items"])

    assert (items, cut, len(calls)) == ([1, 2], True, 2)


def test_pager_stops_at_its_item_cap_and_says_so() -> None:
    call, _ = pages(5)

    items, cut = Pager(lambda: 100, 10).items(call, {}, lambda p: p["Items"] * 2, max_items=3)

    assert (items, cut) == ([1, 1, 2], True)


def test_pager_makes_no_call_once_the_time_budget_is_spent() -> None:
    call, calls = pages(1)

    with pytest.raises(OutOfTimeError):
        Pager(lambda: 9.9, 10).items(call, {}, lambda page: page["Items"])
    assert calls == []

"""Times as people read them: UTC to the minute, and the DisplayTimeZone beside it (DST both
ways, a local date that differs); a zone the runtime does not know falls back to UTC, logged
once."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from ssm_notifier import display_time
from ssm_notifier.display_time import display_zone, shown


@pytest.fixture(autouse=True)
def fresh_zones():
    display_zone.cache_clear()
    yield
    display_zone.cache_clear()


def test_utc_only_without_a_zone() -> None:
    assert shown("2026-11-29T05:40:12.345Z") == "2026-11-29 05:40 UTC"
    assert shown(datetime(2026, 11, 29, 5, 40, tzinfo=UTC)) == "2026-11-29 05:40 UTC"
    assert display_zone("") is None


@pytest.mark.parametrize(
    ("moment", "zone", "expected"),
    [
        # Winter and summer time in Paris: +1 h (CET), +2 h (CEST).
        ("2026-11-29T05:40:00Z", "Europe/Paris", "2026-11-29 05:40 UTC (06:40 CET)"),
        ("2026-07-01T05:40:00Z", "Europe/Paris", "2026-07-01 05:40 UTC (07:40 CEST)"),
        # The night Europe/Paris changes to summer time (2026-03-29, 01:00 UTC): either side.
        ("2026-03-29T00:59:00Z", "Europe/Paris", "2026-03-29 00:59 UTC (01:59 CET)"),
        ("2026-03-29T01:00:00Z", "Europe/Paris", "2026-03-29 01:00 UTC (03:00 CEST)"),
        # New York's change back (2026-11-01, 06:00 UTC): 01:30 happens twice locally.
        ("2026-11-01T05:30:00Z", "America/New_York", "2026-11-01 05:30 UTC (01:30 EDT)"),
        ("2026-11-01T06:30:00Z", "America/New_York", "2026-11-01 06:30 UTC (01:30 EST)"),
        # A local date that is not the UTC date is written out.
        ("2026-11-29T23:40:00Z", "Asia/Tokyo", "2026-11-29 23:40 UTC (2026-11-30 08:40 JST)"),
        (
            "2026-11-29T02:00:00Z",
            "America/Los_Angeles",
            "2026-11-29 02:00 UTC (2026-11-28 18:00 PST)",
        ),
        # Half-hour offsets, and a zone whose abbreviation is its offset.
        ("2026-11-29T05:40:00Z", "Asia/Kolkata", "2026-11-29 05:40 UTC (11:10 IST)"),
        ("2026-11-29T05:40:00Z", "Etc/GMT+5", "2026-11-29 05:40 UTC (00:40 -05)"),
    ],
)
def test_times_in_the_display_zone_beside_utc(moment: str, zone: str, expected: str) -> None:
    assert shown(moment, display_zone(zone)) == expected


def test_a_time_that_is_not_one_is_shown_as_given() -> None:
    assert shown("yesterday", display_zone("Europe/Paris")) == "yesterday"
    assert shown("") == ""


@pytest.mark.parametrize(
    "name", ["Mars/Olympus_Mons", "Europe/Paris ", "../../etc/passwd", "UTC+1", "x" * 51]
)
def test_an_unknown_or_malformed_zone_falls_back_to_utc_logged_once(
    name: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="ssm_notifier"):
        assert display_zone(name) is None
        assert display_zone(name) is None  # asked again: answered from the cache
    assert [r.getMessage() for r in caplog.records] == [
        "DISPLAY_TIME_ZONE not used: times are shown in UTC only"
    ]
    assert shown("2026-11-29T05:40:00Z", display_zone(name)) == "2026-11-29 05:40 UTC"


def test_the_zone_name_pattern_is_the_parameters() -> None:
    """The handler reads a name as the DisplayTimeZone parameter constrains it."""
    from templates import parameters

    assert f"^(|{display_time.ZONE_NAME.pattern})$" == parameters.TIME_ZONE_PATTERN
    assert display_time.ZONE_NAME_MAX_CHARS == parameters.TIME_ZONE_MAX_LENGTH

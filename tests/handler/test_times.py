"""times: UTC conversion, event times, SSM filter times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from ssm_notifier.times import api_time, as_utc, parse_time

PLUS_TWO = timezone(timedelta(hours=2))


def test_as_utc_converts_an_aware_time_and_takes_a_naive_one_as_utc() -> None:
    converted = as_utc(datetime(2026, 5, 4, 8, 0, tzinfo=PLUS_TWO))
    assert (converted.hour, converted.tzinfo) == (6, UTC)
    assert as_utc(datetime(2026, 5, 4, 6, 0)) == datetime(2026, 5, 4, 6, 0, tzinfo=UTC)


def test_parse_time_reads_an_events_time_and_rejects_anything_else() -> None:
    assert parse_time("2026-05-04T03:02:10.000Z") == datetime(2026, 5, 4, 3, 2, 10, tzinfo=UTC)
    assert parse_time("2026-05-04T05:02:10+02:00") == datetime(2026, 5, 4, 3, 2, 10, tzinfo=UTC)
    assert parse_time("") is None
    assert parse_time("yesterday") is None


def test_api_time_is_utc_with_milliseconds() -> None:
    moment = datetime(2026, 5, 4, 8, 0, 1, 234_567, tzinfo=PLUS_TWO)

    assert api_time(moment) == "2026-05-04T06:00:01.234Z"

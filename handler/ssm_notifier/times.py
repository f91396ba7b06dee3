"""Points in time as the AWS APIs and the events give and take them: UTC, ISO 8601 text."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive datetime (botocore's parser gives aware ones) is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_time(text: str) -> datetime | None:
    """An event's ISO 8601 time (`2026-05-04T03:02:10.000Z`) in UTC; None if it is not one."""
    try:
        return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        return None


def api_time(moment: datetime) -> str:
    """`2026-05-04T03:02:10.000Z`: as SSM filters take it and the Lambda runtime logs it."""
    moment = as_utc(moment)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def utc_now() -> datetime:
    return datetime.now(UTC)

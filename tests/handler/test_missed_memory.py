"""missed_memory: what the sweep already reported, in moto's DynamoDB (the state table layout)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from conftest import create_state_table
from moto import mock_aws
from ssm_notifier.missed_memory import (
    PREFIX,
    MissedMemory,
    Remembered,
    fingerprint,
)
from ssm_notifier.paging import Pager
from sweep_testkit import TABLE

NOW = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)
ASSOCIATION = "11111111-1111-4111-8111-111111111111"


@pytest.fixture
def memory():
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        create_state_table(dynamodb)
        yield MissedMemory(dynamodb, TABLE, Pager(lambda: 1000.0, 0.0), timedelta(days=7)), dynamodb


def test_what_is_remembered_is_recalled_with_its_fingerprint_and_time(memory) -> None:
    store, dynamodb = memory
    keys = [(f"i-{n:017x}", f"print-{n}") for n in range(60)]  # more than one batch of 25

    store.update(ASSOCIATION, keys, [], NOW)

    recalled = store.recall(ASSOCIATION)
    assert recalled == {key: Remembered(print_, NOW.timestamp()) for key, print_ in keys}
    item = dynamodb.get_item(
        TableName=TABLE, Key={"pk": {"S": PREFIX + ASSOCIATION}, "sk": {"S": keys[0][0]}}
    )["Item"]
    # TTL: the reminder period and a day, in epoch seconds.
    assert int(item["expires_at"]["N"]) == int((NOW + timedelta(days=8)).timestamp())
    assert store.recall("22222222-2222-4222-8222-222222222222") == {}


def test_forgotten_keys_are_deleted(memory) -> None:
    store, _ = memory
    store.update(ASSOCIATION, [("i-01", "a"), ("i-02", "b")], [], NOW)

    store.update(ASSOCIATION, [], ["i-01"], NOW + timedelta(days=1))

    assert set(store.recall(ASSOCIATION)) == {"i-02"}


@pytest.mark.parametrize(
    ("remembered", "print_", "now", "due"),
    [
        (None, "a", NOW, True),  # never reported
        (Remembered("a", NOW.timestamp()), "b", NOW + timedelta(days=1), True),  # changed
        (Remembered("a", NOW.timestamp()), "a", NOW + timedelta(days=1), False),  # held back
        (Remembered("a", NOW.timestamp()), "a", NOW + timedelta(days=7), True),  # reminder
        (Remembered("a", NOW.timestamp()), "a", NOW + timedelta(days=6, hours=23), False),
        (Remembered("a", NOW.timestamp()), "a", NOW, True),  # the same run, retried
    ],
)
def test_an_instance_is_due_when_new_changed_reminded_or_retried(
    memory, remembered, print_, now, due
) -> None:
    store, _ = memory
    assert store.is_due(remembered, print_, now) is due


def test_the_fingerprint_changes_with_any_part() -> None:
    base = fingerprint("rate(1 day)", "tag:Patch=yes", "stopped (EC2)")
    assert base == fingerprint("rate(1 day)", "tag:Patch=yes", "stopped (EC2)")
    assert base != fingerprint("rate(2 days)", "tag:Patch=yes", "stopped (EC2)")
    assert base != fingerprint("rate(1 day)", "tag:Patch=no", "stopped (EC2)")
    assert base != fingerprint("rate(1 day)", "tag:Patch=yes", "running (EC2)")

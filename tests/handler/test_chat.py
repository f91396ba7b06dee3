"""Chat rendering: every payload valid against AWS's documented format and our bounds, safe text."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
from chat_schema import CHAT_EVENTS, schema, validate
from ssm_notifier import chat
from ssm_notifier.inbox import Entry, Links, plan_emails

LINKS = Links(
    "https://console.aws.amazon.com/s3/object/bucket?region=us-east-1&bucketType=general"
    "&prefix=digests%2F2026-05-04%2Fabc.txt",
    {},
)


def entry(instance: str, status: str = "Failed", **fields: str) -> Entry:
    values = {
        "account": "111111111111",
        "region": "us-east-1",
        "association_id": "8dfe3659-4309-493a-8755-0123456789ab",
        "document_name": "AWS-UpdateSSMAgent",
        "instance_id": instance,
        "status": status,
        "classification": "new" if status == "Failed" else "ok",
        "last_execution": "2026-05-04T03:02:10.000Z",
        "error_code": "ExecutionError" if status == "Failed" else "",
    }
    return Entry(**{**values, **fields})


def render(entries: list[Entry], **plan) -> dict:
    (email,) = plan_emails(entries, LINKS, **plan)
    return chat.render(email, LINKS)


def test_the_schema_names_exactly_the_fields_of_aws_documented_event_format() -> None:
    text = (CHAT_EVENTS / "event_format.txt").read_text()
    text = text.replace("[ String, String, ... ]", "[]").replace("String", '""')
    text = re.sub(r"\s*\.\.\.\s*(?=\})", "", text)  # the "..." of more context keys
    documented = json.loads(text)
    properties = schema("custom_notification.schema.json")["properties"]
    assert set(properties) == set(documented)
    assert set(properties["content"]["properties"]) == set(documented["content"])
    documented_metadata = set(documented["metadata"])
    assert set(properties["metadata"]["properties"]) == documented_metadata
    # AWS's schema accepts the documented format with its placeholders filled in as strings.
    filled = {**documented, "version": "1.0", "source": "custom"}
    filled["content"] = {**documented["content"], "description": "x", "textType": "client-markdown"}
    jsonschema.validate(filled, schema("custom_notification.schema.json"))


@pytest.mark.parametrize(
    "bad",
    [
        {"version": "2.0"},
        {"source": "aws.ssm"},
        {"content": {"textType": "markdown", "description": "x"}},
        {"content": {"title": 7}},
        {"content": {"keywords": "Failed"}},
        {"metadata": {"additionalContext": {"count": 3}}},
    ],
)
def test_aws_schema_rejects_what_the_page_rules_out(bad: dict) -> None:
    good = {"version": "1.0", "source": "custom", "content": {"description": "x"}}
    jsonschema.validate(good, schema("custom_notification.schema.json"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**good, **bad}, schema("custom_notification.schema.json"))


def test_a_failed_and_a_successful_instance_render_failures_first_with_the_report() -> None:
    payload = render([entry("i-0b22a22eec53b9321", "Success"), entry("i-0f3c5a1d2e4b6f789")])
    validate(payload)
    content, metadata = payload["content"], payload["metadata"]
    assert content["title"].startswith("SSM associations: 1 failed")
    description = content["description"]
    assert description.startswith("*1 Failed, 1 Success*")
    assert "`i-0f3c5a1d2e4b6f789` Failed" in description
    assert "i-0b22a22eec53b9321" not in description  # successes are counted, not listed
    assert description.endswith("Full report: " + LINKS.index)
    assert content["nextSteps"][0] == "Read the full report: " + LINKS.index
    assert "managed-nodes/i-0f3c5a1d2e4b6f789/general?region=us-east-1" in content["nextSteps"][1]
    assert content["keywords"] == ["Failed", "Success", "111111111111", "us-east-1"]
    assert metadata["relatedResources"] == [
        "arn:aws:ssm:us-east-1:111111111111:association/8dfe3659-4309-493a-8755-0123456789ab",
        "arn:aws:ec2:us-east-1:111111111111:instance/i-0f3c5a1d2e4b6f789",
    ]
    assert metadata["additionalContext"] == {
        "account": "111111111111",
        "region": "us-east-1",
        "document": "AWS-UpdateSSMAgent",
    }


def test_follow_ups_of_one_run_share_a_thread_and_other_runs_do_not() -> None:
    first = render([entry("i-1")])["metadata"]["threadId"]
    later = render([entry("i-2", "Success", last_execution="2026-05-04T05:00:00Z")])
    next_day = render([entry("i-1", last_execution="2026-05-05T03:00:00Z")])
    other = render([entry("i-1", association_id="another")])
    assert later["metadata"]["threadId"] == first
    assert next_day["metadata"]["threadId"] != first
    assert other["metadata"]["threadId"] != first


def test_hostile_values_cannot_add_markup_mentions_or_lines() -> None:
    payload = render(
        [
            entry(
                "i-1`*<!channel>*\n[x](https://evil)\u202e",
                document_name="<@U123> *doc*",
                error_code="<https://evil|click>",
                account="1111\n@here",
            )
        ]
    )
    validate(payload)
    text = json.dumps(payload, ensure_ascii=False)
    for forbidden in ("<!channel>", "<@U123>", "<https://evil", "](", "\u202e", "\\n@here"):
        assert forbidden not in text
    description = payload["content"]["description"]
    assert description.count("`") == 2  # only the backticks around the instance id
    assert all(
        line.startswith(("*", "- ", "1 ", "Full report")) for line in description.split("\n")
    )
    # An id that cannot form a console URL or an ARN is not linked, and not put in an ARN.
    assert len(payload["content"]["nextSteps"]) == 1
    assert payload["metadata"]["relatedResources"][-1].endswith("instance/unknown")


def test_a_burst_stays_within_every_bound() -> None:
    entries = [
        entry(
            f"i-{n:017x}",
            "Failed" if n % 3 else "Success",
            account=f"{n % 40:012}",
            region=f"eu-west-{n % 3 + 1}",
            association_id=f"assoc-{n % 200}",
            summary="x" * 5_000,
        )
        for n in range(3_000)
    ]
    payload = render(entries)
    validate(payload)
    assert "more failed, named in the report" in payload["content"]["description"]
    assert len(chat.compact(payload).encode()) <= chat.CHAT_MAX_BYTES


def test_huge_and_unencodable_fields_are_cut_and_replaced() -> None:
    payload = render(
        [entry("i-" + "a" * 100_000, document_name="\ud800" * 50, region="x" * 10_000)]
    )
    validate(payload)
    chat.compact(payload).encode("utf-8")  # no lone surrogate left


def test_an_email_without_entries_is_refused_clearly() -> None:
    from ssm_notifier.inbox import Email

    with pytest.raises(ValueError, match="no entries"):
        chat.render(Email("s", "b", [], 0), LINKS)


@pytest.mark.parametrize("bound", [chat.CHAT_MAX_BYTES, 4_000, 2_000])
def test_wide_characters_in_every_field_still_fit_the_promised_size(monkeypatch, bound) -> None:
    """At the real bound nothing needs cutting; at tighter ones `_fit` cuts, report line kept."""
    monkeypatch.setattr(chat, "CHAT_MAX_BYTES", bound)
    wide = "\U0001f525" * 400  # four UTF-8 bytes each
    entries = [
        entry(
            f"i-{n}{wide}",
            f"Failed{n}{wide}",
            account=f"{n}{wide}",
            region=f"{n}{wide}",
            document_name=f"{n}{wide}",
            error_code=wide,
        )
        for n in range(40)
    ]
    (email,) = plan_emails(entries, LINKS)
    payload = chat.render(email, LINKS)
    assert len(chat.compact(payload).encode()) <= chat.CHAT_MAX_BYTES
    assert payload["content"]["description"].endswith("Full report: " + LINKS.index)
    jsonschema.validate(payload, schema("custom_notification.schema.json"))


def test_a_named_run_command_instance_shows_its_name_and_the_run_is_counted_as_a_command() -> None:
    command = "command:3b2d4a1e-7c61-4e0b-9b5a-5f0e8c6d2a17"
    payload = render([entry("i-0f3c5a1d2e4b6f789", association_id=command, instance_name="web-1")])
    validate(payload)
    description = payload["content"]["description"]
    assert "`i-0f3c5a1d2e4b6f789` (web-1) Failed" in description
    assert "\n1 Run Command command in 1 account\n" in description
    assert payload["metadata"]["summary"] == "SSM runs: 1 Failed in 1 Run Command command"

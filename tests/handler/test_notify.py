"""notify: the notifier end to end, SQS records in, SNS digests out (moto), batch item failures
back; its time reserves pinned at their boundaries."""

from __future__ import annotations

import itertools
import json

import pytest
from botocore.stub import Stubber
from notifier_testkit import (
    ASSOCIATION_ID,
    SAMPLE_BODY,
    FakeClock,
    failed_ids,
    log_lines,
    stub_executions,
    stub_output,
)
from ssm_notifier import notify
from ssm_notifier.clients import ClientCache
from ssm_notifier.settings import Settings, SettingsError

from templates.sample_events import association_event, sqs_record

AGENT_STDOUT = (
    "Initiating amazon-ssm-agent update to 100000\n"
    "failed to download manifest\n"
    "Failed to update amazon-ssm-agent to 100000"
)


def run(records, settings, topic, ssm_client, clock, **kwargs):
    return notify.process_batch(
        records, settings, ssm=ssm_client, sns=topic.sns, clock=clock, sleep=clock.sleep, **kwargs
    )


def test_two_instances_of_one_association_make_one_enriched_digest(
    topic, ssm, settings, clock
) -> None:
    client, stubber = ssm
    stub_executions(stubber)
    stub_output(stubber, "i-0bad", AGENT_STDOUT, "exit status 1")
    records = [
        sqs_record(association_event("i-0good", "Success"), "m-1"),
        sqs_record(association_event("i-0bad", "Failed"), "m-2"),
    ]

    response = run(records, settings, topic, client, clock)

    assert failed_ids(response) == []
    [note] = topic.published()
    assert note["Subject"] == "[SSM] AWS-UpdateSSMAgent: 1 failed, 1 succeeded"
    body = note["Message"]
    assert body.index("i-0bad: Failed") < body.index("i-0good: Success")
    assert "    | Failed to update amazon-ssm-agent to 100000" in body
    assert "    | exit status 1" in body
    stubber.assert_no_pending_responses()


def test_two_associations_make_two_messages(topic, ssm, settings, clock) -> None:
    client, _ = ssm
    records = [
        sqs_record(
            association_event("i-1", association_id="assoc-1", document_name="Doc-One"), "m-1"
        ),
        sqs_record(
            association_event("i-2", association_id="assoc-2", document_name="Doc-Two"), "m-2"
        ),
        sqs_record(
            association_event("i-3", association_id="assoc-1", document_name="Doc-One"), "m-3"
        ),
    ]

    response = run(records, settings, topic, client, clock)

    assert failed_ids(response) == []
    subjects = sorted(note["Subject"] for note in topic.published())
    assert subjects == ["[SSM] Doc-One: 2 succeeded", "[SSM] Doc-Two: 1 succeeded"]


def test_duplicates_make_one_entry(topic, ssm, settings, clock) -> None:
    client, _ = ssm
    event = association_event("i-1", "Success")
    records = [sqs_record(event, f"m-{n}") for n in range(5)]

    assert failed_ids(run(records, settings, topic, client, clock)) == []
    [note] = topic.published()
    assert note["Subject"] == "[SSM] AWS-UpdateSSMAgent: 1 succeeded"
    assert note["Message"].count("i-1: Success") == 1


def test_bad_records_fail_alone_and_are_logged(topic, ssm, settings, clock, caplog) -> None:
    client, _ = ssm
    records = [
        sqs_record("{broken", "bad-json"),
        sqs_record({"hello": "world"}, "not-eventbridge"),
        sqs_record({**association_event(), "detail-type": "Something Else"}, "wrong-type"),
        sqs_record(association_event(**{"instance-id": ""}), "no-instance"),
        sqs_record(association_event("i-1", "Success"), "good"),
    ]

    response = run(records, settings, topic, client, clock)

    assert failed_ids(response) == ["bad-json", "not-eventbridge", "wrong-type", "no-instance"]
    [note] = topic.published()
    assert note["Subject"] == "[SSM] AWS-UpdateSSMAgent: 1 succeeded"
    rejected = {
        line["message_id"]: line["reason"]
        for line in log_lines(caplog.records)
        if line["message"] == "record rejected"
    }
    assert rejected == {
        "bad-json": "body is not JSON",
        "not-eventbridge": "not an EventBridge event: no source, detail-type, detail",
        "wrong-type": "unexpected detail-type 'Something Else'",
        "no-instance": "detail has no instance-id",
    }


def test_enrichment_errors_still_publish_with_the_fallback(topic, ssm, settings, clock) -> None:
    client, stubber = ssm
    stubber.add_client_error("describe_association_executions", "AccessDeniedException")
    summary = "update failed: see the output"
    records = [
        sqs_record(association_event("i-0bad", "Failed", **{"execution-summary": summary}), "m-1")
    ]

    assert failed_ids(run(records, settings, topic, client, clock)) == []
    [note] = topic.published()
    assert f"Execution summary: {summary}" in note["Message"]
    assert (
        "output not fetched: AccessDeniedException (DescribeAssociationExecutions)"
        in note["Message"]
    )


def test_enrichment_stops_at_the_lookup_limit(topic, ssm, clock) -> None:
    client, stubber = ssm
    stub_executions(stubber)
    stub_output(stubber, "i-1", "one")
    settings = Settings(topic_arn=topic.arn, enrich_max_lookups=1)
    records = [sqs_record(association_event(f"i-{n}", "Failed"), f"m-{n}") for n in (1, 2)]

    assert failed_ids(run(records, settings, topic, client, clock)) == []
    body = topic.published()[0]["Message"]
    assert "    | one" in body
    assert "output not fetched: lookup limit of 1 per batch reached" in body
    stubber.assert_no_pending_responses()


def test_an_oversize_batch_is_published_within_the_sns_limit(topic, ssm, settings, clock) -> None:
    client, _ = ssm
    summary = "stderr line\n" * 300
    records = [
        sqs_record(
            association_event(f"i-{n:04}", "Success", **{"execution-summary": summary}), f"m-{n}"
        )
        for n in range(300)
    ]

    assert failed_ids(run(records, settings, topic, client, clock)) == []
    [note] = topic.published()
    assert len(note["Message"].encode()) < 262_144
    assert "more instances (message size limit)" in note["Message"]
    assert note["Subject"] == "[SSM] AWS-UpdateSSMAgent: 300 succeeded"


def stubbed_sns(topic, *errors: str | None) -> Stubber:
    """The moto SNS client stubbed: one publish per entry, an error code or None for success."""
    stubber = Stubber(topic.sns)
    for error in errors:
        if error:
            stubber.add_client_error("publish", service_error_code=error, http_status_code=400)
        else:
            stubber.add_response("publish", {"MessageId": "ok"})
    return stubber


def test_a_throttled_publish_fails_every_record_of_its_group(
    topic, ssm, settings, clock, caplog
) -> None:
    client, _ = ssm
    event = association_event("i-1", "Success")
    records = [
        sqs_record(event, "m-1"),
        sqs_record(event, "m-1-duplicate"),
        sqs_record(association_event("i-2", "Success"), "m-2"),
    ]

    with stubbed_sns(topic, "Throttling") as stubber:
        response = run(records, settings, topic, client, clock)
        stubber.assert_no_pending_responses()

    assert failed_ids(response) == ["m-1", "m-1-duplicate", "m-2"]
    [error] = [line for line in log_lines(caplog.records) if line["level"] == "ERROR"]
    assert error["message"] == "publish failed"
    assert error["error"] == "Throttling (Publish)"
    assert sorted(error["message_ids"]) == ["m-1", "m-1-duplicate", "m-2"]


@pytest.mark.parametrize("failing", [0, 1])
def test_a_failed_publish_fails_only_its_own_association(
    topic, ssm, settings, clock, failing
) -> None:
    client, _ = ssm
    records = [
        sqs_record(association_event("i-1", association_id="assoc-1"), "a1-m1"),
        sqs_record(association_event("i-2", association_id="assoc-2"), "a2-m1"),
        sqs_record(association_event("i-3", association_id="assoc-1"), "a1-m2"),
        sqs_record(association_event("i-3", association_id="assoc-1"), "a1-m2-duplicate"),
    ]
    outcomes = ["NotFound" if n == failing else None for n in range(2)]

    with stubbed_sns(topic, *outcomes) as stubber:
        response = run(records, settings, topic, client, clock)
        stubber.assert_no_pending_responses()

    expected = (["a1-m1", "a1-m2", "a1-m2-duplicate"], ["a2-m1"])[failing]
    assert sorted(failed_ids(response)) == expected


def test_a_bug_while_formatting_fails_that_group_only(
    topic, ssm, settings, clock, monkeypatch
) -> None:
    client, _ = ssm
    real_subject = notify.notify_digest.subject

    def broken_for_assoc_1(group):
        if group.association_id == "assoc-1":
            raise KeyError("boom")
        return real_subject(group)

    monkeypatch.setattr(notify.notify_digest, "subject", broken_for_assoc_1)
    records = [
        sqs_record(association_event("i-1", association_id="assoc-1"), "a1"),
        sqs_record(association_event("i-2", association_id="assoc-2"), "a2"),
    ]

    assert failed_ids(run(records, settings, topic, client, clock)) == ["a1"]
    assert len(topic.published()) == 1


def test_publishes_are_paced_a_second_apart(topic, ssm, settings, clock) -> None:
    client, _ = ssm
    starts = []
    real_publish = topic.sns.publish

    class TimedSns:
        def publish(self, **kwargs):
            starts.append(clock.now)
            return real_publish(**kwargs)

    records = [
        sqs_record(association_event("i-1", association_id=f"assoc-{n}"), f"m-{n}")
        for n in range(3)
    ]
    response = notify.process_batch(
        records, settings, ssm=client, sns=TimedSns(), clock=clock, sleep=clock.sleep
    )

    assert failed_ids(response) == []
    assert [round(b - a, 6) for a, b in itertools.pairwise(starts)] == [1.0, 1.0]
    assert clock.now >= starts[-1] + 1.0
    assert len(topic.published()) == 3


def test_groups_that_would_overrun_the_timeout_are_handed_back(topic, ssm, settings, clock) -> None:
    client, _ = ssm
    deadline = clock.now + 20.5  # room for the first group (enrichment budget + reserve) only
    records = [
        sqs_record(association_event("i-1", association_id=f"assoc-{n}"), f"m-{n}")
        for n in range(3)
    ]

    response = run(
        records, settings, topic, client, clock, seconds_left=lambda: deadline - clock.now
    )

    assert failed_ids(response) == ["m-1", "m-2"]
    assert len(topic.published()) == 1


@pytest.fixture
def runtime(monkeypatch, topic, ssm) -> FakeClock:
    """lambda_handler's outside world: the moto topic, the stubbed SSM client, a fake clock."""
    clock = FakeClock()
    clients = ClientCache(factory=lambda service: pytest.fail(f"unexpected {service} client"))
    clients.set("sns", topic.sns)
    clients.set("ssm", ssm[0])
    monkeypatch.setattr(notify, "RUNTIME", notify.Runtime(clients, clock, clock.sleep))
    monkeypatch.setenv("TOPIC_ARN", topic.arn)
    return clock


def test_lambda_handler_digests_the_documented_sample(runtime, topic) -> None:
    response = notify.lambda_handler({"Records": [sqs_record(SAMPLE_BODY, "m-1")]}, None)

    assert response == {"batchItemFailures": []}
    [note] = topic.published()
    assert note["Subject"] == "[SSM] my-documentName: 1 succeeded"
    assert f"Association: {ASSOCIATION_ID}" in note["Message"]
    assert json.loads(SAMPLE_BODY)["detail"]["execution-summary"] in note["Message"]
    # The invocation returned a full second after its publish started.
    assert runtime.sleeps == [1.0]


def test_lambda_handler_without_topic_arn_raises_so_the_batch_is_retried(
    runtime, topic, monkeypatch
) -> None:
    monkeypatch.delenv("TOPIC_ARN")

    with pytest.raises(SettingsError, match="TOPIC_ARN is not set"):
        notify.lambda_handler({"Records": [sqs_record(SAMPLE_BODY, "m-1")]}, None)
    assert topic.published() == []


def test_lambda_handler_rejects_an_event_that_is_not_from_sqs(runtime) -> None:
    with pytest.raises(ValueError, match="no Records list"):
        notify.lambda_handler({"detail": {}}, None)


def test_lambda_handler_uses_the_time_left_in_the_context(runtime, topic) -> None:
    class NearlyOutOfTime:
        def get_remaining_time_in_millis(self) -> int:
            return 5_000

    response = notify.lambda_handler(
        {"Records": [sqs_record(SAMPLE_BODY, "m-1")]}, NearlyOutOfTime()
    )

    assert failed_ids(response) == ["m-1"]
    assert topic.published() == []


@pytest.mark.parametrize(("seconds_left", "published"), [(19.9, 0), (20.0, 1)])
def test_a_group_starts_only_with_the_enrichment_budget_and_the_publish_reserve_left(
    topic, ssm, settings, clock, seconds_left, published
) -> None:
    # 10 s of enrichment budget (the default) and 10 s kept for the publish and its retries.
    client, _ = ssm
    records = [sqs_record(association_event("i-1"), "m-1")]

    response = run(records, settings, topic, client, clock, seconds_left=lambda: seconds_left)

    assert len(topic.published()) == published
    assert failed_ids(response) == ([] if published else ["m-1"])

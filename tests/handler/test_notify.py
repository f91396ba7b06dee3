"""notify: the notifier end to end, SQS records in, at most `EMAILS_PER_INVOCATION` SNS digests
out (moto), state in DynamoDB, full reports in S3, deferrals back on the queue, batch item failures
back; its time reserves pinned at their boundaries."""

from __future__ import annotations

import itertools
import json
import logging

import pytest
from botocore.stub import Stubber
from notifier_testkit import (
    ASSOCIATION_ID,
    SAMPLE_BODY,
    FakeClock,
    NamedEc2,
    failed_ids,
    log_lines,
    report_texts,
    store_clients,
    stub_executions,
    stub_output,
)
from ssm_notifier import notify, pipeline, state
from ssm_notifier.clients import ClientCache
from ssm_notifier.deadline import Deadline
from ssm_notifier.defer import DEFERRALS_ATTRIBUTE
from ssm_notifier.settings import SettingsError

from templates.sample_events import association_event, sqs_record

AGENT_STDOUT = (
    "Initiating amazon-ssm-agent update to 100000\n"
    "failed to download manifest\n"
    "Failed to update amazon-ssm-agent to 100000"
)
# What must be left for a batch to start: one call of each stage, and re-enqueueing after them.
START_SECONDS = pipeline.START_RESERVE_SECONDS + pipeline.AFTER_RESERVE_SECONDS


def run(records, settings, topic, ssm_client, clock, sns=None, seconds_left=None):
    clients = {"ssm": ssm_client, "sns": sns or topic.sns, **store_clients()}
    return notify.process_batch(
        records,
        settings,
        clients=clients,
        deadline=Deadline(seconds_left) if seconds_left else None,
        clock=clock,
        sleep=clock.sleep,
    )


def deferred_bodies(settings) -> list[tuple[str, str]]:
    """(body, deferral count) of every message sent back to the notification queue."""
    sqs = store_clients()["sqs"]
    messages = sqs.receive_message(
        QueueUrl=settings.queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages", [])
    return [
        (m["Body"], m["MessageAttributes"][DEFERRALS_ATTRIBUTE]["StringValue"]) for m in messages
    ]


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
    assert note["Subject"] == "SSM associations: 1 failed (1 new), 0 recovered, 1 ok"
    body = note["Message"]
    assert "  NEW i-0bad: Failed" in body
    assert "    | Failed to update amazon-ssm-agent to 100000" in body
    assert "    | exit status 1" in body
    # The success is counted in the email and named in the report the email links.
    assert "i-0good" not in body
    [index] = [text for key, text in report_texts().items() if key.startswith("digests/")]
    [report] = [text for key, text in report_texts().items() if key.startswith("reports/")]
    assert "i-0good" in report and "i-0bad" in report
    assert "Failed to update amazon-ssm-agent to 100000" in report
    assert ASSOCIATION_ID in index
    stubber.assert_no_pending_responses()


def test_two_associations_make_one_email_grouped_by_association(
    topic, ssm, settings, clock
) -> None:
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
    [note] = topic.published()
    assert note["Subject"] == "SSM associations: 0 failed (0 new), 0 recovered, 3 ok"
    body = note["Message"]
    assert body.index("association assoc-1 (Doc-One): 0 failed, 2 other") < body.index(
        "association assoc-2 (Doc-Two): 0 failed, 1 other"
    )


def test_duplicates_make_one_entry(topic, ssm, settings, clock) -> None:
    client, _ = ssm
    event = association_event("i-1", "Failed")
    records = [sqs_record(event, f"m-{n}") for n in range(5)]

    assert failed_ids(run(records, settings, topic, client, clock)) == []
    [note] = topic.published()
    assert note["Subject"].startswith("SSM associations: 1 failed (1 new)")
    assert note["Message"].count("i-1: Failed") == 1


def test_a_redelivered_batch_sends_nothing_twice_and_a_recovery_is_named(
    topic, ssm, settings, clock
) -> None:
    client, _ = ssm
    failed = [sqs_record(association_event("i-1", "Failed"), "m-1")]
    assert failed_ids(run(failed, settings, topic, client, clock)) == []
    assert len(topic.published()) == 1

    assert failed_ids(run(failed, settings, topic, client, clock)) == []
    assert topic.published() == []

    later = association_event("i-1", "Success", **{"last-execution-date": "2026-05-05T03:00:00Z"})
    assert failed_ids(run([sqs_record(later, "m-2")], settings, topic, client, clock)) == []
    [note] = topic.published()
    assert note["Subject"] == "SSM associations: 0 failed (0 new), 1 recovered, 0 ok"
    assert "  RECOVERED i-1: Success" in note["Message"]


def test_bad_records_fail_alone_and_are_logged(topic, ssm, settings, clock, caplog) -> None:
    client, _ = ssm
    records = [
        sqs_record("{broken", "bad-json"),
        sqs_record({"hello": "world"}, "not-eventbridge"),
        sqs_record({**association_event(), "detail-type": "Something Else"}, "wrong-type"),
        sqs_record(association_event(**{"instance-id": ""}), "no-instance"),
        sqs_record(association_event("i-\ud800", "Failed"), "surrogate"),
        sqs_record(association_event("i-1", "Failed"), "good"),
    ]

    response = run(records, settings, topic, client, clock)

    assert failed_ids(response) == [
        "bad-json",
        "not-eventbridge",
        "wrong-type",
        "no-instance",
        "surrogate",
    ]
    [note] = topic.published()
    assert note["Subject"].startswith("SSM associations: 1 failed (1 new)")
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
        "surrogate": "instance-id cannot key the state table",
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
    assert f"    {summary}" in note["Message"]
    assert (
        "output not fetched: AccessDeniedException (DescribeAssociationExecutions)"
        in note["Message"]
    )


def test_enrichment_stops_at_the_lookup_limit(topic, ssm, settings, clock) -> None:
    client, stubber = ssm
    stub_executions(stubber)
    stub_output(stubber, "i-1", "one")
    settings = settings._replace(enrich_max_lookups=1)
    records = [sqs_record(association_event(f"i-{n}", "Failed"), f"m-{n}") for n in (1, 2)]

    assert failed_ids(run(records, settings, topic, client, clock)) == []
    body = topic.published()[0]["Message"]
    assert "    | one" in body
    assert "output not fetched: lookup limit of 1 per batch reached" in body
    stubber.assert_no_pending_responses()


def test_a_big_batch_is_one_email_within_the_sns_limit_every_failure_named(
    topic, ssm, settings, clock
) -> None:
    client, _ = ssm
    summary = "stderr line\n" * 300
    records = [
        sqs_record(
            association_event(f"i-{n:04}", "Failed", **{"execution-summary": summary}), f"m-{n}"
        )
        for n in range(300)
    ]

    assert failed_ids(run(records, settings, topic, client, clock)) == []
    [note] = topic.published()
    assert len(note["Message"].encode()) < 262_144
    assert note["Subject"].startswith("SSM associations: 300 failed (300 new)")
    [report] = [text for key, text in report_texts().items() if key.startswith("reports/")]
    assert all(f"i-{n:04}" in report for n in range(300))


def stubbed_sns(topic, *errors: str | None) -> Stubber:
    """The moto SNS client stubbed: one publish per entry, an error code or None for success."""
    stubber = Stubber(topic.sns)
    for error in errors:
        if error:
            stubber.add_client_error("publish", service_error_code=error, http_status_code=400)
        else:
            stubber.add_response("publish", {"MessageId": "ok"})
    return stubber


def test_a_refused_publish_fails_every_record_of_its_email(
    topic, ssm, settings, clock, caplog
) -> None:
    client, _ = ssm
    event = association_event("i-1", "Success")
    records = [
        sqs_record(event, "m-1"),
        sqs_record(event, "m-1-duplicate"),
        sqs_record(association_event("i-2", "Success"), "m-2"),
    ]

    # A 4xx answer: SNS did not publish, so it is tried again, up to PUBLISH_TRIES.
    with stubbed_sns(topic, *["Throttling"] * pipeline.PUBLISH_TRIES) as stubber:
        response = run(records, settings, topic, client, clock)
        stubber.assert_no_pending_responses()

    assert failed_ids(response) == ["m-1", "m-1-duplicate", "m-2"]
    [error] = [line for line in log_lines(caplog.records) if line["level"] == "ERROR"]
    assert error["message"] == "digest not published"
    assert (error["outcome"], error["instances"]) == ("refused", 2)


@pytest.mark.parametrize("failing", [0, 1])
def test_split_by_association_a_refused_email_fails_only_its_own_association(
    topic, ssm, settings, clock, failing
) -> None:
    client, _ = ssm
    settings = settings._replace(email_split="association", emails_per_invocation=2)
    records = [
        sqs_record(association_event("i-1", association_id="assoc-1"), "a1-m1"),
        sqs_record(association_event("i-2", association_id="assoc-2"), "a2-m1"),
        sqs_record(association_event("i-3", association_id="assoc-1"), "a1-m2"),
        sqs_record(association_event("i-3", association_id="assoc-1"), "a1-m2-duplicate"),
    ]
    outcomes = [None]
    outcomes[failing:failing] = ["NotFound"] * pipeline.PUBLISH_TRIES

    with stubbed_sns(topic, *outcomes) as stubber:
        response = run(records, settings, topic, client, clock)
        stubber.assert_no_pending_responses()

    expected = (["a1-m1", "a1-m2", "a1-m2-duplicate"], ["a2-m1"])[failing]
    assert sorted(failed_ids(response)) == expected


def test_the_cap_merges_the_overflow_into_the_last_email(topic, ssm, settings, clock) -> None:
    client, _ = ssm
    settings = settings._replace(email_split="association", emails_per_invocation=2)
    records = [
        sqs_record(association_event(f"i-{n}", association_id=f"assoc-{n}"), f"m-{n}")
        for n in range(5)
    ]

    assert failed_ids(run(records, settings, topic, client, clock)) == []
    notes = topic.published()
    assert len(notes) == 2
    assert sum(note["Message"].count("== ") for note in notes) == 5


def test_a_sent_email_whose_confirm_fails_is_still_done_so_it_is_not_sent_twice(
    topic, ssm, settings, clock, monkeypatch, caplog
) -> None:
    client, _ = ssm

    def unavailable(*_, **__):
        raise RuntimeError("the table did not answer")

    monkeypatch.setattr(state.Store, "confirm", unavailable)
    records = [sqs_record(association_event("i-1", "Failed"), "m-1")]

    assert failed_ids(run(records, settings, topic, client, clock)) == []
    assert len(topic.published()) == 1
    [error] = [line for line in log_lines(caplog.records) if line["level"] == "ERROR"]
    assert error["message"] == "digest not recorded as sent"


def test_a_bug_while_building_an_entry_fails_that_record_only(
    topic, ssm, settings, clock, monkeypatch
) -> None:
    client, _ = ssm
    real_entry = pipeline._entry

    def broken_for_assoc_1(event, claim, enricher):
        if event.association_id == "assoc-1":
            raise KeyError("boom")
        return real_entry(event, claim, enricher)

    monkeypatch.setattr(pipeline, "_entry", broken_for_assoc_1)
    records = [
        sqs_record(association_event("i-1", association_id="assoc-1"), "a1"),
        sqs_record(association_event("i-2", association_id="assoc-2"), "a2"),
    ]

    assert failed_ids(run(records, settings, topic, client, clock)) == ["a1"]
    [note] = topic.published()
    assert "assoc-2" in note["Message"] and "assoc-1" not in note["Message"]


def test_publishes_are_paced_a_second_apart(topic, ssm, settings, clock) -> None:
    client, _ = ssm
    settings = settings._replace(email_split="association", emails_per_invocation=3)
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
    response = run(records, settings, topic, client, clock, sns=TimedSns())

    assert failed_ids(response) == []
    assert [round(b - a, 6) for a, b in itertools.pairwise(starts)] == [1.0, 1.0]
    assert clock.now >= starts[-1] + 1.0
    assert len(topic.published()) == 3


def test_an_email_that_no_longer_fits_is_re_enqueued_not_failed(topic, ssm, settings, clock):
    client, _ = ssm
    settings = settings._replace(email_split="association", emails_per_invocation=2)
    ends = clock.now + START_SECONDS + 6
    real_publish = topic.sns.publish

    class SlowSns:
        def publish(self, **kwargs):
            clock.now += 40  # a slow answer: the second email no longer fits
            return real_publish(**kwargs)

    records = [
        sqs_record(association_event("i-1", "Failed", association_id=f"assoc-{n}"), f"m-{n}")
        for n in range(2)
    ]
    response = run(
        records,
        settings,
        topic,
        client,
        clock,
        sns=SlowSns(),
        seconds_left=lambda: ends - clock.now,
    )

    assert failed_ids(response) == []
    assert len(topic.published()) == 1
    assert deferred_bodies(settings) == [(records[1]["body"], "1")]


@pytest.fixture
def runtime(monkeypatch, topic, ssm, settings) -> FakeClock:
    """lambda_handler's outside world: the moto topic and stores, the stubbed SSM client, a fake
    clock, the environment the template sets."""
    clock = FakeClock()
    clients = ClientCache(factory=lambda service: pytest.fail(f"unexpected {service} client"))
    clients.set("sns", topic.sns)
    clients.set("ssm", ssm[0])
    for service, client in store_clients().items():
        clients.set(service, client)
    monkeypatch.setattr(notify, "RUNTIME", notify.Runtime(clients, clock, clock.sleep))
    monkeypatch.setenv("TOPIC_ARN", topic.arn)
    monkeypatch.setenv("STATE_TABLE", settings.state_table)
    monkeypatch.setenv("REPORT_BUCKET", settings.report_bucket)
    monkeypatch.setenv("QUEUE_URL", settings.queue_url)
    return clock


def test_lambda_handler_digests_the_documented_sample(runtime, topic) -> None:
    response = notify.lambda_handler({"Records": [sqs_record(SAMPLE_BODY, "m-1")]}, None)

    assert response == {"batchItemFailures": []}
    [note] = topic.published()
    assert note["Subject"] == "SSM associations: 0 failed (0 new), 0 recovered, 1 ok"
    assert f"association {ASSOCIATION_ID} (my-documentName)" in note["Message"]
    [report] = [text for key, text in report_texts().items() if key.startswith("reports/")]
    assert json.loads(SAMPLE_BODY)["detail"]["execution-summary"] in report
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


def test_lambda_handler_uses_the_time_left_in_the_context(runtime, topic, settings) -> None:
    class NearlyOutOfTime:  # time to re-enqueue (SQS's worst case), not to start the stages
        def get_remaining_time_in_millis(self) -> int:
            return 20_000

    record = sqs_record(SAMPLE_BODY, "m-1")
    response = notify.lambda_handler({"Records": [record]}, NearlyOutOfTime())

    # No time to start: the record goes back to the queue as a new message, not failed.
    assert failed_ids(response) == []
    assert topic.published() == []
    assert deferred_bodies(settings) == [(record["body"], "1")]


def test_with_no_time_even_to_re_enqueue_the_record_is_failed(runtime, topic, settings) -> None:
    class OutOfTime:
        def get_remaining_time_in_millis(self) -> int:
            return 5_000

    response = notify.lambda_handler({"Records": [sqs_record(SAMPLE_BODY, "m-1")]}, OutOfTime())

    assert failed_ids(response) == ["m-1"]
    assert topic.published() == []
    assert deferred_bodies(settings) == []


@pytest.mark.parametrize(
    ("seconds_left", "published"), [(START_SECONDS - 0.1, 0), (START_SECONDS, 1)]
)
def test_a_batch_starts_only_with_one_call_of_each_stage_and_the_requeue_left(
    topic, ssm, settings, clock, seconds_left, published
) -> None:
    # DynamoDB + S3 + SNS worst cases, and SQS's kept back for re-enqueueing (deadline.BUDGETS).
    client, _ = ssm
    records = [sqs_record(association_event("i-1"), "m-1")]

    response = run(records, settings, topic, client, clock, seconds_left=lambda: seconds_left)

    assert len(topic.published()) == published
    assert failed_ids(response) == []
    assert len(deferred_bodies(settings)) == 1 - published


def test_lambda_handler_names_from_the_sandbox_cache_and_logs_an_unknown_zone_once(
    runtime, topic, monkeypatch, caplog
) -> None:
    from ssm_notifier.display_time import display_zone

    display_zone.cache_clear()
    monkeypatch.setenv("DISPLAY_TIME_ZONE", "Mars/Olympus_Mons")
    ec2 = NamedEc2({"i-0bad": "web-1"})
    notify.RUNTIME.clients.set("ec2", ec2)
    runs = ("2026-05-04T03:02:10.000Z", "2026-05-05T03:02:10.000Z")
    with caplog.at_level(logging.ERROR, logger="ssm_notifier"):
        for n, run_time in enumerate(runs):
            event = association_event("i-0bad", "Failed", last_execution_date=run_time)
            response = notify.lambda_handler({"Records": [sqs_record(event, f"m-{n}")]}, None)
            assert response == {"batchItemFailures": []}
    display_zone.cache_clear()
    first, second = topic.published()
    assert "  NEW i-0bad (web-1): Failed\n" in first["Message"]
    assert "  STILL FAILING i-0bad (web-1): Failed" in second["Message"]
    # The unknown zone: UTC only, and said once for the sandbox, not per invocation.
    assert "    last run 2026-05-05 03:02 UTC\n" in second["Message"]
    zone_errors = [r for r in caplog.records if "DISPLAY_TIME_ZONE" in r.getMessage()]
    assert len(zone_errors) == 1
    assert ec2.calls == 1  # the second invocation's name came from the sandbox's cache

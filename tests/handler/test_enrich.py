"""enrich.Enricher against a stubbed SSM client: the lookup chain, its bounds, its fallbacks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from notifier_testkit import (
    EXECUTION_CREATED,
    FakeClock,
    command_id_of,
    execution,
    log_lines,
    stub_executions,
    stub_output,
)
from ssm_notifier.enrich import Enricher, OutputLookup, tail
from ssm_notifier.events import AssociationEvent, parse_record

from templates.sample_events import association_event, sqs_record

AGENT_STDOUT = "Updating amazon-ssm-agent\nFailed to update amazon-ssm-agent to 100000"


def failed_event(instance_id: str = "i-0bad", **detail: object) -> AssociationEvent:
    return parse_record(sqs_record(association_event(instance_id, "Failed", **detail), "m-1"))


def test_success_returns_the_last_lines_of_stdout_and_stderr(ssm) -> None:
    client, stubber = ssm
    stub_executions(stubber)
    stub_output(stubber, "i-0bad", AGENT_STDOUT, "exit status 1\n")

    lookup = Enricher(client, 10, 10).lookup(failed_event())

    assert lookup == OutputLookup(stdout_tail=AGENT_STDOUT, stderr_tail="exit status 1")
    stubber.assert_no_pending_responses()


def test_executions_are_fetched_once_per_association_per_batch(ssm) -> None:
    client, stubber = ssm
    stub_executions(stubber)
    stub_output(stubber, "i-1", "one")
    stub_output(stubber, "i-2", "two")
    enricher = Enricher(client, 10, 10)

    assert enricher.lookup(failed_event("i-1")).stdout_tail == "one"
    assert enricher.lookup(failed_event("i-2")).stdout_tail == "two"
    stubber.assert_no_pending_responses()


def test_the_execution_created_just_before_the_run_is_chosen(ssm) -> None:
    client, stubber = ssm
    executions = [
        execution("exec-later", EXECUTION_CREATED + timedelta(hours=1)),
        execution("exec-match", EXECUTION_CREATED),
        execution("exec-older", EXECUTION_CREATED - timedelta(days=1)),
    ]
    stub_executions(stubber, executions=executions)
    stub_output(stubber, "i-0bad", "matched", execution_id="exec-match")

    assert Enricher(client, 10, 10).lookup(failed_event()).stdout_tail == "matched"


@pytest.mark.parametrize(
    ("failing_call", "code", "reason"),
    [
        (
            "describe_association_executions",
            "ThrottlingException",
            "ThrottlingException (DescribeAssociationExecutions)",
        ),
        (
            "describe_association_execution_targets",
            "AccessDeniedException",
            "AccessDeniedException (DescribeAssociationExecutionTargets)",
        ),
        ("list_command_invocations", "InvalidCommandId", "InvalidCommandId"),
        ("get_command_invocation", "InvocationDoesNotExist", "InvocationDoesNotExist"),
        ("describe_association_executions", "AssociationDoesNotExist", "AssociationDoesNotExist"),
    ],
)
def test_api_errors_fall_back_with_a_short_reason_and_a_warning(
    ssm, caplog, failing_call: str, code: str, reason: str
) -> None:
    client, stubber = ssm
    if failing_call != "describe_association_executions":
        stub_executions(stubber)
    if failing_call in ("list_command_invocations", "get_command_invocation"):
        stubber.add_response(
            "describe_association_execution_targets",
            {
                "AssociationExecutionTargets": [
                    {
                        "OutputSource": {
                            "OutputSourceId": command_id_of("i-0bad"),
                            "OutputSourceType": "RunCommand",
                        }
                    }
                ]
            },
        )
    if failing_call == "get_command_invocation":
        stubber.add_response(
            "list_command_invocations",
            {"CommandInvocations": [{"CommandPlugins": [{"Name": "aws:updateSsmAgent"}]}]},
        )
    stubber.add_client_error(failing_call, service_error_code=code, http_status_code=400)

    lookup = Enricher(client, 10, 10).lookup(failed_event())

    assert lookup.stdout_tail == ""
    assert reason in lookup.not_fetched
    [warning] = [line for line in log_lines(caplog.records) if line["level"] == "WARNING"]
    assert warning["message"] == "output not fetched"
    assert warning["instance_id"] == "i-0bad"
    assert reason in warning["reason"]


def test_a_failed_executions_call_is_not_repeated_for_the_next_instance(ssm) -> None:
    client, stubber = ssm
    stubber.add_client_error("describe_association_executions", "ThrottlingException")
    enricher = Enricher(client, 10, 10)

    first = enricher.lookup(failed_event("i-1"))
    second = enricher.lookup(failed_event("i-2"))

    assert (
        first.not_fetched
        == second.not_fetched
        == "ThrottlingException (DescribeAssociationExecutions)"
    )
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("targets", "reason"),
    [
        ([], "instance not among the targets of execution exec-1"),
        ([{"ResourceId": "i-0bad"}], "the execution has no Run Command output"),
        (
            [{"OutputSource": {"OutputSourceId": command_id_of("x"), "OutputSourceType": "S3"}}],
            "the execution has no Run Command output",
        ),
    ],
)
def test_unexpected_shapes_fall_back(ssm, targets: list, reason: str) -> None:
    client, stubber = ssm
    stub_executions(stubber)
    stubber.add_response(
        "describe_association_execution_targets", {"AssociationExecutionTargets": targets}
    )

    assert Enricher(client, 10, 10).lookup(failed_event()).not_fetched == reason


def test_no_executions_falls_back(ssm) -> None:
    client, stubber = ssm
    stub_executions(stubber, executions=[])

    assert (
        Enricher(client, 10, 10).lookup(failed_event()).not_fetched
        == "the association has no executions"
    )


def test_lookup_count_is_bounded_per_batch(ssm) -> None:
    client, stubber = ssm
    stub_executions(stubber)
    stub_output(stubber, "i-1", "one")
    stub_output(stubber, "i-2", "two")
    enricher = Enricher(client, max_lookups=2, time_budget_seconds=10)

    lookups = [enricher.lookup(failed_event(f"i-{n}")) for n in (1, 2, 3)]

    assert [lookup.stdout_tail for lookup in lookups] == ["one", "two", ""]
    assert lookups[2].not_fetched == "lookup limit of 2 per batch reached"
    # The stubber raises on any call it was not told about: the third made none.
    stubber.assert_no_pending_responses()


def test_time_budget_is_bounded_per_batch(ssm) -> None:
    client, stubber = ssm
    clock = FakeClock()

    class SlowSsm:
        """Each call takes 4 s of the fake clock."""

        def __getattr__(self, name):
            call = getattr(client, name)

            def slow(**kwargs):
                clock.now += 4
                return call(**kwargs)

            return slow

    stub_executions(stubber)
    stub_output(stubber, "i-1", "one")
    enricher = Enricher(SlowSsm(), max_lookups=10, time_budget_seconds=14, clock=clock)

    # 4 calls (executions, targets, the step listing, the step's output): 16 s, over budget only
    # at the end, so the first lookup completes and the second is refused.
    first = enricher.lookup(failed_event("i-1"))
    second = enricher.lookup(failed_event("i-2"))

    assert first.stdout_tail == "one"
    assert second.not_fetched == "time budget of 14 s per batch spent"
    stubber.assert_no_pending_responses()


def test_the_budget_stops_a_lookup_between_its_calls(ssm) -> None:
    client, stubber = ssm
    clock = FakeClock()

    class SlowSsm:
        def describe_association_executions(self, **kwargs):
            clock.now += 11
            return client.describe_association_executions(**kwargs)

    stub_executions(stubber)
    lookup = Enricher(SlowSsm(), 10, 10, clock=clock).lookup(failed_event())

    assert lookup.not_fetched == "time budget of 10 s per batch spent"
    stubber.assert_no_pending_responses()


def test_tail_keeps_the_last_lines_within_the_byte_limit() -> None:
    text = "\n".join(f"line {n}" for n in range(100)) + "\n\n"
    assert tail(text).splitlines() == [f"line {n}" for n in range(80, 100)]

    long_line = "é" * 5_000  # 2 bytes each
    cut = tail(long_line, max_bytes=2048)
    assert cut.startswith("...") and len(cut.encode()) <= 2048

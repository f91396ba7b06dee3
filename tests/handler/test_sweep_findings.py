"""The sweep's findings of misconfiguration (issue 17, item 4: no silent misconfiguration), each
driven through a whole sweep run (plan, checks, collect) over Stubbers and moto's state table:
a watched document that does not exist, one that could not be looked up (the digest still goes
out), one no association uses, and associations whose due runs sent the notifier no event
(sweep_silence), with the RUN items written by the notifier's own state.Store.
"""

from __future__ import annotations

from datetime import timedelta

from notifier_testkit import ACCOUNT, REGION, log_lines
from ssm_notifier import sweep_digest
from ssm_notifier.state import Observation, Store
from ssm_notifier.times import api_time
from sweep_testkit import (
    ASSOC_A,
    ASSOC_B,
    DOCUMENT,
    EXEC_1,
    NOW,
    TABLE,
    run,
    settings,
    stub_describe,
    stub_executions,
    stub_list,
    stub_publish,
    stub_states,
)

MISSPELLED = "AWS-UpdateSSMAgnet"
OTHER = "AWS-RunPatchBaseline"
IDS_TARGET = [{"Key": "InstanceIds", "Values": ["i-01"]}]
RAN_AT = NOW - timedelta(hours=3)


def _section(body: str, title: str) -> str:
    """A digest section, from its title to the next blank line ("" when absent)."""
    if f"\n{title}:\n" not in body:
        return ""
    return body.split(f"\n{title}:\n", 1)[1].split("\n\n", 1)[0]


# Watched documents


def test_a_misspelled_watched_document_is_named_and_the_real_one_is_not_looked_up(aws) -> None:
    # The plan lists every document, then each association is checked.
    stub_list(aws, ASSOC_A)  # the real document: an association uses it, no lookup
    stub_list(aws, document=MISSPELLED, exists=False)  # DescribeDocument: InvalidDocument
    stub_describe(aws, ASSOC_A, IDS_TARGET, schedule="")  # nothing due
    stub_publish(aws)

    summary = run(aws, settings(DOCUMENT, MISSPELLED))

    aws.assert_done()  # exactly one DescribeDocument: the misspelled one's
    assert (summary["published"], summary["findings"], summary["not_checked"]) == (True, 1, 0)
    [published] = aws.published
    assert published["Subject"] == "[SSM] Sweep: nothing missed, 1 finding to look at"
    body = published["Message"]
    section = _section(body, sweep_digest.MISSING_DOCUMENTS)
    assert f"  {MISSPELLED}: does not exist" in section
    assert "misspelled?" in section  # what it means, in the section itself
    assert DOCUMENT + ":" not in section
    assert "Findings:    1 (misconfiguration: see below)" in body


def test_a_document_lookup_that_fails_is_not_called_missing_and_the_digest_still_goes(
    aws, caplog
) -> None:
    stub_list(aws, ASSOC_A)
    stub_list(aws, document=OTHER, exists=None)
    aws.ssm_stub.add_client_error(
        "describe_document", "AccessDeniedException", "no", expected_params={"Name": OTHER}
    )
    stub_describe(aws, ASSOC_A, IDS_TARGET)
    stub_executions(aws, ASSOC_A)  # no execution in the window: i-01 missed
    stub_states(aws, {"i-01": "stopped"}, {})
    stub_publish(aws)

    summary = run(aws, settings(DOCUMENT, OTHER))

    aws.assert_done()
    assert (summary["missed"], summary["findings"]) == (1, 1)
    body = aws.published[0]["Message"]
    assert aws.published[0]["Subject"] == "[SSM] 1 instance missed by AWS-UpdateSSMAgent"
    assert "  i-01: stopped (EC2)" in body
    assert _section(body, sweep_digest.MISSING_DOCUMENTS) == ""
    assert f"  {OTHER}: not looked up: AccessDeniedException (DescribeDocument)" in _section(
        body, sweep_digest.DOCUMENTS_NOT_LOOKED_UP
    )
    assert "watched document not looked up" in [
        line["message"] for line in log_lines(caplog.records)
    ]


def test_a_watched_document_no_association_uses_is_named(aws) -> None:
    stub_list(aws, ASSOC_A)
    stub_list(aws, document=OTHER, exists=True)
    stub_describe(aws, ASSOC_A, IDS_TARGET, schedule="")
    stub_publish(aws)

    summary = run(aws, settings(DOCUMENT, OTHER))

    aws.assert_done()
    assert summary["findings"] == 1
    body = aws.published[0]["Message"]
    assert _section(body, sweep_digest.UNUSED_DOCUMENTS).splitlines()[-1] == f"  {OTHER}"
    assert _section(body, sweep_digest.MISSING_DOCUMENTS) == ""


# Silent associations: runs due, no event


def _earlier_sweep(aws, days: int = 2) -> None:
    """A sweep run recorded (and published) `days` ago: the sweep, and so the notifier, has been
    watching since."""
    started = NOW - timedelta(days=days)
    aws.dynamodb.put_item(
        TableName=TABLE,
        Item={
            "pk": {"S": "sweep-runs"},
            "sk": {"S": api_time(started)},
            "published_at": {"N": str(int(started.timestamp()))},
        },
    )


def _notifier_reported(aws, association_id: str, at) -> None:
    """What the notifier writes when it reports an event of the association (its RUN item)."""
    observation = Observation(ACCOUNT, REGION, association_id, "i-01", "Success", api_time(at))
    Store(aws.dynamodb, TABLE, threads=1).claim([observation], "digest-1")


def _stub_ran_at(aws, association_id: str, status: str, at) -> None:
    aws.ssm_stub.add_response(
        "describe_association_execution_targets",
        {
            "AssociationExecutionTargets": [
                {
                    "AssociationId": association_id,
                    "ExecutionId": EXEC_1,
                    "ResourceId": "i-01",
                    "ResourceType": "ManagedInstance",
                    "Status": status,
                    "LastExecutionDate": at,
                }
            ]
        },
        {"AssociationId": association_id, "ExecutionId": EXEC_1, "MaxResults": 50},
    )


def _stub_ran_association(aws, status: str = "Success") -> None:
    stub_list(aws, ASSOC_A)
    stub_describe(aws, ASSOC_A, IDS_TARGET, LastExecutionDate=RAN_AT, Date=NOW - timedelta(30))
    stub_executions(aws, ASSOC_A, EXEC_1, created=RAN_AT)
    _stub_ran_at(aws, ASSOC_A, status, RAN_AT)


def test_an_association_that_ran_but_sent_the_notifier_no_event_is_named(aws) -> None:
    _earlier_sweep(aws)
    _stub_ran_association(aws)
    stub_publish(aws)

    summary = run(aws)

    aws.assert_done()
    assert (summary["missed"], summary["findings"]) == (0, 1)
    section = _section(aws.published[0]["Message"], sweep_digest.RAN_NO_EVENT_TITLE)
    assert f"  AWS-UpdateSSMAgent: agent ({ASSOC_A}): SSM ran it on 1 instance(s)" in section
    assert "the notifier recorded no event of it since 2026-05-03" in section
    assert "WatchedStatuses" in section  # what to look at


def test_the_same_association_with_an_event_recorded_by_the_notifier_is_silent_no_more(
    aws,
) -> None:
    _earlier_sweep(aws)
    _notifier_reported(aws, ASSOC_A, RAN_AT)
    _stub_ran_association(aws)

    summary = run(aws)

    aws.assert_done()
    assert (summary["published"], summary["findings"]) == (False, 0)


def test_a_run_whose_statuses_the_rule_does_not_watch_is_no_finding(aws) -> None:
    """Failed is not among WatchedStatuses: that run sent the notifier nothing, rightly."""
    _earlier_sweep(aws)
    _stub_ran_association(aws, status="Failed")

    summary = run(aws, settings()._replace(watched_statuses=("Success",)))

    aws.assert_done()
    assert (summary["published"], summary["findings"]) == (False, 0)


def test_a_run_before_the_first_sweep_is_no_finding(aws) -> None:
    """The first sweep ever: the run predates it, and the notifier may not have been there."""
    _stub_ran_association(aws)

    summary = run(aws)

    aws.assert_done()
    assert (summary["published"], summary["findings"]) == (False, 0)


def test_an_association_due_that_ssm_did_not_run_either_is_named_beside_its_missed_ones(
    aws,
) -> None:
    stub_list(aws, ASSOC_A)
    stub_describe(
        aws,
        ASSOC_A,
        IDS_TARGET,
        LastExecutionDate=NOW - timedelta(days=8),
        Date=NOW - timedelta(days=30),
    )
    stub_executions(aws, ASSOC_A)  # none in the window
    stub_states(aws, {"i-01": "running"}, {"i-01": "Online"})
    stub_publish(aws)

    summary = run(aws)

    aws.assert_done()
    assert (summary["missed"], summary["findings"]) == (1, 1)
    section = _section(aws.published[0]["Message"], sweep_digest.NOT_RUN_TITLE)
    assert "but SSM did not run it (its last execution: 2026-04-26T06:00:00Z)" in section


def test_a_resource_group_association_that_ran_with_no_event_is_named_from_its_overview(
    aws,
) -> None:
    _earlier_sweep(aws)
    stub_list(aws, ASSOC_B)
    stub_describe(
        aws,
        ASSOC_B,
        [{"Key": "resource-groups:Name", "Values": ["web"]}],
        LastExecutionDate=RAN_AT,
        Date=NOW - timedelta(days=30),
        Overview={"Status": "Success", "AssociationStatusAggregatedCount": {"Success": 3}},
    )
    stub_publish(aws)

    summary = run(aws)

    aws.assert_done()
    assert (summary["targets_not_checked"], summary["findings"]) == (1, 2)
    body = aws.published[0]["Message"]
    assert "SSM ran it on 3 instance(s)" in _section(body, sweep_digest.RAN_NO_EVENT_TITLE)
    assert "a resource group" in _section(body, sweep_digest.UNRESOLVED_TITLE)


def test_a_silent_check_that_cannot_read_the_table_is_a_note_and_the_missed_still_go_out(
    aws,
) -> None:
    """The RUN items cannot be read (a role without the grant): the missed-instance digest is
    unaffected, and says the check could not run."""
    _earlier_sweep(aws)
    stub_list(aws, ASSOC_A)
    stub_describe(
        aws,
        ASSOC_A,
        [{"Key": "InstanceIds", "Values": ["i-01", "i-02"]}],
        LastExecutionDate=RAN_AT,
        Date=NOW - timedelta(days=30),
    )
    stub_executions(aws, ASSOC_A, EXEC_1, created=RAN_AT)
    _stub_ran_at(aws, ASSOC_A, "Success", RAN_AT)
    stub_states(aws, {"i-02": "stopped"}, {})
    stub_publish(aws)
    query = aws.dynamodb.query

    def refusing_run_items(**request):
        if request["ExpressionAttributeValues"][":pk"]["S"].startswith("RUN#"):
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "AccessDeniedException"}}, "Query")
        return query(**request)

    aws.dynamodb.query = refusing_run_items

    summary = run(aws)

    aws.assert_done()
    assert (summary["missed"], summary["findings"]) == (1, 0)
    body = aws.published[0]["Message"]
    assert "  i-02: stopped (EC2)" in body
    assert "silent-association check could not run: AccessDeniedException (Query)" in body
    assert "Findings:    none\n" in body

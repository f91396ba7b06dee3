"""sweep_check: every association's targets against what its executions ran on, driven through
`run_sweep` over Stubbers (sweep_testkit), so the published digest shows what the check found.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from notifier_testkit import log_lines
from ssm_notifier import paging, sweep_check
from sweep_testkit import (
    ASSOC_A,
    ASSOC_B,
    EXEC_1,
    EXEC_2,
    SINCE_DAILY,
    TAG_TARGET,
    TAGGED_STATES,
    run,
    settings,
    stub_describe,
    stub_ec2,
    stub_executions,
    stub_list,
    stub_nodes,
    stub_publish,
    stub_ran,
    stub_tagged,
)

# The brief's fleet: one target stopped, one never managed


def test_a_stopped_and_an_unmanaged_instance_make_one_digest_naming_both(aws, caplog) -> None:
    stub_list(aws, ASSOC_A)
    stub_describe(aws, ASSOC_A, TAG_TARGET, name="update-agent")
    stub_tagged(
        aws,
        {"i-0ran": "running", "i-0stopped": "stopped", "i-0unmanaged": "running"},
        {"i-0ran": "Online"},
    )
    stub_executions(aws, ASSOC_A, EXEC_1)
    stub_ran(aws, ASSOC_A, EXEC_1, "i-0ran")
    stub_publish(aws)

    summary = run(aws)

    aws.assert_done()
    assert summary["missed"] == 2
    assert summary["published"] is True
    [published] = aws.published
    assert published["Subject"] == "[SSM] 2 instances missed by AWS-UpdateSSMAgent"
    body = published["Message"]
    assert f"== AWS-UpdateSSMAgent: update-agent ({ASSOC_A}) ==" in body
    assert "Targets:           tag:Patch=yes" in body
    assert "3 targeted, 1 ran, 2 missed" in body
    assert "rate(1 day); period 1 day, runs looked for since 2026-05-03T05:00:00+00:00" in body
    assert "  i-0stopped: stopped (EC2), SSM does not describe stopped instances\n" in body
    assert "  i-0unmanaged: running (EC2), not managed\n" in body
    assert "i-0ran:" not in body
    stopped = body[body.index("i-0stopped:") : body.index("i-0unmanaged:")]
    assert "Last successful association run (any association): not known" in stopped
    unmanaged = body[body.index("i-0unmanaged:") :]
    assert "Last successful association run (any association): never" in unmanaged
    assert (
        "https://console.aws.amazon.com/systems-manager/state-manager/"
        f"{ASSOC_A}/description?region=us-east-1" in body
    )
    assert (
        "https://console.aws.amazon.com/ec2/home?region=us-east-1"
        "#InstanceDetails:instanceId=i-0stopped" in body
    )
    checked = [line for line in log_lines(caplog.records) if "targeted" in line]
    assert checked[0]["message"] == "association checked"
    assert (checked[0]["targeted"], checked[0]["ran"], checked[0]["missed"]) == (3, 1, 2)


def test_a_fleet_where_every_target_ran_publishes_nothing(aws, caplog) -> None:
    stub_list(aws, ASSOC_A)
    stub_describe(aws, ASSOC_A, TAG_TARGET)
    stub_tagged(aws, {"i-01": "running", "i-02": "stopped"}, {"i-01": "Online"})
    stub_executions(aws, ASSOC_A, EXEC_1, EXEC_2)
    stub_ran(aws, ASSOC_A, EXEC_1, "i-01")
    # The stopped instance ran in an earlier execution of the period, before it was stopped.
    stub_ran(aws, ASSOC_A, EXEC_2, "i-02")

    summary = run(aws)

    aws.assert_done()
    assert summary == {
        "associations": 1,
        "missed": 0,
        "not_checked": 0,
        "targets_not_checked": 0,
        "published": False,
    }
    assert aws.published == []
    messages = [line["message"] for line in log_lines(caplog.records)]
    assert "sweep done: nothing missed, no digest published" in messages


def test_explicit_instance_ids_are_looked_up_in_ec2_and_the_full_managed_list(aws) -> None:
    stub_list(aws, ASSOC_A)
    stub_describe(
        aws,
        ASSOC_A,
        [{"Key": "InstanceIds", "Values": ["i-0on", "i-0off", "mi-0123456789abcdef0", "i-0lost"]}],
    )
    stub_executions(aws, ASSOC_A, EXEC_1)
    stub_ran(aws, ASSOC_A, EXEC_1, "i-0on")
    # Only the missed EC2 ids are looked up, in one call that an unknown id cannot fail.
    stub_ec2(
        aws,
        [{"Name": "instance-id", "Values": ["i-0lost", "i-0off"]}],
        {"i-0lost": "running", "i-0off": "stopped"},
    )
    stub_nodes(aws, None, {"i-0on": "Online", "i-0lost": "ConnectionLost"})
    stub_publish(aws)

    run(aws)

    aws.assert_done()
    body = aws.published[0]["Message"]
    assert "3 instances missed by AWS-UpdateSSMAgent" in aws.published[0]["Subject"]
    assert "  i-0lost: running (EC2), ConnectionLost (SSM)\n" in body
    assert "  i-0off: stopped (EC2), SSM does not describe stopped instances\n" in body
    # A hybrid id that SSM no longer lists: deregistered, or never was.
    assert "  mi-0123456789abcdef0: not managed\n" in body
    lost = body[body.index("i-0lost:") :]
    assert "(any association): 2026-05-04T03:01:00+00:00" in lost
    assert "fleet-manager/managed-nodes/i-0lost/general?region=us-east-1" in lost


def test_an_instance_ec2_does_not_know_is_not_managed_and_a_pending_one_not_known(aws) -> None:
    stub_list(aws, ASSOC_A)
    stub_describe(aws, ASSOC_A, [{"Key": "InstanceIds", "Values": ["i-0gone", "i-0new"]}])
    stub_executions(aws, ASSOC_A)
    stub_ec2(aws, [{"Name": "instance-id", "Values": ["i-0gone", "i-0new"]}], {"i-0new": "pending"})
    stub_nodes(aws, None, {})
    stub_publish(aws)

    run(aws)

    aws.assert_done()
    body = aws.published[0]["Message"]
    assert "  i-0gone: not found in EC2, not managed\n" in body
    # Its agent may not have registered yet: absence from SSM proves nothing.
    assert "  i-0new: pending (EC2), SSM state not known\n" in body


def test_a_failed_state_lookup_still_lists_the_missed_instances(aws) -> None:
    stub_list(aws, ASSOC_A)
    stub_describe(aws, ASSOC_A, [{"Key": "InstanceIds", "Values": ["i-01"]}])
    stub_executions(aws, ASSOC_A)
    aws.ec2_stub.add_client_error("describe_instances", "RequestLimitExceeded", "slow down")
    stub_publish(aws)

    summary = run(aws)

    aws.assert_done()
    assert summary["missed"] == 1
    body = aws.published[0]["Message"]
    assert "  i-01: SSM state not known\n" in body
    assert "instance states not all looked up: RequestLimitExceeded (DescribeInstances)" in body


def test_star_targets_every_managed_node_and_every_stopped_instance(aws) -> None:
    stub_list(aws, ASSOC_A)
    stub_describe(aws, ASSOC_A, [{"Key": "InstanceIds", "Values": ["*"]}])
    stub_nodes(aws, None, {"i-01": "Online"}, next_token="nodes-2")
    stub_nodes(aws, None, {"mi-01": "ConnectionLost"}, token="nodes-2")
    stub_ec2(
        aws,
        [{"Name": "instance-state-name", "Values": ["stopping", "stopped"]}],
        {"i-03": "stopped"},
    )
    stub_executions(aws, ASSOC_A, EXEC_1)
    stub_ran(aws, ASSOC_A, EXEC_1, "i-01")
    stub_publish(aws)

    run(aws)

    aws.assert_done()
    body = aws.published[0]["Message"]
    assert "3 targeted, 1 ran, 2 missed" in body
    assert "  i-03: stopped (EC2), SSM does not describe stopped instances\n" in body
    assert "  mi-01: ConnectionLost (SSM)\n" in body


def test_next_tokens_are_followed_for_associations_and_execution_targets(aws) -> None:
    stub_list(aws, ASSOC_A, next_token="assoc-2")
    stub_list(aws, ASSOC_B, token="assoc-2")
    for association_id in (ASSOC_A, ASSOC_B):
        stub_describe(aws, association_id, [{"Key": "InstanceIds", "Values": ["i-01", "i-02"]}])
        stub_executions(aws, association_id, EXEC_1)
        stub_ran(aws, association_id, EXEC_1, "i-01", next_token="targets-2")
        stub_ran(aws, association_id, EXEC_1, "i-02", token="targets-2")

    summary = run(aws)

    aws.assert_done()
    assert summary["associations"] == 2
    assert summary["missed"] == 0


def test_a_throttled_association_is_named_and_the_other_still_reported(aws) -> None:
    stub_list(aws, ASSOC_A, ASSOC_B)
    stub_describe(aws, ASSOC_A, TAG_TARGET, name="throttled")
    stub_tagged(aws, {"i-01": "running"}, {"i-01": "Online"})
    aws.ssm_stub.add_client_error(
        "describe_association_executions", "ThrottlingException", "Rate exceeded"
    )
    stub_describe(aws, ASSOC_B, [{"Key": "InstanceIds", "Values": ["i-01", "i-02"]}], name="other")
    stub_executions(aws, ASSOC_B, EXEC_1)
    stub_ran(aws, ASSOC_B, EXEC_1, "i-01")
    # i-01 is known from the first association's listing; only i-02 is looked up.
    stub_ec2(aws, [{"Name": "instance-id", "Values": ["i-02"]}], {"i-02": "stopped"})
    stub_nodes(aws, None, {"i-01": "Online"})
    stub_publish(aws)

    summary = run(aws)

    aws.assert_done()
    assert summary["not_checked"] == 1
    published = aws.published[0]
    assert published["Subject"] == "[SSM] 1 instance missed by AWS-UpdateSSMAgent (1 check failed)"
    body = published["Message"]
    assert f"== AWS-UpdateSSMAgent: other ({ASSOC_B}) ==" in body
    assert "  i-02: stopped (EC2)" in body
    assert (
        f"Could not check:\n  AWS-UpdateSSMAgent: throttled ({ASSOC_A}): "
        "ThrottlingException (DescribeAssociationExecutions)" in body
    )


def test_a_document_that_cannot_be_listed_is_published_as_a_failed_check(aws) -> None:
    aws.ssm_stub.add_client_error("list_associations", "AccessDeniedException", "no")
    stub_publish(aws)

    summary = run(aws)

    assert summary["not_checked"] == 1
    assert aws.published[0]["Subject"] == "[SSM] Sweep of AWS-UpdateSSMAgent: 1 check failed"
    assert (
        "AWS-UpdateSSMAgent: AccessDeniedException (ListAssociations)"
        in (aws.published[0]["Message"])
    )


def test_unresolvable_targets_are_logged_and_never_crash(aws, caplog) -> None:
    stub_list(aws, ASSOC_A)
    stub_describe(aws, ASSOC_A, [{"Key": "resource-groups:Name", "Values": ["web"]}])

    summary = run(aws)

    aws.assert_done()
    assert summary["targets_not_checked"] == 1
    assert summary["published"] is False
    [warning] = [line for line in log_lines(caplog.records) if line["level"] == "WARNING"]
    assert warning["message"] == "targets not checked"
    assert warning["targets"] == "resource-groups:Name=web"


def test_unresolvable_targets_are_named_in_a_digest_that_goes_out(aws) -> None:
    stub_list(aws, ASSOC_A, ASSOC_B)
    stub_describe(aws, ASSOC_A, [{"Key": "resource-groups:Name", "Values": ["web"]}], name="rg")
    stub_describe(aws, ASSOC_B, [{"Key": "InstanceIds", "Values": ["i-01"]}], name="ids")
    stub_executions(aws, ASSOC_B)  # no execution in the period at all
    stub_ec2(aws, [{"Name": "instance-id", "Values": ["i-01"]}], {"i-01": "running"})
    stub_nodes(aws, None, {"i-01": "Online"})
    stub_publish(aws)

    run(aws)

    aws.assert_done()
    body = aws.published[0]["Message"]
    assert "Note:              no execution in the period: every target counts as missed" in body
    assert "Targets not checked (the sweep resolves InstanceIds and tag targets only):" in body
    assert f"  AWS-UpdateSSMAgent: rg ({ASSOC_A}): resource-groups:Name=web" in body


def test_several_tag_targets_must_all_match(aws) -> None:
    stub_list(aws, ASSOC_A)
    stub_describe(
        aws,
        ASSOC_A,
        [{"Key": "tag:Patch", "Values": ["yes"]}, {"Key": "tag-key", "Values": ["Team"]}],
    )
    stub_tagged(aws, {"i-01": "running", "i-02": "stopped"}, {"i-01": "Online"})
    stub_ec2(
        aws,
        [
            {"Name": "tag-key", "Values": ["Team"]},
            {"Name": "instance-state-name", "Values": TAGGED_STATES},
        ],
        {"i-02": "stopped", "i-03": "running"},
    )
    stub_nodes(aws, [{"Key": "tag-key", "Values": ["Team"]}], {})
    stub_executions(aws, ASSOC_A, EXEC_1)
    stub_ran(aws, ASSOC_A, EXEC_1)
    stub_publish(aws)

    run(aws)

    aws.assert_done()
    assert "1 targeted, 0 ran, 1 missed" in aws.published[0]["Message"]
    assert "  i-02: stopped (EC2)" in aws.published[0]["Message"]


# Periods as the sweep asks for them


@pytest.mark.parametrize(
    ("schedule", "sweep_period", "since"),
    [
        ("rate(30 minutes)", timedelta(days=1), "2026-05-04T05:27:00.000Z"),
        ("rate(12 hours)", timedelta(days=1), "2026-05-03T17:00:00.000Z"),
        ("rate(7 days)", timedelta(days=1), "2026-04-27T05:00:00.000Z"),
        ("cron(0 2 ? * SUN *)", timedelta(hours=6), "2026-04-27T05:00:00.000Z"),  # 7 days + 1 h
        ("at(2026-05-04T06:00:00)", timedelta(hours=6), "2026-05-03T23:24:00.000Z"),
        ("", timedelta(days=1), SINCE_DAILY),
    ],
)
def test_executions_are_looked_for_over_the_association_period_and_its_grace(
    aws, schedule, sweep_period, since
) -> None:
    stub_list(aws, ASSOC_A)
    stub_describe(aws, ASSOC_A, [{"Key": "InstanceIds", "Values": ["i-01"]}], schedule=schedule)
    stub_executions(aws, ASSOC_A, EXEC_1, since=since)
    stub_ran(aws, ASSOC_A, EXEC_1, "i-01")

    run(aws, settings(sweep_period=sweep_period))

    aws.assert_done()


# Bounds


def test_too_many_executions_in_a_period_make_the_association_not_checked(aws, monkeypatch):
    monkeypatch.setattr(sweep_check, "MAX_EXECUTIONS", 1)
    stub_list(aws, ASSOC_A)
    stub_describe(aws, ASSOC_A, [{"Key": "InstanceIds", "Values": ["i-01"]}])
    stub_executions(aws, ASSOC_A, EXEC_1, EXEC_2)
    stub_publish(aws)

    summary = run(aws)

    aws.assert_done()
    assert summary["missed"] == 0
    assert "more than 1 executions in the period" in aws.published[0]["Message"]


def test_a_page_cap_cuts_the_target_listing_and_says_so(aws, monkeypatch) -> None:
    monkeypatch.setattr(paging, "MAX_PAGES_PER_CALL", 1)
    stub_list(aws, ASSOC_A)
    stub_describe(aws, ASSOC_A, [{"Key": "InstanceIds", "Values": ["*"]}])
    stub_nodes(aws, None, {"i-01": "Online"}, next_token="more")
    stub_ec2(aws, [{"Name": "instance-state-name", "Values": ["stopping", "stopped"]}], {})
    stub_executions(aws, ASSOC_A, EXEC_1)
    stub_ran(aws, ASSOC_A, EXEC_1, "i-01")

    summary = run(aws)

    aws.assert_done()
    # Nothing missed among what was listed; the cut is logged, and would be in a digest.
    assert summary["missed"] == 0


def test_out_of_time_stops_checking_and_still_publishes_what_was_not_checked(aws) -> None:
    times = iter([100.0, 100.0, 5.0])
    stub_list(aws, ASSOC_A, ASSOC_B)
    stub_describe(aws, ASSOC_A, [{"Key": "InstanceIds", "Values": ["i-01"]}])
    stub_publish(aws)

    summary = run(aws, seconds_left=lambda: next(times, 5.0))

    aws.assert_done()
    assert summary["not_checked"] == 2
    body = aws.published[0]["Message"]
    assert body.count("time budget of this invocation spent") == 2
    assert aws.published[0]["Subject"] == "[SSM] Sweep of AWS-UpdateSSMAgent: 2 checks failed"


@pytest.mark.parametrize(("seconds_left", "checked"), [(19.9, False), (20.0, True)])
def test_no_check_starts_with_less_than_the_publish_reserve_left(
    aws, seconds_left, checked
) -> None:
    # 20 s are kept for publishing the digest with the SNS client's retries.
    if checked:
        stub_list(aws)  # no association: nothing to publish
    else:
        stub_publish(aws)  # only the digest that says the document was not checked

    summary = run(aws, seconds_left=lambda: seconds_left)

    aws.assert_done()
    assert summary["not_checked"] == (0 if checked else 1)
    if not checked:
        assert "time budget of this invocation spent" in aws.published[0]["Message"]


def test_associations_over_the_cap_are_counted_as_not_checked(aws, monkeypatch) -> None:
    monkeypatch.setattr(sweep_check, "MAX_ASSOCIATIONS", 1)
    stub_list(aws, ASSOC_A, ASSOC_B)
    stub_describe(aws, ASSOC_A, [{"Key": "InstanceIds", "Values": ["i-01"]}])
    stub_executions(aws, ASSOC_A, EXEC_1)
    stub_ran(aws, ASSOC_A, EXEC_1, "i-01")
    stub_publish(aws)

    run(aws)

    aws.assert_done()
    assert "1 associations not checked: at most 1 per sweep" in aws.published[0]["Message"]

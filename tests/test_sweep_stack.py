"""Sweep stack: the scheduled missed-instance check, its role, and where its failures go."""

import pytest
from template_helpers import one_resource, resources_of_type, statements

from templates import names


@pytest.fixture(scope="module")
def sweep_stack(rendered):
    return rendered["sweep.yaml"]


def test_function_runs_the_sweep_entry_with_the_watched_documents(sweep_stack):
    function = one_resource(sweep_stack, "AWS::Lambda::Function")["Properties"]
    assert function["Handler"] == "ssm_notifier.sweep.lambda_handler"
    assert function["Code"] == "../handler"
    assert function["Runtime"] == "python3.14"
    assert function["Environment"]["Variables"] == {
        "TOPIC_ARN": {"Ref": names.TOPIC_ARN},
        "WATCHED_DOCUMENTS": {"Fn::Join": [",", {"Ref": names.WATCHED_DOCUMENTS}]},
        "SWEEP_SCHEDULE": {"Ref": names.SWEEP_SCHEDULE},
    }
    assert function["LoggingConfig"]["LogFormat"] == "JSON"
    assert function["Timeout"] == 300
    assert function["MemorySize"] == 256


def test_runs_daily_by_default_and_may_only_be_invoked_by_its_rule(sweep_stack):
    rule = one_resource(sweep_stack, "AWS::Events::Rule")["Properties"]
    assert rule["ScheduleExpression"] == {"Ref": names.SWEEP_SCHEDULE}
    assert sweep_stack["Parameters"][names.SWEEP_SCHEDULE]["Default"] == "rate(1 day)"
    (target,) = rule["Targets"]
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["SweepFailureQueue", "Arn"]}}
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400}
    permission = one_resource(sweep_stack, "AWS::Lambda::Permission")["Properties"]
    assert permission["Principal"] == "events.amazonaws.com"
    assert permission["SourceArn"] == {"Fn::GetAtt": ["SweepRule", "Arn"]}


def test_a_sweep_that_cannot_run_lands_in_an_alarmed_encrypted_queue(sweep_stack):
    queue = one_resource(sweep_stack, "AWS::SQS::Queue")["Properties"]
    assert queue["KmsMasterKeyId"] == {"Ref": names.KEY_ARN}
    function = one_resource(sweep_stack, "AWS::Lambda::Function")["Properties"]
    assert function["DeadLetterConfig"] == {
        "TargetArn": {"Fn::GetAtt": ["SweepFailureQueue", "Arn"]}
    }
    log_group = one_resource(sweep_stack, "AWS::Logs::LogGroup")["Properties"]
    assert log_group["KmsKeyId"] == {"Ref": names.KEY_ARN}
    alarms = resources_of_type(sweep_stack, "AWS::CloudWatch::Alarm")
    assert {alarm["Properties"]["MetricName"] for alarm in alarms.values()} == {
        "ApproximateNumberOfMessagesVisible",
        "Errors",
        "InvocationsFailedToBeSentToDlq",
    }
    for alarm in alarms.values():
        # The alarm topic (its own key), never the digest topic.
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": names.ALARM_TOPIC_ARN}]
        assert alarm["Properties"]["Threshold"] == 0
        assert alarm["Properties"]["Period"] == 300
    assert {title: alarm["Properties"]["Statistic"] for title, alarm in alarms.items()} == {
        "SweepFailureAlarm": "Maximum",
        "SweepErrorsAlarm": "Sum",
        "SweepRuleDeadLetterAlarm": "Sum",
    }
    assert alarms["SweepRuleDeadLetterAlarm"]["Properties"]["Dimensions"] == [
        {"Name": "RuleName", "Value": {"Ref": "SweepRule"}}
    ]
    assert queue["MessageRetentionPeriod"] == 1_209_600


def test_role_reads_associations_and_instances_and_publishes_nothing_else(sweep_stack):
    (policy,) = one_resource(sweep_stack, "AWS::IAM::Role")["Properties"]["Policies"]
    granted = {
        action: statement["Resource"]
        for statement in statements(policy["PolicyDocument"])
        for action in statement["Action"]
    }
    assert set(granted) == {
        "ssm:ListAssociations",
        "ssm:DescribeInstanceInformation",
        "ec2:DescribeInstances",
        "ssm:DescribeAssociation",
        "ssm:DescribeAssociationExecutions",
        "ssm:DescribeAssociationExecutionTargets",
        "sns:Publish",
        "kms:GenerateDataKey",
        "kms:Decrypt",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "sqs:SendMessage",
    }
    wildcard = {action for action, resources in granted.items() if resources == ["*"]}
    # Only the list/describe calls without resource-level permissions are unscoped.
    assert wildcard == {
        "ssm:ListAssociations",
        "ssm:DescribeInstanceInformation",
        "ec2:DescribeInstances",
    }
    assert granted["sns:Publish"] == [{"Ref": names.TOPIC_ARN}]

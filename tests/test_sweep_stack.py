"""Sweep stack: the scheduled missed-instance check, its work queue and state table, its role, and
where its failures go."""

import pytest
from template_helpers import one_resource, resources_of_type, statements

from templates import hub, names
from templates.config import Config


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
        "WATCHED_STATUSES": {"Fn::Join": [",", {"Ref": names.WATCHED_STATUSES}]},
        "SWEEP_SCHEDULE": {"Ref": names.SWEEP_SCHEDULE},
        "SCOPE": {"Ref": names.SCOPE},
        "READER_ROLE_NAME_PREFIX": "ssm-notifier-reader",
        "SPOKE_STACK_SET_NAME": {
            "Fn::If": ["IsOrganization", {"Fn::Sub": "${ParentStackName}-spokes"}, ""]
        },
        "STACK_SET_CALL_AS": {"Ref": "CallAs"},
        "WORK_QUEUE_URL": {"Ref": "SweepWorkQueue"},
        "STATE_TABLE_NAME": {
            "Fn::If": [
                "SharedStateTable",
                {"Ref": names.STATE_TABLE_NAME},
                {"Ref": "SweepStateTable"},
            ]
        },
        "REMINDER_DAYS": {"Ref": names.SWEEP_REMINDER_DAYS},
        "DISPLAY_TIME_ZONE": {"Ref": names.DISPLAY_TIME_ZONE},
    }
    assert sweep_stack["Parameters"][names.SWEEP_REMINDER_DAYS]["Default"] == "7"
    assert function["LoggingConfig"]["LogFormat"] == "JSON"
    # The Lambda maximum: each check has it to itself (one work message an invocation).
    assert function["Timeout"] == 900
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
    queue = sweep_stack["Resources"]["SweepFailureQueue"]["Properties"]
    assert queue["KmsMasterKeyId"] == {"Ref": names.KEY_ARN}
    function = one_resource(sweep_stack, "AWS::Lambda::Function")["Properties"]
    assert function["DeadLetterConfig"] == {
        "TargetArn": {"Fn::GetAtt": ["SweepFailureQueue", "Arn"]}
    }
    log_group = one_resource(sweep_stack, "AWS::Logs::LogGroup")["Properties"]
    assert log_group["KmsKeyId"] == {"Ref": names.KEY_ARN}
    alarms = resources_of_type(sweep_stack, "AWS::CloudWatch::Alarm")
    assert {alarm["Properties"]["MetricName"] for alarm in alarms.values()} >= {
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
        "SweepWorkDeadLetterAlarm": "Maximum",
    }
    assert alarms["SweepRuleDeadLetterAlarm"]["Properties"]["Dimensions"] == [
        {"Name": "RuleName", "Value": {"Ref": "SweepRule"}}
    ]
    assert queue["MessageRetentionPeriod"] == 1_209_600


def test_role_reads_associations_and_instances_and_publishes_nothing_else(sweep_stack):
    # The first policy is its own; the second applies only in a VPC (tests/test_function_vpc.py).
    policy, _in_vpc = one_resource(sweep_stack, "AWS::IAM::Role")["Properties"]["Policies"]
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
        "ssm:DescribeDocument",
        "sns:Publish",
        "kms:GenerateDataKey",
        "kms:Decrypt",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "sqs:SendMessage",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ChangeMessageVisibility",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:Query",
        "dynamodb:BatchWriteItem",
    }
    wildcard = {action for action, resources in granted.items() if resources == ["*"]}
    # Only the list/describe calls without resource-level permissions are unscoped.
    assert wildcard == {
        "ssm:ListAssociations",
        "ssm:DescribeInstanceInformation",
        "ec2:DescribeInstances",
    }
    assert granted["sns:Publish"] == [{"Ref": names.TOPIC_ARN}]
    # Watched documents looked up in this region: any owner (its own, shared, AWS's: no account).
    assert granted["ssm:DescribeDocument"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:*:document/*"}
    ]
    by_sid = {statement["Sid"]: statement for statement in statements(policy["PolicyDocument"])}
    # The sweep writes only its own items; of the notifier's it may Query the RUN items only.
    assert by_sid["RecordRunsAndReminders"]["Condition"] == {
        "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["sweep-*"]}
    }
    assert by_sid["ReadNotifierRuns"]["Action"] == ["dynamodb:Query"]
    assert by_sid["ReadNotifierRuns"]["Resource"] == by_sid["RecordRunsAndReminders"]["Resource"]
    assert by_sid["ReadNotifierRuns"]["Condition"] == {
        "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["RUN#*"]}
    }


def test_under_organization_scope_the_sweep_may_assume_readers_and_list_coverage(sweep_stack):
    policy = sweep_stack["Resources"]["SweepReadersPolicy"]
    assert policy["Condition"] == "IsOrganization"
    assert policy["Properties"]["Roles"] == [{"Ref": "SweepRole"}]
    by_sid = {s["Sid"]: s for s in statements(policy["Properties"]["PolicyDocument"])}
    assert by_sid["AssumeSpokeReaders"]["Condition"] == {
        "StringEquals": {"aws:ResourceOrgID": "${aws:PrincipalOrgID}"}
    }
    assert by_sid["ListSpokeInstances"]["Action"] == ["cloudformation:ListStackInstances"]
    # That StackSet only: the hub names it after the parent, which both stacks are given.
    assert by_sid["ListSpokeInstances"]["Resource"] == [
        {
            "Fn::Sub": "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}"
            ":stackset/${ParentStackName}-spokes:*"
        }
    ]
    assert by_sid["ListAccounts"]["Action"] == ["organizations:ListAccounts"]
    # The digest names the accounts: DescribeAccount in its own organization only.
    assert by_sid["NameAccounts"]["Action"] == ["organizations:DescribeAccount"]
    variables = sweep_stack["Resources"]["SweepFunction"]["Properties"]["Environment"]["Variables"]
    hub_name = hub.build(Config()).to_dict()["Resources"]["SpokeStackSet"]["Properties"][
        "StackSetName"
    ]
    assert variables["SPOKE_STACK_SET_NAME"] == {"Fn::If": ["IsOrganization", hub_name, ""]}
    assert variables["STACK_SET_CALL_AS"] == {"Ref": hub.CALL_AS}
    assert sweep_stack["Parameters"][hub.CALL_AS]["AllowedValues"] == ["SELF", "DELEGATED_ADMIN"]
    assert sweep_stack["Outputs"][names.SWEEP_ROLE_ARN]["Value"] == {
        "Fn::GetAtt": ["SweepRole", "Arn"]
    }


def test_work_queue_feeds_the_function_one_association_at_a_time(sweep_stack):
    queue = sweep_stack["Resources"]["SweepWorkQueue"]["Properties"]
    assert queue["KmsMasterKeyId"] == {"Ref": names.KEY_ARN}
    assert queue["VisibilityTimeout"] == 6 * 900
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["SweepWorkDeadLetterQueue", "Arn"]},
        "maxReceiveCount": 3,
    }
    dead_letters = sweep_stack["Resources"]["SweepWorkDeadLetterQueue"]["Properties"]
    assert dead_letters["KmsMasterKeyId"] == {"Ref": names.KEY_ARN}
    mapping = one_resource(sweep_stack, "AWS::Lambda::EventSourceMapping")["Properties"]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["SweepWorkQueue", "Arn"]}
    assert mapping["FunctionName"] == {"Ref": "SweepFunction"}
    assert mapping["BatchSize"] == 1
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 2 <= mapping["ScalingConfig"]["MaximumConcurrency"] <= 1000
    alarm = sweep_stack["Resources"]["SweepWorkDeadLetterAlarm"]["Properties"]
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["SweepWorkDeadLetterQueue", "QueueName"]}}
    ]


def test_the_role_sends_and_consumes_only_its_work_queue_and_only_its_table_items(sweep_stack):
    # The first policy is its own; the second applies only in a VPC (tests/test_function_vpc.py).
    policy, _in_vpc = one_resource(sweep_stack, "AWS::IAM::Role")["Properties"]["Policies"]
    by_sid = {statement["Sid"]: statement for statement in statements(policy["PolicyDocument"])}
    assert by_sid["QueueAndConsumeWork"]["Resource"] == [{"Fn::GetAtt": ["SweepWorkQueue", "Arn"]}]
    table = by_sid["RecordRunsAndReminders"]
    assert table["Resource"] == [
        {
            "Fn::If": [
                "SharedStateTable",
                {"Ref": names.STATE_TABLE_ARN},
                {"Fn::GetAtt": ["SweepStateTable", "Arn"]},
            ]
        }
    ]
    # The notifier's table is shared: the sweep reaches only its own key prefixes.
    assert table["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["sweep-*"]}}


def test_without_the_notifiers_table_the_stack_makes_one_of_the_same_layout(sweep_stack):
    assert sweep_stack["Parameters"][names.STATE_TABLE_ARN]["Default"] == ""
    table = sweep_stack["Resources"]["SweepStateTable"]
    assert table["Condition"] == "OwnStateTable"
    properties = table["Properties"]
    assert properties["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert properties["SSESpecification"] == {
        "SSEEnabled": True,
        "SSEType": "KMS",
        "KMSMasterKeyId": {"Ref": names.KEY_ARN},
    }
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}

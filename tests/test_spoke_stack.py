"""Spoke stack: forward rule to the hub bus, reader role for the hub, optional association."""

from __future__ import annotations

import copy

import org_templates
import pytest
from template_helpers import one_resource, statements
from test_parameter_constraints import CASES, accepts

from templates import names, spoke
from templates.config import Config

CONFIG = Config()
HUB_ROLE = "arn:aws:iam::123456789012:role/ssm-notifier-Notifications-FunctionRole-ABC"

# Parameter name -> (values CloudFormation must accept, values it must reject).
SPOKE_CASES: dict[str, tuple[list[str], list[str]]] = {
    spoke.HUB_EVENT_BUS_ARN: (
        [
            "arn:aws:events:us-east-1:123456789012:event-bus/ssm-notifier-hub",
            "arn:aws-cn:events:cn-north-1:123456789012:event-bus/a.b_c-d/e",
        ],
        [
            "",
            "ssm-notifier-hub",
            "arn:aws:events:us-east-1:123456789012:rule/x",
            "arn:aws:sqs:us-east-1:123456789012:event-bus/x",
            "arn:aws:events:us-east-1:1234:event-bus/x",
        ],
    ),
    spoke.HUB_NOTIFIER_ROLE_ARN: (
        [HUB_ROLE, "arn:aws-us-gov:iam::123456789012:role/path/to/Role+1=,.@-"],
        ["", "FunctionRole", "arn:aws:iam::123456789012:user/x", "arn:aws:iam::*:role/x"],
    ),
    spoke.HUB_SWEEP_ROLE_ARN: ([HUB_ROLE], ["arn:aws:iam::123456789012:role/"]),
    spoke.ORGANIZATION_ID: (
        # "" passes the pattern (declared alike with the parent's) and is refused by the Rules.
        ["o-a1b2c3d4e5", "o-" + "z" * 32, ""],
        ["o-short", "o-A1B2C3D4E5", "o-" + "a" * 33, "r-a1b2", "ou-ab12-abcdefgh"],
    ),
    spoke.READER_ROLE_NAME_PREFIX: (
        ["ssm-notifier-reader", "r" * 48],
        ["", "r" * 49, "has space", "path/name"],
    ),
    spoke.CREATE_AGENT_UPDATE_ASSOCIATION: (["true", "false"], ["", "yes"]),
    spoke.INSTANCE_ROLE_NAMES: (["", "WebRole,BatchRole"], ["arn:aws:iam::1:role/x"]),
    names.WATCHED_DOCUMENTS: (["AWS-UpdateSSMAgent"], ["AB"]),
    names.WATCHED_STATUSES: (["Success,Failed"], ["Pending"]),
    spoke.OUTPUT_RETENTION_DAYS: (["1", "3650"], ["0"]),
    names.ASSOCIATION_SCHEDULE: (["rate(14 days)"], ["rate(5 minutes)"]),
    names.ASSOCIATION_MAX_CONCURRENCY: (["10%"], ["0"]),
    names.ASSOCIATION_MAX_ERRORS: (["10%"], ["-1"]),
    names.ASSOCIATION_TARGETS: (["Tagged", "AllManagedInstances"], ["All"]),
    names.TARGET_TAG_KEY: (["ssm-notifier:fleet"], [""]),
    names.TARGET_TAG_VALUE: (["", "prod"], ["bad\nline"]),
}
# Every role's permissions boundary and path (templates/common.role), as the stacks declare them.
SPOKE_CASES |= {name: CASES[name] for name in (names.PERMISSIONS_BOUNDARY_ARN, names.ROLE_PATH)}
# The run kinds forwarded besides association runs, declared as the parent declares them.
SPOKE_CASES |= {
    name: CASES[name] for name in (names.WATCH_RUN_COMMAND, names.WATCH_MAINTENANCE_WINDOWS)
}


@pytest.fixture(scope="module")
def spoke_stack() -> dict:
    return org_templates.rendered()[spoke.SPOKE_FILE]


def test_every_parameter_takes_good_values_and_rejects_bad_ones(spoke_stack):
    assert set(spoke_stack["Parameters"]) == set(SPOKE_CASES)
    for name, spec in spoke_stack["Parameters"].items():
        good, bad = SPOKE_CASES[name]
        for value in good:
            assert accepts(spec, value), f"{name} rejects good value {value!r}"
        for value in bad:
            assert not accepts(spec, value), f"{name} accepts bad value {value!r}"
        if "Default" in spec:
            assert accepts(spec, str(spec["Default"])), f"{name} default rejected"


def test_the_hub_must_say_where_to_forward_and_who_reads(spoke_stack):
    required = {name for name, spec in spoke_stack["Parameters"].items() if "Default" not in spec}
    assert required == {
        "HubEventBusArn",
        "HubNotifierRoleArn",
        "HubSweepRoleArn",
        "OrganizationId",
    }
    assert spoke_stack["Parameters"]["CreateAgentUpdateAssociation"]["Default"] == "false"


def test_resources(spoke_stack):
    assert {title: r["Type"] for title, r in spoke_stack["Resources"].items()} == {
        "DeadLetterQueue": "AWS::SQS::Queue",
        "ForwardRole": "AWS::IAM::Role",
        "ForwardRule": "AWS::Events::Rule",
        "DeadLetterQueuePolicy": "AWS::SQS::QueuePolicy",
        "AccessLogBucket": "AWS::S3::Bucket",
        "OutputBucket": "AWS::S3::Bucket",
        "OutputBucketPolicy": "AWS::S3::BucketPolicy",
        "AccessLogBucketPolicy": "AWS::S3::BucketPolicy",
        "InstanceOutputPolicy": "AWS::IAM::Policy",
        "AgentUpdateAssociation": "AWS::SSM::Association",
        "ReaderRole": "AWS::IAM::Role",
        "ReaderOutputPolicy": "AWS::IAM::Policy",
    }


def test_forwarding_is_left_out_in_the_hubs_own_account_and_region(spoke_stack):
    forwarding = {
        title
        for title, r in spoke_stack["Resources"].items()
        if r.get("Condition") == "ForwardsToHub"
    }
    assert forwarding == {"DeadLetterQueue", "ForwardRole", "ForwardRule", "DeadLetterQueuePolicy"}
    hub_bus = {"Fn::Split": [":", {"Ref": "HubEventBusArn"}]}
    assert spoke_stack["Conditions"]["ForwardsToHub"] == {
        "Fn::Not": [
            {
                "Fn::And": [
                    {"Fn::Equals": [{"Fn::Select": [4, hub_bus]}, {"Ref": "AWS::AccountId"}]},
                    {"Fn::Equals": [{"Fn::Select": [3, hub_bus]}, {"Ref": "AWS::Region"}]},
                ]
            }
        ]
    }


def test_forward_rule_matches_what_the_notifications_rule_matches(spoke_stack, notifications):
    rule = spoke_stack["Resources"]["ForwardRule"]["Properties"]
    hub_rule = notifications["Resources"]["Rule"]["Properties"]
    assert rule["EventPattern"] == hub_rule["EventPattern"]
    # Both watches off (the default): association runs of the watched documents and statuses.
    assert rule["EventPattern"]["Fn::If"][2]["detail"] == {
        "status": {"Ref": "WatchedStatuses"},
        "document-name": {"Ref": "WatchedDocuments"},
    }
    assert rule["State"] == "ENABLED"
    assert "EventBusName" not in rule  # the default bus, where SSM puts its events


def test_forward_rule_targets_the_hub_bus_through_its_role_with_retries_and_a_dlq(spoke_stack):
    (target,) = spoke_stack["Resources"]["ForwardRule"]["Properties"]["Targets"]
    assert target == {
        "Id": "HubEventBus",
        "Arn": {"Ref": "HubEventBusArn"},
        "RoleArn": {"Fn::GetAtt": ["ForwardRole", "Arn"]},
        "RetryPolicy": {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400},
        "DeadLetterConfig": {"Arn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}},
    }


def test_forward_role_is_for_eventbridge_in_this_account_and_may_only_put_on_the_hub_bus(
    spoke_stack,
):
    role = spoke_stack["Resources"]["ForwardRole"]["Properties"]
    assert role["AssumeRolePolicyDocument"] == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": ["sts:AssumeRole"],
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
                    "ArnLike": {
                        "aws:SourceArn": {
                            "Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}"
                            ":${AWS::AccountId}:rule/*"
                        }
                    },
                },
            }
        ],
    }
    (policy,) = role["Policies"]
    assert statements(policy["PolicyDocument"]) == [
        {
            "Sid": "PutEventsOnHubBus",
            "Effect": "Allow",
            "Action": ["events:PutEvents"],
            "Resource": [{"Ref": "HubEventBusArn"}],
        }
    ]
    assert "RoleName" not in role


def test_dead_letter_queue_is_encrypted_kept_14_days_and_only_the_rule_may_send(spoke_stack):
    queue = spoke_stack["Resources"]["DeadLetterQueue"]["Properties"]
    assert queue == {"SqsManagedSseEnabled": True, "MessageRetentionPeriod": 1_209_600}
    policy = spoke_stack["Resources"]["DeadLetterQueuePolicy"]["Properties"]
    assert policy["Queues"] == [{"Ref": "DeadLetterQueue"}]
    assert statements(policy["PolicyDocument"]) == [
        {
            "Sid": "ForwardRuleDeadLetters",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": ["sqs:SendMessage"],
            "Resource": [{"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}],
            "Condition": {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["ForwardRule", "Arn"]}}},
        }
    ]


def test_reader_role_trusts_exactly_the_hub_roles_within_the_organization(spoke_stack):
    role = spoke_stack["Resources"]["ReaderRole"]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Sid": "HubFunctionsAssume",
            "Effect": "Allow",
            "Principal": {"AWS": [{"Ref": "HubNotifierRoleArn"}, {"Ref": "HubSweepRoleArn"}]},
            "Action": ["sts:AssumeRole"],
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": {"Ref": "OrganizationId"}}},
        }
    ]
    # Named, so the hub can find it from an event's account and region.
    assert role["RoleName"] == {
        "Fn::Sub": ["${Prefix}-${AWS::Region}", {"Prefix": {"Ref": "ReaderRoleNamePrefix"}}]
    }


def _granted(role_properties: dict) -> dict[str, list]:
    """Action -> resources, in every inline policy (one under a condition, Fn::If, included)."""
    policies = [p["Fn::If"][1] if "Fn::If" in p else p for p in role_properties["Policies"]]
    return {
        action: statement["Resource"]
        for policy in policies
        for statement in statements(policy["PolicyDocument"])
        for action in statement["Action"]
    }


def test_reader_role_grants_the_reads_of_enrichment_and_the_sweep_and_nothing_else(
    spoke_stack, rendered
):
    reader = _granted(spoke_stack["Resources"]["ReaderRole"]["Properties"])
    assert set(reader) == {
        "ssm:ListAssociations",
        "ssm:DescribeInstanceInformation",
        "ec2:DescribeInstances",
        "ssm:DescribeAssociation",
        "ssm:DescribeAssociationExecutions",
        "ssm:DescribeAssociationExecutionTargets",
        "ssm:ListCommandInvocations",  # the failed step's name (command_output)
        "ssm:GetCommandInvocation",
        "ssm:DescribeDocument",  # the sweep's "watched document does not exist" finding
        "ec2:DescribeTags",  # the notifier's instance names (Name tags)
    }
    # The same actions on the same resources as the single-account functions' roles.
    notifier = _granted(rendered["notifications.yaml"]["Resources"]["FunctionRole"]["Properties"])
    sweep = _granted(one_resource(rendered["sweep.yaml"], "AWS::IAM::Role")["Properties"])
    for action, resources in reader.items():
        source = sweep.get(action, notifier.get(action))
        assert resources == source, action


def test_reader_may_read_output_objects_only_when_the_spoke_has_a_bucket(spoke_stack):
    policy = spoke_stack["Resources"]["ReaderOutputPolicy"]
    assert policy["Condition"] == "CreateAssociation"
    assert policy["Properties"]["Roles"] == [{"Ref": "ReaderRole"}]
    assert statements(policy["Properties"]["PolicyDocument"]) == [
        {
            "Sid": "ReadAssociationOutput",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": [{"Fn::Sub": "${OutputBucket.Arn}/ssm-agent-update/*"}],
        }
    ]


def test_association_and_its_bucket_exist_only_when_asked(spoke_stack):
    conditional = {
        title: r.get("Condition")
        for title, r in spoke_stack["Resources"].items()
        if r["Type"] in ("AWS::S3::Bucket", "AWS::S3::BucketPolicy", "AWS::SSM::Association")
    }
    assert set(conditional.values()) == {"CreateAssociation"}
    assert spoke_stack["Conditions"]["CreateAssociation"] == {
        "Fn::Equals": [{"Ref": "CreateAgentUpdateAssociation"}, "true"]
    }
    # The instance roles' write policy needs both the bucket and some role names.
    assert spoke_stack["Resources"]["InstanceOutputPolicy"]["Condition"] == (
        "InstanceRolesWriteOutput"
    )
    assert spoke_stack["Conditions"]["InstanceRolesWriteOutput"] == {
        "Fn::And": [
            {"Condition": "CreateAssociation"},
            {"Fn::Not": [{"Fn::Equals": [{"Fn::Join": ["", {"Ref": "InstanceRoleNames"}]}, ""]}]},
        ]
    }


def test_association_updates_the_agent_into_the_spokes_bucket(spoke_stack, rendered):
    association = spoke_stack["Resources"]["AgentUpdateAssociation"]["Properties"]
    single = one_resource(rendered["association.yaml"], "AWS::SSM::Association")["Properties"]
    for same in ("Name", "ScheduleExpression", "MaxConcurrency", "MaxErrors"):
        assert association[same] == single[same]
    assert association["ApplyOnlyAtCronInterval"] is False
    assert association["OutputLocation"] == {
        "S3Location": {
            "OutputS3BucketName": {"Ref": "OutputBucket"},
            "OutputS3KeyPrefix": "ssm-agent-update/",
        }
    }
    assert association["Targets"] == {
        "Fn::If": [
            "TargetsAllManagedInstances",
            [{"Key": "InstanceIds", "Values": ["*"]}],
            {
                "Fn::If": [
                    "TargetsAnyTagValue",
                    [{"Key": "tag-key", "Values": [{"Ref": "TargetTagKey"}]}],
                    [
                        {
                            "Key": {"Fn::Sub": ["tag:${Key}", {"Key": {"Ref": "TargetTagKey"}}]},
                            "Values": [{"Ref": "TargetTagValue"}],
                        }
                    ],
                ]
            },
        ]
    }


def test_the_bucket_is_the_logging_stacks_bucket(spoke_stack, logging_stack):
    for title in ("OutputBucket", "AccessLogBucket", "OutputBucketPolicy", "AccessLogBucketPolicy"):
        mine = dict(spoke_stack["Resources"][title])
        assert mine.pop("Condition") == "CreateAssociation"
        theirs = copy.deepcopy(logging_stack["Resources"][title])
        if title == "OutputBucket":  # the spoke takes no OutputBucketKmsKeyArn (yet): SSE-S3
            encryption = theirs["Properties"]["BucketEncryption"]
            (rule,) = encryption["ServerSideEncryptionConfiguration"]
            encryption["ServerSideEncryptionConfiguration"] = [rule["Fn::If"][2]]
        assert mine == theirs, title


def test_outputs(spoke_stack):
    assert spoke_stack["Outputs"] == {
        "ReaderRoleArn": {"Value": {"Fn::GetAtt": ["ReaderRole", "Arn"]}},
        "ForwardRuleArn": {
            "Condition": "ForwardsToHub",
            "Value": {"Fn::GetAtt": ["ForwardRule", "Arn"]},
        },
        "OutputBucketName": {"Condition": "CreateAssociation", "Value": {"Ref": "OutputBucket"}},
    }


def test_the_only_physical_name_is_the_reader_roles(spoke_stack):
    named = {
        title
        for title, r in spoke_stack["Resources"].items()
        for key in ("RoleName", "QueueName", "BucketName", "Name", "AssociationName")
        if key in r.get("Properties", {}) and r["Type"] != "AWS::SSM::Association"
    }
    assert named == {"ReaderRole"}


def test_reader_role_name_fits_iam_in_every_region(spoke_stack):
    """IAM role names take at most 64 characters: the longest prefix the parameter accepts,
    "-" and the longest region name today fit."""
    spec = spoke_stack["Parameters"]["ReaderRoleNamePrefix"]
    longest = "r" * 48
    assert accepts(spec, longest) and not accepts(spec, longest + "r")
    assert len(f"{longest}-ap-southeast-5") <= 64


def test_spoke_template_names_its_file():
    assert {name: t.to_dict() for name, t in spoke.spoke_template(CONFIG).items()} == {
        "spoke.yaml": spoke.build(CONFIG).to_dict()
    }


def test_the_instance_role_grant_is_named_for_this_stack_and_region(spoke_stack, logging_stack):
    """A StackSet puts a spoke in every region of an account, all granting the same roles."""
    name = spoke_stack["Resources"]["InstanceOutputPolicy"]["Properties"]["PolicyName"]
    assert name == logging_stack["Resources"]["InstanceOutputPolicy"]["Properties"]["PolicyName"]
    assert "AWS::StackId" in str(name) and "AWS::Region" in str(name)


def test_an_empty_organization_id_is_refused_by_the_rules(spoke_stack):
    assert spoke_stack["Rules"] == {
        "OrganizationIdGiven": {
            "Assertions": [
                {
                    "Assert": {"Fn::Not": [{"Fn::Equals": [{"Ref": "OrganizationId"}, ""]}]},
                    "AssertDescription": "OrganizationId must not be empty",
                }
            ]
        }
    }

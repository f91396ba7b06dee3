"""The alarm path does not depend on what it watches: disabling the pipeline's key leaves the
alarm topic deliverable.

Shown statically, over the templates, because the emulator cannot show it: moto's SNS and SQS
never consult KMS (a topic or queue under a disabled key takes messages as before), so a publish
that succeeds on moto after DisableKey would prove nothing. What delivery to the alarm topic
needs is read from the templates instead: every alarm's action resolves, through the parent's
wiring, to the alarm topic; that topic's key is the alarm key, which nothing of the pipeline
uses and whose policy names nothing of the pipeline; the pipeline's resources all use the other
key.
"""

from __future__ import annotations

import json

import pytest
from moto.events.models import EventPattern
from template_helpers import resources_of_type, statements

from templates import names
from templates.alarm_topic import KEY_UNUSABLE_CALLS
from templates.parent import CHILDREN

STACK_OF_FILE = {file_name: title for title, (_, file_name) in CHILDREN.items()}


def resolve(rendered: dict, file_name: str, value) -> tuple[str, str]:
    """The (file, logical id) a Ref or GetAtt in `file_name` names, following a parameter to what
    the parent passes for it and a child output to its value."""
    template = rendered[file_name]
    if isinstance(value, dict) and "Ref" in value:
        name = value["Ref"]
        if name in template["Resources"]:
            return file_name, name
        if name in template.get("Parameters", {}):
            parent = rendered["parent.yaml"]["Resources"][STACK_OF_FILE[file_name]]
            passed = parent["Properties"]["Parameters"][name]
            child, attribute = passed["Fn::GetAtt"]
            output = attribute.removeprefix("Outputs.")
            child_file = CHILDREN[child][1]
            return resolve(rendered, child_file, rendered[child_file]["Outputs"][output]["Value"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return file_name, value["Fn::GetAtt"][0]
    raise AssertionError(f"cannot resolve {value} in {file_name}")


def every_alarm(rendered: dict):
    for file_name in rendered:
        for title, alarm in resources_of_type(
            rendered[file_name], "AWS::CloudWatch::Alarm"
        ).items():
            yield file_name, title, alarm["Properties"]


def test_the_stacks_have_alarms(rendered):
    assert {file_name for file_name, _, _ in every_alarm(rendered)} == {
        "notifications.yaml",
        "sweep.yaml",
    }


def test_every_alarm_action_resolves_to_the_alarm_topic(rendered):
    for file_name, title, alarm in every_alarm(rendered):
        actions = alarm["AlarmActions"] + alarm.get("OKActions", [])
        assert actions, title
        for action in actions:
            assert resolve(rendered, file_name, action) == ("notifications.yaml", "AlarmTopic"), (
                title
            )


def key_of(rendered: dict, file_name: str, properties: dict) -> tuple[str, str]:
    key = properties.get("KmsMasterKeyId") or properties.get("KmsKeyId")
    assert key is not None, properties
    return resolve(rendered, file_name, key)


def test_the_alarm_topic_has_a_key_of_its_own(rendered):
    notifications = rendered["notifications.yaml"]
    alarm_topic = notifications["Resources"]["AlarmTopic"]["Properties"]
    assert key_of(rendered, "notifications.yaml", alarm_topic) == (
        "notifications.yaml",
        "AlarmKey",
    )
    assert notifications["Resources"]["AlarmKey"]["Type"] == "AWS::KMS::Key"
    assert notifications["Resources"]["AlarmKey"]["Properties"]["EnableKeyRotation"] is True


PIPELINE_TYPES = ("AWS::SNS::Topic", "AWS::SQS::Queue", "AWS::Logs::LogGroup")


def test_everything_else_encrypted_uses_the_pipeline_key(rendered):
    """So the pipeline key being unusable breaks the pipeline (which the alarms watch) and
    nothing of the alarm path."""
    seen = set()
    for file_name, template in rendered.items():
        for resource_type in PIPELINE_TYPES:
            for title, resource in resources_of_type(template, resource_type).items():
                if (file_name, title) == ("notifications.yaml", "AlarmTopic"):
                    continue
                key = key_of(rendered, file_name, resource["Properties"])
                assert key == ("notifications.yaml", "Key"), (file_name, title)
                seen.add((file_name, title))
    assert {
        ("notifications.yaml", "Topic"),
        ("notifications.yaml", "Queue"),
        ("notifications.yaml", "DeadLetterQueue"),
        ("sweep.yaml", "SweepFailureQueue"),
        ("sweep.yaml", "SweepLogGroup"),
    } <= seen


def references(value) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        if "Ref" in value:
            found.add(value["Ref"])
        if "Fn::GetAtt" in value:
            found.add(value["Fn::GetAtt"][0])
        for item in value.values():
            found |= references(item)
    elif isinstance(value, list):
        for item in value:
            found |= references(item)
    return found


def test_the_alarm_key_policy_names_only_the_account_cloudwatch_and_eventbridge(notifications):
    policy = notifications["Resources"]["AlarmKey"]["Properties"]["KeyPolicy"]
    principals = [statement["Principal"] for statement in statements(policy)]
    assert principals == [
        {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
        {"Service": "cloudwatch.amazonaws.com"},
        {"Service": "events.amazonaws.com"},
    ]
    for statement in statements(policy)[1:]:
        assert statement["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    # Nothing of the pipeline: no reference to any resource of the stack.
    assert not references(policy) & set(notifications["Resources"])


def test_no_function_may_use_the_alarm_key_or_publish_alarms(rendered):
    for file_name, template in rendered.items():
        for title, role in resources_of_type(template, "AWS::IAM::Role").items():
            for policy in role["Properties"].get("Policies", []):
                used = {
                    resolve(rendered, file_name, resource)
                    for statement in statements(policy["PolicyDocument"])
                    for resource in statement["Resource"]
                    if isinstance(resource, dict) and ({"Ref", "Fn::GetAtt"} & set(resource))
                }
                assert ("notifications.yaml", "AlarmKey") not in used, title
                assert ("notifications.yaml", "AlarmTopic") not in used, title


def test_cloudwatch_and_the_key_state_rule_may_publish_to_the_alarm_topic(notifications):
    assert notifications["Resources"]["AlarmTopicPolicy"]["Type"] == "AWS::SNS::TopicPolicy"
    policy = notifications["Resources"]["AlarmTopicPolicy"]["Properties"]
    assert policy["Topics"] == [{"Ref": "AlarmTopic"}]
    cloudwatch, rule = statements(policy["PolicyDocument"])
    assert cloudwatch["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert cloudwatch["Action"] == ["sns:Publish"]
    assert cloudwatch["Condition"]["StringEquals"] == {
        "aws:SourceAccount": {"Ref": "AWS::AccountId"}
    }
    assert rule["Principal"] == {"Service": "events.amazonaws.com"}
    assert rule["Condition"] == {
        "ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["PipelineKeyStateRule", "Arn"]}}
    }


def test_the_alarm_topic_emails_the_notification_address(notifications):
    assert notifications["Resources"]["AlarmEmailSubscription"]["Type"] == "AWS::SNS::Subscription"
    subscription = notifications["Resources"]["AlarmEmailSubscription"]["Properties"]
    assert subscription == {
        "TopicArn": {"Ref": "AlarmTopic"},
        "Protocol": "email",
        "Endpoint": {"Ref": names.NOTIFICATION_EMAIL},
    }


@pytest.mark.parametrize("call", ["DisableKey", "ScheduleKeyDeletion"])
def test_disabling_or_deleting_the_pipeline_key_is_reported_on_the_alarm_topic(notifications, call):
    rule = notifications["Resources"]["PipelineKeyStateRule"]["Properties"]
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Ref": "AlarmTopic"}
    key_arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    pattern = rule["EventPattern"]
    assert pattern["detail"]["responseElements"] == {"keyId": [{"Fn::GetAtt": ["Key", "Arn"]}]}
    detail = {**pattern["detail"], "responseElements": {"keyId": [key_arn]}}
    resolved = {**pattern, "detail": detail}
    matcher = EventPattern.load(json.dumps(resolved))

    def cloudtrail_event(name: str, arn: str, key_id: str = "alias/notifier") -> dict:
        # The shape of KMS's CloudTrail entries (KMS developer guide, "DisableKey"), as
        # EventBridge delivers them: the record is the event's detail.
        return {
            "source": "aws.kms",
            "detail-type": "AWS API Call via CloudTrail",
            "detail": {
                "eventSource": "kms.amazonaws.com",
                "eventName": name,
                "requestParameters": {"keyId": key_id},
                "responseElements": {"keyId": arn},
                "resources": [{"ARN": arn, "accountId": "123456789012"}],
            },
        }

    assert call in KEY_UNUSABLE_CALLS
    # Named by alias or id in the request: the response still holds the key's ARN.
    assert matcher.matches_event(cloudtrail_event(call, key_arn))
    assert not matcher.matches_event(
        cloudtrail_event(call, key_arn.replace("1234abcd", "9999abcd"))
    )
    assert not matcher.matches_event(cloudtrail_event("EnableKey", key_arn))
    assert not matcher.matches_event(cloudtrail_event("Decrypt", key_arn))

"""The alarm path: a topic with a key of its own, so an alarm about the pipeline never depends on
the pipeline's key, and the rule that reports that key being disabled or scheduled for deletion.

Topic, queues and logs of the pipeline share one customer-managed key. If it is disabled or
pending deletion, EventBridge cannot deliver to the queue or either dead-letter queue and the
notifier cannot publish; an alarm published to a topic under that same key would fail as well,
silently. So every CloudWatch alarm of every stack publishes to this topic, encrypted with this
key, whose policy names only the account (administration through IAM), CloudWatch (alarms) and
EventBridge (the key-state rule): nothing of the pipeline.

CloudWatch has no metric for a key's state (AWS/KMS publishes none per key for a disabled or
pending-deletion key), so the key-state rule matches KMS's own CloudTrail records of
`DisableKey` and `ScheduleKeyDeletion` on the pipeline key. EventBridge receives those
"AWS API Call via CloudTrail" events only while a CloudTrail trail with logging enabled records
management events in the region (EventBridge user guide, "AWS service events delivered via AWS
CloudTrail"). Without one, the metric alarms still catch the effect at the next event: the rule's
failed invocations and its dead-letter failures.
"""

from __future__ import annotations

from awacs import sns as sns_actions
from awacs.aws import Allow, ArnEquals, ArnLike, Condition, Principal, Statement, StringEquals
from troposphere import AccountId, AWSHelperFn, GetAtt, Ref, Sub, events, kms, sns

from templates import keys
from templates.common import policy_document

# The KMS API calls after which the pipeline key can no longer encrypt or decrypt.
KEY_UNUSABLE_CALLS = ["DisableKey", "ScheduleKeyDeletion"]
CLOUDTRAIL_API_CALL = "AWS API Call via CloudTrail"


def alarm_key() -> kms.Key:
    """The alarm topic's own customer-managed key (aws/sns would block CloudWatch alarms)."""
    return keys.customer_managed_key(
        "AlarmKey",
        "Encrypts the SSM association notifier's alarm topic (and nothing else)",
        [
            # SNS developer guide, "Enable compatibility between event sources from AWS
            # services and encrypted topics" (CloudWatch alarms).
            keys.service_uses_key("CloudWatchAlarmsPublish", "cloudwatch.amazonaws.com"),
            # The same page (EventBridge): without source conditions, which AWS documents
            # as not supported in a key policy for EventBridge delivery.
            keys.service_uses_key("EventBridgePublishesKeyChanges", "events.amazonaws.com"),
        ],
    )


def alarm_topic(key: kms.Key) -> sns.Topic:
    return sns.Topic(
        "AlarmTopic",
        DisplayName="SSM association notifier alarms",
        KmsMasterKeyId=Ref(key),
    )


def alarm_subscription(topic: sns.Topic, email: AWSHelperFn) -> sns.SubscriptionResource:
    return sns.SubscriptionResource(
        "AlarmEmailSubscription", TopicArn=Ref(topic), Protocol="email", Endpoint=email
    )


def key_state_rule(pipeline_key_arn: AWSHelperFn, topic: sns.Topic) -> events.Rule:
    """Emails the alarm topic when someone disables the pipeline key (the stack's, or yours)
    or schedules its deletion."""
    return events.Rule(
        "PipelineKeyStateRule",
        Description="The notifier's pipeline key was disabled or scheduled for deletion",
        EventPattern={
            "source": ["aws.kms"],
            "detail-type": [CLOUDTRAIL_API_CALL],
            "detail": {
                # No eventSource filter: `source` already names KMS, and CloudTrail's domain for
                # it need not be the same in every partition.
                "eventName": KEY_UNUSABLE_CALLS,
                # KMS developer guide, "DisableKey" and "ScheduleKeyDeletion" (CloudTrail log
                # entries): responseElements.keyId is the key's ARN however the caller named the
                # key (id, ARN or alias; DisableKey's entries carry it since December 2022).
                "responseElements": {"keyId": [pipeline_key_arn]},
            },
        },
        State="ENABLED",
        Targets=[
            events.Target(
                Id="AlarmTopic",
                Arn=Ref(topic),
                InputTransformer=events.InputTransformer(
                    InputPathsMap={
                        "call": "$.detail.eventName",
                        "key": "$.detail.responseElements.keyId",
                        "caller": "$.detail.userIdentity.arn",
                        "time": "$.time",
                    },
                    InputTemplate="\"ALARM: <call> on the SSM association notifier's key <key> "
                    "by <caller> at <time>. Until the key is enabled again (or its deletion "
                    "cancelled) no association event reaches the queue and no digest is sent. "
                    'aws kms enable-key / aws kms cancel-key-deletion --key-id <key>"',
                ),
            )
        ],
    )


def alarm_topic_policy(topic: sns.Topic, rule: events.Rule) -> sns.TopicPolicy:
    """Who may publish to the alarm topic: this account's CloudWatch alarms and the key-state rule.

    A topic policy replaces SNS's default one, so CloudWatch is named here as well.
    """
    return sns.TopicPolicy(
        "AlarmTopicPolicy",
        Topics=[Ref(topic)],
        PolicyDocument=policy_document(
            [
                # SNS developer guide, "Example cases for Amazon SNS access control"
                # (aws:SourceAccount; CloudWatch alarms publishing to a topic).
                Statement(
                    Sid="CloudWatchAlarmsPublish",
                    Effect=Allow,
                    Principal=Principal("Service", "cloudwatch.amazonaws.com"),
                    Action=[sns_actions.Publish],
                    Resource=[Ref(topic)],
                    Condition=Condition(
                        [
                            ArnLike(
                                "aws:SourceArn",
                                Sub(
                                    "arn:${AWS::Partition}:cloudwatch:${AWS::Region}"
                                    ":${AWS::AccountId}:alarm:*"
                                ),
                            ),
                            StringEquals("aws:SourceAccount", AccountId),
                        ]
                    ),
                ),
                # EventBridge user guide, "Amazon SNS permissions" (resource-based policies).
                Statement(
                    Sid="KeyStateRulePublishes",
                    Effect=Allow,
                    Principal=Principal("Service", "events.amazonaws.com"),
                    Action=[sns_actions.Publish],
                    Resource=[Ref(topic)],
                    Condition=Condition(ArnEquals("aws:SourceArn", GetAtt(rule, "Arn"))),
                ),
            ]
        ),
    )

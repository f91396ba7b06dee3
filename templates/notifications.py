"""Notifications: the pipeline from an association state-change event to an operator's inbox.

    EventBridge rule -> SQS queue (redrive to a dead-letter queue) -> notifier function
    (SQS event source mapping, partial batch responses) -> SNS topic (KMS) -> email
    the function keeps what it reported in the state table and the full reports in the report
    bucket (templates/state_store.py), and sends records it had no time for back to the queue.

Nothing is dropped silently: the rule's target retries and dead-letters, the queue redrives
records the function could not handle, and alarms on the dead-letter queue, the function's errors
and the rule's failed and dead-letter deliveries publish to the alarm topic, which has a key of
its own (templates/alarm_topic.py) so that they still arrive when the pipeline's key is unusable.
"""

from __future__ import annotations

from typing import NamedTuple

from awacs import kms as kms_actions
from awacs import s3 as s3_actions
from awacs import sqs as sqs_actions
from awacs.aws import Allow, ArnEquals, Condition, Principal, Statement
from troposphere import (
    Equals,
    GetAtt,
    If,
    Not,
    Output,
    Parameter,
    Ref,
    Sub,
    Template,
    events,
    iam,
    kms,
    sns,
)

from templates import (
    alarm_topic,
    alarms,
    chat,
    functions,
    hub,
    keys,
    names,
    parameters,
    spoke,
    state_store,
    watched_runs,
)
from templates.common import (
    DETAIL_TYPE,
    checkov_skips,
    name_instances_statement,
    new_template,
    notification_queue_target,
    only_rule_may_send,
    policy_document,
    queue_with_dead_letters,
    read_association_runs_statement,
    read_command_output_statement,
)
from templates.config import Config
from templates.functions import (
    FUNCTION_CHECKOV_SKIPS,
    EventSourceMapping,
    EventSourceScalingConfig,
)

__all__ = ["DETAIL_TYPE", "build", "notifier_key"]

# SQS keeps a message 4 days by default; the dead-letter queue keeps it longer so a replay
# never races expiry (a standard queue keeps the original enqueue time across a redrive).
QUEUE_RETENTION_SECONDS = 345_600
CREATES_PIPELINE_KEY = "CreatesPipelineKey"
HAS_OUTPUT_KEY = "HasOutputBucketKey"


def build(config: Config) -> Template:
    template = new_template(
        "SSM association notifier: rule, queue, notifier function, topic and alarms"
    )
    params = _parameters(template, config)

    # Your pipeline key when PipelineKmsKeyArn is given (the stack then creates none; README,
    # "Your own KMS keys", lists the statements its policy needs), else the stack's own.
    key = template.add_resource(notifier_key())
    key.Condition = CREATES_PIPELINE_KEY
    key_arn = If(CREATES_PIPELINE_KEY, GetAtt(key, "Arn"), Ref(params.pipeline_key))
    key_id = If(CREATES_PIPELINE_KEY, Ref(key), Ref(params.pipeline_key))  # SNS, SQS: id or ARN
    topic = template.add_resource(
        sns.Topic(
            "Topic",
            DisplayName="SSM association notifier",
            KmsMasterKeyId=key_id,
        )
    )
    template.add_resource(
        sns.SubscriptionResource(
            "EmailSubscription",
            TopicArn=Ref(topic),
            Protocol="email",
            Endpoint=Ref(params.email),
        )
    )
    # Chat channels and filtered email routes on the digest topic, all optional (issue 18).
    chat.add_chat_and_routes(template, Ref(topic))
    # The alarm path: its own key and topic, the same address subscribed (README, "Alarms").
    alarm_key = template.add_resource(alarm_topic.alarm_key())
    alarm_topic_ = template.add_resource(alarm_topic.alarm_topic(alarm_key))
    template.add_resource(alarm_topic.alarm_subscription(alarm_topic_, Ref(params.email)))
    key_state_rule = template.add_resource(alarm_topic.key_state_rule(key_arn, alarm_topic_))
    template.add_resource(alarm_topic.alarm_topic_policy(alarm_topic_, key_state_rule))

    queue, dead_letter_queue = queue_with_dead_letters(
        "Queue",
        "DeadLetterQueue",
        key_id,
        retention_seconds=QUEUE_RETENTION_SECONDS,
        dead_letter_retention_seconds=config.dead_letter_retention_seconds,
        # AWS's guidance for SQS event sources: at least six times the function timeout, plus
        # the batching window, so a slow batch is not redelivered while still running.
        visibility_timeout=6 * config.timeout_seconds + config.batching_window_seconds,
        max_receive_count=config.max_receive_count,
    )
    template.add_resource([dead_letter_queue, queue])

    rule = template.add_resource(
        events.Rule(
            "Rule",
            Description="State Manager association runs of the watched documents and statuses, "
            "and the Run Command and maintenance window runs watched",
            # Documents by name: AWS-owned document ARNs have an empty account field, so a match
            # on `resources` with the account id (as the seed did) misses them.
            EventPattern=watched_runs.event_pattern(Ref(params.documents), Ref(params.statuses)),
            State="ENABLED",
            Targets=[notification_queue_target(queue, dead_letter_queue, config)],
        )
    )
    # Scope=organization: the hub bus, and its rule to the same queue.
    hub.add_hub_intake(
        template,
        config,
        documents=Ref(params.documents),
        statuses=Ref(params.statuses),
        queue=queue,
        dead_letter_queue=dead_letter_queue,
    )
    # Only these rules may send, to the queue and (for deliveries they gave up on) the DLQ.
    template.add_resource(
        only_rule_may_send(
            "QueuePolicy",
            "RuleSendsEvents",
            [GetAtt(rule, "Arn"), hub.hub_rule_arn()],
            [queue, dead_letter_queue],
        )
    )

    table = template.add_resource(state_store.state_table(key_arn))
    report_bucket = template.add_resource(state_store.report_bucket(config))
    template.add_resource(state_store.report_bucket_policy(report_bucket))

    log_group = template.add_resource(
        functions.log_group(
            "FunctionLogGroup",
            Ref(params.log_retention),
            key_arn,
            functions.NOTIFIER_LOG_GROUP,
        )
    )
    role = template.add_resource(
        functions.role(
            "FunctionRole",
            "Notifier function: consume the queue, enrich failures, publish digests",
            "notifier",
            [
                *_notifier_statements(queue, topic, key_arn, log_group, params.output_bucket_arn),
                *state_store.notifier_statements(table, report_bucket, queue),
            ],
        )
    )
    # With your key on the output bucket, the notifier's read of a long output needs it too.
    template.add_resource(
        iam.PolicyType(
            "FunctionOutputKeyPolicy",
            Condition=HAS_OUTPUT_KEY,
            PolicyName="read-association-output-with-its-key",
            Roles=[Ref(role)],
            PolicyDocument=policy_document(
                [
                    Statement(
                        Sid="DecryptAssociationOutput",
                        Effect=Allow,
                        # "Using server-side encryption with AWS KMS keys (SSE-KMS)", S3 user
                        # guide: GetObject of an SSE-KMS object needs kms:Decrypt.
                        Action=[kms_actions.Decrypt],
                        Resource=[Ref(params.output_key)],
                    )
                ]
            ),
        )
    )
    function = template.add_resource(
        functions.function(
            "Function",
            config,
            entry=config.notifier_entry,
            timeout=config.timeout_seconds,
            role=role,
            logs_to=log_group,
            variables={
                "TOPIC_ARN": Ref(topic),
                "SCOPE": Ref(params.scope),
                "READER_ROLE_NAME_PREFIX": spoke.DEFAULT_READER_ROLE_NAME_PREFIX,
                "STATE_TABLE": Ref(table),
                "REPORT_BUCKET": Ref(report_bucket),
                "QUEUE_URL": Ref(queue),
                "EMAIL_SPLIT": config.email_split,
                "EMAILS_PER_INVOCATION": str(config.emails_per_invocation),
                "STATE_TTL_DAYS": str(config.state_ttl_days),
                **watched_runs.function_variables(*params.watched_runs),
                "DISPLAY_TIME_ZONE": Ref(params.display_time_zone),
            },
            Description="Turns a batch of association state changes into at most a few digests",
            Metadata=checkov_skips(
                **FUNCTION_CHECKOV_SKIPS,
                CKV_AWS_116="invoked synchronously by the SQS event source mapping, for which a "
                "function DLQ never applies; the queue's redrive policy is the dead-letter path",
            ),
        )
    )
    template.add_resource(
        hub.readers_policy("FunctionReadersPolicy", role, hub.describe_accounts_statement())
    )
    template.add_resource(
        EventSourceMapping(
            "QueueEventSource",
            EventSourceArn=GetAtt(queue, "Arn"),
            FunctionName=Ref(function),
            BatchSize=config.batch_size,
            MaximumBatchingWindowInSeconds=config.batching_window_seconds,
            ScalingConfig=EventSourceScalingConfig(MaximumConcurrency=config.maximum_concurrency),
            FunctionResponseTypes=["ReportBatchItemFailures"],
        )
    )

    template.add_resource(
        alarms.alarms(_alarms(queue, dead_letter_queue, function, rule), Ref(alarm_topic_))
    )

    template.add_output(
        [
            Output(names.TOPIC_ARN, Value=Ref(topic)),
            Output(names.QUEUE_URL, Value=Ref(queue)),
            Output(names.QUEUE_ARN, Value=GetAtt(queue, "Arn")),
            Output(names.DEAD_LETTER_QUEUE_URL, Value=Ref(dead_letter_queue)),
            Output(names.FUNCTION_NAME, Value=Ref(function)),
            Output(names.RULE_NAME, Value=Ref(rule)),
            Output(names.KEY_ARN, Value=key_arn),
            Output(names.FUNCTION_ROLE_ARN, Value=GetAtt(role, "Arn")),
            Output(names.ALARM_TOPIC_ARN, Value=Ref(alarm_topic_)),
            Output(names.STATE_TABLE_ARN, Value=GetAtt(table, "Arn")),
            Output(names.STATE_TABLE_NAME, Value=Ref(table)),
            Output(names.REPORT_BUCKET_NAME, Value=Ref(report_bucket)),
        ]
    )
    return template


class _Parameters(NamedTuple):
    email: Parameter
    documents: Parameter
    statuses: Parameter
    log_retention: Parameter
    output_bucket_arn: Parameter
    scope: Parameter
    parent_stack_name: Parameter
    pipeline_key: Parameter
    output_key: Parameter
    watched_runs: tuple[Parameter, Parameter]  # WatchRunCommand, WatchMaintenanceWindows
    display_time_zone: Parameter


def _parameters(template: Template, config: Config) -> _Parameters:
    email = template.add_parameter(parameters.notification_email())
    documents = template.add_parameter(parameters.watched_documents(config))
    statuses = template.add_parameter(parameters.watched_statuses(config))
    watched = watched_runs.declare(template)
    log_retention = template.add_parameter(parameters.log_retention_days(config))
    output_bucket_arn = template.add_parameter(
        Parameter(
            names.OUTPUT_BUCKET_ARN,
            Type="String",
            # An S3 bucket ARN in any partition (bucket naming rules: 3-63 characters).
            AllowedPattern=r"arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]",
            ConstraintDescription="the ARN of an S3 bucket",
            Description="Bucket the association output is written to: the notifier reads the "
            "end of a run's output there when the API returns only its first 24,000 characters",
        )
    )
    scope = hub.add_scope(template)
    parent_stack_name = template.add_parameter(parameters.parent_stack_name())
    pipeline_key = template.add_parameter(parameters.pipeline_kms_key_arn())
    template.add_condition(CREATES_PIPELINE_KEY, Equals(Ref(pipeline_key), ""))
    output_key = template.add_parameter(parameters.output_bucket_kms_key_arn())
    template.add_condition(HAS_OUTPUT_KEY, Not(Equals(Ref(output_key), "")))
    display_time_zone = template.add_parameter(parameters.display_time_zone())
    return _Parameters(
        email,
        documents,
        statuses,
        log_retention,
        output_bucket_arn,
        scope,
        parent_stack_name,
        pipeline_key,
        output_key,
        watched,
        display_time_zone,
    )


def notifier_key() -> kms.Key:
    """The customer-managed key of the topic, the queues and the log groups (the pipeline key).

    AWS-managed keys would not do: aws/sqs blocks EventBridge from sending, so this key's policy
    names EventBridge (and CloudWatch Logs, for the two log groups). The functions get their use
    of it through their IAM roles. The alarms do not use it: they publish to the alarm topic,
    under a key of its own (templates/alarm_topic.py).

    The EventBridge statement is the one AWS documents for rules to an encrypted queue, without
    source conditions: SQS makes that KMS call on EventBridge's behalf, and a condition key missing
    from that request would silently stop every event. Who may send is narrowed by the queue
    policy (only this rule) instead.
    """
    return keys.customer_managed_key(
        "Key",
        "Encrypts the SSM association notifier topic, queues and logs",
        [
            # SQS developer guide, "Amazon SQS Key management", section "Configure KMS
            # permissions for AWS services" (EventBridge to the queue and the dead-letter
            # queues).
            keys.service_uses_key("EventBridgeSendsToQueues", "events.amazonaws.com"),
            # CloudWatch Logs user guide, "Encrypt log data in CloudWatch Logs using AWS Key
            # Management Service": the regional service principal (URLSuffix: amazonaws.com.cn
            # in China), and only for this product's two log groups, named before they exist
            # so that naming them here makes no dependency cycle.
            Statement(
                Sid="CloudWatchLogsEncryptsLogGroups",
                Effect=Allow,
                Principal=Principal("Service", Sub("logs.${AWS::Region}.${AWS::URLSuffix}")),
                Action=[
                    kms_actions.Encrypt,
                    kms_actions.Decrypt,
                    kms_actions.ReEncryptFrom,
                    kms_actions.ReEncryptTo,
                    kms_actions.GenerateDataKey,
                    kms_actions.DescribeKey,
                ],
                Resource=["*"],  # in a key policy, "*" means this key
                Condition=Condition(
                    ArnEquals(
                        "kms:EncryptionContext:aws:logs:arn",
                        [
                            Sub(
                                "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}"
                                f":log-group:{functions.log_group_name(group)}"
                            )
                            for group in functions.PIPELINE_KEY_LOG_GROUPS
                        ],
                    )
                ),
            ),
        ],
    )


def _notifier_statements(queue, topic, key_arn, log_group, output_bucket_arn) -> list[Statement]:
    return [
        Statement(
            Sid="ConsumeQueue",
            Effect=Allow,
            Action=[
                sqs_actions.ReceiveMessage,
                sqs_actions.DeleteMessage,
                sqs_actions.GetQueueAttributes,
                sqs_actions.ChangeMessageVisibility,
            ],
            Resource=[GetAtt(queue, "Arn")],
        ),
        *functions.publish_statements("PublishDigests", Ref(topic), key_arn),
        functions.own_logs_statement(log_group),
        read_association_runs_statement("ReadAssociationExecutions", with_association=False),
        read_command_output_statement(),
        name_instances_statement(),
        Statement(
            Sid="ReadOutputEnds",
            Effect=Allow,
            Action=[s3_actions.GetObject],
            Resource=[Sub(f"${{{output_bucket_arn.title}}}/*")],
        ),
    ]


# The notifier takes a batch within seconds (a 30 s batching window; deferred records come back
# within 15 minutes): an event an hour old means nothing is consuming the queue, and events
# expire unseen after its 4-day retention.
QUEUE_AGE_ALARM_SECONDS = 3600


def _alarms(queue, dead_letter_queue, function, rule) -> list[alarms.Alarm]:
    """Every way a notification can be lost."""
    return [
        alarms.Alarm(
            "QueueAgeAlarm",
            "Association events have waited on the queue for over an hour: nothing is consuming "
            "it (event source mapping disabled, the function throttled or failing). They expire "
            "unseen after the queue's retention.",
            alarms.QUEUE_OLDEST_AGE,
            alarms.MAXIMUM,
            GetAtt(queue, "QueueName"),
            threshold=QUEUE_AGE_ALARM_SECONDS,
        ),
        alarms.Alarm(
            "DeadLetterQueueAlarm",
            "Association events reached the dead-letter queue: nothing was emailed for them. "
            "Read the function's logs, fix the cause, then replay (see README).",
            alarms.QUEUE_DEPTH,
            alarms.MAXIMUM,
            GetAtt(dead_letter_queue, "QueueName"),
        ),
        alarms.Alarm(
            "FunctionErrorsAlarm",
            "The notifier function failed; its batch is retried and may dead-letter.",
            alarms.FUNCTION_ERRORS,
            alarms.SUM,
            Ref(function),
        ),
        alarms.Alarm(
            "RuleDeliveryAlarm",
            "EventBridge could not deliver association events to the queue.",
            alarms.RULE_FAILED_DELIVERIES,
            alarms.SUM,
            Ref(rule),
        ),
        alarms.Alarm(
            "RuleDeadLetterAlarm",
            "EventBridge gave up on association events and could not put them in the "
            "dead-letter queue either: they are lost. Is the pipeline key disabled or pending "
            "deletion?",
            alarms.RULE_DEAD_LETTER_FAILURES,
            alarms.SUM,
            Ref(rule),
        ),
    ]

"""Sweep: the scheduled check for instances an association never ran on.

Stopped or offline instances are not run and send no event at all, so the notification pipeline
cannot see them. Once per schedule period this function compares, for every watched association,
the instances it targets with the targets of its latest executions, and emails one digest of the
instances that were skipped (nothing to report: no email).
"""

from __future__ import annotations

from awacs import ec2 as ec2_actions
from awacs import sqs as sqs_actions
from awacs import ssm as ssm_actions
from awacs.aws import Allow, Statement
from troposphere import (
    GetAtt,
    Join,
    Output,
    Parameter,
    Ref,
    Sub,
    Template,
    awslambda,
    events,
    sqs,
)

from templates import alarms, functions, names, parameters
from templates.common import (
    checkov_skips,
    new_template,
    only_rule_may_send,
    retrying_rule_target,
)
from templates.config import Config
from templates.functions import FUNCTION_CHECKOV_SKIPS


def build(config: Config) -> Template:
    template = new_template("SSM association notifier: scheduled sweep for missed instances")

    topic_arn = template.add_parameter(
        Parameter(names.TOPIC_ARN, Type="String", Description="Topic the digest goes to")
    )
    key_arn = template.add_parameter(
        Parameter(
            names.KEY_ARN,
            Type="String",
            Description="KMS key of the topic, the failure queue and the log group",
        )
    )
    alarm_topic_arn = template.add_parameter(
        Parameter(names.ALARM_TOPIC_ARN, Type="String", Description="Topic the alarms go to")
    )
    template.add_parameter(parameters.parent_stack_name())  # names the log group
    documents = template.add_parameter(parameters.watched_documents(config))
    schedule = template.add_parameter(parameters.sweep_schedule(config))
    log_retention = template.add_parameter(parameters.log_retention_days(config))

    # Where a sweep that could not run ends up: an invocation EventBridge gave up on, or one
    # that failed all of Lambda's asynchronous retries. Alarmed, like the pipeline's.
    failures = template.add_resource(
        sqs.Queue(
            "SweepFailureQueue",
            DeletionPolicy="Delete",
            UpdateReplacePolicy="Delete",
            KmsMasterKeyId=Ref(key_arn),
            MessageRetentionPeriod=config.dead_letter_retention_seconds,
        )
    )
    log_group = template.add_resource(
        functions.log_group(
            "SweepLogGroup",
            Ref(log_retention),
            Ref(key_arn),
            functions.SWEEP_LOG_GROUP,
        )
    )
    role = template.add_resource(
        functions.role(
            "SweepRole",
            "Sweep function: read association targets and runs, publish a digest",
            "sweep",
            _sweep_statements(topic_arn, key_arn, log_group, failures),
        )
    )
    function = template.add_resource(
        functions.function(
            "SweepFunction",
            config,
            entry=config.sweep_entry,
            timeout=config.sweep_timeout_seconds,
            role=role,
            logs_to=log_group,
            variables={
                "TOPIC_ARN": Ref(topic_arn),
                "WATCHED_DOCUMENTS": Join(",", Ref(documents)),
                "SWEEP_SCHEDULE": Ref(schedule),
            },
            Description="Emails the instances a watched association did not run on",
            Metadata=checkov_skips(**FUNCTION_CHECKOV_SKIPS),
            # After Lambda's two retries of a failed scheduled run, the event is kept here.
            DeadLetterConfig=awslambda.DeadLetterConfig(TargetArn=GetAtt(failures, "Arn")),
        )
    )
    rule = template.add_resource(
        events.Rule(
            "SweepRule",
            Description="Runs the missed-instance sweep",
            ScheduleExpression=Ref(schedule),
            State="ENABLED",
            Targets=[
                retrying_rule_target(
                    "SweepFunction", GetAtt(function, "Arn"), GetAtt(failures, "Arn"), config
                )
            ],
        )
    )
    template.add_resource(
        awslambda.Permission(
            "SweepSchedulePermission",
            FunctionName=Ref(function),
            Action="lambda:InvokeFunction",
            Principal="events.amazonaws.com",
            SourceArn=GetAtt(rule, "Arn"),
        )
    )
    template.add_resource(
        only_rule_may_send("SweepFailureQueuePolicy", "ScheduleDeadLetters", rule, [failures])
    )
    template.add_resource(alarms.alarms(_alarms(failures, function, rule), Ref(alarm_topic_arn)))

    template.add_output(Output(names.SWEEP_FUNCTION_NAME, Value=Ref(function)))
    return template


def _sweep_statements(topic_arn, key_arn, log_group, failures) -> list[Statement]:
    associations = Sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:association/*")
    return [
        Statement(
            Sid="ListAssociationsAndInstances",
            Effect=Allow,
            Action=[
                ssm_actions.ListAssociations,
                ssm_actions.DescribeInstanceInformation,
                ec2_actions.DescribeInstances,
            ],
            # These list/describe APIs support no resource-level permissions.
            Resource=["*"],
        ),
        Statement(
            Sid="ReadAssociationRuns",
            Effect=Allow,
            Action=[
                ssm_actions.DescribeAssociation,
                ssm_actions.DescribeAssociationExecutions,
                ssm_actions.DescribeAssociationExecutionTargets,
            ],
            Resource=[associations],
        ),
        *functions.publish_statements("PublishDigest", Ref(topic_arn), Ref(key_arn)),
        functions.own_logs_statement(log_group),
        Statement(
            Sid="RecordFailedRuns",
            Effect=Allow,
            Action=[sqs_actions.SendMessage],
            Resource=[GetAtt(failures, "Arn")],
        ),
    ]


def _alarms(failures, function, rule) -> list[alarms.Alarm]:
    """A sweep that could not run, or failed, or whose failure could not be recorded."""
    return [
        alarms.Alarm(
            "SweepFailureAlarm",
            "A missed-instance sweep could not run; instances that were never run may go "
            "unreported. Read the sweep function's logs.",
            alarms.QUEUE_DEPTH,
            alarms.MAXIMUM,
            GetAtt(failures, "QueueName"),
        ),
        alarms.Alarm(
            "SweepErrorsAlarm",
            "The missed-instance sweep failed; Lambda retries it twice.",
            alarms.FUNCTION_ERRORS,
            alarms.SUM,
            Ref(function),
        ),
        alarms.Alarm(
            "SweepRuleDeadLetterAlarm",
            "EventBridge gave up starting a sweep and could not record it in the failure queue "
            "either (is the pipeline key disabled?). Instances that were never run may go "
            "unreported.",
            alarms.RULE_DEAD_LETTER_FAILURES,
            alarms.SUM,
            Ref(rule),
        ),
    ]

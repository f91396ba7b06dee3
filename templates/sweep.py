"""Sweep: the scheduled check for instances an association never ran on.

Stopped or offline instances are not run and send no event at all, so the notification pipeline
cannot see them. On its schedule the function plans a run: one message per watched association
on the work queue. The same function consumes that queue (one message an invocation, each with
its own deadline), records each association's result in the state table, and the last one to
finish queues a "collect" that emails one digest of the instances that were skipped (nothing to
report: no email). The state table is the notifier's (StateTableArn/StateTableName) when given;
until then this stack makes one of the same layout. The sweep also reads the notifier's RUN items
there (which associations it heard of) and looks watched documents up, for the digest's findings
of misconfiguration.
"""

from __future__ import annotations

from awacs import dynamodb as dynamodb_actions
from awacs import sqs as sqs_actions
from awacs.aws import Allow, Condition, ForAllValuesStringLike, Statement
from troposphere import (
    Equals,
    GetAtt,
    If,
    Join,
    Not,
    Output,
    Parameter,
    Ref,
    Template,
    awslambda,
    dynamodb,
    events,
)

from templates import alarms, common, functions, hub, names, parameters, spoke, state_store
from templates.common import (
    checkov_skips,
    new_template,
    only_rule_may_send,
    retrying_rule_target,
)
from templates.config import Config
from templates.functions import FUNCTION_CHECKOV_SKIPS, EventSourceMapping, EventSourceScalingConfig

# The sweep's key prefixes in the shared state table (handler: sweep_runs, missed_memory).
STATE_KEY_PREFIXES = ["sweep-*"]
# The notifier's run counters, which the sweep only reads (handler: state, sweep_silence).
NOTIFIER_RUN_PREFIXES = ["RUN#*"]


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
    statuses = template.add_parameter(parameters.watched_statuses(config))
    schedule = template.add_parameter(parameters.sweep_schedule(config))
    log_retention = template.add_parameter(parameters.log_retention_days(config))
    scope = hub.add_scope(template)
    call_as = template.add_parameter(sweep_call_as_parameter())
    reminder_days = template.add_parameter(parameters.sweep_reminder_days(config))
    display_time_zone = template.add_parameter(parameters.display_time_zone())
    shared_table_arn = template.add_parameter(
        Parameter(
            names.STATE_TABLE_ARN,
            Type="String",
            Default="",
            Description="The notifier's state table (ARN); empty: this stack makes its own",
        )
    )
    shared_table_name = template.add_parameter(
        Parameter(
            names.STATE_TABLE_NAME,
            Type="String",
            Default="",
            Description="The notifier's state table (name), with StateTableArn",
        )
    )
    template.add_condition("OwnStateTable", Equals(Ref(shared_table_arn), ""))
    template.add_condition("SharedStateTable", Not(Equals(Ref(shared_table_arn), "")))
    own_table = template.add_resource(_state_table(key_arn))
    table_arn = If("SharedStateTable", Ref(shared_table_arn), GetAtt(own_table, "Arn"))
    table_name = If("SharedStateTable", Ref(shared_table_name), Ref(own_table))

    # The units of work: one message per association (and one "collect" per run), consumed by
    # the function itself; a message that fails three receives is kept, alarmed.
    work_queue, work_dead_letters = common.queue_with_dead_letters(
        "SweepWorkQueue",
        "SweepWorkDeadLetterQueue",
        Ref(key_arn),
        retention_seconds=config.sweep_work_retention_seconds,
        dead_letter_retention_seconds=config.dead_letter_retention_seconds,
        # AWS's guidance for SQS event sources: at least six times the function timeout.
        visibility_timeout=6 * config.sweep_timeout_seconds,
        max_receive_count=config.sweep_work_max_receive_count,
    )
    template.add_resource([work_dead_letters, work_queue])

    # Where a sweep that could not run ends up: an invocation EventBridge gave up on, or one
    # that failed all of Lambda's asynchronous retries. Alarmed, like the pipeline's.
    failures = template.add_resource(
        common.encrypted_queue(
            "SweepFailureQueue", Ref(key_arn), config.dead_letter_retention_seconds
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
            _sweep_statements(topic_arn, key_arn, log_group, failures, work_queue, table_arn),
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
                # A run whose statuses the rule does not watch sends no event: not "silent".
                "WATCHED_STATUSES": Join(",", Ref(statuses)),
                "SWEEP_SCHEDULE": Ref(schedule),
                "SCOPE": Ref(scope),
                "READER_ROLE_NAME_PREFIX": spoke.DEFAULT_READER_ROLE_NAME_PREFIX,
                # Scope=organization: the places swept are this StackSet's instances.
                "SPOKE_STACK_SET_NAME": If(hub.IS_ORGANIZATION, hub.spoke_stack_set_name(), ""),
                "STACK_SET_CALL_AS": Ref(call_as),
                "WORK_QUEUE_URL": Ref(work_queue),
                "STATE_TABLE_NAME": table_name,
                "REMINDER_DAYS": Ref(reminder_days),
                "DISPLAY_TIME_ZONE": Ref(display_time_zone),
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
    template.add_resource(
        EventSourceMapping(
            "SweepWorkEventSource",
            EventSourceArn=GetAtt(work_queue, "Arn"),
            FunctionName=Ref(function),
            # One association an invocation: each check has the whole timeout to itself.
            BatchSize=1,
            ScalingConfig=EventSourceScalingConfig(
                MaximumConcurrency=config.sweep_work_concurrency
            ),
            FunctionResponseTypes=["ReportBatchItemFailures"],
        )
    )
    template.add_resource(
        alarms.alarms(_alarms(failures, function, rule, work_dead_letters), Ref(alarm_topic_arn))
    )

    template.add_resource(
        hub.readers_policy(
            "SweepReadersPolicy",
            role,
            *hub.list_coverage_statements(),
            # The digest's account headings and coverage lines name the accounts.
            hub.describe_accounts_statement(),
        )
    )
    template.add_output(Output(names.SWEEP_FUNCTION_NAME, Value=Ref(function)))
    template.add_output(Output(names.SWEEP_ROLE_ARN, Value=GetAtt(role, "Arn")))
    return template


def sweep_call_as_parameter() -> Parameter:
    """The hub's CallAs, declared as the hub declares it: ListStackInstances is called as the
    StackSet was created (SELF, or DELEGATED_ADMIN)."""
    return hub.call_as_parameter(
        "Scope=organization: how the spokes' StackSet is listed (the hub's CallAs)"
    )


def _state_table(key_arn: Parameter) -> dynamodb.Table:
    """The notifier's state table layout, for a sweep stack deployed before the notifier has one
    (deleted with this stack: it only bridges until the notifier's table is passed in)."""
    return state_store.state_table(
        Ref(key_arn), "SweepStateTable", "Delete", Condition="OwnStateTable"
    )


def _sweep_statements(
    topic_arn, key_arn, log_group, failures, work_queue, table_arn
) -> list[Statement]:
    return [
        common.list_associations_and_instances_statement(),
        common.read_association_runs_statement(),
        common.describe_documents_statement(),
        *functions.publish_statements("PublishDigest", Ref(topic_arn), Ref(key_arn)),
        functions.own_logs_statement(log_group),
        Statement(
            Sid="RecordFailedRuns",
            Effect=Allow,
            Action=[sqs_actions.SendMessage],
            Resource=[GetAtt(failures, "Arn")],
        ),
        Statement(
            Sid="QueueAndConsumeWork",
            Effect=Allow,
            Action=[
                sqs_actions.SendMessage,
                sqs_actions.ReceiveMessage,
                sqs_actions.DeleteMessage,
                sqs_actions.GetQueueAttributes,
                sqs_actions.ChangeMessageVisibility,
            ],
            Resource=[GetAtt(work_queue, "Arn")],
        ),
        Statement(
            Sid="RecordRunsAndReminders",
            Effect=Allow,
            Action=[
                dynamodb_actions.GetItem,
                dynamodb_actions.PutItem,
                dynamodb_actions.UpdateItem,
                dynamodb_actions.Query,
                dynamodb_actions.BatchWriteItem,
            ],
            Resource=[table_arn],
            # Only the sweep's own items of a table it may share with the notifier.
            Condition=Condition(ForAllValuesStringLike("dynamodb:LeadingKeys", STATE_KEY_PREFIXES)),
        ),
        Statement(
            Sid="ReadNotifierRuns",
            Effect=Allow,
            # Whether the notifier heard of an association's runs: one Query per association.
            Action=[dynamodb_actions.Query],
            Resource=[table_arn],
            Condition=Condition(
                ForAllValuesStringLike("dynamodb:LeadingKeys", NOTIFIER_RUN_PREFIXES)
            ),
        ),
    ]


def _alarms(failures, function, rule, work_dead_letters) -> list[alarms.Alarm]:
    """A sweep that could not run, or failed, or whose failure could not be recorded, or a unit
    of work that failed every receive."""
    return [
        alarms.Alarm(
            "SweepWorkDeadLetterAlarm",
            "A unit of the missed-instance sweep (one association's check, or a run's digest) "
            "failed every try. The next sweep names the association as not checked; read the "
            "sweep function's logs.",
            alarms.QUEUE_DEPTH,
            alarms.MAXIMUM,
            GetAtt(work_dead_letters, "QueueName"),
        ),
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

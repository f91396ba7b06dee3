"""Association: the State Manager association that keeps the SSM Agent up to date.

The seed set this up by hand (the console's one-click "SSM Agent auto update") and added the S3
output afterwards. Here it is part of the deploy: AWS-UpdateSSMAgent on a schedule, targeting the
fleet by tag or every managed instance, writing its output to the logging bucket. By default it
runs only at its cron times (weekly), so a stack update does not re-run it across the fleet at
once; change calendars and a schedule offset keep it out of freezes (README "When the agent update
runs").
"""

from __future__ import annotations

from troposphere import (
    And,
    Equals,
    If,
    Join,
    Not,
    NoValue,
    Output,
    Parameter,
    Ref,
    Select,
    Split,
    Sub,
    Template,
    ssm,
)

from templates import names, parameters
from templates.common import new_template
from templates.config import Config

DOCUMENT = "AWS-UpdateSSMAgent"
TARGET_ALL = "AllManagedInstances"
TARGET_TAGGED = "Tagged"
TARGETS_ALL_CONDITION = "TargetsAllManagedInstances"
APPLY_ONLY_AT_CRON_CONDITION = "AppliesOnlyAtCronInterval"
HAS_SCHEDULE_OFFSET = "HasScheduleOffset"
HAS_CALENDARS = "HasCalendarNames"


def build(config: Config) -> Template:
    template = new_template("SSM association notifier: the SSM Agent auto-update association")

    bucket = template.add_parameter(
        Parameter(
            names.OUTPUT_BUCKET_NAME,
            Type="String",
            Description="Bucket the association writes its output to",
        )
    )
    key_prefix = template.add_parameter(
        Parameter(
            "OutputKeyPrefix",
            Type="String",
            Default=config.association_output_prefix,
            Description="Key prefix of the association output in the bucket",
            AllowedPattern=r"^[A-Za-z0-9!_.*'()/-]{1,500}$",
        )
    )
    schedule = template.add_parameter(parameters.association_schedule(config))
    max_concurrency = template.add_parameter(parameters.association_max_concurrency(config))
    max_errors = template.add_parameter(parameters.association_max_errors(config))
    target_mode = template.add_parameter(parameters.association_targets(TARGET_TAGGED, TARGET_ALL))
    tag_key = template.add_parameter(parameters.target_tag_key())
    tag_value = template.add_parameter(
        Parameter(
            names.TARGET_TAG_VALUE,
            Type="String",
            Description="Tag value of the instances the agent update targets",
            MaxLength=256,
            AllowedPattern=parameters.TAG_VALUE_PATTERN,
        )
    )
    template.add_condition(TARGETS_ALL_CONDITION, Equals(Ref(target_mode), TARGET_ALL))
    safety = _safety_inputs(template, config, schedule)

    association = template.add_resource(
        ssm.Association(
            "AgentUpdateAssociation",
            Name=DOCUMENT,
            ScheduleExpression=Ref(schedule),
            Targets=If(
                TARGETS_ALL_CONDITION,
                [ssm.Targets(Key="InstanceIds", Values=["*"])],
                [ssm.Targets(Key=_tag_target_key(tag_key), Values=[Ref(tag_value)])],
            ),
            OutputLocation=ssm.InstanceAssociationOutputLocation(
                S3Location=ssm.S3OutputLocation(
                    OutputS3BucketName=Ref(bucket),
                    OutputS3KeyPrefix=Ref(key_prefix),
                )
            ),
            MaxConcurrency=Ref(max_concurrency),
            MaxErrors=Ref(max_errors),
            ComplianceSeverity="HIGH",
            **safety,
        )
    )

    template.add_output(Output(names.ASSOCIATION_ID, Value=Ref(association)))
    return template


def _safety_inputs(template: Template, config: Config, schedule: Parameter) -> dict:
    """When the agent update may run: only at its cron times (not at once on every create and
    update), within change calendars, days after the cron day; and who records compliance."""
    apply_only = template.add_parameter(parameters.association_apply_only_at_cron_interval(config))
    offset = template.add_parameter(parameters.association_schedule_offset())
    calendars = template.add_parameter(parameters.association_calendar_names())
    sync = template.add_parameter(parameters.association_sync_compliance())
    # State Manager rejects ApplyOnlyAtCronInterval with a rate(): it applies to a cron only,
    # so a rate() schedule deploys and runs at once, as State Manager always runs a rate.
    is_cron = Equals(Select(0, Split("(", Ref(schedule))), "cron")
    template.add_condition(
        APPLY_ONLY_AT_CRON_CONDITION, And(Equals(Ref(apply_only), "true"), is_cron)
    )
    template.add_condition(HAS_SCHEDULE_OFFSET, Not(Equals(Ref(offset), "")))
    template.add_condition(HAS_CALENDARS, Not(Equals(Join("", Ref(calendars)), "")))
    return {
        "ApplyOnlyAtCronInterval": If(APPLY_ONLY_AT_CRON_CONDITION, True, False),
        # Passed as given with a rate(): State Manager then rejects it, naming the reason.
        "ScheduleOffset": If(HAS_SCHEDULE_OFFSET, Ref(offset), NoValue),
        "CalendarNames": If(HAS_CALENDARS, Ref(calendars), NoValue),
        "SyncCompliance": Ref(sync),
    }


def _tag_target_key(tag_key: Parameter) -> Sub:
    return Sub("tag:${Key}", Key=Ref(tag_key))

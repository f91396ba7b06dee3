"""Association: the State Manager association that keeps the SSM Agent up to date.

The seed set this up by hand (the console's one-click "SSM Agent auto update") and added the S3
output afterwards. Here it is part of the deploy: AWS-UpdateSSMAgent on a schedule, targeting the
fleet by tag or every managed instance, writing its output to the logging bucket.
"""

from __future__ import annotations

from troposphere import Equals, If, Output, Parameter, Ref, Sub, Template, ssm

from templates import names
from templates.common import new_template
from templates.config import Config

DOCUMENT = "AWS-UpdateSSMAgent"
TARGET_ALL = "AllManagedInstances"
TARGET_TAGGED = "Tagged"
TARGETS_ALL_CONDITION = "TargetsAllManagedInstances"

# rate(N unit) or cron(...) as State Manager accepts them (at least 30 minutes apart for rate).
SCHEDULE_PATTERN = (
    r"^(rate\((30|[3-9][0-9]|[1-9][0-9]{2,}) minutes\)"
    r"|rate\(([1-9][0-9]*) (hour|hours|day|days)\)"
    r"|cron\([^()]+\))$"
)
# A count ("10") or a percentage ("10%"), as MaxConcurrency and MaxErrors take them.
RATE_LIMIT_PATTERN = r"^([1-9][0-9]*|[1-9][0-9]?%|100%)$"
ERROR_LIMIT_PATTERN = r"^([0-9]+|[0-9][0-9]?%|100%)$"


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
    schedule = template.add_parameter(
        Parameter(
            names.ASSOCIATION_SCHEDULE,
            Type="String",
            Default=config.default_association_schedule,
            Description="How often the agent update runs: rate(...) or cron(...)",
            AllowedPattern=SCHEDULE_PATTERN,
            ConstraintDescription="rate(N days|hours|minutes >= 30) or cron(...)",
        )
    )
    max_concurrency = template.add_parameter(
        Parameter(
            names.ASSOCIATION_MAX_CONCURRENCY,
            Type="String",
            Default=config.default_max_concurrency,
            Description="How many targets run at once: a number or a percentage",
            AllowedPattern=RATE_LIMIT_PATTERN,
        )
    )
    max_errors = template.add_parameter(
        Parameter(
            names.ASSOCIATION_MAX_ERRORS,
            Type="String",
            Default=config.default_max_errors,
            Description="Errors after which the run stops: a number or a percentage",
            AllowedPattern=ERROR_LIMIT_PATTERN,
        )
    )
    target_mode = template.add_parameter(
        Parameter(
            names.ASSOCIATION_TARGETS,
            Type="String",
            Default=TARGET_TAGGED,
            AllowedValues=[TARGET_TAGGED, TARGET_ALL],
            Description="Run on the instances with the target tag, or on every managed instance",
        )
    )
    tag_key = template.add_parameter(
        Parameter(
            names.TARGET_TAG_KEY,
            Type="String",
            Default=names.FLEET_TAG_KEY,
            Description="Tag key of the targeted instances (Tagged mode)",
            MinLength=1,
            MaxLength=128,
        )
    )
    tag_value = template.add_parameter(
        Parameter(
            names.TARGET_TAG_VALUE,
            Type="String",
            Description="Tag value of the targeted instances (Tagged mode)",
            MinLength=1,
            MaxLength=256,
        )
    )
    template.add_condition(TARGETS_ALL_CONDITION, Equals(Ref(target_mode), TARGET_ALL))

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
            # Run once as soon as it is created, then on the schedule, like the one-click setup.
            ApplyOnlyAtCronInterval=False,
        )
    )

    template.add_output(Output(names.ASSOCIATION_ID, Value=Ref(association)))
    return template


def _tag_target_key(tag_key: Parameter) -> Sub:
    return Sub("tag:${Key}", Key=Ref(tag_key))

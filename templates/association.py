"""Association: the State Manager association that keeps the SSM Agent up to date.

The seed set this up by hand (the console's one-click "SSM Agent auto update") and added the S3
output afterwards. Here it is part of the deploy: AWS-UpdateSSMAgent on a schedule, targeting the
fleet by tag or every managed instance, writing its output to the logging bucket.
"""

from __future__ import annotations

from troposphere import Equals, If, Output, Parameter, Ref, Sub, Template, ssm

from templates import names, parameters
from templates.common import new_template
from templates.config import Config

DOCUMENT = "AWS-UpdateSSMAgent"
TARGET_ALL = "AllManagedInstances"
TARGET_TAGGED = "Tagged"
TARGETS_ALL_CONDITION = "TargetsAllManagedInstances"


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

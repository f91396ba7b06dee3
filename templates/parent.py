"""Parent stack: the nested stacks, the deploy-time parameters, and the wiring between them.

Values pass between children only as `GetAtt(child, "Outputs.X")` here, spelled with the
constants of `templates.names`; there is no Export/ImportValue in the family.
`build_all(config)` returns every template of the system keyed by its file name in build/.
"""

from __future__ import annotations

from troposphere import (
    Equals,
    GetAtt,
    If,
    Join,
    Output,
    Parameter,
    Ref,
    StackName,
    Template,
    cloudformation,
)

from templates import association, logging_bucket, names, network, notifications, sweep
from templates.common import new_template
from templates.config import LOG_RETENTION_CHOICES, Config

# Nested stack resource title -> (module, file name in build/).
CHILDREN = {
    "Network": (network, "network.yaml"),
    "Logging": (logging_bucket, "logging.yaml"),
    "Notifications": (notifications, "notifications.yaml"),
    "Association": (association, "association.yaml"),
    "Sweep": (sweep, "sweep.yaml"),
}

FLEET_DEMO = "demo"
FLEET_EXISTING = "existing"
IS_DEMO = "IsDemoFleet"
CREATE_ASSOCIATION = "CreateAssociation"
TAG_VALUE_DEFAULTED = "TargetTagValueDefaulted"
PARENT_FILE = "parent.yaml"


def child_output(stack: cloudformation.Stack, name: str) -> GetAtt:
    return GetAtt(stack, f"Outputs.{name}")


def nested_stack(title: str, **properties) -> cloudformation.Stack:
    """A child of CHILDREN, from its file in build/ (`package` uploads it). Deleting or replacing
    it deletes its resources, except the buckets, which retain themselves."""
    return cloudformation.Stack(
        title,
        TemplateURL=CHILDREN[title][1],
        DeletionPolicy="Delete",
        UpdateReplacePolicy="Delete",
        **properties,
    )


def build(config: Config) -> Template:
    template = new_template(
        "SSM association notifier: emails how every State Manager association run went"
    )
    email = template.add_parameter(
        Parameter(
            names.NOTIFICATION_EMAIL,
            Type="String",
            Description="Email address that receives the digests (confirm the subscription)",
            AllowedPattern=notifications.EMAIL_PATTERN,
            ConstraintDescription="a single email address such as ops@example.com",
        )
    )
    instance_type = template.add_parameter(
        Parameter(
            "InstanceType",
            Type="String",
            Default=config.default_instance_type,
            Description="EC2 instance type of the demo instances",
            AllowedPattern=r"^[a-z][a-z0-9-]*\.[a-z0-9]+$",
            ConstraintDescription="an EC2 instance type such as t3.micro",
        )
    )
    vpc_cidr = template.add_parameter(
        Parameter(
            "VpcCidr",
            Type="String",
            Default=config.default_vpc_cidr,
            Description="CIDR block of the demo VPC (/16 to /26)",
            AllowedPattern=r"^(\d{1,3}\.){3}\d{1,3}/(1[6-9]|2[0-6])$",
            ConstraintDescription="an IPv4 CIDR block from /16 to /26, e.g. 10.0.0.0/24",
        )
    )
    image_parameter = template.add_parameter(
        Parameter(
            "ImageParameterName",
            Type="String",
            Default=config.default_ami_parameter,
            Description="Public SSM parameter that names the demo instances' AMI "
            "(default: latest Amazon Linux 2023)",
            AllowedPattern=r"^/[A-Za-z0-9_./-]+$",
            ConstraintDescription="an SSM parameter name starting with /",
        )
    )
    output_retention = template.add_parameter(
        Parameter(
            "OutputRetentionDays",
            Type="Number",
            Default=config.default_output_retention_days,
            MinValue=1,
            MaxValue=3650,
            Description="Days association output is kept in the bucket",
        )
    )
    log_retention = template.add_parameter(
        Parameter(
            names.LOG_RETENTION_DAYS,
            Type="Number",
            Default=config.default_log_retention_days,
            AllowedValues=list(LOG_RETENTION_CHOICES),
            Description="Days the functions' logs are kept",
        )
    )
    documents = template.add_parameter(
        Parameter(
            names.WATCHED_DOCUMENTS,
            Type="CommaDelimitedList",
            Default=",".join(config.watched_documents),
            Description="SSM documents whose association runs are reported",
        )
    )
    statuses = template.add_parameter(
        Parameter(
            names.WATCHED_STATUSES,
            Type="CommaDelimitedList",
            Default=",".join(config.watched_statuses),
            Description="Association run statuses that are reported "
            "(any of Success, Failed, TimedOut, Skipped)",
        )
    )

    fleet_mode = template.add_parameter(
        Parameter(
            "FleetMode",
            Type="String",
            Default=FLEET_DEMO,
            AllowedValues=[FLEET_DEMO, FLEET_EXISTING],
            Description="demo: deploy a VPC with two instances to watch; existing: watch the "
            "instances you already have (no network stack)",
        )
    )
    existing_roles = template.add_parameter(
        Parameter(
            "ExistingInstanceRoleNames",
            Type="CommaDelimitedList",
            Default="",
            Description="existing mode: instance roles that get the policy to write association "
            "output to the bucket (empty: none)",
        )
    )
    create_association = template.add_parameter(
        Parameter(
            "CreateAgentUpdateAssociation",
            Type="String",
            Default="true",
            AllowedValues=["true", "false"],
            Description="Create the AWS-UpdateSSMAgent association (false if you already have "
            "one, e.g. from the console's one-click auto-update)",
        )
    )
    association_params = _association_parameters(template, config)

    template.add_condition(IS_DEMO, Equals(Ref(fleet_mode), FLEET_DEMO))
    template.add_condition(CREATE_ASSOCIATION, Equals(Ref(create_association), "true"))
    template.add_condition(
        TAG_VALUE_DEFAULTED, Equals(Ref(association_params[names.TARGET_TAG_VALUE]), "")
    )

    network_stack = template.add_resource(
        nested_stack(
            "Network",
            Condition=IS_DEMO,
            Parameters={
                "InstanceType": Ref(instance_type),
                "VpcCidr": Ref(vpc_cidr),
                "ImageId": Ref(image_parameter),
                names.FLEET_TAG_VALUE: StackName,
            },
        )
    )
    logging_stack = template.add_resource(
        nested_stack(
            "Logging",
            Parameters={
                "OutputRetentionDays": Ref(output_retention),
                names.INSTANCE_ROLE_NAMES: If(
                    IS_DEMO,
                    child_output(network_stack, names.INSTANCE_ROLE_NAME),
                    Join(",", Ref(existing_roles)),
                ),
            },
        )
    )
    notifications_stack = template.add_resource(
        nested_stack(
            "Notifications",
            Parameters={
                names.NOTIFICATION_EMAIL: Ref(email),
                # Nested-stack parameters are strings: lists travel joined.
                names.WATCHED_DOCUMENTS: Join(",", Ref(documents)),
                names.WATCHED_STATUSES: Join(",", Ref(statuses)),
                names.LOG_RETENTION_DAYS: Ref(log_retention),
            },
        )
    )

    sweep_schedule = template.add_parameter(
        Parameter(
            names.SWEEP_SCHEDULE,
            Type="String",
            Default=config.default_sweep_schedule,
            Description="How often to look for instances a watched association did not run on",
            AllowedPattern=sweep.SCHEDULE_PATTERN,
            ConstraintDescription="rate(N minutes|hours|days) or cron(...)",
        )
    )
    template.add_resource(
        nested_stack(
            "Sweep",
            Parameters={
                names.TOPIC_ARN: child_output(notifications_stack, names.TOPIC_ARN),
                names.KEY_ARN: child_output(notifications_stack, names.KEY_ARN),
                names.WATCHED_DOCUMENTS: Join(",", Ref(documents)),
                names.SWEEP_SCHEDULE: Ref(sweep_schedule),
                names.LOG_RETENTION_DAYS: Ref(log_retention),
            },
        )
    )
    template.add_resource(
        nested_stack(
            "Association",
            Condition=CREATE_ASSOCIATION,
            # Created after the pipeline, so the events of its first run are caught;
            # no reference orders the two stacks.
            DependsOn=[notifications_stack.title],
            Parameters={
                names.OUTPUT_BUCKET_NAME: child_output(logging_stack, names.OUTPUT_BUCKET_NAME),
                names.ASSOCIATION_SCHEDULE: Ref(association_params[names.ASSOCIATION_SCHEDULE]),
                names.ASSOCIATION_MAX_CONCURRENCY: Ref(
                    association_params[names.ASSOCIATION_MAX_CONCURRENCY]
                ),
                names.ASSOCIATION_MAX_ERRORS: Ref(association_params[names.ASSOCIATION_MAX_ERRORS]),
                names.ASSOCIATION_TARGETS: Ref(association_params[names.ASSOCIATION_TARGETS]),
                names.TARGET_TAG_KEY: Ref(association_params[names.TARGET_TAG_KEY]),
                # Empty means the tag the demo instances carry: the parent stack's name.
                names.TARGET_TAG_VALUE: If(
                    TAG_VALUE_DEFAULTED,
                    StackName,
                    Ref(association_params[names.TARGET_TAG_VALUE]),
                ),
            },
        )
    )

    template.add_output(
        [
            Output(
                names.TOPIC_ARN,
                Value=child_output(notifications_stack, names.TOPIC_ARN),
                Description="Topic the digests and alarms are published to",
            ),
            Output(
                names.QUEUE_URL,
                Value=child_output(notifications_stack, names.QUEUE_URL),
                Description="Queue of association events waiting for the notifier",
            ),
            Output(
                names.DEAD_LETTER_QUEUE_URL,
                Value=child_output(notifications_stack, names.DEAD_LETTER_QUEUE_URL),
                Description="Events that could not be notified; replay them from here",
            ),
            Output(
                names.FUNCTION_NAME,
                Value=child_output(notifications_stack, names.FUNCTION_NAME),
                Description="Notifier function",
            ),
            Output(
                names.OUTPUT_BUCKET_NAME,
                Value=child_output(logging_stack, names.OUTPUT_BUCKET_NAME),
                Description="Bucket that holds association output",
            ),
            Output(
                names.INSTANCE_IDS,
                Condition=IS_DEMO,
                Value=child_output(network_stack, names.INSTANCE_IDS),
                Description="Demo instances",
            ),
        ]
    )
    return template


def _association_parameters(template: Template, config: Config) -> dict[str, Parameter]:
    """The association's deploy-time inputs, declared as the child declares them."""
    child = association.build(config).parameters
    passed_through = [
        names.ASSOCIATION_SCHEDULE,
        names.ASSOCIATION_MAX_CONCURRENCY,
        names.ASSOCIATION_MAX_ERRORS,
        names.ASSOCIATION_TARGETS,
        names.TARGET_TAG_KEY,
    ]
    declared = {
        name: template.add_parameter(Parameter(name, **child[name].properties))
        for name in passed_through
    }
    declared[names.TARGET_TAG_VALUE] = template.add_parameter(
        Parameter(
            names.TARGET_TAG_VALUE,
            Type="String",
            Default="",
            MaxLength=256,
            Description="Tag value of the targeted instances (empty: this stack's name, which "
            "the demo instances carry)",
        )
    )
    return declared


def build_all(config: Config) -> dict[str, Template]:
    """Every template of the system, keyed by its file name in build/, parent first."""
    config.validate()
    templates = {PARENT_FILE: build(config)}
    for module, file_name in CHILDREN.values():
        templates[file_name] = module.build(config)
    return templates

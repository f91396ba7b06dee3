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

from templates import association, logging_bucket, names, network, notifications, parameters, sweep
from templates.common import new_template
from templates.config import Config

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
    email = template.add_parameter(parameters.notification_email())
    instance_type = template.add_parameter(parameters.instance_type(config))
    vpc_cidr = template.add_parameter(parameters.vpc_cidr(config))
    image_parameter = template.add_parameter(parameters.image_parameter_name(config))
    output_retention = template.add_parameter(parameters.output_retention_days(config))
    log_retention = template.add_parameter(parameters.log_retention_days(config))
    documents = template.add_parameter(parameters.watched_documents(config))
    statuses = template.add_parameter(parameters.watched_statuses(config))

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
            AllowedPattern=r"^[\w+=,.@-]{0,64}$",
            ConstraintDescription="IAM role names (not ARNs), comma-separated",
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

    sweep_schedule = template.add_parameter(parameters.sweep_schedule(config))
    sweep_stack = template.add_resource(
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
    association_stack = template.add_resource(
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
            Output(
                names.ASSOCIATION_ID,
                Condition=CREATE_ASSOCIATION,
                Value=child_output(association_stack, names.ASSOCIATION_ID),
                Description="The agent-update association (for start-associations-once)",
            ),
            Output(
                names.SWEEP_FUNCTION_NAME,
                Value=child_output(sweep_stack, names.SWEEP_FUNCTION_NAME),
                Description="Missed-instance sweep function (invoke it to sweep now)",
            ),
        ]
    )
    return template


def _association_parameters(template: Template, config: Config) -> dict[str, Parameter]:
    """The association's deploy-time inputs, keyed by name."""
    declared = [
        parameters.association_schedule(config),
        parameters.association_max_concurrency(config),
        parameters.association_max_errors(config),
        parameters.association_targets(association.TARGET_TAGGED, association.TARGET_ALL),
        parameters.target_tag_key(),
        Parameter(
            names.TARGET_TAG_VALUE,
            Type="String",
            Default="",
            MaxLength=256,
            AllowedPattern=parameters.TAG_VALUE_PATTERN,
            Description="Tag value of the instances the agent update targets (empty: this "
            "stack's name, which the demo instances carry)",
        ),
    ]
    return {parameter.title: template.add_parameter(parameter) for parameter in declared}


def build_all(config: Config) -> dict[str, Template]:
    """Every template of the system, keyed by its file name in build/, parent first."""
    config.validate()
    templates = {PARENT_FILE: build(config)}
    for module, file_name in CHILDREN.values():
        templates[file_name] = module.build(config)
    return templates

"""Parent stack: the nested stacks, the deploy-time parameters, and the wiring between them.

Values pass between children only as `GetAtt(child, "Outputs.X")` here, spelled with the
constants of `templates.names`; there is no Export/ImportValue in the family.
`build_all(config)` returns every template of the system keyed by its file name in build/.
"""

from __future__ import annotations

from typing import NamedTuple

from troposphere import (
    And,
    AWSHelperFn,
    Equals,
    GetAtt,
    If,
    Join,
    Not,
    Output,
    Parameter,
    Ref,
    StackName,
    Template,
    cloudformation,
)

from templates import (
    association,
    chat,
    hub,
    logging_bucket,
    names,
    network,
    notifications,
    parameters,
    spoke,
    sweep,
)
from templates.common import new_template
from templates.config import Config

# Nested stack resource title -> (module, file name in build/).
CHILDREN = {
    "Network": (network, "network.yaml"),
    "Logging": (logging_bucket, "logging.yaml"),
    "Notifications": (notifications, "notifications.yaml"),
    "Association": (association, "association.yaml"),
    "Sweep": (sweep, "sweep.yaml"),
    "Hub": (hub, hub.HUB_FILE),
}

FLEET_DEMO = "demo"
FLEET_EXISTING = "existing"
IS_DEMO = "IsDemoFleet"
CREATE_ASSOCIATION = "CreateAssociation"
TAG_VALUE_DEFAULTED = "TargetTagValueDefaulted"
PARENT_FILE = "parent.yaml"


def child_output(stack: cloudformation.Stack, name: str) -> GetAtt:
    return GetAtt(stack, f"Outputs.{name}")


def add_child(
    template: Template, title: str, passed_on: dict[str, str], **properties
) -> cloudformation.Stack:
    """Child `title` of CHILDREN, from its file in build/ (`package` uploads it), and its outputs
    `passed_on` (name -> description) as the parent's, under the child's condition. Deleting or
    replacing it deletes its resources, except the buckets, which retain themselves."""
    stack = template.add_resource(
        cloudformation.Stack(
            title,
            TemplateURL=CHILDREN[title][1],
            DeletionPolicy="Delete",
            UpdateReplacePolicy="Delete",
            **properties,
        )
    )
    condition = {"Condition": properties["Condition"]} if "Condition" in properties else {}
    for name, description in passed_on.items():
        template.add_output(
            Output(name, Value=child_output(stack, name), Description=description, **condition)
        )
    return stack


def build(config: Config) -> Template:
    """The parent, in the order the data flows: the demo network, the output bucket, the
    notification pipeline, the sweep, then the association whose runs they report."""
    template = new_template(
        "SSM association notifier: emails how every State Manager association run went"
    )
    inputs = declare_parameters(template, config)
    declare_rules(template, inputs)
    declare_conditions(template, inputs)
    chat.add_rules(template, inputs.chat)
    network = add_network(template, inputs)
    logging = add_logging(template, inputs, network)
    notifications = add_notifications(template, inputs, logging)
    sweep = add_sweep(template, inputs, notifications)
    add_association(template, inputs, logging, notifications)
    add_hub(template, config, notifications, sweep)
    return template


class Inputs(NamedTuple):
    """The parent's deploy-time parameters."""

    email: Parameter
    instance_type: Parameter
    zones: Parameter
    vpc_cidr: Parameter
    image_parameter: Parameter
    output_retention: Parameter
    log_retention: Parameter
    documents: Parameter
    statuses: Parameter
    watched_runs: dict[str, Parameter]  # keyed by name: passed to the notifications stack as is
    fleet_mode: Parameter
    existing_roles: Parameter
    create_association: Parameter
    association: dict[str, Parameter]  # keyed by name: passed to the association stack as is
    sweep_schedule: Parameter
    roles: dict[str, Parameter]  # keyed by name: passed to every stack that creates a role
    function_vpc: dict[str, Parameter]  # keyed by name: passed to every stack with a function
    output_key: Parameter
    pipeline_key: Parameter
    sweep_reminder_days: Parameter

    def role_inputs(self) -> dict[str, Ref]:
        """The permissions boundary and role path, for a child that creates IAM roles."""
        return {name: Ref(parameter) for name, parameter in self.roles.items()}

    def function_inputs(self) -> dict[str, Join]:
        """The functions' subnets and security groups (joined: nested-stack parameters are
        strings), for a child with functions."""
        return {name: Join(",", Ref(parameter)) for name, parameter in self.function_vpc.items()}

    chat: chat.ChatInputs  # passed to the notifications stack as they are (issue 18)
    display_time_zone: Parameter  # passed to the notifications and sweep stacks as it is


def declare_parameters(template: Template, config: Config) -> Inputs:
    """Every deploy-time parameter, in the order the README's table lists them."""
    add = template.add_parameter
    return Inputs(
        email=add(parameters.notification_email()),
        instance_type=add(parameters.instance_type(config)),
        zones=add(parameters.demo_availability_zones()),
        vpc_cidr=add(parameters.vpc_cidr(config)),
        image_parameter=add(parameters.image_parameter_name(config)),
        output_retention=add(parameters.output_retention_days(config)),
        log_retention=add(parameters.log_retention_days(config)),
        documents=add(parameters.watched_documents(config)),
        statuses=add(parameters.watched_statuses(config)),
        watched_runs={
            parameter.title: add(parameter)
            for parameter in (
                parameters.watch_run_command(),
                parameters.watch_maintenance_windows(),
            )
        },
        fleet_mode=add(
            Parameter(
                "FleetMode",
                Type="String",
                Default=FLEET_DEMO,
                AllowedValues=[FLEET_DEMO, FLEET_EXISTING],
                Description="demo: deploy a VPC with two instances to watch; existing: watch the "
                "instances you already have (no network stack)",
            )
        ),
        existing_roles=add(
            Parameter(
                "ExistingInstanceRoleNames",
                Type="CommaDelimitedList",
                Default="",
                AllowedPattern=r"^[\w+=,.@-]{0,64}$",
                ConstraintDescription="IAM role names (not ARNs), comma-separated",
                Description="existing mode: instance roles that get the policy to write "
                "association output to the bucket (empty: none)",
            )
        ),
        create_association=add(
            Parameter(
                "CreateAgentUpdateAssociation",
                Type="String",
                Default="true",
                AllowedValues=["true", "false"],
                Description="Create the AWS-UpdateSSMAgent association (false if you already "
                "have one, e.g. from the console's one-click auto-update)",
            )
        ),
        association=_association_parameters(template, config),
        sweep_schedule=add(parameters.sweep_schedule(config)),
        sweep_reminder_days=add(parameters.sweep_reminder_days(config)),
        roles={
            parameter.title: add(parameter)
            for parameter in (parameters.permissions_boundary_arn(), parameters.role_path())
        },
        output_key=add(parameters.output_bucket_kms_key_arn()),
        pipeline_key=add(parameters.pipeline_kms_key_arn()),
        function_vpc={
            parameter.title: add(parameter)
            for parameter in (
                parameters.function_subnet_ids(),
                parameters.function_security_group_ids(),
            )
        },
        chat=chat.declare_parameters(template),
        display_time_zone=add(parameters.display_time_zone()),
    )


class Contains(AWSHelperFn):
    """Fn::Contains, a Rules function troposphere lacks: whether `value` is in `values`."""

    def __init__(self, values: object, value: object) -> None:
        self.data = {"Fn::Contains": [values, value]}


def declare_rules(template: Template, inputs: Inputs) -> None:
    """Checks CloudFormation makes before it creates anything: subnets and security groups for
    the functions come together or not at all (a function in a VPC needs both)."""
    subnets_empty = Contains(Ref(inputs.function_vpc[names.FUNCTION_SUBNET_IDS]), "")
    groups_empty = Contains(Ref(inputs.function_vpc[names.FUNCTION_SECURITY_GROUP_IDS]), "")
    template.add_rule(
        "FunctionVpcIsComplete",
        {
            "RuleCondition": Not(And(subnets_empty, groups_empty)),
            "Assertions": [
                {
                    "Assert": Not(subnets_empty),
                    "AssertDescription": "FunctionSecurityGroupIds needs FunctionSubnetIds too",
                },
                {
                    "Assert": Not(groups_empty),
                    "AssertDescription": "FunctionSubnetIds needs FunctionSecurityGroupIds too",
                },
            ],
        },
    )


def declare_conditions(template: Template, inputs: Inputs) -> None:
    template.add_condition(IS_DEMO, Equals(Ref(inputs.fleet_mode), FLEET_DEMO))
    template.add_condition(CREATE_ASSOCIATION, Equals(Ref(inputs.create_association), "true"))
    template.add_condition(
        TAG_VALUE_DEFAULTED, Equals(Ref(inputs.association[names.TARGET_TAG_VALUE]), "")
    )


def add_network(template: Template, inputs: Inputs) -> cloudformation.Stack:
    """Demo mode only: a VPC and two instances tagged with the parent's stack name."""
    return add_child(
        template,
        "Network",
        {names.INSTANCE_IDS: "Demo instances"},
        Condition=IS_DEMO,
        Parameters={
            "InstanceType": Ref(inputs.instance_type),
            # Nested-stack parameters are strings: the list travels joined.
            names.DEMO_AVAILABILITY_ZONES: Join(",", Ref(inputs.zones)),
            "VpcCidr": Ref(inputs.vpc_cidr),
            "ImageId": Ref(inputs.image_parameter),
            names.FLEET_TAG_VALUE: StackName,
            **inputs.role_inputs(),
        },
    )


def add_logging(
    template: Template, inputs: Inputs, network: cloudformation.Stack
) -> cloudformation.Stack:
    """The output bucket, writable by the demo instances' role or the existing roles."""
    return add_child(
        template,
        "Logging",
        {names.OUTPUT_BUCKET_NAME: "Bucket that holds association output"},
        Parameters={
            "OutputRetentionDays": Ref(inputs.output_retention),
            names.OUTPUT_BUCKET_KMS_KEY_ARN: Ref(inputs.output_key),
            names.INSTANCE_ROLE_NAMES: If(
                IS_DEMO,
                child_output(network, names.INSTANCE_ROLE_NAME),
                Join(",", Ref(inputs.existing_roles)),
            ),
        },
    )


def add_notifications(
    template: Template, inputs: Inputs, logging: cloudformation.Stack
) -> cloudformation.Stack:
    """Rule -> queue -> notifier -> topic -> email, and the alarms; the notifier reads the end of
    a long run output from the output bucket."""
    return add_child(
        template,
        "Notifications",
        {
            names.TOPIC_ARN: "Topic the digests are published to",
            names.ALARM_TOPIC_ARN: "Topic the alarms are published to (a key of its own)",
            names.QUEUE_URL: "Queue of association events waiting for the notifier",
            names.DEAD_LETTER_QUEUE_URL: "Events that could not be notified; replay them from here",
            names.FUNCTION_NAME: "Notifier function",
        },
        Parameters={
            names.NOTIFICATION_EMAIL: Ref(inputs.email),
            # Nested-stack parameters are strings: lists travel joined.
            names.WATCHED_DOCUMENTS: Join(",", Ref(inputs.documents)),
            names.WATCHED_STATUSES: Join(",", Ref(inputs.statuses)),
            **{name: Ref(parameter) for name, parameter in inputs.watched_runs.items()},
            names.LOG_RETENTION_DAYS: Ref(inputs.log_retention),
            names.OUTPUT_BUCKET_ARN: child_output(logging, names.OUTPUT_BUCKET_ARN),
            names.OUTPUT_BUCKET_KMS_KEY_ARN: Ref(inputs.output_key),
            names.PIPELINE_KMS_KEY_ARN: Ref(inputs.pipeline_key),
            names.SCOPE: Ref(names.SCOPE),  # add_hub declares it
            names.PARENT_STACK_NAME: StackName,
            **inputs.role_inputs(),
            **inputs.function_inputs(),
            **chat.pass_through(inputs.chat),
            names.DISPLAY_TIME_ZONE: Ref(inputs.display_time_zone),
        },
    )


def add_sweep(
    template: Template, inputs: Inputs, notifications: cloudformation.Stack
) -> cloudformation.Stack:
    """The scheduled missed-instance check, publishing to the notifications stack's topic."""
    return add_child(
        template,
        "Sweep",
        {names.SWEEP_FUNCTION_NAME: "Missed-instance sweep function (invoke it to sweep now)"},
        Parameters={
            names.TOPIC_ARN: child_output(notifications, names.TOPIC_ARN),
            names.KEY_ARN: child_output(notifications, names.KEY_ARN),
            names.ALARM_TOPIC_ARN: child_output(notifications, names.ALARM_TOPIC_ARN),
            # One state table: the notifier's, under the sweep's own key prefix.
            names.STATE_TABLE_ARN: child_output(notifications, names.STATE_TABLE_ARN),
            names.STATE_TABLE_NAME: child_output(notifications, names.STATE_TABLE_NAME),
            names.PARENT_STACK_NAME: StackName,
            names.WATCHED_DOCUMENTS: Join(",", Ref(inputs.documents)),
            names.WATCHED_STATUSES: Join(",", Ref(inputs.statuses)),
            names.SWEEP_SCHEDULE: Ref(inputs.sweep_schedule),
            names.SWEEP_REMINDER_DAYS: Ref(inputs.sweep_reminder_days),
            names.LOG_RETENTION_DAYS: Ref(inputs.log_retention),
            names.SCOPE: Ref(names.SCOPE),  # add_hub declares it
            hub.CALL_AS: Ref(hub.CALL_AS),  # add_hub declares it (the sweep lists the StackSet)
            **inputs.role_inputs(),
            **inputs.function_inputs(),
            names.DISPLAY_TIME_ZONE: Ref(inputs.display_time_zone),
        },
    )


def add_association(
    template: Template,
    inputs: Inputs,
    logging: cloudformation.Stack,
    notifications: cloudformation.Stack,
) -> cloudformation.Stack:
    """The agent-update association, writing its output to the logging stack's bucket."""
    association_inputs = {
        # Nested-stack parameters are strings: lists travel joined.
        name: Join(",", Ref(parameter))
        if parameter.Type == "CommaDelimitedList"
        else Ref(parameter)
        for name, parameter in inputs.association.items()
    }
    return add_child(
        template,
        "Association",
        {names.ASSOCIATION_ID: "The agent-update association (for start-associations-once)"},
        Condition=CREATE_ASSOCIATION,
        # Created after the pipeline, so the events of its first run are caught;
        # no reference orders the two stacks.
        DependsOn=[notifications.title],
        Parameters={
            names.OUTPUT_BUCKET_NAME: child_output(logging, names.OUTPUT_BUCKET_NAME),
            **association_inputs,
            # Empty means the tag the demo instances carry: the parent stack's name.
            names.TARGET_TAG_VALUE: If(
                TAG_VALUE_DEFAULTED, StackName, association_inputs[names.TARGET_TAG_VALUE]
            ),
        },
    )


def add_hub(
    template: Template,
    config: Config,
    notifications: cloudformation.Stack,
    sweep: cloudformation.Stack,
) -> cloudformation.Stack:
    """Scope=organization: the hub stack (the hub bus's policy, the spokes' StackSet), given the
    bus and the two roles the spokes' reader roles trust. Its parameters are the parent's last."""
    scope = template.add_parameter(hub.scope_parameter())
    template.add_condition(hub.IS_ORGANIZATION, Equals(Ref(scope), hub.SCOPE_ORGANIZATION))
    inputs = hub.add_parameters(template, optional=True)
    spoke_association = template.add_parameter(hub.spoke_association_parameter())
    template.add_rule(
        "OrganizationScopeNeedsItsInputs",
        {
            "RuleCondition": {"Fn::Equals": [Ref(scope), hub.SCOPE_ORGANIZATION]},
            **hub.required_inputs_rule(inputs),
        },
    )
    organization_inputs = {
        parameter.title: Ref(parameter)
        for parameter in (
            inputs.organization_id,
            inputs.retain_stacks,
            inputs.call_as,
            inputs.failure_tolerance,
            inputs.max_concurrent,
        )
    }
    # What a plain spoke stack needs (the hub account's other regions: README).
    for name, child, description in (
        (names.HUB_EVENT_BUS_ARN, notifications, "Hub bus the spokes forward to"),
        (names.FUNCTION_ROLE_ARN, notifications, "Notifier role (a spoke's HubNotifierRoleArn)"),
        (names.SWEEP_ROLE_ARN, sweep, "Sweep role (a spoke's HubSweepRoleArn)"),
    ):
        template.add_output(
            Output(
                name,
                Condition=hub.IS_ORGANIZATION,
                Value=child_output(child, name),
                Description=description,
            )
        )
    return add_child(
        template,
        "Hub",
        {hub.SPOKE_STACK_SET_ID: "StackSet of the spokes (Scope=organization)"},
        Condition=hub.IS_ORGANIZATION,
        Parameters={
            **organization_inputs,
            # Nested-stack parameters are strings: lists travel joined.
            hub.TARGET_OUS: Join(",", Ref(inputs.target_ous)),
            hub.SPOKE_REGIONS: Join(",", Ref(inputs.regions)),
            names.HUB_EVENT_BUS_NAME: child_output(notifications, names.HUB_EVENT_BUS_NAME),
            names.HUB_EVENT_BUS_ARN: child_output(notifications, names.HUB_EVENT_BUS_ARN),
            names.FUNCTION_ROLE_ARN: child_output(notifications, names.FUNCTION_ROLE_ARN),
            names.SWEEP_ROLE_ARN: child_output(sweep, names.SWEEP_ROLE_ARN),
            names.WATCHED_DOCUMENTS: Join(",", Ref(names.WATCHED_DOCUMENTS)),
            names.WATCHED_STATUSES: Join(",", Ref(names.WATCHED_STATUSES)),
            names.WATCH_RUN_COMMAND: Ref(names.WATCH_RUN_COMMAND),
            names.WATCH_MAINTENANCE_WINDOWS: Ref(names.WATCH_MAINTENANCE_WINDOWS),
            # The parent's association parameters, for the spokes' own association.
            **{name: Ref(name) for name in hub.spoke_association_names()},
            hub.SPOKE_ASSOCIATION: Ref(spoke_association),
            names.PARENT_STACK_NAME: StackName,  # names the StackSet (the sweep lists it)
        },
    )


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
        parameters.association_apply_only_at_cron_interval(config),
        parameters.association_schedule_offset(),
        parameters.association_calendar_names(),
        parameters.association_sync_compliance(),
    ]
    return {parameter.title: template.add_parameter(parameter) for parameter in declared}


def build_all(config: Config) -> dict[str, Template]:
    """Every template of the system, keyed by its file name in build/, parent first."""
    config.validate()
    templates = {PARENT_FILE: build(config)}
    # Not nested: the StackSet carries it (and it is deployed as is where no StackSet reaches).
    # Built once, for spoke.yaml and for the hub's StackSet.
    spoke_template = spoke.build(config)
    for module, file_name in CHILDREN.values():
        templates[file_name] = (
            hub.build(config, spoke_template) if module is hub else module.build(config)
        )
    return templates | {spoke.SPOKE_FILE: spoke_template}

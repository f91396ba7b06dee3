"""Hub: the pieces a hub-mode (Scope=organization) deploy adds to take in a whole organization.

    member spokes --PutEvents (organization only)--> hub bus -> HubRule -> the notifier's queue
    StackSet (service-managed, auto-deploys to the target OUs' accounts and regions) -> spoke.yaml

Where they live: the bus and its rule in the notifications stack (`add_hub_intake`: the queue's
policy must name the rule), the bus policy and the StackSet in the hub stack (`build`, hub.yaml,
nested by the parent under Scope=organization: it needs the notifier's and the sweep's role
ARNs). `add_hub` puts all of them in one template (the stand-in tests use it).

The spoke travels as the StackSet's TemplateBody: the AWS CLI's `cloudformation package` rewrites
the TemplateURL of AWS::CloudFormation::Stack but not of AWS::CloudFormation::StackSet (awscli
artifact_exporter.RESOURCES_EXPORT_LIST), and the spoke has no local code to upload, so the
rendered template is inlined (TemplateBody: at most 51,200 bytes).
"""

from __future__ import annotations

import json
from typing import NamedTuple

from awacs import cloudformation as cloudformation_actions
from awacs import events as events_actions
from awacs import organizations as organizations_actions
from awacs import sts as sts_actions
from awacs.aws import Allow, Condition, Statement, StringEquals
from troposphere import (
    AWSHelperFn,
    Equals,
    GetAtt,
    If,
    Join,
    NoValue,
    Output,
    Parameter,
    Ref,
    Sub,
    Template,
    cloudformation,
    events,
    iam,
)

from templates import names, parameters, spoke, watched_runs
from templates.common import (
    new_template,
    notification_queue_target,
    policy_document,
)
from templates.config import Config
from templates.template_dict import template_dict

HUB_FILE = "hub.yaml"

# Scope, a parameter of the parent, the notifications and the sweep stacks.
SCOPE_ACCOUNT = "account"
SCOPE_ORGANIZATION = "organization"
IS_ORGANIZATION = "IsOrganization"

# Deploy-time parameters of hub mode.
ORGANIZATION_ID = spoke.ORGANIZATION_ID
TARGET_OUS = "TargetOrganizationalUnitIds"
SPOKE_REGIONS = "SpokeRegions"
RETAIN_STACKS = "RetainStacksOnAccountRemoval"
CALL_AS = "CallAs"
FAILURE_TOLERANCE = "SpokeFailureTolerancePercentage"
MAX_CONCURRENT = "SpokeMaxConcurrentPercentage"
SPOKE_ASSOCIATION = "SpokeCreatesAgentUpdateAssociation"

# Outputs a hub-mode stack gives.
HUB_EVENT_BUS_ARN = spoke.HUB_EVENT_BUS_ARN
HUB_EVENT_BUS_NAME = "HubEventBusName"
SPOKE_STACK_SET_ID = "SpokeStackSetId"

# AWS's own shapes: botocore's cloudformation model (OrganizationalUnitId, which admits the root
# id "r-..." too, to target the whole organization; Region).
# Empty admitted for the parent's Scope=account (see spoke.ORGANIZATION_ID_PATTERN); refused by
# the Rules of the templates that need a value.
OU_ID_PATTERN = r"^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})?$"
REGION_PATTERN = r"^[a-zA-Z0-9-]{0,128}$"
# CreateStackSet's TemplateBody limit (CloudFormation quotas).
TEMPLATE_BODY_LIMIT_BYTES = 51_200

DEFAULT_FAILURE_TOLERANCE = 10
DEFAULT_MAX_CONCURRENT = 25


class HubParameters(NamedTuple):
    organization_id: Parameter
    target_ous: Parameter
    regions: Parameter
    retain_stacks: Parameter
    call_as: Parameter
    failure_tolerance: Parameter
    max_concurrent: Parameter


class Hub(NamedTuple):
    parameters: HubParameters
    bus: events.EventBus
    bus_policy: events.EventBusPolicy
    stack_set: cloudformation.StackSet


def scope_parameter() -> Parameter:
    return Parameter(
        names.SCOPE,
        Type="String",
        Default=SCOPE_ACCOUNT,
        AllowedValues=[SCOPE_ACCOUNT, SCOPE_ORGANIZATION],
        Description="account: watch this account and region; organization: also every account "
        "and region of the target OUs, through a hub bus and spokes deployed by a StackSet",
    )


def add_scope(template: Template) -> Parameter:
    """The Scope parameter and the IsOrganization condition."""
    scope = template.add_parameter(scope_parameter())
    template.add_condition(IS_ORGANIZATION, Equals(Ref(scope), SCOPE_ORGANIZATION))
    return scope


def add_parameters(template: Template, *, optional: bool = False) -> HubParameters:
    """The hub's deploy-time inputs, each constrained as AWS's own APIs are. `optional` (the
    parent's, where Scope=account needs none of them): the three without a default get an empty
    one, which the parent's Rules refuse under Scope=organization."""
    empty = {"Default": ""} if optional else {}
    return HubParameters(
        organization_id=template.add_parameter(
            Parameter(
                ORGANIZATION_ID,
                **empty,
                Type="String",
                Description="Organization (o-...) whose accounts may send events to the hub bus",
                AllowedPattern=spoke.ORGANIZATION_ID_PATTERN,
                ConstraintDescription="an organization id, o- and 10 to 32 lowercase letters "
                "or digits",
            )
        ),
        target_ous=template.add_parameter(
            Parameter(
                TARGET_OUS,
                **empty,
                Type="CommaDelimitedList",
                Description="Organizational units (ou-...) whose accounts get the spoke, "
                "today's and those that join later; the root id (r-...) for all of them",
                AllowedPattern=OU_ID_PATTERN,
                ConstraintDescription="OU ids (ou-xxxx-xxxxxxxx) or the root id (r-xxxx), "
                "comma-separated",
            )
        ),
        regions=template.add_parameter(
            Parameter(
                SPOKE_REGIONS,
                **empty,
                Type="CommaDelimitedList",
                Description="Regions of every member account that get the spoke, e.g. "
                "us-east-1,eu-west-1",
                AllowedPattern=REGION_PATTERN,
                ConstraintDescription="region names, comma-separated",
            )
        ),
        retain_stacks=template.add_parameter(
            Parameter(
                RETAIN_STACKS,
                Type="String",
                Default="false",
                AllowedValues=["true", "false"],
                Description="Keep the spoke in an account that leaves the target OUs (false: "
                "remove it)",
            )
        ),
        call_as=template.add_parameter(
            call_as_parameter(
                "SELF in the management account, DELEGATED_ADMIN in a delegated "
                "administrator account for StackSets"
            )
        ),
        failure_tolerance=template.add_parameter(
            Parameter(
                FAILURE_TOLERANCE,
                Type="Number",
                Default=DEFAULT_FAILURE_TOLERANCE,
                MinValue=0,
                MaxValue=100,
                Description="Percentage of accounts per region whose spoke may fail before "
                "the StackSet stops in that region",
                ConstraintDescription="a whole percentage from 0 to 100",
            )
        ),
        max_concurrent=template.add_parameter(
            Parameter(
                MAX_CONCURRENT,
                Type="Number",
                Default=DEFAULT_MAX_CONCURRENT,
                MinValue=1,
                MaxValue=100,
                Description="Percentage of accounts per region the spoke is deployed to at once",
                ConstraintDescription="a whole percentage from 1 to 100",
            )
        ),
    )


def call_as_parameter(description: str) -> Parameter:
    """CallAs (CloudFormation's CallAs values): as the StackSet is created, and as the sweep
    lists it (SELF, or DELEGATED_ADMIN)."""
    return Parameter(
        CALL_AS,
        Type="String",
        Default="SELF",
        AllowedValues=["SELF", "DELEGATED_ADMIN"],
        Description=description,
    )


def required_inputs_rule(params: HubParameters) -> dict:
    """Rules assertions: the organization, its target OUs and the spoke regions are given (their
    patterns admit "" for the parent's Scope=account)."""
    lists = [
        {
            "Assert": {"Fn::Not": [{"Fn::Contains": [Ref(parameter), ""]}]},
            "AssertDescription": f"{parameter.title} must name at least one, with no empty item",
        }
        for parameter in (params.target_ous, params.regions)
    ]
    single = spoke.required_rule(params.organization_id)["Assertions"]
    return {"Assertions": single + lists}


def hub_bus(**properties) -> events.EventBus:
    return events.EventBus(
        "HubEventBus",
        # Name is required by AWS::Events::EventBus; the stack's name keeps it unique.
        Name=Sub("${AWS::StackName}-hub"),
        Description="Association events forwarded by the spokes of the organization",
        **properties,
    )


def bus_policy(bus_name: AWSHelperFn, bus_arn: AWSHelperFn, organization_id: AWSHelperFn):
    """`events:PutEvents` on the hub bus from principals of the organization only (a spoke's
    forward role is such a principal)."""
    return events.EventBusPolicy(
        "HubEventBusPolicy",
        EventBusName=bus_name,
        StatementId="OrganizationPutsEvents",
        Statement={
            "Sid": "OrganizationPutsEvents",
            "Effect": "Allow",
            "Principal": "*",
            "Action": events_actions.PutEvents.JSONrepr(),
            "Resource": bus_arn,
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": organization_id}},
        },
    )


def add_hub_bus(
    template: Template, organization_id: Parameter
) -> tuple[events.EventBus, events.EventBusPolicy]:
    """The bus the spokes forward to, and its policy (organization only)."""
    bus = template.add_resource(hub_bus())
    policy = template.add_resource(bus_policy(Ref(bus), GetAtt(bus, "Arn"), Ref(organization_id)))
    return bus, policy


def add_hub_intake(
    template: Template, config: Config, *, documents, statuses, queue, dead_letter_queue
) -> tuple[events.EventBus, events.Rule]:
    """For the notifications stack, under IsOrganization: the hub bus and a rule on it that sends
    the watched association events to the notifier's queue, as the default-bus rule does (the hub
    account's own events still arrive on the default bus). Its policy is the hub stack's."""
    bus = template.add_resource(hub_bus(Condition=IS_ORGANIZATION))
    rule = template.add_resource(
        events.Rule(
            "HubRule",
            Condition=IS_ORGANIZATION,
            Description="State Manager association runs of the watched documents and statuses "
            "forwarded by the spokes of the organization",
            EventBusName=Ref(bus),
            # What the spokes forward: the default-bus rule's pattern (templates/watched_runs.py).
            EventPattern=watched_runs.event_pattern(documents, statuses),
            State="ENABLED",
            Targets=[notification_queue_target(queue, dead_letter_queue, config)],
        )
    )
    template.add_output(
        [
            Output(
                HUB_EVENT_BUS_ARN,
                Condition=IS_ORGANIZATION,
                Value=GetAtt(bus, "Arn"),
                Description="Event bus the spokes forward association events to",
            ),
            Output(
                HUB_EVENT_BUS_NAME,
                Condition=IS_ORGANIZATION,
                Value=Ref(bus),
                Description="Name of that bus",
            ),
        ]
    )
    return bus, rule


def hub_rule_arn() -> If:
    """The hub rule's ARN where the notifications stack has it, for a list of rule ARNs."""
    return If(IS_ORGANIZATION, GetAtt("HubRule", "Arn"), NoValue)


def spoke_template_body(config: Config, spoke_template: Template | None = None) -> str:
    """The spoke as compact JSON, the same bytes from run to run, checked against the limit.
    `spoke_template` is `spoke.build(config)` where the caller has built it already."""
    built = spoke_template or spoke.build(config)
    body = json.dumps(
        template_dict(built), separators=(",", ":"), sort_keys=True, ensure_ascii=True
    )
    size = len(body.encode())
    if size > TEMPLATE_BODY_LIMIT_BYTES:
        raise ValueError(
            f"the spoke template is {size} bytes; a StackSet TemplateBody takes at most "
            f"{TEMPLATE_BODY_LIMIT_BYTES}"
        )
    return body


def add_spoke_stack_set(
    template: Template,
    config: Config,
    params: HubParameters,
    *,
    hub_bus_arn: AWSHelperFn,
    notifier_role_arn: AWSHelperFn,
    sweep_role_arn: AWSHelperFn,
    spoke_parameters: dict[str, AWSHelperFn | str] | None = None,
    spoke_template: Template | None = None,
) -> cloudformation.StackSet:
    """The StackSet that deploys the spoke into every account of the target OUs (and accounts
    that join them later) in every spoke region. `spoke_parameters` sets the spoke's other
    parameters (watched documents, the association's), keyed by their names in spoke.py;
    `spoke_template` is `spoke.build(config)` if already built.

    StackSets never deploy to the management account itself; the hub account is covered by the
    hub stack's own pipeline in its region.
    """
    values = {
        spoke.HUB_EVENT_BUS_ARN: hub_bus_arn,
        spoke.HUB_NOTIFIER_ROLE_ARN: notifier_role_arn,
        spoke.HUB_SWEEP_ROLE_ARN: sweep_role_arn,
        spoke.ORGANIZATION_ID: Ref(params.organization_id),
        # Listed empty so each account's boundary (its ARN names the account) can be set with
        # update-stack-instances --parameter-overrides, which overrides only listed parameters.
        names.PERMISSIONS_BOUNDARY_ARN: "",
        names.ROLE_PATH: "",
        **(spoke_parameters or {}),
    }
    return template.add_resource(
        cloudformation.StackSet(
            "SpokeStackSet",
            # Required by AWS::CloudFormation::StackSet; the parent's name keeps it unique, and
            # the sweep (a sibling stack) finds the StackSet by it.
            StackSetName=spoke_stack_set_name(),
            Description="SSM association notifier spokes: forward association events to the "
            "hub and let it read runs and output",
            PermissionModel="SERVICE_MANAGED",
            CallAs=Ref(params.call_as),
            AutoDeployment=cloudformation.AutoDeployment(
                Enabled=True, RetainStacksOnAccountRemoval=Ref(params.retain_stacks)
            ),
            # The spoke names its reader role, so the hub can find it in every account.
            Capabilities=["CAPABILITY_NAMED_IAM"],
            # Lets CloudFormation queue an operation behind a running one instead of failing it.
            ManagedExecution=cloudformation.ManagedExecution(Active=True),
            OperationPreferences=cloudformation.OperationPreferences(
                RegionConcurrencyType="PARALLEL",
                FailureTolerancePercentage=Ref(params.failure_tolerance),
                MaxConcurrentPercentage=Ref(params.max_concurrent),
            ),
            StackInstancesGroup=[
                cloudformation.StackInstances(
                    DeploymentTargets=cloudformation.DeploymentTargets(
                        OrganizationalUnitIds=Ref(params.target_ous)
                    ),
                    Regions=Ref(params.regions),
                )
            ],
            Parameters=[
                cloudformation.Parameter(ParameterKey=key, ParameterValue=value)
                for key, value in sorted(values.items())
            ],
            TemplateBody=spoke_template_body(config, spoke_template),
        )
    )


def spoke_stack_set_name() -> Sub:
    """`<parent stack name>-spokes`, in a stack that takes ParentStackName (the hub's, to name
    the StackSet; the sweep's, to list its instances)."""
    return Sub("${" + names.PARENT_STACK_NAME + "}-spokes")


def spoke_stack_set_arn() -> Sub:
    """The StackSet's ARN, any id (`stackset/<name>:<id>`), in a stack that takes
    ParentStackName."""
    return Sub(
        "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stackset/"
        "${" + names.PARENT_STACK_NAME + "}-spokes:*"
    )


def add_hub(
    template: Template,
    config: Config,
    *,
    notifier_role_arn: AWSHelperFn,
    sweep_role_arn: AWSHelperFn,
    spoke_parameters: dict[str, AWSHelperFn | str] | None = None,
) -> Hub:
    """Parameters, hub bus with its policy, and the spoke StackSet, added to `template`."""
    params = add_parameters(template)
    template.add_parameter(parameters.parent_stack_name())  # names the StackSet
    bus, policy = add_hub_bus(template, params.organization_id)
    stack_set = add_spoke_stack_set(
        template,
        config,
        params,
        hub_bus_arn=GetAtt(bus, "Arn"),
        notifier_role_arn=notifier_role_arn,
        sweep_role_arn=sweep_role_arn,
        spoke_parameters=spoke_parameters,
    )
    return Hub(params, bus, policy, stack_set)


def outputs(hub: Hub) -> list[Output]:
    """What a hub-mode stack tells its operator (and the parent): the bus and the StackSet."""
    return [
        Output(
            HUB_EVENT_BUS_ARN,
            Value=GetAtt(hub.bus, "Arn"),
            Description="Event bus the spokes forward association events to",
        ),
        Output(HUB_EVENT_BUS_NAME, Value=Ref(hub.bus), Description="Name of that bus"),
        Output(
            SPOKE_STACK_SET_ID,
            Value=Ref(hub.stack_set),
            Description="StackSet of the spokes (list its instances to see where they are)",
        ),
    ]


def joined(parameter: Parameter) -> Join:
    """A CommaDelimitedList passed on as a StackSet parameter value (values are strings)."""
    return Join(",", Ref(parameter))


def assume_readers_statement(
    organization_id: AWSHelperFn,
    reader_prefix: str | AWSHelperFn = spoke.DEFAULT_READER_ROLE_NAME_PREFIX,
) -> Statement:
    """For the hub's notifier and sweep roles: assume the spokes' reader roles in any account
    of the organization (their names are `<prefix>-<region>`, spoke.reader_role_name)."""
    return Statement(
        Sid="AssumeSpokeReaders",
        Effect=Allow,
        Action=[sts_actions.AssumeRole],
        Resource=[Sub("arn:${AWS::Partition}:iam::*:role/${Prefix}-*", Prefix=reader_prefix)],
        Condition=Condition(StringEquals("aws:ResourceOrgID", organization_id)),
    )


# The organization of the function's own role, as an IAM policy variable: the hub's notifier and
# sweep need no OrganizationId parameter to keep their reach inside their own organization.
OWN_ORGANIZATION = "${aws:PrincipalOrgID}"


def readers_policy(title: str, role: iam.Role, *statements: Statement) -> iam.PolicyType:
    """Under IsOrganization: `role` may assume the spokes' reader roles of its own organization
    (and whatever else `statements` add); a policy of its own, so the role stays as it is in
    Scope=account."""
    return iam.PolicyType(
        title,
        Condition=IS_ORGANIZATION,
        PolicyName="assume-spoke-readers",
        Roles=[Ref(role)],
        PolicyDocument=policy_document([assume_readers_statement(OWN_ORGANIZATION), *statements]),
    )


def describe_accounts_statement() -> Statement:
    """The notifier labels a digest with the account's name: DescribeAccount on the accounts of
    its own organization (answered only where the hub is the management account or an
    Organizations delegated administrator; elsewhere the digest shows the id alone)."""
    return Statement(
        Sid="NameAccounts",
        Effect=Allow,
        Action=[organizations_actions.DescribeAccount],
        Resource=[Sub("arn:${AWS::Partition}:organizations::*:account/${!aws:PrincipalOrgID}/*")],
    )


def list_coverage_statements() -> list[Statement]:
    """The sweep learns which accounts and regions to sweep and should report: the instances of
    the spokes' StackSet (that one only: its name comes from ParentStackName, which the sweep's
    stack takes) and the organization's accounts."""
    return [
        Statement(
            Sid="ListSpokeInstances",
            Effect=Allow,
            Action=[cloudformation_actions.ListStackInstances],
            Resource=[spoke_stack_set_arn()],
        ),
        Statement(
            Sid="ListAccounts",
            Effect=Allow,
            Action=[organizations_actions.ListAccounts],
            # ListAccounts supports no resource-level permissions.
            Resource=["*"],
        ),
    ]


def spoke_association_parameter() -> Parameter:
    return Parameter(
        SPOKE_ASSOCIATION,
        Type="String",
        Default="false",
        AllowedValues=["true", "false"],
        Description="Scope=organization: also create the AWS-UpdateSSMAgent association and its "
        "output bucket in every member account and region (with the association parameters "
        "above; an empty TargetTagValue there means any value of the tag key)",
    )


def spoke_association_names() -> list[str]:
    """The association's parameters the hub passes on to the spokes, as both declare them."""
    return [
        names.ASSOCIATION_SCHEDULE,
        names.ASSOCIATION_MAX_CONCURRENCY,
        names.ASSOCIATION_MAX_ERRORS,
        names.ASSOCIATION_TARGETS,
        names.TARGET_TAG_KEY,
        names.TARGET_TAG_VALUE,
        spoke.OUTPUT_RETENTION_DAYS,
    ]


def add_spoke_association_parameters(
    template: Template, config: Config, spoke_template: Template | None = None
) -> dict[str, Parameter]:
    """The hub stack's copies of the spoke's association parameters (declared as the spoke
    declares them), and whether the spokes create the association. `spoke_template` is
    `spoke.build(config)` if already built."""
    # The spoke's own Parameter objects, shared with spoke.yaml when build_all passes the spoke:
    # added as they are, never modified (tests/test_hub.py checks the spoke is left unchanged).
    declared = (spoke_template or spoke.build(config)).parameters
    found = {name: template.add_parameter(declared[name]) for name in spoke_association_names()}
    found[SPOKE_ASSOCIATION] = template.add_parameter(spoke_association_parameter())
    return found


def build(config: Config, spoke_template: Template | None = None) -> Template:
    """hub.yaml: the hub bus's organization-only policy and the StackSet of the spokes, nested by
    the parent under Scope=organization (the bus itself is the notifications stack's).
    `spoke_template` is `spoke.build(config)` if the caller has built it (build_all has)."""
    # Built once: the hub copies its parameters and carries it as the StackSet's body.
    spoke_template = spoke_template or spoke.build(config)
    template = new_template(
        "SSM association notifier hub: the organization-only policy of the hub bus and the "
        "StackSet that deploys the spokes"
    )
    params = add_parameters(template)
    template.add_rule("OrganizationGiven", required_inputs_rule(params))
    template.add_parameter(parameters.parent_stack_name())  # names the StackSet
    bus_name = template.add_parameter(
        Parameter(
            HUB_EVENT_BUS_NAME,
            Type="String",
            Description="Name of the hub bus (the notifications stack's)",
            AllowedPattern=r"^[/\.\-_A-Za-z0-9]{1,256}$",
            ConstraintDescription="an event bus name",
        )
    )
    passed = {
        name: template.add_parameter(
            Parameter(
                name,
                Type="String",
                Description=description,
                AllowedPattern=pattern,
                ConstraintDescription=constraint,
            )
        )
        for name, description, pattern, constraint in (
            (
                HUB_EVENT_BUS_ARN,
                "ARN of the hub bus the spokes forward to",
                spoke.EVENT_BUS_ARN_PATTERN,
                "an event bus ARN",
            ),
            (
                names.FUNCTION_ROLE_ARN,
                "The notifier's role (assumes the spokes' reader roles)",
                spoke.ROLE_ARN_PATTERN,
                "an IAM role ARN",
            ),
            (
                names.SWEEP_ROLE_ARN,
                "The sweep's role (assumes the spokes' reader roles)",
                spoke.ROLE_ARN_PATTERN,
                "an IAM role ARN",
            ),
        )
    }
    documents = template.add_parameter(parameters.watched_documents(config))
    statuses = template.add_parameter(parameters.watched_statuses(config))
    watched = [
        template.add_parameter(parameter)
        for parameter in (parameters.watch_run_command(), parameters.watch_maintenance_windows())
    ]
    association = add_spoke_association_parameters(template, config, spoke_template)
    template.add_resource(
        bus_policy(Ref(bus_name), Ref(passed[HUB_EVENT_BUS_ARN]), Ref(params.organization_id))
    )
    stack_set = add_spoke_stack_set(
        template,
        config,
        params,
        hub_bus_arn=Ref(passed[HUB_EVENT_BUS_ARN]),
        notifier_role_arn=Ref(passed[names.FUNCTION_ROLE_ARN]),
        sweep_role_arn=Ref(passed[names.SWEEP_ROLE_ARN]),
        spoke_template=spoke_template,
        spoke_parameters={
            names.WATCHED_DOCUMENTS: joined(documents),
            names.WATCHED_STATUSES: joined(statuses),
            **{parameter.title: Ref(parameter) for parameter in watched},
            spoke.CREATE_AGENT_UPDATE_ASSOCIATION: Ref(association.pop(SPOKE_ASSOCIATION)),
            **{name: Ref(parameter) for name, parameter in association.items()},
        },
    )
    template.add_output(
        Output(
            SPOKE_STACK_SET_ID,
            Value=Ref(stack_set),
            Description="StackSet of the spokes (list its instances to see where they are)",
        )
    )
    return template

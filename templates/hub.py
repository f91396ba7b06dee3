"""Hub: the pieces a hub-mode (Scope=organization) stack adds to take in a whole organization.

    member spokes --PutEvents (organization only)--> hub bus -> the notifications rule on it
    StackSet (service-managed, auto-deploys to the target OUs' accounts and regions) -> spoke.yaml

Each function adds to a template it is given, so the parent or the notifications stack can call
them; `add_hub` adds all of them. The spoke travels as the StackSet's TemplateBody: the AWS CLI's
`cloudformation package` rewrites the TemplateURL of AWS::CloudFormation::Stack but not of
AWS::CloudFormation::StackSet (awscli artifact_exporter.RESOURCES_EXPORT_LIST), and the spoke has
no local code to upload, so the rendered template is inlined (TemplateBody: at most 51,200 bytes).
"""

from __future__ import annotations

import json
from typing import NamedTuple

from awacs import events as events_actions
from awacs import sts as sts_actions
from awacs.aws import Allow, Condition, Statement, StringEquals
from troposphere import (
    AWSHelperFn,
    GetAtt,
    Join,
    Output,
    Parameter,
    Ref,
    Sub,
    Template,
    cloudformation,
    events,
)

from templates import spoke
from templates.config import Config

# Deploy-time parameters of hub mode.
ORGANIZATION_ID = spoke.ORGANIZATION_ID
TARGET_OUS = "TargetOrganizationalUnitIds"
SPOKE_REGIONS = "SpokeRegions"
RETAIN_STACKS = "RetainStacksOnAccountRemoval"
CALL_AS = "CallAs"
FAILURE_TOLERANCE = "SpokeFailureTolerancePercentage"
MAX_CONCURRENT = "SpokeMaxConcurrentPercentage"

# Outputs a hub-mode stack gives.
HUB_EVENT_BUS_ARN = spoke.HUB_EVENT_BUS_ARN
HUB_EVENT_BUS_NAME = "HubEventBusName"
SPOKE_STACK_SET_ID = "SpokeStackSetId"

# AWS's own shapes: botocore's cloudformation model (OrganizationalUnitId, which admits the root
# id "r-..." too, to target the whole organization; Region).
OU_ID_PATTERN = r"^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$"
REGION_PATTERN = r"^[a-zA-Z0-9-]{1,128}$"
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


def add_parameters(template: Template) -> HubParameters:
    """The hub's deploy-time inputs, each constrained as AWS's own APIs are."""
    return HubParameters(
        organization_id=template.add_parameter(
            Parameter(
                ORGANIZATION_ID,
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
            Parameter(
                CALL_AS,
                Type="String",
                Default="SELF",
                AllowedValues=["SELF", "DELEGATED_ADMIN"],
                Description="SELF in the management account, DELEGATED_ADMIN in a delegated "
                "administrator account for StackSets",
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


def add_hub_bus(
    template: Template, organization_id: Parameter
) -> tuple[events.EventBus, events.EventBusPolicy]:
    """The bus the spokes forward to, and its policy: `events:PutEvents` from principals of the
    organization only (a spoke's forward role is such a principal)."""
    bus = template.add_resource(
        events.EventBus(
            "HubEventBus",
            # Name is required by AWS::Events::EventBus; the stack's name keeps it unique.
            Name=Sub("${AWS::StackName}-hub"),
            Description="Association events forwarded by the spokes of the organization",
        )
    )
    policy = template.add_resource(
        events.EventBusPolicy(
            "HubEventBusPolicy",
            EventBusName=Ref(bus),
            StatementId="OrganizationPutsEvents",
            Statement={
                "Sid": "OrganizationPutsEvents",
                "Effect": "Allow",
                "Principal": "*",
                "Action": events_actions.PutEvents.JSONrepr(),
                "Resource": GetAtt(bus, "Arn"),
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": Ref(organization_id)}},
            },
        )
    )
    return bus, policy


def spoke_template_body(config: Config) -> str:
    """The spoke as compact JSON, the same bytes from run to run, checked against the limit."""
    body = json.dumps(
        spoke.build(config).to_dict(), separators=(",", ":"), sort_keys=True, ensure_ascii=True
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
) -> cloudformation.StackSet:
    """The StackSet that deploys the spoke into every account of the target OUs (and accounts
    that join them later) in every spoke region. `spoke_parameters` sets the spoke's other
    parameters (watched documents, the association's), keyed by their names in spoke.py.

    StackSets never deploy to the management account itself; the hub account is covered by the
    hub stack's own pipeline in its region.
    """
    values = {
        spoke.HUB_EVENT_BUS_ARN: hub_bus_arn,
        spoke.HUB_NOTIFIER_ROLE_ARN: notifier_role_arn,
        spoke.HUB_SWEEP_ROLE_ARN: sweep_role_arn,
        spoke.ORGANIZATION_ID: Ref(params.organization_id),
        **(spoke_parameters or {}),
    }
    return template.add_resource(
        cloudformation.StackSet(
            "SpokeStackSet",
            # Required by AWS::CloudFormation::StackSet; the stack's name keeps it unique.
            StackSetName=Sub("${AWS::StackName}-spokes"),
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
            TemplateBody=spoke_template_body(config),
        )
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

"""Where digests go besides the notification email: Slack and Teams channels, filtered email routes.

Added to the notifications stack by one call (`add_chat_and_routes`), all optional, each behind a
condition on its parameters:

- Amazon Q Developer in chat applications (formerly AWS Chatbot): a Slack channel configuration
  and/or a Microsoft Teams channel configuration subscribed to the digest topic. The notifier
  publishes each digest with a per-protocol message (handler/ssm_notifier/routing.py): the chat
  service subscribes with protocol https and gets the custom-notification JSON, email
  subscribers get the email text.
  The channel may read, never change: its role (what the channel's commands run as) can only
  describe associations, their executions and command output; the guardrail policy, which caps
  whatever role a channel member's command runs under, is AWS's AmazonSSMReadOnlyAccess
  (ssm:Describe*, Get*, List*), the narrowest AWS managed policy that still lets a member look at
  associations and runs. ReadOnlyAccess would read every service's data; a policy of our own
  would need updating by hand as SSM adds read APIs, where AWS keeps its managed one current.
- A failures-only email address: subscribed with a filter policy on the `worst_status` message
  attribute (Failed, TimedOut).
- Per-account routes: CloudFormation cannot loop over a list parameter, so there are
  ACCOUNT_ROUTE_SLOTS fixed optional slots, `AccountRouteN` = "123456789012=team@example.com",
  each split at "=" into an email subscription filtered on the `accounts` attribute. More routes
  than slots: subscribe the address yourself with the same filter policy (README).

The digest topic's key: SNS decrypts a message before it delivers it to an https or email
endpoint, so neither Amazon Q Developer nor the email subscribers need a key-policy statement; only
publishers need the key (the functions have it through their roles). AWS documents no key-policy
statement for the chat service; none is added.
"""

from __future__ import annotations

from typing import NamedTuple

from awacs import ssm as ssm_actions
from awacs.aws import Allow, Statement
from troposphere import (
    And,
    Condition,
    Equals,
    GetAtt,
    Not,
    Or,
    Parameter,
    Ref,
    Select,
    Split,
    StackId,
    Sub,
    Template,
    chatbot,
    iam,
    sns,
)

from templates import names, parameters
from templates.common import (
    aws_managed_policy_arn,
    policy_document,
    read_association_runs_statement,
    role,
)

HAS_SLACK = "HasSlackChannel"
HAS_TEAMS = "HasTeamsChannel"
HAS_CHAT = "HasChatChannel"
HAS_FAILURES_ONLY_EMAIL = "HasFailuresOnlyEmail"
GUARDRAIL_POLICY = "AmazonSSMReadOnlyAccess"
CHAT_PRINCIPAL = "chatbot.amazonaws.com"  # a global principal (chatbot admin guide, IAM roles)
FAILED_STATUSES = ["Failed", "TimedOut"]  # routing.SEVERITY's first two


class ChatInputs(NamedTuple):
    slack_workspace: Parameter
    slack_channel: Parameter
    teams_team: Parameter
    teams_tenant: Parameter
    teams_channel: Parameter
    failures_only_email: Parameter
    account_routes: tuple[Parameter, ...]


def declare_parameters(template: Template) -> ChatInputs:
    """The optional parameters, in the order the README's table lists them (parent and child)."""
    add = template.add_parameter
    return ChatInputs(
        slack_workspace=add(parameters.slack_workspace_id()),
        slack_channel=add(parameters.slack_channel_id()),
        teams_team=add(parameters.teams_team_id()),
        teams_tenant=add(parameters.teams_tenant_id()),
        teams_channel=add(parameters.teams_channel_id()),
        failures_only_email=add(parameters.failures_only_email()),
        account_routes=tuple(add(parameters.account_route(name)) for name in names.ACCOUNT_ROUTES),
    )


def pass_through(inputs: ChatInputs) -> dict[str, Ref]:
    """The parent's Parameters entries for the notifications stack: every one as it is."""
    declared = [*inputs[:6], *inputs.account_routes]
    return {parameter.title: Ref(parameter) for parameter in declared}


def add_rules(template: Template, inputs: ChatInputs) -> None:
    """Parent Rules: a channel's ids come all together or not at all, so a half-set channel is
    refused at deploy time instead of silently creating nothing."""

    def all_or_none(parameters: list[Parameter]) -> Or:
        return Or(
            And(*[Equals(Ref(p), "") for p in parameters]),
            And(*[_set(p) for p in parameters]),
        )

    slack = [inputs.slack_workspace, inputs.slack_channel]
    teams = [inputs.teams_team, inputs.teams_tenant, inputs.teams_channel]
    for title, group, names_ in (
        ("SlackIdsTogether", slack, "SlackWorkspaceId and SlackChannelId"),
        ("TeamsIdsTogether", teams, "TeamsTeamId, TeamsTenantId and TeamsChannelId"),
    ):
        template.add_rule(
            title,
            {
                "Assertions": [
                    {
                        "Assert": all_or_none(group),
                        "AssertDescription": f"set {names_} together, or none of them",
                    }
                ]
            },
        )


def add_chat_and_routes(template: Template, topic_arn: Ref) -> ChatInputs:
    """Declare the parameters and add the conditional channels and filtered subscriptions."""
    inputs = declare_parameters(template)
    _declare_conditions(template, inputs)
    role = template.add_resource(channel_role())
    for configuration in channel_configurations(inputs, role, topic_arn):
        template.add_resource(configuration)
    template.add_resource(failures_only_subscription(inputs, topic_arn))
    for slot, route in enumerate(inputs.account_routes, start=1):
        template.add_condition(_route_condition(slot), Not(Equals(Ref(route), "")))
        template.add_resource(account_route_subscription(slot, route, topic_arn))
    return inputs


def _set(parameter: Parameter) -> Not:
    return Not(Equals(Ref(parameter), ""))


def _declare_conditions(template: Template, inputs: ChatInputs) -> None:
    template.add_condition(HAS_SLACK, And(_set(inputs.slack_workspace), _set(inputs.slack_channel)))
    template.add_condition(
        HAS_TEAMS,
        And(_set(inputs.teams_team), _set(inputs.teams_tenant), _set(inputs.teams_channel)),
    )
    # The role exists when either channel does.
    template.add_condition(HAS_CHAT, Or(Condition(HAS_SLACK), Condition(HAS_TEAMS)))
    template.add_condition(HAS_FAILURES_ONLY_EMAIL, _set(inputs.failures_only_email))


def _route_condition(slot: int) -> str:
    return f"HasAccountRoute{slot}"


def channel_role() -> iam.Role:
    """What a channel's commands run as: read associations and their runs, nothing else."""
    return role(
        "ChatChannelRole",
        "Amazon Q Developer chat channel of the SSM association notifier: read only",
        CHAT_PRINCIPAL,
        Condition=HAS_CHAT,
        Policies=[
            iam.Policy(
                PolicyName="read-associations",
                PolicyDocument=policy_document(
                    [
                        read_association_runs_statement(),
                        Statement(
                            Sid="ReadUnscopedSsm",
                            Effect=Allow,
                            Action=[
                                ssm_actions.ListAssociations,
                                ssm_actions.DescribeInstanceInformation,
                                ssm_actions.ListCommandInvocations,
                                ssm_actions.GetCommandInvocation,
                            ],
                            # None supports resource-level permissions (Service Authorization
                            # Reference, Systems Manager).
                            Resource=["*"],
                        ),
                    ]
                ),
            )
        ],
    )


def _configuration_name(kind: str) -> Sub:
    # Required by both resource types ([A-Za-z0-9-_]+, 1-128): the stack id's UUID keeps it
    # unique per stack and within the limit whatever the (nested) stack's name.
    return Sub(
        f"ssm-notifier-{kind}-${{Uuid}}",
        Uuid=Select(2, Split("/", StackId)),
    )


def channel_configurations(
    inputs: ChatInputs, role: iam.Role, topic_arn: Ref
) -> list[chatbot.SlackChannelConfiguration | chatbot.MicrosoftTeamsChannelConfiguration]:
    common = {
        "IamRoleArn": GetAtt(role, "Arn"),
        "SnsTopicArns": [topic_arn],
        "GuardrailPolicies": [aws_managed_policy_arn(GUARDRAIL_POLICY)],
        "LoggingLevel": "ERROR",
        # Members' commands run as the channel role (read only), not as their own IAM roles.
        "UserRoleRequired": False,
    }
    return [
        chatbot.SlackChannelConfiguration(
            "SlackChannel",
            Condition=HAS_SLACK,
            ConfigurationName=_configuration_name("slack"),
            SlackWorkspaceId=Ref(inputs.slack_workspace),
            SlackChannelId=Ref(inputs.slack_channel),
            **common,
        ),
        chatbot.MicrosoftTeamsChannelConfiguration(
            "TeamsChannel",
            Condition=HAS_TEAMS,
            ConfigurationName=_configuration_name("teams"),
            TeamId=Ref(inputs.teams_team),
            TeamsTenantId=Ref(inputs.teams_tenant),
            TeamsChannelId=Ref(inputs.teams_channel),
            **common,
        ),
    ]


def failures_only_subscription(inputs: ChatInputs, topic_arn: Ref) -> sns.SubscriptionResource:
    return sns.SubscriptionResource(
        "FailuresOnlyEmailSubscription",
        Condition=HAS_FAILURES_ONLY_EMAIL,
        TopicArn=topic_arn,
        Protocol="email",
        Endpoint=Ref(inputs.failures_only_email),
        FilterPolicyScope="MessageAttributes",
        FilterPolicy={"worst_status": FAILED_STATUSES},
    )


def account_route_subscription(
    slot: int, route: Parameter, topic_arn: Ref
) -> sns.SubscriptionResource:
    pair = Split("=", Ref(route))
    return sns.SubscriptionResource(
        f"AccountRoute{slot}Subscription",
        Condition=_route_condition(slot),
        TopicArn=topic_arn,
        Protocol="email",
        Endpoint=Select(1, pair),
        FilterPolicyScope="MessageAttributes",
        FilterPolicy={"accounts": [Select(0, pair)]},
    )

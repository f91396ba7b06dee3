"""Chat channels and filtered routes in the notifications stack: conditional, read only, wired."""

from __future__ import annotations

import json

import pytest
from ssm_notifier import routing
from template_helpers import load_build_template, resources_of_type, statements

from templates import chat, names

READ_ONLY_PREFIXES = ("ssm:Describe", "ssm:List", "ssm:Get")


def test_every_chat_and_route_resource_is_optional(notifications):
    conditional = {
        "ChatChannelRole": chat.HAS_CHAT,
        "SlackChannel": chat.HAS_SLACK,
        "TeamsChannel": chat.HAS_TEAMS,
        "FailuresOnlyEmailSubscription": chat.HAS_FAILURES_ONLY_EMAIL,
        **{f"AccountRoute{n}Subscription": f"HasAccountRoute{n}" for n in range(1, 6)},
    }
    for title, condition in conditional.items():
        assert notifications["Resources"][title]["Condition"] == condition
    conditions = notifications["Conditions"]
    slack = json.dumps(conditions[chat.HAS_SLACK])
    assert names.SLACK_WORKSPACE_ID in slack and names.SLACK_CHANNEL_ID in slack
    teams = json.dumps(conditions[chat.HAS_TEAMS])
    for name in (names.TEAMS_TEAM_ID, names.TEAMS_TENANT_ID, names.TEAMS_CHANNEL_ID):
        assert name in teams
    assert conditions[chat.HAS_CHAT] == {
        "Fn::Or": [{"Condition": chat.HAS_SLACK}, {"Condition": chat.HAS_TEAMS}]
    }
    for name in [names.SLACK_WORKSPACE_ID, names.FAILURES_ONLY_EMAIL, *names.ACCOUNT_ROUTES]:
        assert notifications["Parameters"][name]["Default"] == ""


def test_the_channel_role_is_assumed_by_the_chat_service_and_may_only_read(notifications):
    role = notifications["Resources"]["ChatChannelRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "chatbot.amazonaws.com"}
    assert "ManagedPolicyArns" not in role
    actions = [
        action
        for policy in role["Policies"]
        for statement in statements(policy["PolicyDocument"])
        for action in statement["Action"]
    ]
    assert actions and all(action.startswith(READ_ONLY_PREFIXES) for action in actions)


@pytest.mark.parametrize("title", ["SlackChannel", "TeamsChannel"])
def test_each_channel_reads_the_digest_topic_under_a_read_only_guardrail(notifications, title):
    properties = notifications["Resources"][title]["Properties"]
    assert properties["SnsTopicArns"] == [{"Ref": "Topic"}]
    assert properties["IamRoleArn"] == {"Fn::GetAtt": ["ChatChannelRole", "Arn"]}
    assert properties["GuardrailPolicies"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonSSMReadOnlyAccess"}
    ]
    assert properties["LoggingLevel"] == "ERROR"
    assert properties["UserRoleRequired"] is False


def test_filtered_subscriptions_name_the_attributes_the_notifier_publishes(notifications):
    subscriptions = resources_of_type(notifications, "AWS::SNS::Subscription")
    failures = subscriptions["FailuresOnlyEmailSubscription"]["Properties"]
    assert failures["FilterPolicyScope"] == "MessageAttributes"
    assert failures["FilterPolicy"] == {"worst_status": ["Failed", "TimedOut"]}
    assert failures["FilterPolicy"]["worst_status"] == list(routing.SEVERITY[:2])
    for slot in range(1, 6):
        route = subscriptions[f"AccountRoute{slot}Subscription"]["Properties"]
        pair = {"Fn::Split": ["=", {"Ref": f"AccountRoute{slot}"}]}
        assert route["Endpoint"] == {"Fn::Select": [1, pair]}
        assert route["FilterPolicy"] == {"accounts": [{"Fn::Select": [0, pair]}]}
        assert route["Protocol"] == "email"
    named = {key for s in subscriptions.values() for key in s["Properties"].get("FilterPolicy", {})}
    assert named <= set(routing.ATTRIBUTE_NAMES)


def test_the_parent_passes_every_chat_parameter_through_as_it_is(parent):
    passed = parent["Resources"]["Notifications"]["Properties"]["Parameters"]
    chat_names = [
        names.SLACK_WORKSPACE_ID,
        names.SLACK_CHANNEL_ID,
        names.TEAMS_TEAM_ID,
        names.TEAMS_TENANT_ID,
        names.TEAMS_CHANNEL_ID,
        names.FAILURES_ONLY_EMAIL,
        *names.ACCOUNT_ROUTES,
    ]
    for name in chat_names:
        assert passed[name] == {"Ref": name}
        assert name in parent["Parameters"]


def test_the_committed_template_holds_the_chat_configurations():
    """cfn-lint, checkov and Guard run over build/: the chat resources are in what they check."""
    built = load_build_template("notifications.yaml")
    types = {resource["Type"] for resource in built["Resources"].values()}
    assert {
        "AWS::Chatbot::SlackChannelConfiguration",
        "AWS::Chatbot::MicrosoftTeamsChannelConfiguration",
    } <= types


def evaluate(node, values: dict[str, str]):
    """The rule functions the chat rules use, as CloudFormation evaluates them."""
    if isinstance(node, dict):
        ((function, argument),) = node.items()
        if function == "Ref":
            return values.get(argument, "")
        arguments = [evaluate(item, values) for item in argument]
        return {
            "Fn::Or": any,
            "Fn::And": all,
            "Fn::Not": lambda a: not a[0],
            "Fn::Equals": lambda a: a[0] == a[1],
        }[function](arguments)
    return node


@pytest.mark.parametrize(
    ("values", "refused"),
    [
        ({}, set()),
        ({"SlackWorkspaceId": "T0123ABCD", "SlackChannelId": "C0123"}, set()),
        ({"SlackWorkspaceId": "T0123ABCD"}, {"SlackIdsTogether"}),
        ({"SlackChannelId": "C0123"}, {"SlackIdsTogether"}),
        ({"TeamsTeamId": "t", "TeamsTenantId": "t", "TeamsChannelId": "c"}, set()),
        ({"TeamsTeamId": "t", "TeamsChannelId": "c"}, {"TeamsIdsTogether"}),
        (
            {"TeamsTenantId": "t", "SlackWorkspaceId": "T1"},
            {"TeamsIdsTogether", "SlackIdsTogether"},
        ),
    ],
)
def test_a_half_set_channel_is_refused_at_deploy_time(parent, values, refused):
    chat_rules = {"SlackIdsTogether", "TeamsIdsTogether"}
    assert chat_rules <= set(parent["Rules"])
    failed = {
        title
        for title, rule in parent["Rules"].items()
        if title in chat_rules  # the other rules (functions' VPC, Scope) have their own tests
        for assertion in rule["Assertions"]
        if not evaluate(assertion["Assert"], values)
    }
    assert failed == refused

"""Hub pieces: the organization-only bus and the StackSet that carries the spoke."""

from __future__ import annotations

import json

import org_templates
import pytest
from test_parameter_constraints import accepts
from troposphere import Ref, encode_to_dict

from templates import hub, spoke
from templates.common import new_template
from templates.config import Config

CONFIG = Config()

HUB_CASES: dict[str, tuple[list[str], list[str]]] = {
    # "" passes the patterns (declared alike with the parent's); the Rules refuse it.
    hub.ORGANIZATION_ID: (["o-a1b2c3d4e5", ""], ["o-abc", "O-A1B2C3D4E5"]),
    hub.TARGET_OUS: (
        ["ou-ab12-abcdefgh", "ou-ab12-abcdefgh,ou-zz99-12345678ab", "r-ab12", ""],
        ["ou-ab1-abcdefgh", "ou-ab12-abcdefg", "OU-AB12-ABCDEFGH", "o-a1b2c3d4e5", "r-a"],
    ),
    hub.SPOKE_REGIONS: (
        ["us-east-1", "us-east-1,eu-west-1,ap-southeast-5", ""],
        ["us east 1", "r" * 129],
    ),
    hub.RETAIN_STACKS: (["true", "false"], ["", "True", "yes"]),
    hub.CALL_AS: (["SELF", "DELEGATED_ADMIN"], ["", "self", "ADMIN"]),
    hub.FAILURE_TOLERANCE: (["0", "10", "100"], ["-1", "101", "ten"]),
    hub.MAX_CONCURRENT: (["1", "25", "100"], ["0", "101", ""]),
}


@pytest.fixture(scope="module")
def hub_stack() -> dict:
    return org_templates.rendered()[org_templates.HUB_FILE]


def test_hub_parameters_take_good_values_and_reject_bad_ones(hub_stack):
    for name, (good, bad) in HUB_CASES.items():
        spec = hub_stack["Parameters"][name]
        for value in good:
            assert accepts(spec, value), f"{name} rejects good value {value!r}"
        for value in bad:
            assert not accepts(spec, value), f"{name} accepts bad value {value!r}"
        if "Default" in spec:
            assert accepts(spec, str(spec["Default"])), f"{name} default rejected"
    assert hub_stack["Parameters"][hub.RETAIN_STACKS]["Default"] == "false"
    assert hub_stack["Parameters"][hub.CALL_AS]["Default"] == "SELF"


def test_hub_bus_admits_put_events_only_from_the_organization(hub_stack):
    bus = hub_stack["Resources"]["HubEventBus"]
    assert bus == {
        "Type": "AWS::Events::EventBus",
        "Properties": {
            "Name": {"Fn::Sub": "${AWS::StackName}-hub"},
            "Description": "Association events forwarded by the spokes of the organization",
        },
    }
    assert hub_stack["Resources"]["HubEventBusPolicy"] == {
        "Type": "AWS::Events::EventBusPolicy",
        "Properties": {
            "EventBusName": {"Ref": "HubEventBus"},
            "StatementId": "OrganizationPutsEvents",
            "Statement": {
                "Sid": "OrganizationPutsEvents",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "events:PutEvents",
                "Resource": {"Fn::GetAtt": ["HubEventBus", "Arn"]},
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": {"Ref": "OrganizationId"}}},
            },
        },
    }


def test_stack_set_deploys_the_spoke_to_the_target_ous_and_regions(hub_stack):
    assert hub_stack["Resources"]["SpokeStackSet"]["Type"] == "AWS::CloudFormation::StackSet"
    properties = dict(hub_stack["Resources"]["SpokeStackSet"]["Properties"])
    body = properties.pop("TemplateBody")
    parameters = properties.pop("Parameters")
    assert properties == {
        # Named after the parent, so the sweep (a sibling stack) can list its instances.
        "StackSetName": {"Fn::Sub": "${ParentStackName}-spokes"},
        "Description": "SSM association notifier spokes: forward association events to the hub "
        "and let it read runs and output",
        "PermissionModel": "SERVICE_MANAGED",
        "CallAs": {"Ref": "CallAs"},
        "AutoDeployment": {
            "Enabled": True,
            "RetainStacksOnAccountRemoval": {"Ref": "RetainStacksOnAccountRemoval"},
        },
        "Capabilities": ["CAPABILITY_NAMED_IAM"],
        "ManagedExecution": {"Active": True},
        "OperationPreferences": {
            "RegionConcurrencyType": "PARALLEL",
            "FailureTolerancePercentage": {"Ref": "SpokeFailureTolerancePercentage"},
            "MaxConcurrentPercentage": {"Ref": "SpokeMaxConcurrentPercentage"},
        },
        "StackInstancesGroup": [
            {
                "DeploymentTargets": {
                    "OrganizationalUnitIds": {"Ref": "TargetOrganizationalUnitIds"}
                },
                "Regions": {"Ref": "SpokeRegions"},
            }
        ],
    }
    assert json.loads(body) == spoke.build(CONFIG).to_dict()
    assert parameters == [
        {
            "ParameterKey": "HubEventBusArn",
            "ParameterValue": {"Fn::GetAtt": ["HubEventBus", "Arn"]},
        },
        {
            "ParameterKey": "HubNotifierRoleArn",
            "ParameterValue": {"Fn::GetAtt": ["FunctionRole", "Arn"]},
        },
        {"ParameterKey": "HubSweepRoleArn", "ParameterValue": {"Fn::GetAtt": ["SweepRole", "Arn"]}},
        {"ParameterKey": "OrganizationId", "ParameterValue": {"Ref": "OrganizationId"}},
        # Empty, listed so that update-stack-instances can set each account's boundary.
        {"ParameterKey": "PermissionsBoundaryArn", "ParameterValue": ""},
        {"ParameterKey": "RolePath", "ParameterValue": ""},
        {
            "ParameterKey": "WatchedDocuments",
            "ParameterValue": {"Fn::Join": [",", {"Ref": "WatchedDocuments"}]},
        },
        {
            "ParameterKey": "WatchedStatuses",
            "ParameterValue": {"Fn::Join": [",", {"Ref": "WatchedStatuses"}]},
        },
    ]


def test_every_required_spoke_parameter_is_passed_and_nothing_unknown(hub_stack):
    spoke_parameters = spoke.build(CONFIG).to_dict()["Parameters"]
    passed = {
        p["ParameterKey"]
        for p in hub_stack["Resources"]["SpokeStackSet"]["Properties"]["Parameters"]
    }
    required = {name for name, spec in spoke_parameters.items() if "Default" not in spec}
    assert required <= passed <= set(spoke_parameters)


def test_the_spoke_body_is_compact_deterministic_and_within_the_limit():
    body = hub.spoke_template_body(CONFIG)
    assert body == hub.spoke_template_body(CONFIG)
    assert len(body.encode()) <= 51_200
    assert body == json.dumps(json.loads(body), separators=(",", ":"), sort_keys=True)


def test_a_spoke_too_big_for_a_template_body_is_refused(monkeypatch):
    monkeypatch.setattr(hub, "TEMPLATE_BODY_LIMIT_BYTES", 1000)
    with pytest.raises(ValueError, match=r"the spoke template is \d+ bytes; .* at most 1000"):
        hub.spoke_template_body(CONFIG)


def test_assume_readers_statement_reaches_only_reader_roles_in_the_organization():
    template = new_template("statement under test")
    organization = hub.add_parameters(template).organization_id
    statement = encode_to_dict(hub.assume_readers_statement(Ref(organization)))
    assert statement == {
        "Sid": "AssumeSpokeReaders",
        "Effect": "Allow",
        "Action": ["sts:AssumeRole"],
        "Resource": [
            {
                "Fn::Sub": [
                    "arn:${AWS::Partition}:iam::*:role/${Prefix}-*",
                    {"Prefix": "ssm-notifier-reader"},
                ]
            }
        ],
        "Condition": {"StringEquals": {"aws:ResourceOrgID": {"Ref": "OrganizationId"}}},
    }


def test_outputs_name_the_bus_and_the_stack_set(hub_stack):
    assert {name: output["Value"] for name, output in hub_stack["Outputs"].items()} == {
        "HubEventBusArn": {"Fn::GetAtt": ["HubEventBus", "Arn"]},
        "HubEventBusName": {"Ref": "HubEventBus"},
        "SpokeStackSetId": {"Ref": "SpokeStackSet"},
    }


# -- hub.yaml: the hub stack the parent nests under Scope=organization --------------------------


@pytest.fixture(scope="module")
def hub_child(rendered) -> dict:
    return rendered[hub.HUB_FILE]


def test_the_hub_stack_puts_the_policy_on_the_notifications_bus(hub_child):
    policy = hub_child["Resources"]["HubEventBusPolicy"]["Properties"]
    assert policy["EventBusName"] == {"Ref": "HubEventBusName"}
    assert policy["Statement"]["Resource"] == {"Ref": "HubEventBusArn"}
    assert policy["Statement"]["Action"] == "events:PutEvents"
    assert policy["Statement"]["Condition"] == {
        "StringEquals": {"aws:PrincipalOrgID": {"Ref": "OrganizationId"}}
    }


def test_the_hub_stack_passes_the_notifier_and_sweep_roles_to_the_spokes(hub_child):
    passed = {
        p["ParameterKey"]: p["ParameterValue"]
        for p in hub_child["Resources"]["SpokeStackSet"]["Properties"]["Parameters"]
    }
    assert passed["HubEventBusArn"] == {"Ref": "HubEventBusArn"}
    assert passed["HubNotifierRoleArn"] == {"Ref": "FunctionRoleArn"}
    assert passed["HubSweepRoleArn"] == {"Ref": "SweepRoleArn"}
    assert passed["OrganizationId"] == {"Ref": "OrganizationId"}
    assert passed["WatchedDocuments"] == {"Fn::Join": [",", {"Ref": "WatchedDocuments"}]}
    assert set(hub_child["Outputs"]) == {"SpokeStackSetId"}
    # The spokes' own agent-update association: off unless asked for, with the parent's settings.
    assert passed["CreateAgentUpdateAssociation"] == {"Ref": "SpokeCreatesAgentUpdateAssociation"}
    assert hub_child["Parameters"]["SpokeCreatesAgentUpdateAssociation"]["Default"] == "false"
    for name in ("AssociationSchedule", "AssociationTargets", "TargetTagValue"):
        assert passed[name] == {"Ref": name}


def test_the_hub_stack_refuses_an_empty_organization_ou_list_or_region_list(hub_child):
    (rule,) = hub_child["Rules"].values()
    asserted = [a["Assert"] for a in rule["Assertions"]]
    assert asserted == [
        {"Fn::Not": [{"Fn::Equals": [{"Ref": "OrganizationId"}, ""]}]},
        {"Fn::Not": [{"Fn::Contains": [{"Ref": "TargetOrganizationalUnitIds"}, ""]}]},
        {"Fn::Not": [{"Fn::Contains": [{"Ref": "SpokeRegions"}, ""]}]},
    ]
    for name in ("OrganizationId", "TargetOrganizationalUnitIds", "SpokeRegions"):
        assert "Default" not in hub_child["Parameters"][name]


def test_the_hub_built_from_a_given_spoke_is_the_hub_built_alone_and_leaves_the_spoke_as_it_was():
    """build_all builds the spoke once and hands it to the hub (its StackSet body and its copies
    of the spoke's parameters): the hub must come out the same and must not change the spoke."""
    given = spoke.build(CONFIG)
    before = json.dumps(given.to_dict())
    assert hub.build(CONFIG, given).to_dict() == hub.build(CONFIG).to_dict()
    assert json.dumps(given.to_dict()) == before == json.dumps(spoke.build(CONFIG).to_dict())

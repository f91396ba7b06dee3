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
    hub.ORGANIZATION_ID: (["o-a1b2c3d4e5"], ["", "o-abc", "O-A1B2C3D4E5"]),
    hub.TARGET_OUS: (
        ["ou-ab12-abcdefgh", "ou-ab12-abcdefgh,ou-zz99-12345678ab", "r-ab12"],
        ["", "ou-ab1-abcdefgh", "ou-ab12-abcdefg", "OU-AB12-ABCDEFGH", "o-a1b2c3d4e5", "r-a"],
    ),
    hub.SPOKE_REGIONS: (
        ["us-east-1", "us-east-1,eu-west-1,ap-southeast-5"],
        ["", "us east 1", "us-east-1,", "r" * 129],
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
    properties = dict(hub_stack["Resources"]["SpokeStackSet"]["Properties"])
    body = properties.pop("TemplateBody")
    parameters = properties.pop("Parameters")
    assert properties == {
        "StackSetName": {"Fn::Sub": "${AWS::StackName}-spokes"},
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

"""The moto behaviour behind workaround 16 (moto_workarounds): a list item that is
`Fn::If [false condition, item, AWS::NoValue]` becomes None instead of disappearing."""

from __future__ import annotations

import json

import pytest
from aws_cli import Cli
from emulator import MotoServer
from nested_stacks import resolve_conditional_list_items

pytestmark = pytest.mark.e2e

TEMPLATE = {
    "Parameters": {"InVpc": {"Type": "String", "Default": "false"}},
    "Conditions": {"IsInVpc": {"Fn::Equals": [{"Ref": "InVpc"}, "true"]}},
    "Resources": {
        "Role": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []},
                "Policies": [
                    {
                        "Fn::If": [
                            "IsInVpc",
                            {
                                "PolicyName": "only-in-a-vpc",
                                "PolicyDocument": {"Version": "2012-10-17", "Statement": []},
                            },
                            {"Ref": "AWS::NoValue"},
                        ]
                    }
                ],
            },
        }
    },
}


def deploy(tmp_path, template: dict) -> int:
    path = tmp_path / "role.json"
    path.write_text(json.dumps(template))
    with MotoServer(log_path=tmp_path / "moto.log") as moto:
        cli = Cli(moto.endpoint, moto.env, tmp_path)
        call = cli(
            "cloudformation",
            "deploy",
            "--template-file",
            str(path),
            "--stack-name",
            "probe",
            "--capabilities",
            "CAPABILITY_IAM",
            check=False,
        )
    return call.returncode


def test_moto_still_keeps_a_no_value_list_item(tmp_path):
    """Fails once moto drops the item as AWS does: delete workaround 16 then."""
    assert deploy(tmp_path, TEMPLATE) != 0, "moto now drops AWS::NoValue items: drop workaround 16"


def test_the_workaround_resolves_the_item_and_the_stack_deploys(tmp_path):
    template = json.loads(json.dumps(TEMPLATE))
    done = resolve_conditional_list_items(template, {}, stack_name="probe")
    assert done == ["Resources.Role.Properties.Policies[0]: Fn::If IsInVpc -> none"]
    assert template["Resources"]["Role"]["Properties"]["Policies"] == []
    taken = json.loads(json.dumps(TEMPLATE))
    resolve_conditional_list_items(taken, {"InVpc": "true"}, stack_name="probe")
    assert taken["Resources"]["Role"]["Properties"]["Policies"][0]["PolicyName"] == "only-in-a-vpc"
    assert deploy(tmp_path, template) == 0

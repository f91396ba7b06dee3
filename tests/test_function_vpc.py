"""Functions in a VPC, optional: VpcConfig and the network-interface policy only when both the
subnets and the security groups are given; the parent rejects one without the other."""

import pytest
from template_helpers import resources_of_type
from test_parent_wiring import evaluate_condition, nested_stacks, prune_ifs

from templates.parent import CHILDREN

STACKS_WITH_FUNCTIONS = ["notifications.yaml", "sweep.yaml"]
IN_VPC = {"FunctionSubnetIds": ["subnet-0a1b"], "FunctionSecurityGroupIds": ["sg-0a1b"]}
NO_VPC = {"FunctionSubnetIds": [""], "FunctionSecurityGroupIds": [""]}
HALF = {"FunctionSubnetIds": ["subnet-0a1b"], "FunctionSecurityGroupIds": [""]}


def live(template: dict, values: dict) -> dict:
    """The template's resources with every Fn::If resolved for these parameter values."""
    conditions = template["Conditions"]
    parameters = {
        name: [spec.get("Default", "")] if spec["Type"] == "CommaDelimitedList" else spec
        for name, spec in template["Parameters"].items()
    } | values
    active = {name: evaluate_condition(c, conditions, parameters) for name, c in conditions.items()}
    return prune_ifs(template["Resources"], active)


def without_no_value(value):
    """The fragment as CloudFormation sees it: AWS::NoValue entries dropped."""
    if isinstance(value, dict):
        return {k: without_no_value(v) for k, v in value.items() if v != {"Ref": "AWS::NoValue"}}
    if isinstance(value, list):
        return [without_no_value(v) for v in value if v != {"Ref": "AWS::NoValue"}]
    return value


@pytest.mark.parametrize("file_name", STACKS_WITH_FUNCTIONS)
@pytest.mark.parametrize(("values", "in_vpc"), [(IN_VPC, True), (NO_VPC, False), (HALF, False)])
def test_functions_join_the_vpc_only_with_subnets_and_groups(rendered, file_name, values, in_vpc):
    resources = without_no_value(live(rendered[file_name], values))
    functions = resources_of_type({"Resources": resources}, "AWS::Lambda::Function")
    # The functions' roles (a stack may hold other roles, such as the chat channel's).
    function_roles = {
        function["Properties"]["Role"]["Fn::GetAtt"][0] for function in functions.values()
    }
    roles = {
        title: role
        for title, role in resources_of_type({"Resources": resources}, "AWS::IAM::Role").items()
        if title in function_roles
    }
    assert functions and roles
    for function in functions.values():
        if in_vpc:
            assert function["Properties"]["VpcConfig"] == {
                "SubnetIds": {"Ref": "FunctionSubnetIds"},
                "SecurityGroupIds": {"Ref": "FunctionSecurityGroupIds"},
            }
        else:
            assert "VpcConfig" not in function["Properties"]
    for role in roles.values():
        names = [policy["PolicyName"] for policy in role["Properties"]["Policies"]]
        assert ("vpc-network-interfaces" in names) == in_vpc


def test_the_network_interface_policy_is_scoped(notifications):
    (conditional,) = [
        p
        for p in notifications["Resources"]["FunctionRole"]["Properties"]["Policies"]
        if "Fn::If" in p
    ]
    statements = {s["Sid"]: s for s in conditional["Fn::If"][1]["PolicyDocument"]["Statement"]}
    interfaces = {
        "Fn::Sub": "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:network-interface/*"
    }
    assert statements["CreateNetworkInterfaces"]["Action"] == ["ec2:CreateNetworkInterface"]
    assert interfaces in statements["CreateNetworkInterfaces"]["Resource"]
    assert statements["ManageNetworkInterfaces"]["Resource"] == [interfaces]
    assert statements["DescribeNetwork"] == {
        "Sid": "DescribeNetwork",
        "Effect": "Allow",
        "Action": ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
        "Resource": ["*"],
    }


@pytest.mark.parametrize("title", sorted(CHILDREN))
def test_the_parent_passes_the_network_to_every_child_with_functions(parent, rendered, title):
    child = rendered[CHILDREN[title][1]]
    passed = nested_stacks(parent)[title]["Properties"].get("Parameters", {})
    has_functions = bool(resources_of_type(child, "AWS::Lambda::Function"))
    for name in ("FunctionSubnetIds", "FunctionSecurityGroupIds"):
        if has_functions:
            assert passed[name] == {"Fn::Join": [",", {"Ref": name}]}
        else:
            assert name not in child.get("Parameters", {})


def rule_holds(expression, values: dict) -> bool:
    """A Rules expression (Fn::Not, Fn::And, Fn::Contains over a list parameter's Ref)."""
    (function, arguments), *_ = expression.items()
    if function == "Fn::Not":
        return not rule_holds(arguments[0], values)
    if function == "Fn::And":
        return all(rule_holds(a, values) for a in arguments)
    if function == "Fn::Contains":
        listed, value = arguments
        return value in values[listed["Ref"]]
    raise AssertionError(function)


@pytest.mark.parametrize(
    ("values", "accepted"),
    [
        (NO_VPC, True),
        (IN_VPC, True),
        (HALF, False),
        ({"FunctionSubnetIds": [""], "FunctionSecurityGroupIds": ["sg-0a1b"]}, False),
    ],
)
def test_the_parent_rejects_subnets_without_groups_and_groups_without_subnets(
    parent, values, accepted
):
    rule = parent["Rules"]["FunctionVpcIsComplete"]
    applies = rule_holds(rule["RuleCondition"], values)
    holds = all(rule_holds(a["Assert"], values) for a in rule["Assertions"])
    assert (not applies or holds) == accepted


def test_a_function_not_built_by_the_builder_is_refused():
    """A function without the VPC setting could not follow FunctionSubnetIds: the template
    refuses it, so a new function goes through templates.functions.function."""
    from troposphere import awslambda

    from templates.common import new_template

    template = new_template("t")
    loose = awslambda.Function(
        "Loose", Code=awslambda.Code(ZipFile="x"), Role="r", Runtime="python3.13", Handler="h"
    )
    with pytest.raises(ValueError, match=r"functions\.function"):
        template.add_resource(loose)

"""The parent and its children fit together: parameters, outputs, no cycles."""

from graphlib import CycleError, TopologicalSorter

import pytest
from template_helpers import resources_of_type

from templates.parent import CHILDREN


def nested_stacks(parent: dict) -> dict[str, dict]:
    return resources_of_type(parent, "AWS::CloudFormation::Stack")


def output_references(value) -> list[tuple[str, str]]:
    """Every (child, output) that `value` reads with GetAtt Child.Outputs.X."""
    found = []
    if isinstance(value, dict):
        if "Fn::GetAtt" in value:
            resource, attribute = value["Fn::GetAtt"]
            if attribute.startswith("Outputs."):
                found.append((resource, attribute.removeprefix("Outputs.")))
        for item in value.values():
            found += output_references(item)
    elif isinstance(value, list):
        for item in value:
            found += output_references(item)
    return found


def test_every_child_is_nested_from_its_file(parent):
    stacks = nested_stacks(parent)
    assert set(stacks) == set(CHILDREN)
    for title, stack in stacks.items():
        assert stack["Properties"]["TemplateURL"] == CHILDREN[title][1]


@pytest.mark.parametrize("title", sorted(CHILDREN))
def test_parent_passes_exactly_the_parameters_the_child_declares(parent, rendered, title):
    child = rendered[CHILDREN[title][1]]
    passed = set(nested_stacks(parent)[title]["Properties"].get("Parameters", {}))
    declared = set(child.get("Parameters", {}))
    required = {name for name, spec in child.get("Parameters", {}).items() if "Default" not in spec}
    assert passed <= declared, f"{title} is passed unknown parameters {passed - declared}"
    assert required <= passed, f"{title} is missing required parameters {required - passed}"


def test_every_output_the_parent_reads_exists_in_that_child(parent, rendered):
    references = output_references(parent["Resources"]) + output_references(parent["Outputs"])
    assert references, "the parent reads no child outputs"
    for resource, output in references:
        child = rendered[CHILDREN[resource][1]]
        assert output in child.get("Outputs", {}), f"{resource} has no output {output}"


def test_no_exports_or_imports_inside_the_family(rendered):
    for name, template in rendered.items():
        assert "Fn::ImportValue" not in str(template), name
        for output in template.get("Outputs", {}).values():
            assert "Export" not in output, name


def test_stack_dependencies_have_no_cycle(parent):
    stacks = nested_stacks(parent)
    graph = {
        title: {resource for resource, _ in output_references(stack)}
        | set(stack.get("DependsOn", []))
        for title, stack in stacks.items()
    }
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as error:  # pragma: no cover - the assertion is the point
        pytest.fail(f"nested stacks depend on each other in a cycle: {error}")
    assert order.index("Network") < order.index("Logging")


def test_useful_outputs_are_resurfaced(parent):
    assert {"TopicArn", "QueueUrl", "DeadLetterQueueUrl", "OutputBucketName", "InstanceIds"} <= set(
        parent["Outputs"]
    )


def test_lists_travel_to_children_joined(parent):
    notifications = nested_stacks(parent)["Notifications"]["Properties"]["Parameters"]
    assert notifications["WatchedDocuments"] == {"Fn::Join": [",", {"Ref": "WatchedDocuments"}]}
    assert notifications["WatchedStatuses"] == {"Fn::Join": [",", {"Ref": "WatchedStatuses"}]}


# --- The two fleet modes -------------------------------------------------------------------------


def evaluate_condition(expression, conditions: dict, parameters: dict) -> bool:
    """Evaluate a CloudFormation condition for the given parameter values."""
    if isinstance(expression, bool):
        return expression
    (function, arguments), *_ = expression.items()
    if function == "Condition":
        return evaluate_condition(conditions[arguments], conditions, parameters)
    if function == "Fn::Equals":
        left, right = (resolve_value(argument, parameters) for argument in arguments)
        return left == right
    if function == "Fn::Not":
        return not evaluate_condition(arguments[0], conditions, parameters)
    if function == "Fn::And":
        return all(evaluate_condition(a, conditions, parameters) for a in arguments)
    if function == "Fn::Or":
        return any(evaluate_condition(a, conditions, parameters) for a in arguments)
    raise AssertionError(f"unexpected condition function {function}")


def resolve_value(value, parameters: dict):
    if isinstance(value, dict) and "Ref" in value:
        return parameters[value["Ref"]]
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, items = value["Fn::Join"]
        return separator.join(resolve_value(items, parameters))
    return value


def prune_ifs(value, active_conditions: dict[str, bool]):
    """The template fragment as CloudFormation sees it: each Fn::If replaced by its taken branch."""
    if isinstance(value, dict):
        if "Fn::If" in value:
            condition, when_true, when_false = value["Fn::If"]
            taken = when_true if active_conditions[condition] else when_false
            return prune_ifs(taken, active_conditions)
        return {key: prune_ifs(item, active_conditions) for key, item in value.items()}
    if isinstance(value, list):
        return [prune_ifs(item, active_conditions) for item in value]
    return value


def deployed(parent: dict, overrides: dict) -> tuple[set[str], dict]:
    """(resources created, pruned resources+outputs) for the given parameter overrides."""
    parameters = {
        name: spec.get("Default") for name, spec in parent["Parameters"].items()
    } | overrides
    parameters = {
        name: value.split(",")
        if parent["Parameters"][name]["Type"] == "CommaDelimitedList" and isinstance(value, str)
        else value
        for name, value in parameters.items()
    }
    conditions = parent.get("Conditions", {})
    active = {
        name: evaluate_condition(expression, conditions, parameters)
        for name, expression in conditions.items()
    }
    created = {
        title
        for title, resource in parent["Resources"].items()
        if active.get(resource.get("Condition"), True)
    }
    live = {
        "Resources": {t: r for t, r in parent["Resources"].items() if t in created},
        "Outputs": {
            t: o for t, o in parent["Outputs"].items() if active.get(o.get("Condition"), True)
        },
    }
    return created, prune_ifs(live, active)


def referenced_resources(value) -> set[str]:
    found = set()
    if isinstance(value, dict):
        if "Fn::GetAtt" in value:
            found.add(value["Fn::GetAtt"][0])
        if "Ref" in value:
            found.add(value["Ref"])
        for key, item in value.items():
            if key == "DependsOn":
                found |= set(item if isinstance(item, list) else [item])
            else:
                found |= referenced_resources(item)
    elif isinstance(value, list):
        for item in value:
            found |= referenced_resources(item)
    return found


MODES = {
    "demo": {"NotificationEmail": "ops@example.com"},
    "existing fleet, roles given": {
        "NotificationEmail": "ops@example.com",
        "FleetMode": "existing",
        "ExistingInstanceRoleNames": "WebRole,BatchRole",
    },
    "existing fleet, no roles, no association": {
        "NotificationEmail": "ops@example.com",
        "FleetMode": "existing",
        "CreateAgentUpdateAssociation": "false",
    },
}


@pytest.mark.parametrize("mode", sorted(MODES))
def test_each_mode_references_only_stacks_it_creates(parent, mode):
    created, live = deployed(parent, MODES[mode])
    missing = (
        referenced_resources(live)
        - created
        - set(parent["Parameters"])
        - {
            "AWS::StackName",
            "AWS::Region",
            "AWS::AccountId",
            "AWS::Partition",
            "AWS::NoValue",
        }
    )
    assert not missing, f"{mode}: references to resources not created: {missing}"


def test_demo_mode_deploys_the_network_and_gives_its_role_the_output_policy(parent):
    created, live = deployed(parent, MODES["demo"])
    assert created == {"Network", "Logging", "Notifications", "Sweep", "Association"}
    role_names = live["Resources"]["Logging"]["Properties"]["Parameters"]["InstanceRoleNames"]
    assert role_names == {"Fn::GetAtt": ["Network", "Outputs.InstanceRoleName"]}
    tag_value = live["Resources"]["Association"]["Properties"]["Parameters"]["TargetTagValue"]
    network_tag = live["Resources"]["Network"]["Properties"]["Parameters"]["FleetTagValue"]
    assert tag_value == network_tag == {"Ref": "AWS::StackName"}


def test_existing_mode_skips_the_network_and_uses_the_given_roles(parent):
    created, live = deployed(parent, MODES["existing fleet, roles given"])
    assert "Network" not in created
    assert "InstanceIds" not in live["Outputs"]
    role_names = live["Resources"]["Logging"]["Properties"]["Parameters"]["InstanceRoleNames"]
    assert role_names == {"Fn::Join": [",", {"Ref": "ExistingInstanceRoleNames"}]}


def test_association_is_created_after_the_notification_pipeline(parent):
    association = nested_stacks(parent)["Association"]
    assert association["DependsOn"] == ["Notifications"]


def test_without_the_association_the_pipeline_bucket_and_sweep_remain(parent):
    created, _ = deployed(parent, MODES["existing fleet, no roles, no association"])
    assert created == {"Logging", "Notifications", "Sweep"}


# --- Roles: the permissions boundary and path reach every role ----------------------------------

ROLE_INPUTS = ("PermissionsBoundaryArn", "RolePath")


@pytest.mark.parametrize("title", sorted(CHILDREN))
def test_every_child_with_roles_gets_the_boundary_and_path_from_the_parent(parent, rendered, title):
    child = rendered[CHILDREN[title][1]]
    roles = resources_of_type(child, "AWS::IAM::Role")
    passed = nested_stacks(parent)[title]["Properties"].get("Parameters", {})
    for name in ROLE_INPUTS:
        if roles:
            assert passed.get(name) == {"Ref": name}, f"{title} does not get {name}"
            assert child["Parameters"][name]["Default"] == ""
        else:
            assert name not in child.get("Parameters", {}), f"{title} declares {name} unused"


def test_every_role_takes_the_boundary_and_path_only_when_they_are_set(rendered):
    roles = {
        (file_name, title): (template, role)
        for file_name, template in rendered.items()
        for title, role in resources_of_type(template, "AWS::IAM::Role").items()
    }
    assert {title for _, title in roles} >= {"InstanceRole", "FunctionRole", "SweepRole"}
    for (file_name, title), (template, role) in roles.items():
        properties = role["Properties"]
        for prop, parameter in (("PermissionsBoundary", ROLE_INPUTS[0]), ("Path", ROLE_INPUTS[1])):
            condition, when_set, when_empty = properties[prop]["Fn::If"]
            assert (when_set, when_empty) == ({"Ref": parameter}, {"Ref": "AWS::NoValue"})
            assert template["Conditions"][condition] == {
                "Fn::Not": [{"Fn::Equals": [{"Ref": parameter}, ""]}]
            }, f"{file_name}:{title}"


def test_a_role_not_built_by_the_builder_is_refused():
    from troposphere import iam

    from templates.common import new_template

    template = new_template("t")
    with pytest.raises(ValueError, match=r"common\.role"):
        template.add_resource(iam.Role("Loose", AssumeRolePolicyDocument={}))


# -- Scope=organization ----------------------------------------------------------------------


def test_scope_defaults_to_the_account_and_organization_nests_the_hub(parent):
    assert parent["Parameters"]["Scope"]["Default"] == "account"
    assert parent["Conditions"]["IsOrganization"] == {
        "Fn::Equals": [{"Ref": "Scope"}, "organization"]
    }
    stack = parent["Resources"]["Hub"]
    assert stack["Condition"] == "IsOrganization"
    passed = stack["Properties"]["Parameters"]
    assert passed["HubEventBusArn"] == {"Fn::GetAtt": ["Notifications", "Outputs.HubEventBusArn"]}
    assert passed["FunctionRoleArn"] == {"Fn::GetAtt": ["Notifications", "Outputs.FunctionRoleArn"]}
    assert passed["SweepRoleArn"] == {"Fn::GetAtt": ["Sweep", "Outputs.SweepRoleArn"]}
    assert passed["TargetOrganizationalUnitIds"] == {
        "Fn::Join": [",", {"Ref": "TargetOrganizationalUnitIds"}]
    }
    for child in ("Notifications", "Sweep"):
        assert parent["Resources"][child]["Properties"]["Parameters"]["Scope"] == {"Ref": "Scope"}
    # The hub names the StackSet after the parent; the sweep lists it as the hub created it.
    assert passed["ParentStackName"] == {"Ref": "AWS::StackName"}
    sweep = parent["Resources"]["Sweep"]["Properties"]["Parameters"]
    assert sweep["ParentStackName"] == {"Ref": "AWS::StackName"}
    assert sweep["CallAs"] == {"Ref": "CallAs"}


def test_the_organization_inputs_are_optional_until_scope_is_organization(parent):
    for name in ("OrganizationId", "TargetOrganizationalUnitIds", "SpokeRegions"):
        assert parent["Parameters"][name]["Default"] == ""
    rule = parent["Rules"]["OrganizationScopeNeedsItsInputs"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "Scope"}, "organization"]}
    assert [a["AssertDescription"] for a in rule["Assertions"]] == [
        "OrganizationId must not be empty",
        "TargetOrganizationalUnitIds must name at least one, with no empty item",
        "SpokeRegions must name at least one, with no empty item",
    ]


def test_the_spoke_is_generated_but_not_nested(rendered, parent):
    assert "spoke.yaml" in rendered
    assert all(
        r["Properties"].get("TemplateURL") != "spoke.yaml"
        for r in parent["Resources"].values()
        if r["Type"] == "AWS::CloudFormation::Stack"
    )

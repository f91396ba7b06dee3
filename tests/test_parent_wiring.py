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

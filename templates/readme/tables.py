"""The README's tables, rendered from the templates: parameters, outputs, and who may do what."""

from __future__ import annotations

from collections.abc import Iterator

from templates.readme.intrinsics import cell, parameter_sources, show


def parameters_table(parent: dict) -> str:
    rows = [
        "| name | type | default | constraint | what it does |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, spec in parent["Parameters"].items():
        default = spec.get("Default")
        shown_default = (
            "(required)" if default is None else f"`{default}`" if default != "" else "(empty)"
        )
        rows.append(
            f"| `{name}` | {spec['Type']} | {cell(shown_default)} | {cell(_constraint(spec))} "
            f"| {cell(spec.get('Description', ''))} |"
        )
    return "\n".join(rows) + "\n"


def _constraint(spec: dict) -> str:
    if "AllowedValues" in spec:
        values = spec["AllowedValues"]
        if len(values) > 6:
            return spec.get("ConstraintDescription", "one of " + ", ".join(map(str, values)))
        return "one of " + ", ".join(f"`{value}`" for value in values)
    if "MinValue" in spec or "MaxValue" in spec:
        return f"{spec.get('MinValue', '')} to {spec.get('MaxValue', '')}"
    if "ConstraintDescription" in spec:
        return spec["ConstraintDescription"]
    if "AllowedPattern" in spec:
        return f"matches `{spec['AllowedPattern']}`"
    return ""


def outputs_table(parent: dict) -> str:
    rows = ["| name | what it is | from | only when |", "| --- | --- | --- | --- |"]
    for name, output in parent["Outputs"].items():
        source = show(output["Value"]).replace(".Outputs.", " stack, output ")
        rows.append(
            f"| `{name}` | {cell(output.get('Description', ''))} | {cell(source)} "
            f"| {output.get('Condition', '')} |"
        )
    return "\n".join(rows) + "\n"


def security_table(rendered: dict[str, dict]) -> str:
    rows = [
        "| stack | role | may | on |",
        "| --- | --- | --- | --- |",
    ]
    for stack, principal, actions, resources in _grants(rendered):
        rows.append(
            f"| {stack} | `{principal}` | {cell(', '.join(f'`{a}`' for a in actions))} "
            f"| {cell(', '.join(f'`{r}`' for r in resources))} |"
        )
    return "\n".join(rows) + "\n"


def _grants(rendered: dict[str, dict]) -> Iterator[tuple[str, str, list[str], list[str]]]:
    sources = parameter_sources(rendered)
    for file_name, template in rendered.items():
        stack = file_name.removesuffix(".yaml")
        for title, resource in template.get("Resources", {}).items():
            properties = resource.get("Properties", {})
            if resource["Type"] == "AWS::IAM::Role":
                for arn in properties.get("ManagedPolicyArns", []):
                    yield stack, title, ["AWS managed policy"], [show(arn).rsplit("/", 1)[-1]]
                for policy in properties.get("Policies", []):
                    yield from _statements(stack, title, policy["PolicyDocument"], sources)
            elif resource["Type"] == "AWS::IAM::Policy":
                principal = f"{title} on {show(properties['Roles'])}"
                yield from _statements(stack, principal, properties["PolicyDocument"], sources)


def _statements(stack: str, principal: str, document: dict, sources: dict):
    for statement in document["Statement"]:
        if statement["Effect"] == "Allow":
            resources = statement["Resource"]
            resources = resources if isinstance(resources, list) else [resources]
            shown = []
            for resource in resources:
                text = show(resource)
                if (stack, text) in sources:  # a parameter filled from another stack
                    text = "{} in {}".format(*reversed(sources[(stack, text)]))
                shown.append(text)
            yield stack, principal, statement["Action"], shown

"""The README's generated sections, rendered from the templates so they never drift from them.

`sections(rendered)` returns marker name -> Markdown; generate.py writes each between
`<!-- generated:NAME -->` and `<!-- /generated:NAME -->` in README.md, and the Mermaid diagram
also to build/architecture.mmd. Pure functions over template dicts: no I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from templates.parent import CHILDREN, PARENT_FILE

# Resource types worth a box in the picture, with the label shown under the logical id.
PICTURED = {
    "AWS::EC2::Instance": "EC2 instance",
    "AWS::SSM::Association": "State Manager association",
    "AWS::S3::Bucket": "S3 bucket",
    "AWS::Events::Rule": "EventBridge rule",
    "AWS::SQS::Queue": "SQS queue",
    "AWS::Lambda::Function": "Lambda function",
    "AWS::SNS::Topic": "SNS topic",
    "AWS::SNS::Subscription": "email subscription",
    "AWS::CloudWatch::Alarm": "CloudWatch alarm",
}
# Outside the stacks: where the events come from and where the email goes.
AGENT, BUS, INBOX = "agent", "bus", "inbox"


def sections(rendered: dict[str, dict]) -> dict[str, str]:
    parent = rendered[PARENT_FILE]
    return {
        "architecture": "```mermaid\n" + architecture(rendered) + "```\n",
        "parameters": parameters_table(parent),
        "outputs": outputs_table(parent),
        "security": security_table(rendered),
    }


# --- Showing intrinsic functions as short text ---------------------------------------------------


def show(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        (function, argument), *_ = value.items()
        if function == "Ref":
            return argument
        if function == "Fn::GetAtt":
            return ".".join(argument)
        if function == "Fn::Sub":
            return argument if isinstance(argument, str) else _substitute(*argument)
        if function == "Fn::Join":
            separator, items = argument
            return (
                separator.join(show(item) for item in items)
                if isinstance(items, list)
                else f"{show(items)} joined by '{separator}'"
            )
        if function == "Fn::If":
            condition, when_true, when_false = argument
            return f"{show(when_true)} if {condition}, else {show(when_false)}"
    return json.dumps(value, sort_keys=True)


def _substitute(text: str, variables: dict) -> str:
    for name, value in variables.items():
        text = text.replace("${" + name + "}", show(value))
    return text


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# --- Parameters and outputs ----------------------------------------------------------------------


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
            f"| `{name}` | {spec['Type']} | {_cell(shown_default)} | {_cell(_constraint(spec))} "
            f"| {_cell(spec.get('Description', ''))} |"
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
            f"| `{name}` | {_cell(output.get('Description', ''))} | {_cell(source)} "
            f"| {output.get('Condition', '')} |"
        )
    return "\n".join(rows) + "\n"


# --- Who may do what -----------------------------------------------------------------------------


def security_table(rendered: dict[str, dict]) -> str:
    rows = [
        "| stack | role | may | on |",
        "| --- | --- | --- | --- |",
    ]
    for stack, principal, actions, resources in _grants(rendered):
        rows.append(
            f"| {stack} | `{principal}` | {_cell(', '.join(f'`{a}`' for a in actions))} "
            f"| {_cell(', '.join(f'`{r}`' for r in resources))} |"
        )
    return "\n".join(rows) + "\n"


def _grants(rendered: dict[str, dict]) -> Iterator[tuple[str, str, list[str], list[str]]]:
    sources = _parameter_sources(rendered)
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


# --- The picture ---------------------------------------------------------------------------------


def architecture(rendered: dict[str, dict]) -> str:
    """A Mermaid flowchart: nested stacks as groups, the resources that matter, and the arrows
    between them found from the templates' own references (across stacks through the parent)."""
    parent = rendered[PARENT_FILE]
    sources = _parameter_sources(rendered)
    lines = ["flowchart LR"]
    lines.append(f'  {AGENT}(["SSM Agent on each instance"])')
    lines.append(f'  {BUS}(["EventBridge default bus"])')
    lines.append(f'  {INBOX}(["operator inbox"])')
    edges: list[str] = [f"  {AGENT} -- association state change --> {BUS}"]
    for title, (_, file_name) in CHILDREN.items():
        template = rendered[file_name]
        stack = file_name.removesuffix(".yaml")
        condition = parent["Resources"][title].get("Condition")
        heading = f"{stack} stack" + (f" (if {condition})" if condition else "")
        lines.append(f'  subgraph {stack}["{heading}"]')
        for name, resource in template["Resources"].items():
            if resource["Type"] in PICTURED:
                lines.append(f'    {_node(stack, name)}["{name}<br/>{PICTURED[resource["Type"]]}"]')
        lines.append("  end")
        edges += _edges(stack, template, sources)
    return "\n".join(lines + sorted(set(edges), key=edges.index)) + "\n"


def _node(stack: str, name: str) -> str:
    return f"{stack}_{name}"


def _parameter_sources(rendered: dict[str, dict]) -> dict[tuple[str, str], tuple[str, str]]:
    """(child stack, parameter) -> (producing stack, resource) for every parameter the parent
    fills from another child's output."""
    parent = rendered[PARENT_FILE]
    sources = {}
    for title, (_, file_name) in CHILDREN.items():
        passed = parent["Resources"][title]["Properties"].get("Parameters", {})
        for parameter, value in passed.items():
            for producer, output in _child_outputs_read(value):
                producer_file = CHILDREN[producer][1]
                produced = rendered[producer_file]["Outputs"][output]["Value"]
                targets = _references(produced)
                if targets:
                    sources[(file_name.removesuffix(".yaml"), parameter)] = (
                        producer_file.removesuffix(".yaml"),
                        targets[0],
                    )
    return sources


def _child_outputs_read(value) -> list[tuple[str, str]]:
    text = json.dumps(value)
    return re.findall(r'"Fn::GetAtt": \["(\w+)", "Outputs\.(\w+)"\]', text)


def _references(value) -> list[str]:
    """Logical ids a fragment refers to with Ref or GetAtt, in order."""
    text = json.dumps(value)
    found = re.findall(r'"Ref": "([\w:]+)"|"Fn::GetAtt": \["(\w+)"', text)
    found += [(name, "") for name in re.findall(r"\$\{(\w+)(?:\.\w+)?\}", text)]
    return list(dict.fromkeys(a or b for a, b in found))


def _edges(stack: str, template: dict, sources: dict) -> list[str]:
    resources = template["Resources"]

    def target(name: str) -> str | None:
        """The pictured node a reference leads to, following parameters across stacks."""
        if name in resources and resources[name]["Type"] in PICTURED:
            return _node(stack, name)
        if (stack, name) in sources:
            producer, resource = sources[(stack, name)]
            return _node(producer, resource)
        return None

    edges = []
    for name, resource in resources.items():
        kind, properties = resource["Type"], resource.get("Properties", {})
        me = _node(stack, name)
        if kind == "AWS::Lambda::EventSourceMapping":
            queue, function = (
                target(show(properties["EventSourceArn"]).split(".")[0]),
                target(properties["FunctionName"]["Ref"]),
            )
            edges.append(f"  {queue} -- batches --> {function}")
        elif kind == "AWS::SNS::Subscription":
            edges.append(f"  {target(properties['TopicArn']['Ref'])} --> {me}")
            edges.append(f"  {me} -- email --> {INBOX}")
        elif kind == "AWS::CloudWatch::Alarm":
            for watched in _references(properties.get("Dimensions", [])):
                if target(watched):
                    edges.append(f"  {target(watched)} -. metric .-> {me}")
            for action in _references(properties.get("AlarmActions", [])):
                if target(action):
                    edges.append(f"  {me} -- alarm --> {target(action)}")
        elif kind == "AWS::Events::Rule":
            if "EventPattern" in properties:
                edges.append(f"  {BUS} --> {me}")
            for rule_target in properties.get("Targets", []):
                edges.append(
                    f"  {me} -- target --> {target(show(rule_target['Arn']).split('.')[0])}"
                )
                if "DeadLetterConfig" in rule_target:
                    dead = target(show(rule_target["DeadLetterConfig"]["Arn"]).split(".")[0])
                    edges.append(f"  {me} -. undeliverable .-> {dead}")
        elif kind == "AWS::SSM::Association":
            edges.append(f"  {me} -- runs --> {AGENT}")
            for reference in _references(properties.get("OutputLocation", {})):
                if target(reference):
                    edges.append(f"  {AGENT} -- output --> {target(reference)}")
        elif kind == "AWS::EC2::Instance":
            edges.append(f"  {me} --- {AGENT}")
        elif kind == "AWS::SQS::Queue" and "RedrivePolicy" in properties:
            dead = target(show(properties["RedrivePolicy"]["deadLetterTargetArn"]).split(".")[0])
            edges.append(f"  {me} -. redrive .-> {dead}")
        elif kind == "AWS::Lambda::Function":
            for reference in _references(properties.get("Environment", {})):
                if target(reference) and target(reference) != me:
                    edges.append(f"  {me} -- publish --> {target(reference)}")
            if "DeadLetterConfig" in properties:
                dead = target(show(properties["DeadLetterConfig"]["TargetArn"]).split(".")[0])
                edges.append(f"  {me} -. failed runs .-> {dead}")
        elif kind == "AWS::S3::Bucket" and "LoggingConfiguration" in properties:
            log_bucket = target(properties["LoggingConfiguration"]["DestinationBucketName"]["Ref"])
            edges.append(f"  {me} -. access log .-> {log_bucket}")
    return edges

"""The parent stack's nested stacks, deployed by the harness one by one (moto cannot nest them).

Workarounds 1 to 3 of `moto_workarounds` (read its docstring for the moto behaviour behind each,
and when to delete it): `deploy_children_one_by_one` with `ParentScope` (1), `child_outputs` and
`service_get_att` (2), `rewrite_cidr_selects` and `copy_launch_template_basics` (3).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from typing import Any

from awscli.customizations.cloudformation.yamlhelper import yaml_dump, yaml_parse

Cli = Callable[..., Any]  # aws_cli.Cli: runs `aws ...` and returns the completed call


# -- 1. the parent's children, one by one -------------------------------------------------------


@dataclass
class ChildStack:
    title: str  # the nested stack's logical id in the parent
    stack_name: str
    template_path: str  # the harness's copy of the packaged child template
    parameters: dict[str, str]
    outputs: dict[str, str]
    rewrites: list[str]  # what the harness changed in its copy, for the record


def nested_stacks(parent: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        title: resource
        for title, resource in parent["Resources"].items()
        if resource["Type"] == "AWS::CloudFormation::Stack"
    }


@dataclass
class ParentScope:
    """What the parent's intrinsic functions read: its parameters, conditions and children."""

    template: Mapping[str, Any]
    parameters: Mapping[str, str]
    stack_name: str
    children: dict[str, ChildStack] = field(default_factory=dict)

    def condition(self, name: str) -> bool:
        return bool(self.evaluate(self.template.get("Conditions", {})[name]))

    def wanted(self, definition: Mapping[str, Any]) -> bool:
        """False for a resource or output whose Condition is false."""
        return "Condition" not in definition or self.condition(definition["Condition"])

    def evaluate(self, value: Any) -> Any:
        """The intrinsic functions a parent's nested-stack parameters and outputs use."""
        if isinstance(value, (str, int, float, bool)):
            return value
        if isinstance(value, list):
            return [item for item in map(self.evaluate, value) if item is not NO_VALUE]
        if not (isinstance(value, dict) and len(value) == 1):
            raise NotImplementedError(f"the harness cannot evaluate {json.dumps(value)[:200]}")
        ((function, argument),) = value.items()
        if function == "Ref":
            return self._ref(argument)
        if function == "Condition":
            return self.condition(argument)
        if function == "Fn::Equals":
            left, right = (str(self.evaluate(item)) for item in argument)
            return left == right
        if function == "Fn::Not":
            return not self.evaluate(argument[0])
        if function == "Fn::And":
            return all(self.evaluate(item) for item in argument)
        if function == "Fn::Or":
            return any(self.evaluate(item) for item in argument)
        if function == "Fn::If":
            name, when_true, when_false = argument
            return self.evaluate(when_true if self.condition(name) else when_false)
        if function == "Fn::Join":
            separator, items = argument
            return separator.join(str(item) for item in _as_list(self.evaluate(items)))
        if function == "Fn::Select":
            index, items = argument
            return _as_list(self.evaluate(items))[int(self.evaluate(index))]
        if function == "Fn::Split":
            separator, text = argument
            return str(self.evaluate(text)).split(separator)
        if function == "Fn::GetAtt":
            resource, attribute = _get_att(argument)
            if attribute.startswith("Outputs.") and resource in self.children:
                output = attribute.removeprefix("Outputs.")
                if output not in self.children[resource].outputs:
                    raise MissingOutputError(f"{resource}.Outputs.{output}")
                return self.children[resource].outputs[output]
        raise NotImplementedError(f"the harness cannot evaluate {json.dumps(value)[:200]}")

    def _ref(self, name: str) -> Any:
        pseudo = {"AWS::StackName": self.stack_name, "AWS::NoValue": NO_VALUE}
        if name in pseudo:
            return pseudo[name]
        return self.parameters[name]


NO_VALUE = object()


class MissingOutputError(KeyError):
    """A child output with no value in moto: the resource behind it is one moto skips."""


def deployment_order(scope: ParentScope) -> list[str]:
    """The nested stacks the parent would create, in CloudFormation's order (GetAtt, DependsOn)."""
    stacks = {
        title: resource
        for title, resource in nested_stacks(scope.template).items()
        if scope.wanted(resource)
    }
    graph = {}
    for title, resource in stacks.items():
        depends = resource.get("DependsOn", [])
        needs = {child for child, _ in _output_references(resource)} | set(
            [depends] if isinstance(depends, str) else depends
        )
        graph[title] = needs & set(stacks)
    return list(TopologicalSorter(graph).static_order())


def deploy_children_one_by_one(
    *,
    cli: Cli,
    scope: ParentScope,
    read_template: Callable[[str], str],
    write_template: Callable[[str, str], str],
    describe_resources: Callable[[str], list[dict[str, Any]]],
    get_att: Callable[[str, str, str], str],
    deploy_arguments: list[str],
    say: Callable[[str], None] = lambda _: None,
) -> dict[str, ChildStack]:
    """Deploy each packaged child with `aws cloudformation deploy`, as the parent would nest it.

    `read_template(url)` returns a packaged child's text from the emulator's bucket;
    `write_template(name, text)` stores the harness's copy and returns its path;
    `describe_resources(stack)` is CloudFormation's DescribeStackResources for a stack;
    `get_att(type, physical id, attribute)` reads an attribute from the resource's service.
    """
    stacks = nested_stacks(scope.template)
    for title in deployment_order(scope):
        properties = stacks[title]["Properties"]
        parameters = {
            name: _as_parameter(scope.evaluate(value), name)
            for name, value in properties.get("Parameters", {}).items()
        }
        parameters = {name: value for name, value in parameters.items() if value is not None}
        template = yaml_parse(read_template(properties["TemplateURL"]))
        rewrites = rewrite_cidr_selects(template, parameters)
        rewrites += copy_launch_template_basics(template)
        stack_name = f"{scope.stack_name}-{title}"
        path = write_template(f"{title}.packaged.yaml", yaml_dump(template))
        say(f"  {title}: stack {stack_name}, template {properties['TemplateURL']}")
        for rewrite in rewrites:
            say(f"    harness copy only: {rewrite}")
        overrides = [f"{name}={value}" for name, value in parameters.items()]
        cli(
            "cloudformation",
            "deploy",
            "--template-file",
            path,
            "--stack-name",
            stack_name,
            *deploy_arguments,
            *(["--parameter-overrides", *overrides] if overrides else []),
        )
        outputs = child_outputs(template, describe_resources(stack_name), get_att)
        scope.children[title] = ChildStack(title, stack_name, path, parameters, outputs, rewrites)
    return scope.children


def parent_outputs(scope: ParentScope) -> dict[str, str]:
    """The parent's Outputs as CloudFormation would show them, from the children's outputs.

    An output whose child output names a resource moto skipped (e.g. the association) is shown
    as unavailable; a nested stack's parameter never is (deploy_children_one_by_one raises).
    """
    outputs = {}
    for name, output in scope.template.get("Outputs", {}).items():
        if scope.wanted(output):
            try:
                outputs[name] = str(scope.evaluate(output["Value"]))
            except MissingOutputError as missing:
                outputs[name] = f"(none in moto: {missing.args[0]} names a skipped resource)"
    return outputs


def _get_att(argument: Any) -> tuple[str, str]:
    resource, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
    return str(resource), str(attribute)


def _as_list(value: Any) -> list[Any]:
    """A CommaDelimitedList parameter arrives as "a,b": Join over it joins its items."""
    if isinstance(value, str):
        return value.split(",") if value else []
    return list(value)


def _as_parameter(value: Any, name: str) -> str | None:
    if value is NO_VALUE:
        return None
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    if isinstance(value, (str, int, float)):
        return str(value)
    raise NotImplementedError(f"parameter {name}: unexpected value {value!r}")


def _output_references(value: Any) -> list[tuple[str, str]]:
    found = []
    if isinstance(value, dict):
        if "Fn::GetAtt" in value:
            resource, attribute = _get_att(value["Fn::GetAtt"])
            if attribute.startswith("Outputs."):
                found.append((resource, attribute.removeprefix("Outputs.")))
        for item in value.values():
            found += _output_references(item)
    elif isinstance(value, list):
        for item in value:
            found += _output_references(item)
    return found


# -- 2. a change-set stack's outputs ------------------------------------------------------------


def child_outputs(
    template: Mapping[str, Any],
    resources: list[dict[str, Any]],
    get_att: Callable[[str, str, str], str],
) -> dict[str, str]:
    """The child's Outputs, from its resources as moto lists them: Ref, Join, Sub-less GetAtt."""
    listed = {
        r["LogicalResourceId"]: r
        for r in resources
        if r.get("LogicalResourceId") and r.get("PhysicalResourceId")
    }

    def value_of(value: Any) -> Any:
        if isinstance(value, str):
            return value
        if isinstance(value, list):
            return [value_of(item) for item in value]
        if isinstance(value, dict) and value.get("Ref") in listed:
            return listed[value["Ref"]]["PhysicalResourceId"]
        if isinstance(value, dict) and "Fn::Join" in value:
            separator, items = value["Fn::Join"]
            return separator.join(str(item) for item in value_of(items))
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            resource, attribute = _get_att(value["Fn::GetAtt"])
            if resource in listed:
                found = listed[resource]
                return get_att(found["ResourceType"], found["PhysicalResourceId"], attribute)
        raise NotImplementedError(json.dumps(value)[:200])

    outputs = {}
    for name, output in template.get("Outputs", {}).items():
        try:
            outputs[name] = str(value_of(output["Value"]))
        except NotImplementedError:
            continue  # a parent that reads it fails on the missing key, naming it
    return outputs


def service_get_att(client: Callable[[str], Any]) -> Callable[[str, str, str], str]:
    """`Fn::GetAtt` of a deployed resource, read from its service (`client(service)`)."""

    def get_att(resource_type: str, physical_id: str, attribute: str) -> str:
        readers: dict[tuple[str, str], Callable[[], str]] = {
            # Not DescribeKey: moto's CloudFormation stores KeyPolicy as an object, and its
            # DescribeKey then fails on json.loads of it (HTTP 500). ListKeys has the ARN too.
            ("AWS::KMS::Key", "Arn"): lambda: next(
                key["KeyArn"]
                for key in client("kms").list_keys()["Keys"]
                if key["KeyId"] == physical_id
            ),
            ("AWS::SQS::Queue", "Arn"): lambda: client("sqs").get_queue_attributes(
                QueueUrl=physical_id, AttributeNames=["QueueArn"]
            )["Attributes"]["QueueArn"],
            ("AWS::SQS::Queue", "QueueName"): lambda: physical_id.rsplit("/", 1)[1],
            ("AWS::SNS::Topic", "TopicArn"): lambda: physical_id,
            ("AWS::Events::Rule", "Arn"): lambda: client("events").describe_rule(Name=physical_id)[
                "Arn"
            ],
            ("AWS::Lambda::Function", "Arn"): lambda: client("lambda").get_function_configuration(
                FunctionName=physical_id
            )["FunctionArn"],
            ("AWS::IAM::Role", "Arn"): lambda: client("iam").get_role(RoleName=physical_id)["Role"][
                "Arn"
            ],
            ("AWS::S3::Bucket", "Arn"): lambda: f"arn:aws:s3:::{physical_id}",
        }
        reader = readers.get((resource_type, attribute))
        if reader is None:
            raise NotImplementedError(f"GetAtt {resource_type}.{attribute}")
        return reader()

    return get_att


# -- 3. Fn::Cidr --------------------------------------------------------------------------------


def rewrite_cidr_selects(template: dict[str, Any], parameters: Mapping[str, str]) -> list[str]:
    """Replace each `Fn::Select [i, Fn::Cidr [...]]` in place; return what was replaced."""
    done: list[str] = []

    def visit(node: Any, where: str) -> Any:
        if isinstance(node, dict):
            select = node.get("Fn::Select")
            if len(node) == 1 and isinstance(select, list) and _is_cidr(select[1]):
                index = int(select[0])
                block, count, bits = select[1]["Fn::Cidr"]
                network = ipaddress.ip_network(_static(block, template, parameters))
                subnets = list(network.subnets(new_prefix=network.max_prefixlen - int(bits)))
                value = str(subnets[: int(count)][index])
                done.append(f"{where}: Fn::Select {index} of Fn::Cidr -> {value}")
                return value
            return {key: visit(item, f"{where}.{key}") for key, item in node.items()}
        if isinstance(node, list):
            return [visit(item, f"{where}[{i}]") for i, item in enumerate(node)]
        return node

    template["Resources"] = visit(template["Resources"], "Resources")
    return done


def copy_launch_template_basics(template: dict[str, Any]) -> list[str]:
    """Give each instance launched from a launch template its ImageId and InstanceType, in place.

    moto's `AWS::EC2::Instance` ignores `LaunchTemplate` and fails without an `ImageId` property
    (KeyError: 'ImageId'). The two values are copied from the template's own launch template, so
    the instance is what AWS would launch in those respects; the launch template's security
    settings (IMDSv2, encryption, security group, profile) are asserted on the templates instead.
    """
    done = []
    resources = template["Resources"]
    for name, resource in resources.items():
        properties = resource.get("Properties", {})
        if resource["Type"] != "AWS::EC2::Instance" or "LaunchTemplate" not in properties:
            continue
        source = properties["LaunchTemplate"].get("LaunchTemplateId", {})
        launch_template = resources.get(source.get("Ref", "") if isinstance(source, dict) else "")
        if launch_template is None:
            continue
        data = launch_template["Properties"]["LaunchTemplateData"]
        for key in ("ImageId", "InstanceType"):
            if key in data and key not in properties:
                properties[key] = data[key]
                done.append(f"Resources.{name}.Properties.{key} <- the launch template's")
    return done


def _is_cidr(node: Any) -> bool:
    return isinstance(node, dict) and set(node) == {"Fn::Cidr"}


def _static(value: Any, template: Mapping[str, Any], parameters: Mapping[str, str]) -> str:
    """A value known before deploying: a literal, a parameter, or a VPC's CidrBlock property."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Ref" in value:
        name = value["Ref"]
        if name in parameters:
            return parameters[name]
        return str(template["Parameters"][name]["Default"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        argument = value["Fn::GetAtt"]
        resource, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
        if attribute == "CidrBlock":
            return _static(
                template["Resources"][resource]["Properties"]["CidrBlock"], template, parameters
            )
    raise NotImplementedError(f"cannot resolve {value!r} before deploying")

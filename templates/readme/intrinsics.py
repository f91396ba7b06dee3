"""Reading rendered template dicts: intrinsic functions as short text, and which child stack's
resource a parameter is filled from (through the parent's `GetAtt Child.Outputs.X`)."""

from __future__ import annotations

import json
import re

from templates.parent import CHILDREN, PARENT_FILE


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


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def parameter_sources(rendered: dict[str, dict]) -> dict[tuple[str, str], tuple[str, str]]:
    """(child stack, parameter) -> (producing stack, resource) for every parameter the parent
    fills from another child's output."""
    parent = rendered[PARENT_FILE]
    sources = {}
    for title, (_, file_name) in CHILDREN.items():
        passed = parent["Resources"][title]["Properties"].get("Parameters", {})
        for parameter, value in passed.items():
            for producer, output in child_outputs_read(value):
                producer_file = CHILDREN[producer][1]
                produced = rendered[producer_file]["Outputs"][output]["Value"]
                targets = references(produced)
                if targets:
                    sources[(file_name.removesuffix(".yaml"), parameter)] = (
                        producer_file.removesuffix(".yaml"),
                        targets[0],
                    )
    return sources


def child_outputs_read(value) -> list[tuple[str, str]]:
    text = json.dumps(value)
    return re.findall(r'"Fn::GetAtt": \["(\w+)", "Outputs\.(\w+)"\]', text)


def references(value) -> list[str]:
    """Logical ids a fragment refers to with Ref or GetAtt, in order."""
    text = json.dumps(value)
    found = re.findall(r'"Ref": "([\w:]+)"|"Fn::GetAtt": \["(\w+)"', text)
    found += [(name, "") for name in re.findall(r"\$\{(\w+)(?:\.\w+)?\}", text)]
    return list(dict.fromkeys(a or b for a, b in found))

"""The README's Tags table: which resource types of build/ take the stack's tags, read from the
resource schemas cfn-lint ships (CloudFormation's registry schemas, `tagging` and `Tags`)."""

from __future__ import annotations

import json
import os
from importlib.util import find_spec

from templates.readme.intrinsics import cell

SCHEMA_REGION = "us-east-1"


def schema_directory() -> str:
    """cfn-lint's bundled schemas, found without importing cfn-lint (generate.py stays fast)."""
    spec = find_spec("cfnlint")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("cfn-lint is not installed: the Tags table reads its resource schemas")
    return os.path.join(spec.submodule_search_locations[0], "data", "schemas")


def tagging(resource_types: set[str]) -> dict[str, tuple[bool, bool]]:
    """Resource type -> (takes tags, gets CloudFormation's aws:cloudformation:* tags), from each
    type's schema: its `tagging` block, or, where a schema has none, whether it has `Tags`."""
    base = schema_directory()
    with open(os.path.join(base, "providers", f"{SCHEMA_REGION}.json"), encoding="utf-8") as file:
        files = json.load(file)
    found = {}
    for resource_type in sorted(resource_types):
        path = os.path.join(base, "resources", f"{files[resource_type]}.json")
        with open(path, encoding="utf-8") as file:
            schema = json.load(file)
        block = schema.get("tagging")
        if block is None:
            found[resource_type] = ("Tags" in schema.get("properties", {}), False)
        else:
            found[resource_type] = (
                bool(block.get("taggable")),
                bool(block.get("cloudFormationSystemTags")),
            )
    return found


def tags_table(rendered: dict[str, dict]) -> str:
    where: dict[str, list[str]] = {}
    for file_name, template in rendered.items():
        for title, resource in template.get("Resources", {}).items():
            where.setdefault(resource["Type"], []).append(
                f"{file_name.removesuffix('.yaml')}.{title}"
            )
    rows = [
        "| resource type | takes `--tags` | also `aws:cloudformation:*` tags | in this product |",
        "| --- | --- | --- | --- |",
    ]
    for resource_type, (taggable, system) in tagging(set(where)).items():
        rows.append(
            f"| `{resource_type}` | {'yes' if taggable else 'no'} | {'yes' if system else 'no'} "
            f"| {cell(', '.join(sorted(where[resource_type])))} |"
        )
    return "\n".join(rows) + "\n"

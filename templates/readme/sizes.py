"""The README's template sizes (in its Speed and size section): each build/*.yaml against the
CloudFormation quota that applies to it, from the bytes generate.py writes."""

from __future__ import annotations

from templates.hub import HUB_FILE, TEMPLATE_BODY_LIMIT_BYTES
from templates.parent import PARENT_FILE

STACK_SET = "AWS::CloudFormation::StackSet"


def template_sizes(files: dict[str, str], rendered: dict[str, dict]) -> str:
    """One paragraph: the largest template, the parent (`deploy` sends it as the request body)
    and the spoke as the StackSet's TemplateBody, against the 51,200-byte body quota."""
    sizes = {name: len(text.encode()) for name, text in files.items() if name.endswith(".yaml")}
    largest = max(sizes, key=lambda name: (sizes[name], name))
    (body,) = (
        resource["Properties"]["TemplateBody"]
        for resource in rendered[HUB_FILE]["Resources"].values()
        if resource["Type"] == STACK_SET
    )
    return (
        "Template sizes, each `build/*.yaml` against CloudFormation's quotas (51,200 bytes as a "
        "request body, 1 MB via S3, 500 resources, 200 parameters and outputs): largest "
        f"{sizes[largest]:,} bytes, {largest} ({share(sizes[largest])} of the request-body "
        "quota, which applies to it only if deployed alone; nested, it goes through S3). "
        f"{PARENT_FILE}, which `deploy` sends as the request body, is {sizes[PARENT_FILE]:,} "
        f"bytes ({share(sizes[PARENT_FILE])}); the spoke inside {HUB_FILE} is "
        f"{len(body.encode()):,} bytes of the StackSet's {TEMPLATE_BODY_LIMIT_BYTES:,}-byte "
        "TemplateBody.\n"
    )


def share(size: int) -> str:
    return f"{round(100 * size / TEMPLATE_BODY_LIMIT_BYTES)} %"

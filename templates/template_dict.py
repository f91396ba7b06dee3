"""troposphere Template -> the dict its `to_dict()` returns, each object encoded once.

troposphere's `encode_to_dict` encodes an object's `to_dict()` result again, all the way down
(`encode_to_dict(obj.to_dict())`), so a property nested n objects deep is walked n times: most of
`to_dict`'s time for templates as deep as IAM policies in a Lambda function. `template_dict` makes
the same dict in one walk: the same checks in the same order, each object's own validation
(`_validate_props()` and `validate()`) run as `to_dict()` runs it, and any class with a `to_dict`
of its own (Tags, a few validators) still encoded through it. tests/test_template_dict.py checks
it against `to_dict()` for every template of build/.
"""

from __future__ import annotations

from typing import Any

from troposphere import AWSHelperFn, BaseAWSObject, Template

_OBJECT_TO_DICT = BaseAWSObject.to_dict
_HELPER_TO_DICT = AWSHelperFn.to_dict
_PLAIN = (str, int, bool, float, type(None))  # exact types: no subclass with a to_dict


# The optional sections, in troposphere's to_dict order; Resources, always there, comes last.
_SECTIONS = (
    ("Description", "description"),
    ("Metadata", "metadata"),
    ("Conditions", "conditions"),
    ("Mappings", "mappings"),
    ("Outputs", "outputs"),
    ("Parameters", "parameters"),
    ("AWSTemplateFormatVersion", "version"),
    ("Transform", "transform"),
    ("Rules", "rules"),
    ("Globals", "globals"),
)


def template_dict(template: Template) -> dict[str, Any]:
    """`template.to_dict()`, the same keys in the same order (see the module docstring)."""
    sections: dict[str, Any] = {}
    for section, attribute in _SECTIONS:
        value = getattr(template, attribute)
        if value:  # troposphere leaves out an empty section
            sections[section] = value
    sections["Resources"] = template.resources
    return encode(sections)


def encode(value: Any) -> Any:
    """troposphere's `encode_to_dict(value)`, each object encoded once."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    # Plain dicts and lists (exact types: no to_dict, no JSONrepr) are most of what is left, and
    # strings most of what they hold: kept as they are without a call each.
    if kind is dict:
        return {name: item if type(item) is str else encode(item) for name, item in value.items()}
    if kind is list:
        return [item if type(item) is str else encode(item) for item in value]
    to_dict = getattr(type(value), "to_dict", None)
    if to_dict is _OBJECT_TO_DICT:
        return _object(value)
    if to_dict is _HELPER_TO_DICT:
        return encode(value.data)
    if hasattr(value, "to_dict"):
        return encode(value.to_dict())  # a class's own to_dict: troposphere's path
    if isinstance(value, (list, tuple)):
        return [encode(item) for item in value]
    if isinstance(value, dict):
        return {name: encode(item) for name, item in value.items()}
    if hasattr(value, "JSONrepr"):  # awacs
        return encode(value.JSONrepr())
    return value


def _object(value: BaseAWSObject) -> dict[str, Any]:
    """`BaseAWSObject.to_dict()` without encoding its result a second time."""
    if value.do_validation:
        value._validate_props()
        value.validate()
    if value.properties:
        return encode(value.resource)
    if hasattr(value, "resource_type"):
        return encode({name: item for name, item in value.resource.items() if name != "Properties"})
    return {}

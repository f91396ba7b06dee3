"""Shared fixtures: the templates as rendered by the code, and as committed in build/."""

from __future__ import annotations

from pathlib import Path

import pytest
from cfnlint.decode import decode

from templates.config import Config
from templates.parent import build_all

ROOT = Path(__file__).resolve().parent.parent
BUILD_DIR = ROOT / "build"


@pytest.fixture(scope="session")
def rendered() -> dict[str, dict]:
    """File name -> template dict, straight from the code (default config)."""
    return {name: template.to_dict() for name, template in build_all(Config()).items()}


@pytest.fixture(scope="session")
def network(rendered):
    return rendered["network.yaml"]


@pytest.fixture(scope="session")
def logging_stack(rendered):
    return rendered["logging.yaml"]


@pytest.fixture(scope="session")
def notifications(rendered):
    return rendered["notifications.yaml"]


@pytest.fixture(scope="session")
def parent(rendered):
    return rendered["parent.yaml"]


def load_build_template(name: str) -> dict:
    """A committed template from build/, read with cfn-lint's loader (short-form tags like !Ref
    are not plain YAML)."""
    template, matches = decode(str(BUILD_DIR / name))
    assert not matches, matches
    return template


def resources_of_type(template: dict, resource_type: str) -> dict[str, dict]:
    return {
        name: resource
        for name, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


def one_resource(template: dict, resource_type: str) -> dict:
    found = resources_of_type(template, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    return next(iter(found.values()))


def statements(policy_document: dict) -> list[dict]:
    return policy_document["Statement"]


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]

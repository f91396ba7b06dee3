"""Shared fixtures: the templates as rendered by the code, and as committed in build/."""

from __future__ import annotations

import pytest

from templates.config import Config
from templates.parent import build_all


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

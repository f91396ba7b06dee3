"""Helpers for reading rendered templates in tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parent.parent
BUILD_DIR = ROOT / "build"


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


def cfn_lint(*arguments: str, cwd: Path) -> subprocess.CompletedProcess:
    """cfn-lint of this environment, run in `cwd` with parseable output (findings one a line)."""
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, cfnlint.runner; sys.exit(cfnlint.runner.main())",
            "--format",
            "parseable",
            *arguments,
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
    )

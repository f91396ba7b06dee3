"""Importing the handler must not import boto3 (cold start) nor need the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HANDLER_ROOT = Path(__file__).resolve().parents[2] / "handler"


# The two entry points, and every module by itself (a module a handler loads only when it needs
# it, such as defer or command_output, must not bring boto3 in either).
MODULES = sorted(
    {"ssm_notifier.notify", "ssm_notifier.sweep"}
    | {f"ssm_notifier.{path.stem}" for path in (HANDLER_ROOT / "ssm_notifier").glob("[!_]*.py")}
)


@pytest.mark.parametrize("entry_module", MODULES)
def test_importing_a_handler_imports_no_boto3_and_reads_no_settings(entry_module: str) -> None:
    environ = {key: value for key, value in os.environ.items() if key != "TOPIC_ARN"}
    environ["PYTHONPATH"] = str(HANDLER_ROOT)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys; import {entry_module}; "
            "print('boto3' in sys.modules, 'botocore' in sys.modules)",
        ],
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["False", "False"]


def test_the_code_root_holds_only_the_package() -> None:
    """`aws cloudformation package` zips handler/ as is: no tests or stray files ship."""
    shipped = sorted(
        path.relative_to(HANDLER_ROOT).as_posix()
        for path in HANDLER_ROOT.rglob("*")
        if "__pycache__" not in path.parts
    )
    assert all(path.startswith("ssm_notifier") for path in shipped)
    assert "ssm_notifier/__init__.py" in shipped

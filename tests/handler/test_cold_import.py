"""Importing the handler must not import boto3 (cold start) nor need the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HANDLER_ROOT = Path(__file__).resolve().parents[2] / "handler"


def test_importing_the_handler_imports_no_boto3_and_reads_no_settings() -> None:
    environ = {key: value for key, value in os.environ.items() if key != "TOPIC_ARN"}
    environ["PYTHONPATH"] = str(HANDLER_ROOT)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; import ssm_notifier.notify; "
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

"""The modules for issue 13 (not yet wired into notify) import without boto3 or botocore too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HANDLER_ROOT = Path(__file__).resolve().parents[2] / "handler"


@pytest.mark.parametrize("module", ["deadline", "state", "reports", "inbox", "defer", "neutral"])
def test_importing_a_scale_module_imports_no_boto3(module: str) -> None:
    environ = {**os.environ, "PYTHONPATH": str(HANDLER_ROOT)}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys; import ssm_notifier.{module}; "
            "print('boto3' in sys.modules, 'botocore' in sys.modules)",
        ],
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["False", "False"]

"""cfn-lint (informational rules on) and checkov over the spoke and a stack with the hub pieces,
rendered into a temporary directory (build/ does not hold them until the parent takes them in).
Guard over both is in test_guard_rules.py."""

from __future__ import annotations

import shutil
import subprocess

import org_templates
import pytest
from template_helpers import cfn_lint

from templates.config import Config


@pytest.fixture(scope="module")
def org_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("org-templates")
    for name, template in org_templates.rendered_templates(Config()).items():
        (directory / name).write_text(template.to_yaml(), encoding="utf-8")
    return directory


def test_cfn_lint_reports_nothing_with_informational_rules_on(org_dir):
    result = cfn_lint(
        "--include-checks", "I", "--", "spoke.yaml", org_templates.HUB_FILE, cwd=org_dir
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_checkov_passes_every_check(org_dir):
    checkov = shutil.which("checkov")
    if checkov is None:
        pytest.skip("checkov is not on PATH (it lives in the lint environment)")
    result = subprocess.run(
        [
            checkov,
            "-d",
            str(org_dir),
            "--framework",
            "cloudformation",
            "--compact",
            "--quiet",
            "--skip-download",
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr

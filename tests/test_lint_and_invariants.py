"""cfn-lint over build/, and invariants that hold for every template."""

import re

from template_helpers import BUILD_DIR, ROOT, cfn_lint

PHYSICAL_NAMES = (
    "BucketName",
    "FunctionName",
    "RoleName",
    "QueueName",
    "TopicName",
    "AlarmName",
    "LogGroupName",
    "KeyName",
)


def test_cfn_lint_reports_no_errors_and_no_warnings():
    # The repository's .cfnlintrc.yaml ignores W3002 (package-only local paths) and nothing else.
    result = cfn_lint(cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_no_literal_partition_in_any_template():
    for path in BUILD_DIR.glob("*.yaml"):
        assert not re.search(r"arn:aws(-[a-z-]+)?:", path.read_text()), path.name


def test_no_physical_names(rendered):
    """CloudFormation names things; a literal name would block replacement and collide across
    stacks. (A FunctionName that references the function, as in an event source mapping, is fine.)
    """
    for name, template in rendered.items():
        for title, resource in template["Resources"].items():
            properties = resource.get("Properties", {})
            named = [key for key in PHYSICAL_NAMES if isinstance(properties.get(key), str)]
            assert not named, f"{name}:{title} sets {named}"

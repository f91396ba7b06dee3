"""cfn-lint and Guard find nothing in any deploy-time variant (policy/variants.py): a boundary and
path, functions in a VPC, the association's safety settings. checkov reads the same variants in
`tox -e lint` (it lives in the lint environment only)."""

import pytest
from template_helpers import BUILD_DIR, cfn_lint

from policy.guard import failed_rules, load_template
from policy.variants import VARIANTS, write_variants


@pytest.fixture(scope="module")
def variants(tmp_path_factory):
    directory = tmp_path_factory.mktemp("variants")
    return directory, write_variants(directory)


def test_each_variant_sets_its_values_where_they_are_declared(variants):
    directory, written = variants
    assert len(written) == len(VARIANTS) * len(list(BUILD_DIR.glob("*.yaml")))
    for name, values in VARIANTS.items():
        declared = {}
        for path in (directory / name).glob("*.yaml"):
            parameters = load_template(path).get("Parameters", {})
            declared |= {key: spec["Default"] for key, spec in parameters.items() if key in values}
        assert declared == values, name


def test_guard_finds_nothing_in_any_variant(variants):
    _, written = variants
    for path in written:
        assert failed_rules(load_template(path)) == {}, path


def test_cfn_lint_finds_nothing_in_any_variant(variants):
    directory, written = variants
    # Run outside the repository: its .cfnlintrc.yaml would add build/ to the run.
    result = cfn_lint(
        "--include-checks", "I", "--ignore-checks", "W3002", "--", *map(str, written), cwd=directory
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_a_variant_is_the_template_with_other_defaults_only(variants):
    directory, _ = variants
    base = load_template(directory / "defaults" / "notifications.yaml")
    vpc = load_template(directory / "vpc" / "notifications.yaml")
    assert base["Resources"] == vpc["Resources"]
    assert vpc["Parameters"]["FunctionSubnetIds"]["Default"] == VARIANTS["vpc"]["FunctionSubnetIds"]

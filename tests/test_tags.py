"""README's Tags table agrees with CloudFormation's resource schemas, read through cfn-lint's own
schema API (the table's generator reads the same bundled files directly)."""

import re

from cfnlint.schema import PROVIDER_SCHEMA_MANAGER
from template_helpers import ROOT


def readme_rows() -> dict[str, tuple[str, str]]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("<!-- generated:tags -->")[1].split("<!-- /generated:tags -->")[0]
    rows = re.findall(r"^\| `([A-Za-z0-9:]+)` \| (yes|no) \| (yes|no) \|", section, re.M)
    return {resource_type: (taggable, system) for resource_type, taggable, system in rows}


def test_every_resource_type_in_build_has_a_row(rendered):
    types = {r["Type"] for t in rendered.values() for r in t["Resources"].values()}
    assert set(readme_rows()) == types


def test_each_row_says_what_the_resource_schema_says():
    for resource_type, (taggable, system) in readme_rows().items():
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema
        tagging = schema.get("tagging")
        has_tags = "Tags" in schema["properties"]
        expected = tagging.get("taggable", False) if tagging is not None else has_tags
        assert taggable == ("yes" if expected else "no"), resource_type
        if expected:
            assert has_tags, f"{resource_type} is taggable without a Tags property"
        expected_system = bool(tagging and tagging.get("cloudFormationSystemTags"))
        assert system == ("yes" if expected_system else "no"), resource_type


def test_the_types_people_tag_for_cost_take_the_stack_tags():
    rows = readme_rows()
    for resource_type in ("AWS::Lambda::Function", "AWS::SQS::Queue", "AWS::S3::Bucket"):
        assert rows[resource_type][0] == "yes"
    assert rows["AWS::IAM::Policy"][0] == "no"

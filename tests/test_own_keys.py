"""Your own KMS keys: with PipelineKmsKeyArn the stack creates no pipeline key and uses yours
wherever it used its own; with OutputBucketKmsKeyArn the notifier may decrypt the output it reads.
README's key-policy statements are generated from the stack's own key."""

import json
import re

from template_helpers import ROOT, resources_of_type
from test_parent_wiring import evaluate_condition, nested_stacks, prune_ifs

from templates.readme.keys import KEY_POLICY_SOURCES, pipeline_key_statements

YOUR_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def live(template: dict, values: dict) -> dict:
    """Resources created for these parameter values, each Fn::If resolved."""
    parameters = {name: spec.get("Default", "") for name, spec in template["Parameters"].items()}
    parameters |= values
    conditions = template["Conditions"]
    active = {name: evaluate_condition(c, conditions, parameters) for name, c in conditions.items()}
    created = {
        title: resource
        for title, resource in template["Resources"].items()
        if active.get(resource.get("Condition"), True)
    }
    return prune_ifs({"Resources": created, "Outputs": template["Outputs"]}, active)


def test_with_your_pipeline_key_the_stack_creates_none_and_uses_yours(notifications):
    stack = live(notifications, {"PipelineKmsKeyArn": YOUR_KEY})
    keys = resources_of_type(stack, "AWS::KMS::Key")
    assert set(keys) == {"AlarmKey"}, "the alarm topic keeps a key of its own"
    text = json.dumps(stack)
    assert '"Key"' not in text.replace('"AlarmKey"', "")
    resources = stack["Resources"]
    yours = {"Ref": "PipelineKmsKeyArn"}
    for title in ("Topic", "Queue", "DeadLetterQueue"):
        assert resources[title]["Properties"]["KmsMasterKeyId"] == yours, title
    assert resources["FunctionLogGroup"]["Properties"]["KmsKeyId"] == yours
    assert stack["Outputs"]["KeyArn"]["Value"] == yours  # the sweep's failure queue and logs
    rule = resources["PipelineKeyStateRule"]["Properties"]["EventPattern"]
    assert rule["detail"]["responseElements"] == {"keyId": [yours]}


def test_without_it_the_stack_creates_its_pipeline_key(notifications):
    stack = live(notifications, {})
    assert set(resources_of_type(stack, "AWS::KMS::Key")) == {"Key", "AlarmKey"}
    assert stack["Resources"]["Topic"]["Properties"]["KmsMasterKeyId"] == {"Ref": "Key"}
    assert stack["Resources"]["FunctionLogGroup"]["Properties"]["KmsKeyId"] == {
        "Fn::GetAtt": ["Key", "Arn"]
    }


def test_the_parent_passes_both_keys(parent):
    passed = nested_stacks(parent)["Notifications"]["Properties"]["Parameters"]
    assert passed["PipelineKmsKeyArn"] == {"Ref": "PipelineKmsKeyArn"}
    assert passed["OutputBucketKmsKeyArn"] == {"Ref": "OutputBucketKmsKeyArn"}
    logging = nested_stacks(parent)["Logging"]["Properties"]["Parameters"]
    assert logging["OutputBucketKmsKeyArn"] == {"Ref": "OutputBucketKmsKeyArn"}


def test_with_your_output_key_the_notifier_may_decrypt_the_output_it_reads(notifications):
    assert "FunctionOutputKeyPolicy" not in live(notifications, {})["Resources"]
    policy = live(notifications, {"OutputBucketKmsKeyArn": YOUR_KEY})["Resources"][
        "FunctionOutputKeyPolicy"
    ]["Properties"]
    assert policy["Roles"] == [{"Ref": "FunctionRole"}]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["kms:Decrypt"]
    assert statement["Resource"] == [{"Ref": "OutputBucketKmsKeyArn"}]


def test_readme_lists_every_service_statement_of_the_stacks_own_key_with_its_source(rendered):
    statements = pipeline_key_statements(rendered)
    key_policy = rendered["notifications.yaml"]["Resources"]["Key"]["Properties"]["KeyPolicy"]
    services = [s for s in key_policy["Statement"] if "Service" in s["Principal"]]
    assert [s["Sid"] for s in statements] == [s["Sid"] for s in services]
    assert set(KEY_POLICY_SOURCES) == {s["Sid"] for s in services}
    readme = (ROOT / "README.md").read_text()
    section = readme.split("<!-- generated:pipeline-key-policy -->")[1].split("<!-- /generated")[0]
    block = re.search(r"```json\n(.*?)```", section, re.S).group(1)
    assert json.loads(block) == statements
    for sid, source in KEY_POLICY_SOURCES.items():
        assert f"`{sid}`: {source}" in section
    assert "${" not in block, "every placeholder is spelled out for the reader"

"""The README's key-policy section: the statements your own pipeline key (PipelineKmsKeyArn) must
carry, read from the policy of the key the stack creates when you give none, placeholders spelled
out, each with the AWS document it follows."""

from __future__ import annotations

import json
import re

from templates import names

# Sid -> the AWS document the statement follows (tests/test_own_keys.py checks every service
# statement of the stack's key has one).
KEY_POLICY_SOURCES = {
    "EventBridgeSendsToQueues": 'SQS developer guide, "Amazon SQS Key management", section '
    '"Configure KMS permissions for AWS services": no source conditions, since SQS makes the KMS '
    "call on EventBridge's behalf and a condition key missing from it would stop every event "
    "(the queue policy admits only the rule)",
    "CloudWatchLogsEncryptsLogGroups": 'CloudWatch Logs user guide, "Encrypt log data in '
    'CloudWatch Logs using AWS Key Management Service": the encryption context '
    "`kms:EncryptionContext:aws:logs:arn` names the two log groups, as that page documents "
    "instead of `aws:SourceArn`",
}

# What each pseudo parameter or parameter becomes in the README's copy.
PLACEHOLDERS = {
    "AWS::Partition": "PARTITION",
    "AWS::Region": "REGION",
    "AWS::AccountId": "ACCOUNT_ID",
    "AWS::URLSuffix": "URL_SUFFIX",
    names.PARENT_STACK_NAME: "PARENT_STACK_NAME",
}


def _spelled_out(value):
    if isinstance(value, dict) and set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
        return re.sub(r"\$\{([^}]+)\}", lambda m: PLACEHOLDERS[m.group(1)], value["Fn::Sub"])
    if isinstance(value, dict):
        return {key: _spelled_out(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_spelled_out(item) for item in value]
    return value


def pipeline_key_statements(rendered: dict[str, dict]) -> list[dict]:
    """The service statements of the stack's own pipeline key, placeholders spelled out."""
    policy = rendered["notifications.yaml"]["Resources"]["Key"]["Properties"]["KeyPolicy"]
    return [
        _spelled_out(statement)
        for statement in policy["Statement"]
        if "Service" in statement["Principal"]
    ]


def pipeline_key_policy(rendered: dict[str, dict]) -> str:
    statements = pipeline_key_statements(rendered)
    sources = "\n".join(
        f"- `{statement['Sid']}`: {KEY_POLICY_SOURCES[statement['Sid']]}."
        for statement in statements
    )
    return (
        f"{sources}\n\n```json\n{json.dumps(statements, indent=2)}\n```\n\n"
        f"Replace {', '.join(f'`{p}`' for p in PLACEHOLDERS.values())} (`URL_SUFFIX` is "
        "`amazonaws.com`, `amazonaws.com.cn` in China; `PARENT_STACK_NAME` the parent stack's "
        "name, which names the log groups).\n"
    )

"""Deploy-time bad input is rejected before anything is created.

CloudFormation checks a parameter's Type, AllowedPattern, AllowedValues, Min/MaxValue and
Min/MaxLength when a stack is created or updated; for a CommaDelimitedList, the pattern and the
allowed values apply to each element. `accepts` applies the same rules to the rendered parameter
declarations, and every parameter of every template is tried with good and bad values.
"""

from __future__ import annotations

import re

import pytest

# Parameter name -> (values CloudFormation must accept, values it must reject).
CASES: dict[str, tuple[list[str], list[str]]] = {
    "NotificationEmail": (
        ["ops@example.com", "first.last+ssm@mail.example.co.jp"],
        ["", "ops", "ops@example", "ops@exa mple.com", "a@b,c@d.com", "ops@@example.com"],
    ),
    "InstanceType": (
        ["t3.micro", "m7g.large", "c6gn.16xlarge"],
        ["", "t3", "T3.MICRO", "t3 micro"],
    ),
    "VpcCidr": (
        ["10.0.0.0/24", "172.16.0.0/16", "192.168.4.0/26"],
        ["10.0.0.0/27", "10.0.0.0/8", "10.0.0.256/24", "10.0.0.0", "ten/24", ""],
    ),
    "ImageParameterName": (
        ["/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"],
        ["ami-0123456789abcdef0", "", "/has space"],
    ),
    "ImageId": (["/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"], []),
    "OutputRetentionDays": (["1", "90", "3650"], ["0", "3651", "-5", "ninety", "1.5x"]),
    "LogRetentionDays": (["1", "30", "3653"], ["0", "2", "31", "forever"]),
    "WatchedDocuments": (
        ["AWS-UpdateSSMAgent", "AWS-UpdateSSMAgent,AWS-RunPatchBaseline", "My.Doc_v2"],
        ["", "AB", "AWS-UpdateSSMAgent,has space", "x" * 129],
    ),
    "WatchedStatuses": (
        ["Success,Failed", "Failed,TimedOut", "Success,Failed,TimedOut,Skipped"],
        ["Pending", "Success,InProgress", "failed", ""],
    ),
    "SweepSchedule": (
        ["rate(1 day)", "rate(6 hours)", "rate(15 minutes)", "cron(0 6 * * ? *)"],
        ["rate(0 days)", "daily", "rate(1 week)", ""],
    ),
    "AssociationSchedule": (
        [
            "rate(14 days)",
            "rate(1 day)",
            "rate(12 hours)",
            "rate(30 minutes)",
            "cron(0 2 ? * SUN *)",
        ],
        ["rate(5 minutes)", "rate(29 minutes)", "rate(0 days)", "every 14 days", "rate(2 weeks)"],
    ),
    "AssociationMaxConcurrency": (["10%", "1", "100%", "50"], ["0", "0%", "101%", "ten", ""]),
    "AssociationMaxErrors": (["0", "10%", "0%", "100%", "3"], ["-1", "110%", "", "some"]),
    "AssociationTargets": (["Tagged", "AllManagedInstances"], ["All", "tagged", ""]),
    "TargetTagKey": (["ssm-notifier:fleet", "Patch Group"], ["", "k" * 129, "bad\ttab"]),
    "TargetTagValue": (["", "prod", "ssm-notifier"], ["v" * 257, "bad\nline"]),
    "FleetMode": (["demo", "existing"], ["", "Demo", "both"]),
    "ExistingInstanceRoleNames": (
        ["", "WebRole", "WebRole,Batch.Role-2"],
        ["arn:aws:iam::123456789012:role/WebRole", "has space", "r" * 65],
    ),
    "CreateAgentUpdateAssociation": (["true", "false"], ["yes", "True", ""]),
    "FleetTagValue": (["ssm-notifier"], [""]),
    "InstanceRoleNames": (["", "WebRole,BatchRole"], []),
    "OutputBucketName": (["my-bucket"], []),
    "OutputKeyPrefix": (["ssm-agent-update/"], ["", "bad prefix"]),
    "TopicArn": (["arn:aws:sns:us-east-1:123456789012:t"], []),
    "KeyArn": (["arn:aws:kms:us-east-1:123456789012:key/k"], []),
}


def accepts(spec: dict, value: str) -> bool:
    """Whether CloudFormation accepts `value` for a parameter declared as `spec`."""
    elements = value.split(",") if spec["Type"] == "CommaDelimitedList" else [value]
    for element in elements:
        if "AllowedPattern" in spec and not re.fullmatch(spec["AllowedPattern"], element):
            return False
        if "AllowedValues" in spec and element not in [str(v) for v in spec["AllowedValues"]]:
            return False
    if spec["Type"] == "Number":
        try:
            number = float(value)
        except ValueError:
            return False
        if "MinValue" in spec and number < float(spec["MinValue"]):
            return False
        if "MaxValue" in spec and number > float(spec["MaxValue"]):
            return False
    if spec["Type"] == "String":
        if len(value) < int(spec.get("MinLength", 0)):
            return False
        if "MaxLength" in spec and len(value) > int(spec["MaxLength"]):
            return False
    return True


def declarations(rendered: dict) -> list[tuple[str, str, dict]]:
    return [
        (file_name, name, spec)
        for file_name, template in sorted(rendered.items())
        for name, spec in sorted(template.get("Parameters", {}).items())
    ]


def test_every_parameter_has_cases(rendered):
    missing = {name for _, name, _ in declarations(rendered)} - set(CASES)
    assert not missing, f"add good and bad values for {sorted(missing)}"


def test_every_parent_parameter_is_constrained(parent):
    constraint_keys = {"AllowedPattern", "AllowedValues", "MinValue", "MaxValue", "MinLength"}
    for name, spec in parent["Parameters"].items():
        assert constraint_keys & set(spec), f"{name} accepts anything"


def test_defaults_pass_their_own_constraints(rendered):
    for file_name, name, spec in declarations(rendered):
        if "Default" in spec and not spec["Type"].startswith("AWS::"):
            assert accepts(spec, str(spec["Default"])), f"{file_name}:{name} default rejected"


@pytest.mark.parametrize(
    "file_name",
    [
        "parent.yaml",
        "network.yaml",
        "logging.yaml",
        "notifications.yaml",
        "association.yaml",
        "sweep.yaml",
    ],
)
def test_good_values_pass_and_bad_values_are_rejected(rendered, file_name):
    for name, spec in rendered[file_name].get("Parameters", {}).items():
        good, bad = CASES[name]
        for value in good:
            assert accepts(spec, value), f"{file_name}:{name} rejects good value {value!r}"
        for value in bad:
            assert not accepts(spec, value), f"{file_name}:{name} accepts bad value {value!r}"

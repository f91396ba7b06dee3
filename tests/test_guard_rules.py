"""The Guard invariants hold on build/, and each one fails on a template that breaks it."""

import copy
from collections.abc import Callable

import pytest
from template_helpers import BUILD_DIR

from policy.guard import failed_rules, load_template, main

TEMPLATES = {path.name: load_template(path) for path in sorted(BUILD_DIR.glob("*.yaml"))}


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_built_template_complies(name):
    assert failed_rules(TEMPLATES[name]) == {}


def test_the_command_passes_on_build(capsys):
    assert main([]) == 0
    assert "0 broken rules" in capsys.readouterr().out


def notifier_statements(template: dict) -> list[dict]:
    return template["Resources"]["FunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"][
        "Statement"
    ]


def wildcard_action(t):
    notifier_statements(t)[0]["Action"] = ["sqs:*"]


def everything(t):
    notifier_statements(t)[0]["Action"] = ["*"]


def wildcard_resource(t):
    publish = next(s for s in notifier_statements(t) if s["Sid"] == "PublishDigests")
    publish["Resource"] = ["*"]


def unencrypted_bucket(t):
    del t["Resources"]["OutputBucket"]["Properties"]["BucketEncryption"]


def unencrypted_queue(t):
    del t["Resources"]["Queue"]["Properties"]["KmsMasterKeyId"]


def unencrypted_topic(t):
    del t["Resources"]["Topic"]["Properties"]["KmsMasterKeyId"]


def imdsv1_allowed(t):
    data = t["Resources"]["LaunchTemplate"]["Properties"]["LaunchTemplateData"]
    data["MetadataOptions"]["HttpTokens"] = "optional"


def instance_without_launch_template(t):
    del t["Resources"]["Instance1"]["Properties"]["LaunchTemplate"]


def ssh_from_anywhere(t):
    t["Resources"]["InstanceSecurityGroup"]["Properties"]["SecurityGroupIngress"] = [
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}
    ]


def ingress_resource_from_anywhere_ipv6(t):
    t["Resources"]["OpenIngress"] = {
        "Type": "AWS::EC2::SecurityGroupIngress",
        "Properties": {
            "GroupId": {"Ref": "InstanceSecurityGroup"},
            "IpProtocol": "tcp",
            "FromPort": 443,
            "ToPort": 443,
            "CidrIpv6": "::/0",
        },
    }


def log_group_kept_forever(t):
    del t["Resources"]["FunctionLogGroup"]["Properties"]["RetentionInDays"]


def literal_partition_in_managed_policy(t):
    t["Resources"]["InstanceRole"]["Properties"]["ManagedPolicyArns"] = [
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    ]


def literal_partition_in_bucket_policy(t):
    statement = t["Resources"]["OutputBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    statement["Resource"] = [{"Fn::Sub": "arn:aws-cn:s3:::${OutputBucket}/*"}]


BREAKS: list[tuple[str, Callable[[dict], None], str]] = [
    ("notifications.yaml", wildcard_action, "iam_no_wildcard_actions"),
    ("notifications.yaml", everything, "iam_no_wildcard_actions"),
    ("notifications.yaml", wildcard_resource, "iam_wildcard_resource_only_for_unscoped_apis"),
    ("logging.yaml", unencrypted_bucket, "buckets_encrypted"),
    ("notifications.yaml", unencrypted_queue, "queues_encrypted"),
    ("notifications.yaml", unencrypted_topic, "topics_encrypted"),
    ("network.yaml", imdsv1_allowed, "imdsv2_required"),
    ("network.yaml", instance_without_launch_template, "imdsv2_required"),
    ("network.yaml", ssh_from_anywhere, "no_ingress_from_anywhere"),
    ("network.yaml", ingress_resource_from_anywhere_ipv6, "no_ingress_from_anywhere"),
    ("notifications.yaml", log_group_kept_forever, "log_groups_have_retention"),
    ("network.yaml", literal_partition_in_managed_policy, "no_literal_partition"),
    ("logging.yaml", literal_partition_in_bucket_policy, "no_literal_partition"),
]


@pytest.mark.parametrize(("name", "break_it", "rule"), BREAKS, ids=[b[1].__name__ for b in BREAKS])
def test_rule_fails_on_a_template_that_breaks_it(name, break_it, rule):
    broken = copy.deepcopy(TEMPLATES[name])
    break_it(broken)
    assert set(failed_rules(broken)) == {rule}


def second_role_with_wildcard(t):
    """A role beside one that has no inline policies: the rule must still look at it."""
    t["Resources"]["ExtraRole"] = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {"Statement": []},
            "Policies": [
                {
                    "PolicyName": "too-much",
                    "PolicyDocument": {
                        "Statement": [{"Effect": "Allow", "Action": ["s3:*"], "Resource": ["*"]}]
                    },
                }
            ],
        },
    }


def test_wildcards_are_found_beside_roles_without_inline_policies():
    broken = copy.deepcopy(TEMPLATES["network.yaml"])
    second_role_with_wildcard(broken)
    assert set(failed_rules(broken)) == {
        "iam_no_wildcard_actions",
        "iam_wildcard_resource_only_for_unscoped_apis",
    }


def test_literal_partition_in_a_key_principal_is_caught():
    broken = copy.deepcopy(TEMPLATES["notifications.yaml"])
    root = broken["Resources"]["Key"]["Properties"]["KeyPolicy"]["Statement"][0]
    root["Principal"]["AWS"] = {"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:root"}
    assert set(failed_rules(broken)) == {"no_literal_partition"}


def test_rules_cfn_guard_cannot_parse_are_an_error_not_a_pass():
    with pytest.raises(RuntimeError, match="cfn-guard exit 5: Parsing error"):
        failed_rules(TEMPLATES["notifications.yaml"], rules="rule broken {{{")

"""The Guard invariants hold on build/, and each one fails on a template that breaks it."""

import copy
import re
from collections.abc import Callable

import org_templates
import pytest
from template_helpers import BUILD_DIR

from policy.guard import RULES_FILE, failed_rules, load_template, main

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


def output_bucket_rule(t: dict) -> list:
    (rule,) = t["Resources"]["OutputBucket"]["Properties"]["BucketEncryption"][
        "ServerSideEncryptionConfiguration"
    ]
    return rule["Fn::If"]


def unencrypted_with_your_key(t):
    output_bucket_rule(t)[1]["ServerSideEncryptionByDefault"]["SSEAlgorithm"] = "none"


def unencrypted_without_your_key(t):
    del output_bucket_rule(t)[2]["ServerSideEncryptionByDefault"]


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


def tls_statement(t: dict, policy: str = "OutputBucketPolicy") -> dict:
    statements = t["Resources"][policy]["Properties"]["PolicyDocument"]["Statement"]
    return next(s for s in statements if s["Sid"] == "DenyInsecureTransport")


def bucket_policy_without_tls_deny(t):
    statements = t["Resources"]["AccessLogBucketPolicy"]["Properties"]["PolicyDocument"]
    statements["Statement"] = [s for s in statements["Statement"] if s["Effect"] != "Deny"]


def tls_deny_turned_allow(t):
    tls_statement(t)["Effect"] = "Allow"


def tls_deny_on_secure_requests(t):
    tls_statement(t)["Condition"] = {"Bool": {"aws:SecureTransport": "true"}}


def tls_deny_for_one_account(t):
    tls_statement(t)["Principal"] = {"AWS": {"Fn::Sub": "${AWS::AccountId}"}}


def tls_deny_for_reads_only(t):
    tls_statement(t)["Action"] = ["s3:GetObject"]


def unconstrained_schedule(t):
    del t["Parameters"]["AssociationSchedule"]["AllowedPattern"]


def unconstrained_parent_statuses(t):
    del t["Parameters"]["WatchedStatuses"]["AllowedValues"]


def unconstrained_sweep_schedule(t):
    del t["Parameters"]["SweepSchedule"]["AllowedPattern"]


def role_without_boundary(t):
    del t["Resources"]["FunctionRole"]["Properties"]["PermissionsBoundary"]


def role_with_a_fixed_boundary(t):
    t["Resources"]["SweepRole"]["Properties"]["PermissionsBoundary"] = {
        "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/Boundary"
    }


def role_boundary_always_dropped(t):
    boundary = t["Resources"]["InstanceRole"]["Properties"]["PermissionsBoundary"]["Fn::If"]
    boundary[1] = {"Ref": "AWS::NoValue"}


def role_without_path(t):
    del t["Resources"]["InstanceRole"]["Properties"]["Path"]


def role_path_from_another_parameter(t):
    t["Resources"]["FunctionRole"]["Properties"]["Path"]["Fn::If"][1] = {"Ref": "LogRetentionDays"}


def role_path_fixed_when_empty(t):
    t["Resources"]["SweepRole"]["Properties"]["Path"]["Fn::If"][2] = "/ops/"


def role_boundary_a_literal_arn(t):
    t["Resources"]["InstanceRole"]["Properties"]["PermissionsBoundary"] = "arn:aws:iam::1:policy/b"


def vpc_statements(t: dict, role: str = "FunctionRole") -> list[dict]:
    """The statements of the role's policy that applies only in a VPC (Fn::If)."""
    (conditional,) = [p for p in t["Resources"][role]["Properties"]["Policies"] if "Fn::If" in p]
    return conditional["Fn::If"][1]["PolicyDocument"]["Statement"]


def vpc_wildcard_action(t):
    vpc_statements(t)[0]["Action"] = ["ec2:*"]


def vpc_wildcard_resource(t):
    create = next(
        s for s in vpc_statements(t, "SweepRole") if s["Sid"] == "CreateNetworkInterfaces"
    )
    create["Resource"] = ["*"]


def vpc_literal_partition(t):
    manage = next(s for s in vpc_statements(t) if s["Sid"] == "ManageNetworkInterfaces")
    manage["Resource"] = ["arn:aws:ec2:us-east-1:123456789012:network-interface/*"]


def key_statement(t: dict, sid: str, key: str = "Key") -> dict:
    statements = t["Resources"][key]["Properties"]["KeyPolicy"]["Statement"]
    return next(s for s in statements if s["Sid"] == sid)


def logs_principal_with_literal_suffix(t):
    statement = key_statement(t, "CloudWatchLogsEncryptsLogGroups")
    statement["Principal"]["Service"] = {"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}


def logs_principal_with_literal_region(t):
    statement = key_statement(t, "CloudWatchLogsEncryptsLogGroups")
    statement["Principal"]["Service"] = "logs.us-east-1.amazonaws.com"


def regional_principal_in_a_list_in_a_queue_policy(t):
    statement = t["Resources"]["QueuePolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    statement["Principal"]["Service"] = [
        "events.amazonaws.com",
        {"Fn::Sub": "sqs.${AWS::Region}.amazonaws.com"},
    ]


def regional_principal_in_a_trust_policy(t):
    trust = t["Resources"]["SweepRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    trust["Principal"]["Service"] = {"Fn::Sub": "lambda.${AWS::Region}.amazonaws.com"}


def regional_principal_in_a_lambda_permission(t):
    permission = t["Resources"]["SweepSchedulePermission"]["Properties"]
    permission["Principal"] = {"Fn::Sub": "events.${AWS::Region}.amazonaws.com"}


def alarm_to_the_digest_topic(t):
    t["Resources"]["DeadLetterQueueAlarm"]["Properties"]["AlarmActions"] = [{"Ref": "Topic"}]


def sweep_alarm_to_the_digest_topic(t):
    t["Resources"]["SweepErrorsAlarm"]["Properties"]["AlarmActions"] = [{"Ref": "TopicArn"}]


def alarm_ok_action_to_the_digest_topic(t):
    t["Resources"]["RuleDeadLetterAlarm"]["Properties"]["OKActions"] = [{"Ref": "Topic"}]


def alarm_without_action(t):
    del t["Resources"]["FunctionErrorsAlarm"]["Properties"]["AlarmActions"]


def alarm_to_a_literal_topic_arn(t):
    t["Resources"]["SweepFailureAlarm"]["Properties"]["AlarmActions"] = [
        {"Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:ops"}
    ]


def chat_guardrail_with_write_access(t):
    channel = t["Resources"]["SlackChannel"]["Properties"]
    channel["GuardrailPolicies"] = [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonSSMFullAccess"}
    ]


def chat_channel_without_guardrail(t):
    del t["Resources"]["TeamsChannel"]["Properties"]["GuardrailPolicies"]


def chat_channel_with_a_role_from_elsewhere(t):
    channel = t["Resources"]["SlackChannel"]["Properties"]
    channel["IamRoleArn"] = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/Admin"}


def chat_channel_members_use_their_own_roles(t):
    t["Resources"]["TeamsChannel"]["Properties"]["UserRoleRequired"] = True


def chat_channel_role_may_write(t):
    (policy,) = t["Resources"]["ChatChannelRole"]["Properties"]["Policies"]
    policy["PolicyDocument"]["Statement"][1]["Action"].append("ssm:SendCommand")


BREAKS: list[tuple[str, Callable[[dict], None], str]] = [
    ("notifications.yaml", vpc_wildcard_action, "iam_no_wildcard_actions"),
    ("sweep.yaml", vpc_wildcard_resource, "iam_wildcard_resource_only_for_unscoped_apis"),
    ("notifications.yaml", vpc_literal_partition, "no_literal_partition"),
    ("notifications.yaml", role_without_boundary, "iam_roles_take_boundary_and_path"),
    ("sweep.yaml", role_with_a_fixed_boundary, "iam_roles_take_boundary_and_path"),
    ("network.yaml", role_boundary_always_dropped, "iam_roles_take_boundary_and_path"),
    ("network.yaml", role_without_path, "iam_roles_take_boundary_and_path"),
    ("notifications.yaml", role_path_from_another_parameter, "iam_roles_take_boundary_and_path"),
    ("sweep.yaml", role_path_fixed_when_empty, "iam_roles_take_boundary_and_path"),
    ("network.yaml", role_boundary_a_literal_arn, "iam_roles_take_boundary_and_path"),
    ("notifications.yaml", logs_principal_with_literal_suffix, "service_principals_use_url_suffix"),
    ("notifications.yaml", logs_principal_with_literal_region, "service_principals_use_url_suffix"),
    (
        "notifications.yaml",
        regional_principal_in_a_list_in_a_queue_policy,
        "service_principals_use_url_suffix",
    ),
    ("sweep.yaml", regional_principal_in_a_trust_policy, "service_principals_use_url_suffix"),
    ("sweep.yaml", regional_principal_in_a_lambda_permission, "service_principals_use_url_suffix"),
    ("notifications.yaml", alarm_to_the_digest_topic, "alarms_publish_to_the_alarm_topic"),
    ("sweep.yaml", sweep_alarm_to_the_digest_topic, "alarms_publish_to_the_alarm_topic"),
    (
        "notifications.yaml",
        alarm_ok_action_to_the_digest_topic,
        "alarms_publish_to_the_alarm_topic",
    ),
    ("notifications.yaml", alarm_without_action, "alarms_publish_to_the_alarm_topic"),
    ("sweep.yaml", alarm_to_a_literal_topic_arn, "alarms_publish_to_the_alarm_topic"),
    ("notifications.yaml", wildcard_action, "iam_no_wildcard_actions"),
    ("notifications.yaml", everything, "iam_no_wildcard_actions"),
    ("notifications.yaml", wildcard_resource, "iam_wildcard_resource_only_for_unscoped_apis"),
    ("logging.yaml", unencrypted_bucket, "buckets_encrypted"),
    ("logging.yaml", unencrypted_with_your_key, "buckets_encrypted"),
    ("logging.yaml", unencrypted_without_your_key, "buckets_encrypted"),
    ("notifications.yaml", unencrypted_queue, "queues_encrypted"),
    ("notifications.yaml", unencrypted_topic, "topics_encrypted"),
    ("network.yaml", imdsv1_allowed, "imdsv2_required"),
    ("network.yaml", instance_without_launch_template, "imdsv2_required"),
    ("network.yaml", ssh_from_anywhere, "no_ingress_from_anywhere"),
    ("network.yaml", ingress_resource_from_anywhere_ipv6, "no_ingress_from_anywhere"),
    ("notifications.yaml", log_group_kept_forever, "log_groups_have_retention"),
    ("network.yaml", literal_partition_in_managed_policy, "no_literal_partition"),
    ("logging.yaml", literal_partition_in_bucket_policy, "no_literal_partition"),
    ("logging.yaml", bucket_policy_without_tls_deny, "bucket_policies_deny_insecure_transport"),
    # An Allow for "*" is also a resource policy that admits anyone.
    (
        "logging.yaml",
        tls_deny_turned_allow,
        {
            "bucket_policies_deny_insecure_transport",
            "resource_policies_admit_only_services_for_a_source",
        },
    ),
    ("logging.yaml", tls_deny_on_secure_requests, "bucket_policies_deny_insecure_transport"),
    ("logging.yaml", tls_deny_for_one_account, "bucket_policies_deny_insecure_transport"),
    ("logging.yaml", tls_deny_for_reads_only, "bucket_policies_deny_insecure_transport"),
    ("association.yaml", unconstrained_schedule, "ssm_eventbridge_inputs_constrained"),
    ("parent.yaml", unconstrained_parent_statuses, "ssm_eventbridge_inputs_constrained"),
    ("sweep.yaml", unconstrained_sweep_schedule, "ssm_eventbridge_inputs_constrained"),
    ("notifications.yaml", chat_guardrail_with_write_access, "chat_channels_may_only_read"),
    ("notifications.yaml", chat_channel_without_guardrail, "chat_channels_may_only_read"),
    ("notifications.yaml", chat_channel_with_a_role_from_elsewhere, "chat_channels_may_only_read"),
    ("notifications.yaml", chat_channel_members_use_their_own_roles, "chat_channels_may_only_read"),
    # A write action on "*" in the channel role: the wildcard-resource rule catches it.
    (
        "notifications.yaml",
        chat_channel_role_may_write,
        "iam_wildcard_resource_only_for_unscoped_apis",
    ),
]


@pytest.mark.parametrize(("name", "break_it", "rule"), BREAKS, ids=[b[1].__name__ for b in BREAKS])
def test_rule_fails_on_a_template_that_breaks_it(name, break_it, rule):
    broken = copy.deepcopy(TEMPLATES[name])
    break_it(broken)
    assert set(failed_rules(broken)) == (rule if isinstance(rule, set) else {rule})


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
        "iam_roles_take_boundary_and_path",  # the added role has neither
    }


def test_a_second_role_without_boundary_fails_beside_a_wired_one():
    broken = copy.deepcopy(TEMPLATES["notifications.yaml"])
    extra = copy.deepcopy(broken["Resources"]["FunctionRole"])
    del extra["Properties"]["PermissionsBoundary"], extra["Properties"]["Path"]
    broken["Resources"]["AnotherRole"] = extra
    assert set(failed_rules(broken)) == {"iam_roles_take_boundary_and_path"}


def test_literal_partition_in_a_key_principal_is_caught():
    broken = copy.deepcopy(TEMPLATES["notifications.yaml"])
    root = broken["Resources"]["Key"]["Properties"]["KeyPolicy"]["Statement"][0]
    root["Principal"]["AWS"] = {"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:root"}
    assert set(failed_rules(broken)) == {"no_literal_partition"}


# --- The list of SSM and EventBridge inputs in invariants.guard is complete -------------------

# Child parameters the parent fills from another stack's outputs, never from a person's input.
FROM_STACK_OUTPUTS = {"OutputBucketName"}


def guard_input_list() -> set[str]:
    listing = re.search(r"let ssm_eventbridge_inputs = \[(.*?)\]", RULES_FILE.read_text(), re.S)
    return set(re.findall(r"'([A-Za-z0-9]+)'", listing.group(1)))


def referenced_names(node) -> set[str]:
    """Names a value refers to: Ref targets and ${Name} in Fn::Sub strings."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                found |= set(re.findall(r"\$\{([A-Za-z0-9]+)\}", text))
                found |= referenced_names(value)
            else:
                found |= referenced_names(value)
    elif isinstance(node, list):
        for value in node:
            found |= referenced_names(value)
    return found


def test_the_guard_list_names_every_parameter_that_reaches_ssm_or_eventbridge():
    listed = guard_input_list()
    reaching: set[str] = set()
    for template in TEMPLATES.values():
        declared = set(template.get("Parameters", {}))
        for resource in template["Resources"].values():
            if resource["Type"].startswith(("AWS::SSM::", "AWS::Events::", "AWS::Scheduler::")):
                reaching |= referenced_names(resource.get("Properties", {})) & declared
    assert {"AssociationSchedule", "SweepSchedule", "WatchedDocuments"} <= reaching
    assert reaching - FROM_STACK_OUTPUTS <= listed, sorted(reaching - FROM_STACK_OUTPUTS - listed)


def test_the_parent_feeds_listed_child_inputs_only_from_listed_parameters():
    listed, parent = guard_input_list(), TEMPLATES["parent.yaml"]
    declared = set(parent["Parameters"])
    for resource in parent["Resources"].values():
        if resource["Type"] != "AWS::CloudFormation::Stack":
            continue
        for name, value in resource["Properties"].get("Parameters", {}).items():
            sources = referenced_names(value) & declared
            if name in FROM_STACK_OUTPUTS:
                assert not sources, f"{name} is fed from {sources}, not a stack output"
            elif name in listed:
                assert sources <= listed, f"{name} is fed from unlisted {sources - listed}"


def test_every_listed_input_is_declared_somewhere():
    declared = {name for t in TEMPLATES.values() for name in t.get("Parameters", {})}
    assert guard_input_list() <= declared


# -- Across an organization: the spoke and the hub pieces -------------------------------------

ORG_TEMPLATES = org_templates.rendered()


@pytest.mark.parametrize("name", sorted(ORG_TEMPLATES))
def test_the_organization_templates_comply(name):
    assert failed_rules(ORG_TEMPLATES[name]) == {}


def trust(t, role: str) -> dict:
    return t["Resources"][role]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]


def dead_letter_statement(t) -> dict:
    return t["Resources"]["DeadLetterQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"][0]


def queue_open_to_everyone(t):
    dead_letter_statement(t)["Principal"] = "*"


def queue_open_to_an_account(t):
    dead_letter_statement(t)["Principal"] = {"AWS": {"Ref": "AWS::AccountId"}}


def queue_open_to_any_rule(t):
    del dead_letter_statement(t)["Condition"]


def reader_trusts_a_third_role(t):
    trust(t, "ReaderRole")["Principal"]["AWS"].append({"Ref": "OutsiderRoleArn"})


def reader_trusts_one_other_role(t):
    trust(t, "ReaderRole")["Principal"] = {"AWS": {"Ref": "OutsiderRoleArn"}}


def reader_trusts_everyone(t):
    trust(t, "ReaderRole")["Principal"] = "*"


def reader_trusts_outside_the_organization(t):
    del trust(t, "ReaderRole")["Condition"]


def forwarder_trusts_lambda(t):
    trust(t, "ForwardRole")["Principal"] = {"Service": "lambda.amazonaws.com"}


def forwarder_trusts_any_accounts_rules(t):
    del trust(t, "ForwardRole")["Condition"]["StringEquals"]


def bus_open_to_everyone(t):
    del t["Resources"]["HubEventBusPolicy"]["Properties"]["Statement"]["Condition"]


def bus_open_to_an_account_legacy_form(t):
    t["Resources"]["HubEventBusPolicy"]["Properties"] = {
        "EventBusName": {"Ref": "HubEventBus"},
        "StatementId": "OneAccount",
        "Action": "events:PutEvents",
        "Principal": "999999999999",
    }


def bus_inline_policy_open_to_everyone(t):
    statement = copy.deepcopy(t["Resources"]["HubEventBusPolicy"]["Properties"]["Statement"])
    del statement["Condition"]
    statement["Resource"] = {"Fn::Sub": "arn:${AWS::Partition}:events:::event-bus/x"}
    t["Resources"]["HubEventBus"]["Properties"]["Policy"] = {
        "Version": "2012-10-17",
        "Statement": [statement],
    }


ORG_BREAKS: list[tuple[str, Callable[[dict], None], str]] = [
    ("spoke.yaml", queue_open_to_everyone, "resource_policies_admit_only_services_for_a_source"),
    ("spoke.yaml", queue_open_to_an_account, "resource_policies_admit_only_services_for_a_source"),
    ("spoke.yaml", queue_open_to_any_rule, "resource_policies_admit_only_services_for_a_source"),
    ("spoke.yaml", reader_trusts_a_third_role, "spoke_roles_trust_only_eventbridge_or_hub_roles"),
    ("spoke.yaml", reader_trusts_one_other_role, "spoke_roles_trust_only_eventbridge_or_hub_roles"),
    ("spoke.yaml", reader_trusts_everyone, "spoke_roles_trust_only_eventbridge_or_hub_roles"),
    (
        "spoke.yaml",
        reader_trusts_outside_the_organization,
        "spoke_roles_trust_only_eventbridge_or_hub_roles",
    ),
    ("spoke.yaml", forwarder_trusts_lambda, "spoke_roles_trust_only_eventbridge_or_hub_roles"),
    (
        "spoke.yaml",
        forwarder_trusts_any_accounts_rules,
        "spoke_roles_trust_only_eventbridge_or_hub_roles",
    ),
    ("hub.yaml", bus_open_to_everyone, "event_buses_admit_only_the_organization"),
    ("hub.yaml", bus_open_to_an_account_legacy_form, "event_buses_admit_only_the_organization"),
    ("hub.yaml", bus_inline_policy_open_to_everyone, "event_buses_admit_only_the_organization"),
]


@pytest.mark.parametrize(
    ("name", "break_it", "rule"), ORG_BREAKS, ids=[b[1].__name__ for b in ORG_BREAKS]
)
def test_organization_rule_fails_on_a_template_that_breaks_it(name, break_it, rule):
    broken = copy.deepcopy(ORG_TEMPLATES[name])
    break_it(broken)
    assert set(failed_rules(broken)) == {rule}


def test_an_inline_bus_policy_that_names_the_organization_passes():
    hub = copy.deepcopy(ORG_TEMPLATES["hub.yaml"])
    statement = copy.deepcopy(hub["Resources"]["HubEventBusPolicy"]["Properties"]["Statement"])
    statement["Resource"] = {"Fn::Sub": "arn:${AWS::Partition}:events:::event-bus/x"}
    hub["Resources"]["HubEventBus"]["Properties"]["Policy"] = {"Statement": [statement]}
    assert failed_rules(hub) == {}


def test_roles_outside_a_spoke_may_trust_other_services():
    """The spoke rule looks only at the template that takes the hub role parameters."""
    assert "HubNotifierRoleArn" not in TEMPLATES["network.yaml"].get("Parameters", {})
    assert trust(TEMPLATES["network.yaml"], "InstanceRole")["Principal"] == {
        "Service": {"Fn::Sub": "ec2.${AWS::URLSuffix}"}
    }
    assert failed_rules(TEMPLATES["network.yaml"]) == {}


def test_rules_cfn_guard_cannot_parse_are_an_error_not_a_pass():
    with pytest.raises(RuntimeError, match="cfn-guard exit 5: Parsing error"):
        failed_rules(TEMPLATES["notifications.yaml"], rules="rule broken {{{")

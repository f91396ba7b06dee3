"""Logging stack: the association output bucket, its access log, and the instance-role policy."""

import re

import pytest
import regex
from botocore.loaders import Loader
from template_helpers import resources_of_type, statements

from templates import names

BUCKETS = ["OutputBucket", "AccessLogBucket"]


@pytest.mark.parametrize("title", BUCKETS)
def test_buckets_are_encrypted_private_versioned_and_retained(logging_stack, title):
    bucket = logging_stack["Resources"][title]
    properties = bucket["Properties"]
    (rule,) = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    if title == "OutputBucket":  # SSE-KMS with your key when one is given (below), else SSE-S3
        condition, _, rule = rule["Fn::If"]
        assert condition == "HasOutputBucketKey"
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert properties["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert bucket["DeletionPolicy"] == "Retain"
    assert bucket["UpdateReplacePolicy"] == "Retain"
    assert "BucketName" not in properties


@pytest.mark.parametrize("title", BUCKETS)
def test_objects_expire_after_a_parameterised_number_of_days(logging_stack, title):
    bucket = logging_stack["Resources"][title]["Properties"]
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["ExpirationInDays"] == {"Ref": "OutputRetentionDays"}
    parameter = logging_stack["Parameters"]["OutputRetentionDays"]
    # A whole number of days from 1 to 3650 (a pattern: a Number parameter would take 1.5).
    assert parameter["Default"] == "90"
    days = [str(n) for n in range(0, 3700)] + ["1.5", "090"]
    accepted = [d for d in days if re.fullmatch(parameter["AllowedPattern"], d)]
    assert accepted == [str(n) for n in range(1, 3651)]


def test_requests_to_the_output_bucket_are_logged_to_the_access_log_bucket(logging_stack):
    logging = logging_stack["Resources"]["OutputBucket"]["Properties"]["LoggingConfiguration"]
    assert logging["DestinationBucketName"] == {"Ref": "AccessLogBucket"}
    policy = logging_stack["Resources"]["AccessLogBucketPolicy"]["Properties"]["PolicyDocument"]
    allow = next(s for s in statements(policy) if s["Effect"] == "Allow")
    assert allow["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert allow["Action"] == ["s3:PutObject"]
    assert allow["Condition"]["ArnEquals"] == {
        "aws:SourceArn": {"Fn::GetAtt": ["OutputBucket", "Arn"]}
    }


@pytest.mark.parametrize("title", BUCKETS)
def test_bucket_policies_deny_every_request_without_tls(logging_stack, title):
    policies = resources_of_type(logging_stack, "AWS::S3::BucketPolicy")
    (policy,) = [p for p in policies.values() if p["Properties"]["Bucket"] == {"Ref": title}]
    deny = next(s for s in statements(policy["Properties"]["PolicyDocument"]))
    assert deny["Effect"] == "Deny"
    assert deny["Principal"] == "*"
    assert deny["Action"] == ["s3:*"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == [
        {"Fn::GetAtt": [title, "Arn"]},
        {"Fn::Sub": f"${{{title}.Arn}}/*"},
    ]


def test_instance_role_policy_grants_exactly_what_association_output_needs(logging_stack):
    policy = logging_stack["Resources"]["InstanceOutputPolicy"]
    assert policy["Properties"]["Roles"] == {"Ref": names.INSTANCE_ROLE_NAMES}
    assert policy["Condition"] == "HasInstanceRoles"
    granted = {
        (action, str(resource))
        for statement in statements(policy["Properties"]["PolicyDocument"])
        for action in statement["Action"]
        for resource in statement["Resource"]
        if statement["Effect"] == "Allow"
    }
    assert granted == {
        ("s3:PutObject", str({"Fn::Sub": "${OutputBucket.Arn}/*"})),
        ("s3:GetEncryptionConfiguration", str({"Fn::GetAtt": ["OutputBucket", "Arn"]})),
    }


def test_no_role_names_means_no_policy(logging_stack):
    assert logging_stack["Parameters"][names.INSTANCE_ROLE_NAMES]["Default"] == ""
    assert logging_stack["Conditions"]["HasInstanceRoles"] == {
        "Fn::Not": [{"Fn::Equals": [{"Fn::Join": ["", {"Ref": "InstanceRoleNames"}]}, ""]}]
    }


def test_outputs(logging_stack):
    assert set(logging_stack["Outputs"]) == {names.OUTPUT_BUCKET_NAME, names.OUTPUT_BUCKET_ARN}


def test_the_instance_role_policy_is_named_for_this_stack_and_region(logging_stack):
    """IAM is global: the name carries the region and the UUID of the stack id, so two stacks
    (two regions, or two in one region) granting one role never share a policy name."""
    name = logging_stack["Resources"]["InstanceOutputPolicy"]["Properties"]["PolicyName"]
    separator, (prefix, region, stack_uuid) = name["Fn::Join"]
    assert (separator, prefix, region) == ("-", "write-association-output", {"Ref": "AWS::Region"})
    assert stack_uuid == {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}

    stack_id = (
        "arn:aws-us-gov:cloudformation:ap-southeast-4:123456789012:stack/"
        + "n" * 128
        + "/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    )
    longest = separator.join([prefix, "ap-southeast-4", stack_id.split("/")[2]])
    model = Loader().load_service_model("iam", "service-2")["shapes"]["policyNameType"]
    assert len(longest) <= model["max"] and regex.fullmatch(model["pattern"], longest)


def test_with_your_key_the_output_bucket_is_sse_kms_with_a_bucket_key(logging_stack):
    (rule,) = logging_stack["Resources"]["OutputBucket"]["Properties"]["BucketEncryption"][
        "ServerSideEncryptionConfiguration"
    ]
    condition, with_key, _ = rule["Fn::If"]
    assert logging_stack["Conditions"][condition] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": names.OUTPUT_BUCKET_KMS_KEY_ARN}, ""]}]
    }
    assert with_key == {
        "ServerSideEncryptionByDefault": {
            "SSEAlgorithm": "aws:kms",
            "KMSMasterKeyID": {"Ref": names.OUTPUT_BUCKET_KMS_KEY_ARN},
        },
        "BucketKeyEnabled": True,
    }
    assert logging_stack["Parameters"][names.OUTPUT_BUCKET_KMS_KEY_ARN]["Default"] == ""


def test_with_your_key_the_instance_roles_may_encrypt_with_it_and_nothing_else(logging_stack):
    policy = logging_stack["Resources"]["InstanceOutputKeyPolicy"]
    assert logging_stack["Conditions"][policy["Condition"]] == {
        "Fn::And": [{"Condition": "HasInstanceRoles"}, {"Condition": "HasOutputBucketKey"}]
    }
    assert policy["Properties"]["Roles"] == {"Ref": names.INSTANCE_ROLE_NAMES}
    (statement,) = statements(policy["Properties"]["PolicyDocument"])
    assert statement["Action"] == ["kms:GenerateDataKey", "kms:Decrypt"]
    assert statement["Resource"] == [{"Ref": names.OUTPUT_BUCKET_KMS_KEY_ARN}]
    prefix, region, _ = policy["Properties"]["PolicyName"]["Fn::Join"][1]
    assert (prefix, region) == ("use-association-output-key", {"Ref": "AWS::Region"})
    # The access-log bucket stays SSE-S3: S3 server access logs are delivered only to SSE-S3.
    (log_rule,) = logging_stack["Resources"]["AccessLogBucket"]["Properties"]["BucketEncryption"][
        "ServerSideEncryptionConfiguration"
    ]
    assert log_rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}


@pytest.mark.parametrize("title", BUCKETS)
def test_each_bucket_policy_is_retained_with_its_retained_bucket(logging_stack, title):
    """A retained bucket that lost its policy on stack deletion would accept plain HTTP, and the
    access-log bucket would refuse the logging service."""
    policies = resources_of_type(logging_stack, "AWS::S3::BucketPolicy")
    (policy,) = [p for p in policies.values() if p["Properties"]["Bucket"] == {"Ref": title}]
    assert logging_stack["Resources"][title]["DeletionPolicy"] == "Retain"
    assert policy["DeletionPolicy"] == "Retain"
    assert policy["UpdateReplacePolicy"] == "Retain"

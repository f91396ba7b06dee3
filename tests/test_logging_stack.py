"""Logging stack: the association output bucket, its access log, and the instance-role policy."""

import re

import pytest
from template_helpers import one_resource, resources_of_type, statements

from templates import names

BUCKETS = ["OutputBucket", "AccessLogBucket"]


@pytest.mark.parametrize("title", BUCKETS)
def test_buckets_are_encrypted_private_versioned_and_retained(logging_stack, title):
    bucket = logging_stack["Resources"][title]
    properties = bucket["Properties"]
    (rule,) = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
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
    policy = one_resource(logging_stack, "AWS::IAM::Policy")
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


@pytest.mark.parametrize("title", BUCKETS)
def test_each_bucket_policy_is_retained_with_its_retained_bucket(logging_stack, title):
    """A retained bucket that lost its policy on stack deletion would accept plain HTTP, and the
    access-log bucket would refuse the logging service."""
    policies = resources_of_type(logging_stack, "AWS::S3::BucketPolicy")
    (policy,) = [p for p in policies.values() if p["Properties"]["Bucket"] == {"Ref": title}]
    assert logging_stack["Resources"][title]["DeletionPolicy"] == "Retain"
    assert policy["DeletionPolicy"] == "Retain"
    assert policy["UpdateReplacePolicy"] == "Retain"

"""Logging stack: the association output bucket and the instance-role policy."""

from template_helpers import one_resource, statements

from templates import names


def test_bucket_is_encrypted_private_and_retained(logging_stack):
    bucket = one_resource(logging_stack, "AWS::S3::Bucket")
    properties = bucket["Properties"]
    (rule,) = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["DeletionPolicy"] == "Retain"
    assert bucket["UpdateReplacePolicy"] == "Retain"
    assert "BucketName" not in properties


def test_old_output_expires_after_a_parameterised_number_of_days(logging_stack):
    bucket = one_resource(logging_stack, "AWS::S3::Bucket")["Properties"]
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["ExpirationInDays"] == {"Ref": "OutputRetentionDays"}
    parameter = logging_stack["Parameters"]["OutputRetentionDays"]
    assert (parameter["MinValue"], parameter["MaxValue"], parameter["Default"]) == (1, 3650, 90)


def test_bucket_policy_denies_every_request_without_tls(logging_stack):
    policy = one_resource(logging_stack, "AWS::S3::BucketPolicy")["Properties"]
    assert policy["Bucket"] == {"Ref": "OutputBucket"}
    (deny,) = statements(policy["PolicyDocument"])
    assert deny["Effect"] == "Deny"
    assert deny["Principal"] == "*"
    assert deny["Action"] == ["s3:*"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == [
        {"Fn::GetAtt": ["OutputBucket", "Arn"]},
        {"Fn::Sub": "${OutputBucket.Arn}/*"},
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

"""Static assertions for what moto accepts and ignores and no other template test covers.

The local end-to-end run (test_local_stack.py) cannot see these: moto reports the stack complete
without applying them. The list of what it ignores, with the test for each, is
`moto_workarounds.SKIPPED_BY_MOTO`; this module holds the assertions that had no home yet.
"""

from __future__ import annotations

from template_helpers import one_resource

from templates import names


def _output_bucket(logging_stack: dict) -> dict:
    """The bucket the logging stack names as its output bucket (it may hold others)."""
    logical_id = logging_stack["Outputs"][names.OUTPUT_BUCKET_NAME]["Value"]["Ref"]
    return logging_stack["Resources"][logical_id]["Properties"]


def test_output_bucket_is_versioned_owner_enforced_and_uses_a_bucket_key(logging_stack):
    bucket = _output_bucket(logging_stack)
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    _, with_your_key, sse_s3 = rule["Fn::If"]
    assert with_your_key["BucketKeyEnabled"] is True and sse_s3["BucketKeyEnabled"] is True
    # Versions replaced by newer output do not pile up for the whole retention period.
    (lifecycle,) = bucket["LifecycleConfiguration"]["Rules"]
    assert lifecycle["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}


def test_instances_get_the_no_ingress_group_and_the_ssm_profile_from_the_launch_template(network):
    data = one_resource(network, "AWS::EC2::LaunchTemplate")["Properties"]["LaunchTemplateData"]
    (group,) = data["SecurityGroupIds"]
    assert network["Resources"][group["Ref"]]["Type"] == "AWS::EC2::SecurityGroup"
    profile = data["IamInstanceProfile"]["Arn"]["Fn::GetAtt"]
    assert profile[1] == "Arn"
    assert network["Resources"][profile[0]]["Type"] == "AWS::IAM::InstanceProfile"
    for instance in network["Resources"].values():
        if instance["Type"] == "AWS::EC2::Instance":
            properties = instance["Properties"]
            # Everything comes from the launch template, nothing is set beside it.
            assert not {"ImageId", "SecurityGroupIds", "IamInstanceProfile"} & set(properties)

"""Association stack: AWS-UpdateSSMAgent on a schedule, output to the logging bucket."""

import pytest
from template_helpers import one_resource

from templates import names


@pytest.fixture(scope="module")
def association_stack(rendered):
    return rendered["association.yaml"]


def test_association_updates_the_agent_on_a_schedule_with_s3_output(association_stack):
    association = one_resource(association_stack, "AWS::SSM::Association")["Properties"]
    assert association["Name"] == "AWS-UpdateSSMAgent"
    assert association["ScheduleExpression"] == {"Ref": names.ASSOCIATION_SCHEDULE}
    assert association["OutputLocation"] == {
        "S3Location": {
            "OutputS3BucketName": {"Ref": names.OUTPUT_BUCKET_NAME},
            "OutputS3KeyPrefix": {"Ref": "OutputKeyPrefix"},
        }
    }
    assert association["MaxConcurrency"] == {"Ref": names.ASSOCIATION_MAX_CONCURRENCY}
    assert association["MaxErrors"] == {"Ref": names.ASSOCIATION_MAX_ERRORS}
    assert association["ApplyOnlyAtCronInterval"] is False
    assert "AssociationName" not in association
    parameters = association_stack["Parameters"]
    assert parameters[names.ASSOCIATION_SCHEDULE]["Default"] == "rate(14 days)"


def test_targets_by_tag_or_every_managed_instance(association_stack):
    targets = one_resource(association_stack, "AWS::SSM::Association")["Properties"]["Targets"]
    condition, all_instances, tagged = targets["Fn::If"]
    assert association_stack["Conditions"][condition] == {
        "Fn::Equals": [{"Ref": names.ASSOCIATION_TARGETS}, "AllManagedInstances"]
    }
    assert all_instances == [{"Key": "InstanceIds", "Values": ["*"]}]
    assert tagged == [
        {
            "Key": {"Fn::Sub": ["tag:${Key}", {"Key": {"Ref": names.TARGET_TAG_KEY}}]},
            "Values": [{"Ref": names.TARGET_TAG_VALUE}],
        }
    ]
    assert association_stack["Parameters"][names.TARGET_TAG_KEY]["Default"] == (names.FLEET_TAG_KEY)

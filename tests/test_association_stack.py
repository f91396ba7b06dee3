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
    assert "AssociationName" not in association
    parameters = association_stack["Parameters"]
    # Weekly: the one-click setup's 14 days is no association cron, and only a cron can wait
    # for its interval instead of running on every create and update.
    assert parameters[names.ASSOCIATION_SCHEDULE]["Default"] == "cron(0 2 ? * SUN *)"


def conditions_for(stack: dict, values: dict) -> dict[str, bool]:
    """The association stack's conditions for these parameter values (its functions only)."""

    def value(expression):
        if isinstance(expression, dict) and "Ref" in expression:
            return values[expression["Ref"]]
        if isinstance(expression, dict) and "Fn::Join" in expression:
            separator, items = expression["Fn::Join"]
            return separator.join(value(items))
        if isinstance(expression, dict) and "Fn::Select" in expression:
            index, items = expression["Fn::Select"]
            return value(items)[index]
        if isinstance(expression, dict) and "Fn::Split" in expression:
            separator, text = expression["Fn::Split"]
            return value(text).split(separator)
        return expression

    def holds(expression) -> bool:
        ((function, arguments),) = expression.items()
        if function == "Fn::Equals":
            return value(arguments[0]) == value(arguments[1])
        if function == "Fn::Not":
            return not holds(arguments[0])
        if function == "Fn::And":
            return all(holds(a) for a in arguments)
        raise AssertionError(function)

    return {name: holds(expression) for name, expression in stack["Conditions"].items()}


DEFAULTS = {
    names.ASSOCIATION_SCHEDULE: "cron(0 2 ? * SUN *)",
    names.ASSOCIATION_APPLY_ONLY_AT_CRON: "true",
    names.ASSOCIATION_SCHEDULE_OFFSET: "",
    names.ASSOCIATION_CALENDAR_NAMES: [""],
    names.ASSOCIATION_TARGETS: "Tagged",
}


@pytest.mark.parametrize(
    ("changes", "applies_only_at_cron"),
    [
        ({}, True),
        ({names.ASSOCIATION_APPLY_ONLY_AT_CRON: "false"}, False),
        ({names.ASSOCIATION_SCHEDULE: "rate(14 days)"}, False),  # State Manager refuses it
        ({names.ASSOCIATION_SCHEDULE: "cron(0 0/4 * * ? *)"}, True),
    ],
)
def test_it_waits_for_its_cron_interval_unless_told_or_on_a_rate(
    association_stack, changes, applies_only_at_cron
):
    association = one_resource(association_stack, "AWS::SSM::Association")["Properties"]
    condition, when_true, when_false = association["ApplyOnlyAtCronInterval"]["Fn::If"]
    assert (when_true, when_false) == (True, False)
    active = conditions_for(association_stack, DEFAULTS | changes)
    assert active[condition] is applies_only_at_cron
    assert association_stack["Parameters"][names.ASSOCIATION_APPLY_ONLY_AT_CRON]["Default"] == (
        "true"
    )


def test_calendars_offset_and_compliance_reach_the_association(association_stack):
    association = one_resource(association_stack, "AWS::SSM::Association")["Properties"]
    assert association["SyncCompliance"] == {"Ref": names.ASSOCIATION_SYNC_COMPLIANCE}
    for prop, parameter in (
        ("CalendarNames", names.ASSOCIATION_CALENDAR_NAMES),
        ("ScheduleOffset", names.ASSOCIATION_SCHEDULE_OFFSET),
    ):
        condition, when_set, when_empty = association[prop]["Fn::If"]
        assert (when_set, when_empty) == ({"Ref": parameter}, {"Ref": "AWS::NoValue"})
        assert conditions_for(association_stack, DEFAULTS)[condition] is False
    with_both = DEFAULTS | {
        names.ASSOCIATION_CALENDAR_NAMES: ["FreezeCalendar"],
        names.ASSOCIATION_SCHEDULE_OFFSET: "3",
    }
    active = conditions_for(association_stack, with_both)
    assert active["HasCalendarNames"] and active["HasScheduleOffset"]
    parameters = association_stack["Parameters"]
    assert parameters[names.ASSOCIATION_SYNC_COMPLIANCE]["Default"] == "AUTO"


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

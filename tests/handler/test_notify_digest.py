"""notify_digest: the notifier's subject and body, links, size limits. Pure, no AWS."""

from __future__ import annotations

import pytest
from notifier_testkit import SAMPLE_BODY, groups_of
from ssm_notifier import notify_digest
from ssm_notifier.enrich import OutputLookup
from ssm_notifier.events import parse_record
from ssm_notifier.grouping import group_events

from templates.sample_events import association_event, sqs_record

# SNS takes 262,144 bytes; the digest keeps a margin for the envelope and for mis-estimates.
BODY_LIMIT_BYTES = 240_000


def test_documented_sample_makes_a_complete_digest() -> None:
    [group] = groups_of(SAMPLE_BODY)
    body = notify_digest.message(group)

    assert notify_digest.subject(group) == "[SSM] my-documentName: 1 succeeded"
    assert body.startswith("SSM association my-documentName: 1 succeeded\n")
    for expected in (
        "Association: 34fcb7e0-5a52-4b9b-8b53-0aa3fe6fd1a3",
        "Region:      us-east-1",
        "Account:     123456789012",
        "i-12345678: Success",
        "Last execution:    2017-02-13T17:22:54.458Z",
        "Error code:        testErrorCode",
        "Execution summary: testExecutionSummary",
        "Output URL:        sampleurl",
        "https://console.aws.amazon.com/systems-manager/fleet-manager/managed-nodes/i-12345678/"
        "general?region=us-east-1",
        "Raw events (1):",
        '"instance-association-cwe-version": "1"',
    ):
        assert expected in body


def test_one_association_two_instances_lists_the_failure_first() -> None:
    [group] = groups_of(
        association_event("i-0aaa", "Success"), association_event("i-0bbb", "Failed")
    )
    body = notify_digest.message(group)

    assert notify_digest.subject(group) == "[SSM] AWS-UpdateSSMAgent: 1 failed, 1 succeeded"
    assert body.index("i-0bbb: Failed") < body.index("i-0aaa: Success")


def test_subject_counts_the_final_statuses_first_then_the_others() -> None:
    statuses = ["Success", "Skipped", "TimedOut", "Failed", "Weird"]
    [group] = groups_of(*(association_event(f"i-{n}", status) for n, status in enumerate(statuses)))

    assert notify_digest.subject(group) == (
        "[SSM] AWS-UpdateSSMAgent: 1 failed, 1 timed out, 1 skipped, 1 succeeded, 1 Weird"
    )


def test_unknown_and_missing_statuses_are_reported_as_themselves() -> None:
    [group] = groups_of(association_event("i-1", "Cancelled"), association_event("i-2", ""))

    assert notify_digest.subject(group) == "[SSM] AWS-UpdateSSMAgent: 1 Cancelled, 1 without status"
    body = notify_digest.message(group)
    assert "i-1: Cancelled" in body
    assert "i-2: -" in body


def test_duplicates_collapse_but_keep_every_message_id() -> None:
    failed = association_event("i-1", "Failed")
    rerun = association_event(
        "i-1", "Failed", **{"last-execution-date": "2026-05-05T00:00:00.000Z"}
    )
    [group] = groups_of(failed, failed, rerun, failed)

    assert len(group.entries) == 2
    assert group.entries[0].message_ids == ["m-1", "m-2", "m-4"]
    assert sorted(group.message_ids) == ["m-1", "m-2", "m-3", "m-4"]
    assert notify_digest.subject(group) == "[SSM] AWS-UpdateSSMAgent: 2 failed"
    assert "Reported:          3 times (duplicates collapsed)" in notify_digest.message(group)


def test_missing_fields_show_as_dashes_and_no_link_without_a_region() -> None:
    bare = {
        "source": "aws.ssm",
        "detail-type": "EC2 State Manager Instance Association State Change",
        "detail": {"association-id": "a-1", "instance-id": "i-1"},
    }
    record = sqs_record(bare, "m-1")
    del record["awsRegion"]
    [group] = group_events([("m-1", parse_record(record))])
    body = notify_digest.message(group)

    assert notify_digest.subject(group) == "[SSM] association a-1: 1 without status"
    assert "Error code:        -" in body
    assert "Region:      -" in body
    assert "Console" not in body


@pytest.mark.parametrize(
    ("partition", "region", "host"),
    [
        ("aws", "eu-west-1", "https://console.aws.amazon.com/"),
        ("aws-cn", "cn-north-1", "https://console.amazonaws.cn/"),
        ("aws-us-gov", "us-gov-west-1", "https://console.amazonaws-us-gov.com/"),
    ],
)
def test_console_links_follow_the_partition(partition: str, region: str, host: str) -> None:
    event = association_event("i-0abc")
    event["region"] = region
    event["resources"] = [f"arn:{partition}:ec2:{region}:123456789012:instance/i-0abc"]
    [group] = groups_of(event)

    assert (
        f"{host}systems-manager/fleet-manager/managed-nodes/i-0abc/general?region={region}"
        in notify_digest.message(group)
    )


def test_long_document_name_is_cut_and_counts_kept() -> None:
    [group] = groups_of(
        association_event("i-1", "Failed", document_name="Very-Long-Document-" * 10)
    )
    subject = notify_digest.subject(group)

    assert len(subject) <= 99
    assert subject.startswith("[SSM] Very-Long-Document-")
    assert subject.endswith("...: 1 failed")


def test_non_ascii_document_name_gives_a_printable_ascii_subject() -> None:
    name = "Mise-à-jour-日本語\u0007\n-Agent\u200b"
    [group] = groups_of(association_event("i-1", "Failed", document_name=name))
    subject = notify_digest.subject(group)

    assert subject == "[SSM] Mise-a-jour-??? -Agent: 1 failed"
    assert all(" " <= char <= "~" for char in subject)


def test_many_unknown_statuses_still_fit_the_subject() -> None:
    [group] = groups_of(*(association_event(f"i-{n}", f"Status{n:03}") for n in range(30)))
    subject = notify_digest.subject(group)

    assert len(subject) == 99
    assert subject.startswith("[SSM] AWS-UpdateSSMAgent: 1 Status000, ")
    assert subject.endswith("...")


def test_oversize_digest_drops_raw_events_then_instances_and_says_so() -> None:
    huge = "x" * 3_000
    events = [
        association_event(f"i-{n:05}", "Failed", **{"execution-summary": huge}) for n in range(40)
    ]
    events += [
        association_event(f"i-{n:05}", "Success", **{"execution-summary": huge})
        for n in range(40, 400)
    ]
    [group] = groups_of(*events)
    body = notify_digest.message(group)

    size = len(body.encode())
    assert size <= BODY_LIMIT_BYTES
    listed = body.count("\n  Execution summary: ")
    assert 0 < listed < 400
    assert f"... and {400 - listed} more instances (message size limit)" in body
    assert "400 raw events omitted" in body
    # Failures are listed first, so none of them is among the instances left out.
    assert all(f"i-{n:05}: Failed" in body for n in range(40))


def test_raw_events_alone_are_dropped_when_the_instances_fit() -> None:
    events = [association_event(f"i-{n:03}", "Success", padding="p" * 2_000) for n in range(150)]
    [group] = groups_of(*events)
    body = notify_digest.message(group)

    assert len(body.encode()) <= BODY_LIMIT_BYTES
    assert "more instance" not in body
    assert body.count(": Success\n") == 150
    included = body.count('"padding"')
    assert 0 < included < 150
    assert f"{150 - included} raw events omitted (message size limit)" in body


def test_multibyte_text_is_measured_in_utf8_bytes() -> None:
    summary = "失敗" * 2_000  # 6 bytes per pair of characters
    events = [
        association_event(f"i-{n:03}", "Failed", **{"execution-summary": summary})
        for n in range(100)
    ]
    [group] = groups_of(*events)

    assert len(notify_digest.message(group).encode()) <= BODY_LIMIT_BYTES


def test_fetched_output_and_not_fetched_reason_are_shown() -> None:
    [group] = groups_of(association_event("i-1", "Failed"), association_event("i-2", "TimedOut"))
    group.entries[0].output = OutputLookup(
        stdout_tail="line 1\nFailed to update", stderr_tail="oops"
    )
    group.entries[1].output = OutputLookup(not_fetched="ThrottlingException (GetCommandInvocation)")
    body = notify_digest.message(group)

    assert "  Standard output (last lines):\n    | line 1\n    | Failed to update\n" in body
    assert "  Standard error (last lines):\n    | oops" in body
    assert "  output not fetched: ThrottlingException (GetCommandInvocation)" in body


def test_control_characters_in_output_are_removed_from_the_body() -> None:
    [group] = groups_of(association_event("i-1", "Failed"))
    group.entries[0].output = OutputLookup(stdout_tail="\x1b[31mred\x1b[0m done")

    assert "    | [31mred[0m done" in notify_digest.message(group)

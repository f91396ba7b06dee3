"""text: the helpers both digests are built from, so the two emails read alike."""

from __future__ import annotations

from datetime import UTC, datetime

from notifier_testkit import groups_of
from ssm_notifier import notify_digest, sweep_digest, text
from ssm_notifier.sweep_check import AssociationResult, SweepReport
from ssm_notifier.targets import InstanceState

from templates.sample_events import association_event


def test_a_field_pads_its_label_and_indents_further_lines() -> None:
    assert text.field("Error code", "") == "  Error code:        -"
    assert text.field("Note", "one\ntwo") == "  Note:              one\n    two"
    assert text.field("A label longer than the width", "v", 4) == (
        "    A label longer than the width: v"
    )
    assert text.header_field("Association", "a-1") == "Association: a-1"


def test_a_runaway_field_is_cut() -> None:
    line = text.field("Execution summary", "x" * 10_000)

    assert line.endswith("x ...(cut)")
    assert len(line) < 4_100


def test_both_digests_align_their_fields_at_the_same_column() -> None:
    [group] = groups_of(association_event("i-0abc", "Failed"))
    result = AssociationResult(
        "AWS-UpdateSSMAgent",
        "11111111-1111-4111-8111-111111111111",
        missed=[InstanceState("i-0abc", "stopped")],
    )
    report = SweepReport([result], datetime(2026, 5, 4, 6, 0, tzinfo=UTC), region="us-east-1")

    def label_widths(body: str) -> set[int]:
        """Where each Console link starts, counted from the start of its label."""
        lines = [line for line in body.splitlines() if "Console:" in line]
        return {line.index("https://") - line.index("Console:") for line in lines}

    # "Console:     " in a header, "Console:           " in an instance's or association's fields.
    assert label_widths(notify_digest.message(group)) == {13, 19}
    assert label_widths(sweep_digest.message(report)) == {19}


def test_console_links_only_from_well_formed_parts() -> None:
    assert text.console_link("aws", "eu-west-1", "ec2/home", "i-0abc") == (
        "https://console.aws.amazon.com/ec2/home?region=eu-west-1"
    )
    assert (
        text.console_link("aws-cn", "cn-north-1", "p")
        == "https://console.amazonaws.cn/p?region=cn-north-1"
    )
    assert text.console_link("aws-mars", "eu-west-1", "p") == ""
    assert text.console_link("aws", "not a region", "p") == ""
    assert text.console_link("aws", "eu-west-1", "p", "i-0abc", "bad/id") == ""


def test_counted_and_plural() -> None:
    assert [text.counted(n, "instance") for n in (0, 1, 2)] == [
        "0 instances",
        "1 instance",
        "2 instances",
    ]
    assert text.more_instances(1) == "... and 1 more instance (message size limit)"

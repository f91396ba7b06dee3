"""sweep_digest: the sweep's subject and body, their limits, and its console links."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from ssm_notifier import sweep_digest
from ssm_notifier.sweep_check import AssociationResult
from ssm_notifier.sweep_report import SweepReport
from ssm_notifier.targets import InstanceState

NOW = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)


def result(document="AWS-UpdateSSMAgent", missed=0, error="", association_id="a-1"):
    return AssociationResult(
        document,
        association_id,
        missed=[InstanceState(f"i-{n:017x}", "stopped") for n in range(missed)],
        error=error,
    )


def report(*results) -> SweepReport:
    return SweepReport(list(results), NOW, region="us-east-1")


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        ([result(missed=1)], "[SSM] 1 instance missed by AWS-UpdateSSMAgent"),
        ([result(missed=2), result(missed=0)], "[SSM] 2 instances missed by AWS-UpdateSSMAgent"),
        ([result(missed=2), result("Doc-B", missed=3)], "[SSM] 5 instances missed by 2 documents"),
        (
            [result(missed=1), result(error="ThrottlingException"), result(error="x")],
            "[SSM] 1 instance missed by AWS-UpdateSSMAgent (2 checks failed)",
        ),
        ([result(error="AccessDenied")], "[SSM] Sweep of AWS-UpdateSSMAgent: 1 check failed"),
    ],
)
def test_subject_counts_and_names(results, expected) -> None:
    assert sweep_digest.subject(report(*results)) == expected


@pytest.mark.parametrize(
    "document",
    ["D" * 128, "Döc-\u00e9t\u00e9\x1b[31m\nname", "x" * 300],
)
def test_subject_is_printable_ascii_of_at_most_99_characters(document) -> None:
    for results in ([result(document, missed=12_345)], [result(document, error="e")] * 3):
        text = sweep_digest.subject(report(*results))

        assert len(text) <= 99
        assert all(" " <= char <= "~" for char in text), text
        assert text.startswith("[SSM] ")


def test_subject_of_a_long_name_keeps_the_count() -> None:
    text = sweep_digest.subject(report(result("D" * 128, missed=7), result(error="e")))

    assert text.startswith("[SSM] 7 instances missed by DDDD")
    assert text.endswith("... (1 check failed)")


def test_the_body_stays_under_its_budget_and_counts_what_it_left_out() -> None:
    big = report(
        result(missed=3_000, association_id="a-1"),
        result(missed=3_000, association_id="a-2"),
        *[result(error="ThrottlingException " * 20, association_id=f"e-{n}") for n in range(500)],
    )

    body = sweep_digest.message(big, budget_bytes=60_000)

    assert len(body.encode()) <= 60_000
    shown = body.count("Last successful association run")
    assert 0 < shown < 6_000
    assert f"... and {6_000 - shown} more instances (message size limit)" in body
    assert "Could not check:" in body
    assert "  ... and " in body.split("Could not check:")[1]


def test_the_full_size_body_is_under_the_sns_limit() -> None:
    body = sweep_digest.message(report(result(missed=20_000)))

    assert len(body.encode()) < 256 * 1024
    assert "more instances (message size limit)" in body


def test_control_characters_from_the_api_do_not_reach_the_body() -> None:
    odd = result(missed=1)
    odd.name = "name\x1b[31m"
    odd.notes.append("bell\x07")

    body = sweep_digest.message(report(odd))

    assert "\x1b" not in body
    assert "\x07" not in body


def test_no_console_links_in_a_partition_or_region_that_is_not_known() -> None:
    unknown = SweepReport([result(missed=1)], NOW, region="mars-1", partition="aws")

    assert "https://" not in sweep_digest.message(unknown)


def test_console_links_follow_the_partition() -> None:
    china = SweepReport(
        [result(missed=1, association_id="11111111-1111-4111-8111-111111111111")],
        NOW,
        region="cn-north-1",
        partition="aws-cn",
    )

    assert "https://console.amazonaws.cn/systems-manager/state-manager/" in sweep_digest.message(
        china
    )


# --- Names people use: instance names, the place in the subject, the time zone ---


def placed(account: str, region: str, missed: int = 1, error: str = "") -> AssociationResult:
    found = result(missed=missed, error=error)
    found.account, found.region = account, region
    return found


def test_under_organization_the_subject_names_the_one_account_and_region() -> None:
    names = {"111111111111": "Production"}
    one = SweepReport([placed("111111111111", "eu-west-1")], NOW, "us-east-1", name_of=names.get)
    assert sweep_digest.subject(one) == (
        "[SSM] 1 instance missed by AWS-UpdateSSMAgent - Production (111111111111) eu-west-1"
    )
    several = SweepReport(
        [
            placed("111111111111", "eu-west-1"),
            placed("222222222222", "eu-west-2", missed=0, error="x"),
        ],
        NOW,
        "us-east-1",
    )
    assert sweep_digest.subject(several) == (
        "[SSM] 1 instance missed by AWS-UpdateSSMAgent (1 check failed) - 2 accounts, 2 regions"
    )


def test_a_single_account_sweep_keeps_its_subject() -> None:
    assert sweep_digest.subject(report(result(missed=1))) == (
        "[SSM] 1 instance missed by AWS-UpdateSSMAgent"
    )


def test_under_organization_a_long_account_name_is_cut_within_99_characters() -> None:
    names = {"111111111111": "Ünïcode\r\n" + "x" * 300}
    text = sweep_digest.subject(
        SweepReport(
            [placed("111111111111", "eu-west-1", 12_345)], NOW, "us-east-1", name_of=names.get
        )
    )
    assert len(text) <= 99 and text.isascii() and text.isprintable()
    assert text.endswith(" (111111111111) eu-west-1")


def test_instances_show_their_names_and_times_their_zone() -> None:
    from ssm_notifier.display_time import display_zone

    found = result()
    found.missed = [
        InstanceState("i-0web", "running", "ConnectionLost", NOW, True, name="web-1"),
        InstanceState("i-0bare", "stopped"),
    ]
    body = sweep_digest.message(
        SweepReport([found], NOW, "us-east-1", zone=display_zone("Europe/Paris"))
    )
    assert "  i-0web (web-1): running (EC2), ConnectionLost (SSM)\n" in body
    assert "  i-0bare: stopped (EC2)" in body
    assert "Swept at:    2026-05-04 06:00 UTC (08:00 CEST)" in body
    assert "(any association): 2026-05-04 06:00 UTC (08:00 CEST)" in body

"""The email model: bounded emails, failures first, overflow merged, bad input alone, safe text."""

from __future__ import annotations

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from ssm_notifier.deadline import OutOfTimeError
from ssm_notifier.inbox import (
    Email,
    Entry,
    Links,
    Naming,
    build_entries,
    plan_emails,
    publish_outcome,
    rate_bound,
)

LINKS = Links("https://console/index", {})


def entry(
    instance: str,
    status: str = "Failed",
    association: str = "assoc-1",
    account: str = "111111111111",
    classification: str | None = None,
    **fields: str,
) -> Entry:
    if classification is None:
        classification = "new" if status == "Failed" else "ok"
    values = {
        "account": account,
        "region": "us-east-1",
        "association_id": association,
        "document_name": "AWS-UpdateSSMAgent",
        "instance_id": instance,
        "status": status,
        "classification": classification,
        "last_execution": "2026-05-04T03:02:10.000Z",
    }
    return Entry(**{**values, **fields})


def fleet(associations: int = 50, per: int = 10) -> list[Entry]:
    return [
        entry(
            f"i-{a:03}{n:02}",
            "Failed" if n == 0 and a % 2 == 0 else "Success",
            association=f"assoc-{a:03}",
            account=f"{a % 20:012}",
        )
        for a in range(associations)
        for n in range(per)
    ]


def covered(emails: list[Email]) -> list[Entry]:
    return [e for email in emails for e in email.entries]


def test_one_email_by_default_covering_everything_failures_first() -> None:
    entries = fleet()
    emails = plan_emails(entries, LINKS)
    assert len(emails) == 1
    assert sorted(covered(emails)) == sorted(entries)
    body = emails[0].body
    # The fleet spans 20 accounts: the subject says so (and in which region).
    assert emails[0].subject == (
        "SSM associations: 25 failed (25 new), 0 recovered, 475 ok - 20 accounts, us-east-1"
    )
    assert body.index("assoc-000") < body.index("assoc-001")  # failing associations first
    assert body.count("  NEW i-") == 25 and "Success" not in body.split("\n", 3)[3]


def test_split_by_association_is_capped_and_the_overflow_merged_into_the_last() -> None:
    entries = fleet(associations=30)
    emails = plan_emails(entries, LINKS, split_by="association", cap=5)
    assert len(emails) == 5
    assert sorted(covered(emails)) == sorted(entries)
    assert [len({e.association_id for e in email.entries}) for email in emails] == [1, 1, 1, 1, 26]
    split = plan_emails(entries, LINKS, split_by="account", cap=100)
    assert len(split) == 20


def test_a_full_email_counts_what_it_leaves_out_and_carries_the_link() -> None:
    entries = [entry(f"i-{n:05}", summary="s" * 250) for n in range(2000)]
    [email] = plan_emails(entries, LINKS, budget_bytes=60_000)
    assert len(email.body.encode()) <= 60_000
    assert 0 < email.shown < 2000
    assert (
        f"{2000 - email.shown} more instances not shown here are named in the full report: "
        "https://console/index"
    ) in email.body


def test_multibyte_text_is_measured_in_utf8_bytes() -> None:
    # 3 bytes a character: counting characters would overrun the budget threefold.
    entries = [
        entry(f"i-{n:05}", summary="\u20ac" * 250, output="\u20ac" * 500) for n in range(300)
    ]
    [email] = plan_emails(entries, LINKS, budget_bytes=60_000)
    assert len(email.body.encode()) <= 60_000
    assert 0 < email.shown < 300


def test_output_and_output_url_are_shown_for_a_failure() -> None:
    url = "https://s3.us-east-1.amazonaws.com/out/i-1/stdout"
    [email] = plan_emails([entry("i-1", output="line one\nline two", output_url=url)], LINKS)
    assert "    | line one\n    | line two\n" in email.body
    assert f"    output url {url}" in email.body


def test_classifications_and_run_totals_are_shown() -> None:
    entries = [
        entry("i-new"),
        entry("i-old", classification="still_failing", failing_since="2026-05-01T03:00:00Z"),
        entry("i-back", "Success", classification="recovered"),
        entry("i-again", possible_repeat=True),
    ]
    key = ("111111111111", "us-east-1", "assoc-1")
    links = Links("https://console/index", {key: "https://console/assoc-1"})
    [email] = plan_emails(
        entries,
        links,
        run_totals={key: {"Failed": 40, "Success": 900}},
        unconfirmed=["https://console/lost"],
    )
    assert "  NEW i-new: Failed" in email.body
    # Times as people read them: UTC to the minute (display_time.shown).
    assert "  STILL FAILING i-old: Failed since 2026-05-01 03:00 UTC" in email.body
    assert "  RECOVERED i-back: Success" in email.body
    assert "i-again: Failed (may repeat an earlier email)" in email.body
    assert "   run so far: 40 Failed, 900 Success" in email.body
    assert "   report: https://console/assoc-1" in email.body
    assert "may not have arrived: https://console/lost" in email.body


def test_forged_lines_and_bidi_never_reach_the_body() -> None:
    hostile = entry(
        "i-0aaa\nBcc: attacker@example.com",
        document_name="doc\u2028Subject: x\u202e",
        summary="ok\r\nTo: y",
    )
    [email] = plan_emails([hostile], LINKS)
    lines = email.body.split("\n")
    assert not any(line.startswith(("Bcc:", "Subject:", "To:")) for line in lines)
    assert not any(char in email.body for char in "\r\u2028\u2029\u202e")
    assert email.subject.isascii()


def test_bad_input_is_quarantined_alone() -> None:
    items = [
        ("m-1", {"instance": "i-good"}),
        ("m-2", {"instance": "i-\ud800"}),  # a lone surrogate renders as U+FFFD: it is kept
        ("m-3", {"instance": None}),  # building this one raises
        ("m-4", {"instance": "i-big", "status": "x" * 140_000}),
    ]

    def make(item: dict) -> Entry:
        return entry(item["instance"].strip(), item.get("status", "Failed"))

    built, quarantined = build_entries(items, make)
    assert [item_id for item_id, _ in built] == ["m-1", "m-2", "m-4"]
    assert quarantined == [("m-3", "AttributeError: 'NoneType' object has no attribute 'strip'")]
    [email] = plan_emails([e for _, e in built], LINKS)
    assert "i-\ufffd" in email.body and len(email.body) < 5_000


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (ConnectTimeoutError(endpoint_url="https://sns"), "not_sent"),
        (EndpointConnectionError(endpoint_url="https://sns"), "not_sent"),
        (OutOfTimeError("publish not started"), "not_sent"),
        (
            ClientError(
                {"Error": {"Code": "Throttling"}, "ResponseMetadata": {"HTTPStatusCode": 400}},
                "Publish",
            ),
            "not_sent",
        ),
        (
            ClientError(
                {"Error": {"Code": "InternalError"}, "ResponseMetadata": {"HTTPStatusCode": 500}},
                "Publish",
            ),
            "unknown",
        ),
        (ReadTimeoutError(endpoint_url="https://sns"), "unknown"),
        (ConnectionClosedError(endpoint_url="https://sns"), "unknown"),
        (RuntimeError("anything else"), "unknown"),
    ],
)
def test_a_failed_publish_is_not_sent_only_when_sns_surely_did_not_take_it(
    error: Exception, outcome: str
) -> None:
    assert publish_outcome(error) == outcome


def test_the_rate_stays_well_under_the_email_limit() -> None:
    assert rate_bound(max_concurrency=2) <= 5 < 10


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="split_by"):
        plan_emails([entry("i-1")], LINKS, split_by="region")
    with pytest.raises(ValueError, match="cap"):
        plan_emails([entry("i-1")], LINKS, cap=0)
    assert plan_emails([], LINKS) == []


# --- Names people use: instance and account names, the place in the subject, the time zone ---


def test_instances_show_their_names_beside_their_ids_bounded_and_neutralised() -> None:
    entries = [
        entry("i-0web", instance_name="web-1"),
        entry("i-0bad", instance_name="evil\nBcc: x@example.com" + "y" * 200),
        entry("i-0bare"),
    ]
    [email] = plan_emails(entries, LINKS)
    assert "  NEW i-0web (web-1): Failed\n" in email.body
    assert "  NEW i-0bare: Failed\n" in email.body
    forged = next(line for line in email.body.splitlines() if "i-0bad" in line)
    assert "\nBcc" not in email.body and len(forged) < 120


def test_one_account_and_region_in_scope_account_leaves_the_subject_as_it_was() -> None:
    [email] = plan_emails([entry("i-1"), entry("i-2", "Success")], LINKS)
    assert email.subject == "SSM associations: 1 failed (1 new), 0 recovered, 1 ok"


def test_organization_wide_one_account_names_it_and_its_region() -> None:
    naming = Naming(lambda account: {"111111111111": "Production"}[account], True)
    [email] = plan_emails([entry("i-1")], LINKS, naming=naming)
    assert email.subject == (
        "SSM associations: 1 failed (1 new), 0 recovered, 0 ok"
        " - Production (111111111111) us-east-1"
    )
    assert "== 111111111111 (Production) us-east-1 association assoc-1" in email.body


def test_organization_wide_without_a_name_shows_the_id() -> None:
    [email] = plan_emails([entry("i-1")], LINKS, naming=Naming(across_organization=True))
    assert email.subject.endswith(" - 111111111111 us-east-1")


def test_several_accounts_or_regions_are_counted_even_in_scope_account() -> None:
    two_accounts = [entry("i-1"), entry("i-2", account="222222222222")]
    [email] = plan_emails(two_accounts, LINKS)
    assert email.subject.endswith(" - 2 accounts, us-east-1")
    two_regions = [entry("i-1"), entry("i-2", region="eu-west-1")]
    [email] = plan_emails(two_regions, LINKS, naming=Naming(lambda _: "Prod", True))
    assert email.subject.endswith(" - Prod (111111111111), 2 regions")


def test_subject_names_only_aws_shaped_ids_and_ascii_names_within_99_characters() -> None:
    long_name = "Ünïcode Prod " + "x" * 200 + "\u202e\r\nBcc: a@b"
    naming = Naming(lambda _: long_name, True)
    [email] = plan_emails([entry(f"i-{n}") for n in range(5000)], LINKS, naming=naming)
    assert len(email.subject) <= 99
    assert email.subject.isascii() and email.subject.isprintable()
    # The name is what gets cut: the id and the region stay whole.
    assert " - Unicode P..." in email.subject
    assert email.subject.endswith(" (111111111111) us-east-1")
    # An account or region not in its AWS shape is counted, never written into the subject.
    odd = [entry("i-1", account="1111\r\nBcc: x", region="us-east-1\nX")]
    [email] = plan_emails(odd, LINKS, naming=Naming(lambda _: "n", True))
    assert email.subject.endswith(" - 1 account, 1 region")


def test_times_are_shown_in_the_display_zone_too() -> None:
    from ssm_notifier.display_time import display_zone

    entries = [
        entry(
            "i-old",
            classification="still_failing",
            failing_since="2026-05-01T03:00:00Z",
            last_execution="2026-05-04T23:30:00.000Z",
        )
    ]
    [email] = plan_emails(entries, LINKS, naming=Naming(zone=display_zone("Europe/Paris")))
    assert "since 2026-05-01 03:00 UTC (05:00 CEST)" in email.body
    assert "last run 2026-05-04 23:30 UTC (2026-05-05 01:30 CEST)" in email.body

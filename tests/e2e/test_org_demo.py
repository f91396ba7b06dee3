"""`tox -e org` as a test: the organization run on one emulator, and its last line's counts.

It takes about as long as the single-account end-to-end run, so it runs with them (-m e2e);
`-m org` selects it alone.
"""

from __future__ import annotations

import re

import org_demo
import pytest
from aws_cli import aws_environment
from emulator import MotoServer

pytestmark = [pytest.mark.e2e, pytest.mark.org]

LINE = re.compile(
    r"org: accounts=(?P<accounts>\d+) regions=(?P<regions>\d+) "
    r"events_forwarded=(?P<events_forwarded>\d+) emails=(?P<emails>\d+) "
    r"accounts_in_emails=(?P<accounts_in_emails>\d+) "
    r"enriched_cross_account=(?P<enriched_cross_account>\d+) "
    r"missed_cross_account=(?P<missed_cross_account>\d+) "
    r"silent_reported=(?P<silent_reported>\d+)"
)


def test_the_organization_reports_into_one_inbox(tmp_path, capsys):
    with MotoServer(log_path=tmp_path / "moto.log") as moto, aws_environment(moto.endpoint):
        line = org_demo.run(moto, tmp_path)
    match = LINE.fullmatch(line)
    assert match, line
    counts = {name: int(value) for name, value in match.groupdict().items()}
    assert all(counts.values()), line
    # What the run put where: the management account and four members, two regions; two events
    # in each of three member places; one notifier digest for the whole batch (grouped inside by
    # account, region and association) and the sweep's; one spokeless member.
    assert counts == {
        "accounts": 5,
        "regions": 2,
        "events_forwarded": 6,
        "emails": 2,
        "accounts_in_emails": 3,
        "enriched_cross_account": 3,
        "missed_cross_account": 1,
        "silent_reported": 1,
    }
    shown = capsys.readouterr().out
    assert "FAILED" not in shown
    assert "no spoke: " in shown

"""Every template says which release it is, and the changelog's newest release is that one."""

import re

from template_helpers import ROOT

from templates.config import VERSION


def test_every_template_carries_the_version(rendered):
    assert re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", VERSION)
    for name, template in rendered.items():
        assert template["Description"].endswith(f"(version {VERSION})"), name
        assert template["Metadata"]["SsmNotifier"] == {"Version": VERSION}, name


def test_the_changelog_starts_with_this_version():
    releases = re.findall(r"^## \[([^\]]+)\]", (ROOT / "CHANGELOG.md").read_text(), re.M)
    assert releases and releases[0] == VERSION, releases
    assert len(releases) == len(set(releases))

"""templates/readme/sample_email: the README's sample runs the handler again only when one of its
inputs changed, and a hand edit of the sample is never mistaken for an up-to-date one."""

from __future__ import annotations

import importlib

import pytest
from template_helpers import ROOT

from templates.readme import section

# The module, not the function of the same name that templates.readme re-exports.
sample_module = importlib.import_module("templates.readme.sample_email")


@pytest.fixture
def committed() -> str:
    """The sample-email section as the committed README holds it (stamp line and sample)."""
    text = section((ROOT / "README.md").read_text(encoding="utf-8"), "sample-email")
    assert text is not None
    return text


def test_unchanged_inputs_keep_the_section_without_running_the_handler(committed, monkeypatch):
    monkeypatch.setattr(sample_module, "sample_email", lambda: pytest.fail("the sample ran"))
    assert sample_module.sample_email_section(committed) == committed


def test_the_stamp_is_what_a_fresh_run_of_the_handler_gives(committed):
    """The cache holds exactly what running the sample now would write."""
    fresh = sample_module.sample_email()
    stamp, _, text = committed.partition("\n")
    assert text == fresh
    assert stamp == (
        f"<!-- inputs={sample_module.inputs_digest()} "
        f"output={sample_module._checksum(fresh.encode())} -->"
    )


def test_a_changed_input_runs_the_sample_again(committed, monkeypatch):
    ran = []
    monkeypatch.setattr(sample_module, "inputs_digest", lambda inputs=(): "0" * 16)
    monkeypatch.setattr(sample_module, "sample_email", lambda: ran.append(1) or "new sample\n")
    section_text = sample_module.sample_email_section(committed)
    assert ran == [1]
    assert section_text.endswith("\nnew sample\n")
    assert section_text.startswith(f"<!-- inputs={'0' * 16} output=")


def test_a_hand_edited_sample_is_made_anew(committed, monkeypatch):
    edited = committed.replace("1 failed", "0 failed", 1)
    assert edited != committed
    monkeypatch.setattr(sample_module, "sample_email", lambda: "what the handler says\n")
    assert sample_module.sample_email_section(edited).endswith("\nwhat the handler says\n")


def test_a_section_without_a_stamp_is_made_anew(monkeypatch):
    monkeypatch.setattr(sample_module, "sample_email", lambda: "made\n")
    assert sample_module.sample_email_section("```\nold\n```\n").endswith("\nmade\n")
    assert sample_module.sample_email_section(None).endswith("\nmade\n")


def test_every_handler_module_is_an_input():
    """A change to any handler module must change the digest the stamp records."""
    handler = ROOT / "handler" / "ssm_notifier"
    inputs = sample_module.INPUTS
    assert str(handler) in inputs
    assert any(path.endswith("sample_events.py") for path in inputs)


# -- the sample chat message: the same cache, and the picture drawn from what the README shows --

chat_module = importlib.import_module("templates.readme.chat_preview")


@pytest.fixture
def committed_chat() -> str:
    text = section((ROOT / "README.md").read_text(encoding="utf-8"), "sample-chat")
    assert text is not None
    return text


def test_an_unchanged_chat_sample_is_kept_without_running_the_handler(committed_chat, monkeypatch):
    monkeypatch.setattr(chat_module, "sample_chat_payload", lambda: pytest.fail("the sample ran"))
    assert chat_module.sample_chat_section(committed_chat) == committed_chat


def test_the_chat_section_shows_what_the_handler_renders_now(committed_chat):
    assert chat_module.payload_of(committed_chat) == chat_module.sample_chat_payload()
    assert committed_chat.partition("\n")[2] == chat_module._sample_chat_text()


def test_the_chat_sample_depends_on_the_handler_and_its_own_module():
    assert str(ROOT / "handler" / "ssm_notifier") in chat_module.CHAT_INPUTS
    assert chat_module.__file__ in chat_module.CHAT_INPUTS


def test_the_committed_picture_draws_the_readme_payload(committed_chat):
    drawn = chat_module.chat_preview_svg(chat_module.payload_of(committed_chat))
    assert (ROOT / "build" / "chat-preview.svg").read_text(encoding="utf-8") == drawn

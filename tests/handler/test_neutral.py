"""Untrusted text: bounded, no forged lines, no reordering, no unencodable characters."""

from __future__ import annotations

from ssm_notifier.neutral import block, one_line


def test_line_breaks_of_every_kind_cannot_write_a_new_line() -> None:
    for breaker in ("\n", "\r", "\r\n", "\u2028", "\u2029", "\x85", "\x0b", "\x0c"):
        shown = one_line(f"i-0aaa{breaker}Bcc: attacker@example.com", 200)
        assert "\n" not in shown and "\r" not in shown
        assert "\u2028" not in shown and "\u2029" not in shown and "\x85" not in shown
        assert shown.startswith("i-0aaa") and shown.endswith("Bcc: attacker@example.com")


def test_bidi_and_zero_width_characters_are_made_visible() -> None:
    for hidden in ("\u202e", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200b"):
        assert one_line(f"doc{hidden}name", 100) == "doc?name"


def test_controls_and_escape_codes_are_made_visible() -> None:
    assert one_line("a\x1b[31mred\x00b\x7f", 100) == "a?[31mred?b?"


def test_a_lone_surrogate_becomes_the_replacement_character_and_encodes() -> None:
    shown = one_line("i-\ud800", 20)
    assert shown == "i-\ufffd"
    shown.encode("utf-8")  # would raise with the surrogate left in


def test_oversize_values_are_bounded() -> None:
    shown = one_line("x" * 140_000, 100)
    assert len(shown) == 100 and shown.endswith("...")
    assert one_line(None, 10) == "" and one_line(42, 10) == "42"


def test_block_keeps_newlines_but_no_other_breaker_and_bounds_lines() -> None:
    lines = block("one\u2028two\nthree\x1b\n\n", 1000, 10)
    assert lines == ["one two", "three?"]
    many = block("\n".join(f"line {n}" for n in range(100)), 10_000, 5)
    assert many == ["[96 earlier lines left out]", "line 96", "line 97", "line 98", "line 99"]
    assert sum(len(line) for line in block("y" * 50_000, 1000, 10)) <= 1003

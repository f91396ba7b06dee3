"""Untrusted text made safe to show: bounded, and no character that can forge a line or reorder one.

Event fields come from instances and documents anyone with SSM access can name. In an email body
a newline, U+2028/U+2029 or a bidi override in an instance id could write a fake line ("Bcc: ...")
or make a line read backwards; a lone surrogate ("i-\\ud800", valid JSON) cannot even be encoded.
Every value is cut to its limit first (a 140 KB field costs no more than a short one), then:
control characters, line and paragraph separators and format characters (bidi controls,
zero-width characters) become a visible "?" or a space; lone surrogates become U+FFFD.
"""

from __future__ import annotations

import unicodedata

REPLACEMENT = "\ufffd"
# Categories never shown as they are: controls, format (bidi, zero-width), surrogates, private
# use, unassigned, line and paragraph separators.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
SPACE_LIKE = frozenset({"\t", "\n", "\r", "\x0b", "\x0c", "\x85", "\u2028", "\u2029"})
ELLIPSIS = "..."


def one_line(value: object, limit: int) -> str:
    """`value` as one line of at most `limit` characters, every hidden character made visible."""
    text = _bounded(value, limit)
    shown = "".join(_shown(char, keep_newlines=False) for char in text)
    return _cut(shown.strip(), limit)


def block(value: object, limit: int, max_lines: int) -> list[str]:
    """`value` (command output) as at most `max_lines` lines, `limit` characters in all."""
    text = _bounded(value, limit)
    shown = "".join(_shown(char, keep_newlines=True) for char in text)
    lines = [line.rstrip() for line in shown.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    if len(lines) > max_lines:
        lines = [f"[{len(lines) - max_lines + 1} earlier lines left out]", *lines[-max_lines + 1 :]]
    return lines


def _bounded(value: object, limit: int) -> str:
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    # Cut before scanning: the scan then costs the same whatever the field's size.
    return text if len(text) <= limit else text[:limit] + ELLIPSIS


def _shown(char: str, keep_newlines: bool) -> str:
    if char == "\n" and keep_newlines:
        return "\n"
    if char in SPACE_LIKE:
        return " "
    category = unicodedata.category(char)
    if category == "Cs":
        return REPLACEMENT
    if category in HIDDEN_CATEGORIES:
        return "?"
    return char


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(ELLIPSIS))].rstrip() + ELLIPSIS

"""Plain-text helpers both digests use (the notifier's and the sweep's), in a module of their own
so the sweep does not import the notifier's digest, enrichment and event parsing at cold start."""

from __future__ import annotations

import re
import unicodedata

# SNS allows 262,144 bytes; the margin covers the SNS envelope and anything we mis-estimate.
MESSAGE_BUDGET_BYTES = 240_000
# Room kept for the lines that say what was left out of a message.
OMISSION_LINES_BYTES = 200
SUBJECT_MAX_CHARS = 99

CONSOLE_HOSTS = {
    "aws": "console.aws.amazon.com",
    "aws-cn": "console.amazonaws.cn",
    "aws-us-gov": "console.amazonaws-us-gov.com",
}
# Only well-formed values go into a link; anything else gets no link rather than a broken one.
REGION_PATTERN = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
URL_SAFE_ID = re.compile(r"[A-Za-z0-9_.-]{1,128}")
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def ascii_text(text: str) -> str:
    """Printable ASCII on one line: accents dropped, other characters "?", whitespace collapsed."""
    kept = []
    for char in unicodedata.normalize("NFKD", text):
        if " " <= char <= "~":
            kept.append(char)
        elif char.isspace() or unicodedata.category(char).startswith("C"):
            kept.append(" ")
        elif not unicodedata.combining(char):
            kept.append("?")
    return " ".join("".join(kept).split())


def clean(text: str) -> str:
    """Drop control characters (escape codes in command output) that mail clients show as junk."""
    return CONTROL_CHARS.sub("", text)


def utf8_size(text: str) -> int:
    """Size as SNS counts it: UTF-8 bytes."""
    return len(text.encode())


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def plural(count: int, noun: str) -> str:
    return noun if count == 1 else noun + "s"

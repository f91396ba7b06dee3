"""The text and field helpers both digests are built from (the notifier's and the sweep's).

One label width, one field function, one console-link rule and one set of size limits, so the two
emails read alike. A module of its own so the sweep does not import the notifier's digest,
enrichment and event parsing at cold start.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection
from datetime import timedelta

# SNS allows 262,144 bytes; the margin covers the SNS envelope and anything we mis-estimate.
MESSAGE_BUDGET_BYTES = 240_000
# Room kept for the lines that say what was left out of a message.
OMISSION_LINES_BYTES = 200
SUBJECT_MAX_CHARS = 99
# A field's value is cut here: one runaway value must not crowd out the rest of the message.
FIELD_MAX_CHARS = 4_000
# Labels are padded to these widths (with their colon): "Execution summary: " in an instance's
# fields, "Association: " in a digest's header.
LABEL_WIDTH = 19
HEADER_LABEL_WIDTH = 13

CONSOLE_HOSTS = {
    "aws": "console.aws.amazon.com",
    "aws-cn": "console.amazonaws.cn",
    "aws-us-gov": "console.amazonaws-us-gov.com",
}
# Only well-formed values go into a link; anything else gets no link rather than a broken one.
REGION_PATTERN = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
URL_SAFE_ID = re.compile(r"[A-Za-z0-9_.-]{1,128}")
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
ACCOUNT_ID = re.compile(r"\d{12}")
# An account's name in a subject, at most (Organizations allows 50 characters).
SUBJECT_NAME_CHARS = 50
# How much of an id and of a name both digests show (EC2 tag values reach 256 characters).
ID_CHARS = 128
NAME_CHARS = 64


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


def counted(count: int, noun: str) -> str:
    """E.g. "1 instance", "2 instances"."""
    return f"{count} {plural(count, noun)}"


def more_instances(hidden: int) -> str:
    """The line that counts the instances a message had no room for."""
    return f"... and {hidden} more {plural(hidden, 'instance')} (message size limit)"


def field(label: str, value: str, indent: int = 2, width: int = LABEL_WIDTH) -> str:
    """`  Label:            value`, "-" for an empty value; further lines of it indented below."""
    value = value if len(value) <= FIELD_MAX_CHARS else value[:FIELD_MAX_CHARS] + " ...(cut)"
    first, *rest = (value or "-").splitlines() or ["-"]
    head = f"{label}:"
    head = head.ljust(width) if len(head) < width else head + " "
    margin = " " * indent
    return "\n".join([f"{margin}{head}{first}", *(f"{margin}  {line}" for line in rest)])


def header_field(label: str, value: str) -> str:
    """A field of a digest's header: `Association: value`."""
    return field(label, value, indent=0, width=HEADER_LABEL_WIDTH)


def console_link(partition: str, region: str, page: str, *resource_ids: str) -> str:
    """`https://<console>/<page>?region=<region>`, or "" rather than a broken link when the
    partition, the region or one of the ids in `page` is not well formed."""
    host = CONSOLE_HOSTS.get(partition)
    if not host or not REGION_PATTERN.fullmatch(region):
        return ""
    if not all(URL_SAFE_ID.fullmatch(resource_id) for resource_id in resource_ids):
        return ""
    return f"https://{host}/{page}?region={region}"


def duration_text(length: timedelta) -> str:
    """E.g. "1 day", "6 hours", "1 hour 30 minutes", "45 minutes" (whole minutes)."""
    minutes = int(length.total_seconds() // 60)
    for unit, size in (("day", 1440), ("hour", 60)):
        if minutes >= size and minutes % size == 0:
            return counted(minutes // size, unit)
    if minutes >= 60:
        return f"{counted(minutes // 60, 'hour')} {counted(minutes % 60, 'minute')}"
    return counted(minutes, "minute")


def subject_place(
    accounts: Collection[str],
    regions: Collection[str],
    account_name: Callable[[str], str],
    room: int,
) -> str:
    """` - prod (123456789012) eu-west-1`, ` - 3 accounts, 2 regions`: where a digest's runs are,
    for the end of its subject, at most `room` characters. Only an account id of 12 digits and a
    region code in its AWS shape are named (else counted); the account's name (from
    Organizations) is made one ASCII line and is what gets cut when room is short."""
    accounts, regions = sorted(set(accounts)), sorted(set(regions))
    region = regions[0] if len(regions) == 1 and REGION_PATTERN.fullmatch(regions[0]) else ""
    where = region or counted(len(regions), "region")
    if len(accounts) != 1 or not ACCOUNT_ID.fullmatch(accounts[0]):
        return f" - {counted(len(accounts), 'account')}, {where}"[: max(0, room)]
    account = accounts[0]
    name = shorten(ascii_text(account_name(account)[: SUBJECT_NAME_CHARS * 2]), SUBJECT_NAME_CHARS)
    place = f" {region}" if region else f", {where}"
    name_room = room - len(f" - {account} ()") - len(place)
    if name and name_room >= 8:
        return f" - {shorten(name, name_room)} ({account}){place}"
    return f" - {account}{place}"[: max(0, room)]

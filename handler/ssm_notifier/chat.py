"""One planned email (inbox.Email) as an Amazon Q Developer (chat applications) custom notification.

Schema: chatbot admin guide, "Custom notifications using Amazon Q Developer in chat applications"
(https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html), section "Event
schema": `version` "1.0" and `source` "custom" are required; `content` holds `textType`
(only "client-markdown" is supported), `title`, `description`, `nextSteps`, `keywords`;
`metadata` holds `threadId`, `summary`, `eventType`, `relatedResources`, `additionalContext`
(string values). tests/events/chat/custom_notification.schema.json writes it as a JSON Schema.

Bounds: the page's length table could not be read through this project's search tool (it returns
the page's opening: the schema and the first rows of "Parameter details"), so the limits below are
our own and deliberately small: the title is the email subject (under 100 characters), the
description at most 3,000 characters (Slack Block Kit's limit for a section block's text, the
tighter of the two chat clients), nextSteps and keywords a handful of short items. The payload
is at most CHAT_MAX_BYTES, so it fits beside the email in one SNS message (routing.py).

Every value from an event goes through `neutral` (bounded, one line) and then `_plain`, which
removes what client-markdown would read as markup: a failing instance cannot bold, link, mention
(`<!channel>` needs `<`) or break out of the backticks its id is shown in.
"""

from __future__ import annotations

import json
from typing import Any

from . import inbox, runs
from .neutral import one_line

VERSION = "1.0"
SOURCE = "custom"
TEXT_TYPE = "client-markdown"
# A custom action's NotificationType takes [a-zA-Z0-9-]+ (chatbot API, CustomActionAttachment):
# an eventType of that form lets a channel attach buttons to these notifications.
EVENT_TYPE = "SsmAssociationDigest"
TITLE_MAX_CHARS = 99
DESCRIPTION_MAX_CHARS = 3_000
SUMMARY_MAX_CHARS = 200
NEXT_STEPS_MAX = 6
NEXT_STEP_MAX_CHARS = 400
KEYWORDS_MAX = 10
KEYWORD_MAX_CHARS = 40
RELATED_RESOURCES_MAX = 20
CONTEXT_VALUE_MAX_CHARS = 256
THREAD_ID_CHARS = 32
FAILED_SHOWN = 5  # failed instances named in the description and the next steps
CHAT_MAX_BYTES = 16_384  # the bounds above make it far smaller; this is the promise routing.py uses

CONSOLE_HOSTS = {
    "aws": "console.aws.amazon.com",
    "aws-cn": "console.amazonaws.cn",
    "aws-us-gov": "console.amazonaws-us-gov.com",
}
# What client-markdown (Slack mrkdwn, Teams markdown) reads as markup or as a mention.
_MARKUP = str.maketrans({char: " " for char in "*_~`<>|[]()&#!@\\"})


def render(email: inbox.Email, links: inbox.Links, *, partition: str = "aws") -> dict[str, Any]:
    """The custom notification of one planned email: pure, bounded, every field neutralised."""
    entries = email.entries
    if not entries:
        raise ValueError("an email with no entries has nothing to show in chat")
    failed = sorted((e for e in entries if e.failed), key=_instance_order)
    counts = _counts(entries)
    groups = _groups(entries)
    lead_key = next(iter(groups))
    title = one_line(email.subject, TITLE_MAX_CHARS) or "SSM association digest"
    return _fit(
        {
            "version": VERSION,
            "source": SOURCE,
            "content": {
                "textType": TEXT_TYPE,
                "title": title,
                "description": _description(counts, groups, failed, links),
                "nextSteps": _next_steps(failed, links, partition),
                "keywords": _keywords(entries),
            },
            "metadata": {
                "threadId": thread_id(lead_key, groups[lead_key]),
                "summary": _summary(counts, [runs.kind_of(key[2]) for key in groups]),
                "eventType": EVENT_TYPE,
                "relatedResources": _related_resources(groups, failed, partition),
                "additionalContext": _context(entries),
            },
        }
    )


def _size(payload: dict[str, Any]) -> int:
    return len(compact(payload).encode("utf-8"))


def _fit(payload: dict[str, Any]) -> dict[str, Any]:
    """Shrink until the compact payload is at most CHAT_MAX_BYTES (only wide characters in every
    field can need it): failed-instance lines first (the report names them), then the lists."""
    content, metadata = payload["content"], payload["metadata"]
    while _size(payload) > CHAT_MAX_BYTES:
        lines = content["description"].split("\n")
        if len(lines) > 1:
            content["description"] = "\n".join([*lines[:-2], lines[-1]])  # keep the report link
        elif any(metadata["additionalContext"].values()):
            metadata["additionalContext"] = dict.fromkeys(metadata["additionalContext"], "")
        elif len(content["keywords"]) > 1:
            content["keywords"] = content["keywords"][: len(content["keywords"]) // 2]
        elif metadata["relatedResources"]:
            metadata["relatedResources"] = metadata["relatedResources"][:-1]
        elif content["nextSteps"]:
            content["nextSteps"] = content["nextSteps"][:-1]
        else:
            break  # title, summary and the report line alone are far under the bound
    return payload


def fallback(email: inbox.Email, links: inbox.Links, reason: str) -> dict[str, Any]:
    """A minimal valid notification for an email `render` could not show: the channel still
    learns that a digest went out, and where to read it."""
    report = _plain_link(links.index)
    return {
        "version": VERSION,
        "source": SOURCE,
        "content": {
            "textType": TEXT_TYPE,
            "title": one_line(email.subject, TITLE_MAX_CHARS) or "SSM association digest",
            "description": (
                f"This digest could not be shown in chat ({_plain(reason, 200)}). "
                f"The email has it; full report: {report or 'not written'}"
            ),
            "nextSteps": [f"Read the full report: {report}"] if report else [],
            "keywords": ["unrendered"],
        },
        "metadata": {
            "threadId": _unthreaded_id(email),
            "summary": _plain(email.subject, SUMMARY_MAX_CHARS) or "SSM association digest",
            "eventType": EVENT_TYPE,
            "relatedResources": [],
            "additionalContext": {"account": "", "region": "", "document": ""},
        },
    }


def _unthreaded_id(email: inbox.Email) -> str:
    # Without readable entries there is no run to thread by: one thread per email.
    import hashlib  # here, not at import: a cold start needs no OpenSSL

    digest = hashlib.sha256(email.body.encode("utf-8", "replace")).hexdigest()
    return "ssm-" + digest[:THREAD_ID_CHARS]


def compact(payload: dict[str, Any]) -> str:
    """The payload as SNS carries it: compact JSON, non-ASCII kept (UTF-8 on the wire)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def thread_id(key: tuple[str, str, str], members: list[inbox.Entry]) -> str:
    """One thread per association run: account, region, association id and the run's date.

    Stable across the follow-up digests of the same run (same association, same day of last
    execution); an email covering several associations threads under its lead one (failures
    first). A run that crosses midnight UTC opens a second thread.
    """
    run_date = max((e.last_execution[:10] for e in members), default="") or "undated"
    identity = "\x1f".join((*key, run_date)).encode("utf-8", "replace")
    import hashlib

    return "ssm-" + hashlib.sha256(identity).hexdigest()[:THREAD_ID_CHARS]


def _plain(value: object, limit: int) -> str:
    """One line, no markup characters: safe inside client-markdown and inside backticks."""
    return " ".join(one_line(value, limit).translate(_MARKUP).split())


def _instance_order(entry: inbox.Entry) -> tuple[int, str]:
    return (inbox.CLASS_ORDER.get(entry.classification, 2), entry.instance_id)


def _counts(entries: list[inbox.Entry]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in entries:
        status = _plain(entry.status, 40) or "unknown"
        counts[status] = counts.get(status, 0) + 1
    return counts


def _groups(entries: list[inbox.Entry]) -> dict[tuple[str, str, str], list[inbox.Entry]]:
    groups: dict[tuple[str, str, str], list[inbox.Entry]] = {}
    for entry in entries:
        groups.setdefault(entry.group_key, []).append(entry)
    ordered = sorted(groups.items(), key=lambda item: (not any(e.failed for e in item[1]), item[0]))
    return dict(ordered)


def _counts_text(counts: dict[str, int], shown: int = 5) -> str:
    """E.g. "1 Failed, 3 Success": failures first; past `shown` statuses, the rest summed."""
    ordered = _ordered_counts(counts)
    parts = [f"{count} {status}" for status, count in ordered[:shown]]
    if len(ordered) > shown:
        rest = sum(count for _, count in ordered[shown:])
        parts.append(f"{rest} with {len(ordered) - shown} other statuses")
    return ", ".join(parts)


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _ordered_counts(counts: dict[str, int]) -> list[tuple[str, int]]:
    # Failures first, then the others by name.
    return sorted(counts.items(), key=lambda item: (item[0] not in inbox.FAILED_STATUSES, item[0]))


def _description(
    counts: dict[str, int],
    groups: dict[tuple[str, str, str], list[inbox.Entry]],
    failed: list[inbox.Entry],
    links: inbox.Links,
) -> str:
    lines = [
        "*" + _counts_text(counts) + "*",
        f"{inbox.runs_counted([runs.kind_of(key[2]) for key in groups])} in "
        f"{_counted(len({key[0] for key in groups}), 'account')}",
    ]
    for entry in failed[:FAILED_SHOWN]:
        name = _plain(entry.instance_name, 40)
        line = (
            f"- `{_plain(entry.instance_id, 64)}`{f' ({name})' if name else ''} "
            f"{_plain(entry.status, 40)} "
            f"({_plain(entry.document_name, 64)}, {_plain(entry.account, 20)} "
            f"{_plain(entry.region, 30)})"
        )
        reason = _plain(entry.error_code or entry.summary, 160)
        lines.append(f"{line}: {reason}" if reason else line)
    if len(failed) > FAILED_SHOWN:
        lines.append(f"- and {len(failed) - FAILED_SHOWN} more failed, named in the report")
    report = _plain_link(links.index)
    tail = f"Full report: {report}" if report else "Full report: not written"
    room = DESCRIPTION_MAX_CHARS - len(tail) - 1
    kept: list[str] = []
    for line in lines:
        if len(line) + 1 > room:
            break
        kept.append(line)
        room -= len(line) + 1
    return "\n".join([*kept, tail])


def _next_steps(failed: list[inbox.Entry], links: inbox.Links, partition: str) -> list[str]:
    steps = []
    report = _plain_link(links.index)
    if report:
        steps.append(f"Read the full report: {report}")
    for entry in failed[: NEXT_STEPS_MAX - len(steps)]:
        link = instance_console_link(entry, partition)
        if link:
            steps.append(f"Open `{_plain(entry.instance_id, 64)}` in Fleet Manager: {link}")
    return [step[:NEXT_STEP_MAX_CHARS] for step in steps]


def _keywords(entries: list[inbox.Entry]) -> list[str]:
    statuses = sorted(
        {_plain(e.status, KEYWORD_MAX_CHARS) for e in entries} - {""},
        key=lambda status: (status not in inbox.FAILED_STATUSES, status),
    )
    accounts = sorted({_plain(e.account, KEYWORD_MAX_CHARS) for e in entries} - {""})
    regions = sorted({_plain(e.region, KEYWORD_MAX_CHARS) for e in entries} - {""})
    keywords = list(dict.fromkeys([*statuses, *accounts, *regions]))
    return keywords[:KEYWORDS_MAX]


def _summary(counts: dict[str, int], kinds: list[str]) -> str:
    """`kinds`: each group's run kind (runs.kind_of), counted as inbox counts them."""
    what = "SSM associations" if set(kinds) <= {runs.ASSOCIATION} else "SSM runs"
    return _plain(
        f"{what}: {_counts_text(counts)} in {inbox.runs_counted(kinds)}", SUMMARY_MAX_CHARS
    )


def _related_resources(
    groups: dict[tuple[str, str, str], list[inbox.Entry]],
    failed: list[inbox.Entry],
    partition: str,
) -> list[str]:
    part = _arn_part(partition, 20)
    arns = []
    for account, region, association_id in groups:
        if runs.kind_of(association_id) != runs.ASSOCIATION:
            continue  # a command or a window execution: its instances are listed below
        arns.append(
            f"arn:{part}:ssm:{_arn_part(region, 30)}:{_arn_part(account, 20)}:"
            f"association/{_arn_part(association_id, 64)}"
        )
    for entry in failed:
        arns.append(
            f"arn:{part}:ec2:{_arn_part(entry.region, 30)}:{_arn_part(entry.account, 20)}:"
            f"instance/{_arn_part(entry.instance_id, 64)}"
        )
    return list(dict.fromkeys(arns))[:RELATED_RESOURCES_MAX]


def _context(entries: list[inbox.Entry]) -> dict[str, str]:
    def joined(values: set[str]) -> str:
        return _plain(",".join(sorted(values - {""})), CONTEXT_VALUE_MAX_CHARS)

    return {
        "account": joined({e.account for e in entries}),
        "region": joined({e.region for e in entries}),
        "document": joined({e.document_name for e in entries}),
    }


def instance_console_link(entry: inbox.Entry, partition: str) -> str:
    """Fleet Manager's page of the instance, or "" when its id or region cannot form a URL."""
    host = CONSOLE_HOSTS.get(partition, CONSOLE_HOSTS["aws"])
    instance_id = _url_part(entry.instance_id, 64)
    region = _url_part(entry.region, 30)
    if not instance_id or not region:
        return ""
    return (
        f"https://{host}/systems-manager/fleet-manager/managed-nodes/{instance_id}/general"
        f"?region={region}"
    )


def _arn_part(value: object, limit: int) -> str:
    return _url_part(value, limit) or "unknown"


def _url_part(value: object, limit: int) -> str:
    # Instance ids, regions and association ids are [a-z0-9-]; anything else is not shown.
    text = one_line(value, limit)
    return text if text and all(c.isascii() and (c.isalnum() or c in "-_.") for c in text) else ""


def _plain_link(link: str) -> str:
    # Our own S3 console link (reports.console_link): quoted, so only markup-free characters
    # are left to check; a link that is not one is left out rather than shown half-escaped.
    text = one_line(link, 2_000)
    if (
        not text.isascii()
        or not text.startswith("https://")
        or any(c in text for c in "<>|*`[]() \\")
    ):
        return ""
    return text

"""The README's chat picture: the sample run's custom notification, drawn as an SVG chat card.

The payload is the notifier's own `chat.render` (the code the demo prints `chat:` lines from) for
the README's sample run (two instances, one failed; fixed ids, so the picture is the same every
run), planned by the email model (`inbox.plan_emails`) with its full-report link. The drawing
imitates how a chat client shows a custom notification (a coloured bar, the title in bold, the
description, the next steps as a list, the keywords as tags); it is not a screenshot of a real
workspace. Pure: text in, text out; `generate.py` writes it to build/chat-preview.svg, where
`--check` keeps it current like every other generated file.
"""

from __future__ import annotations

import json
import re
import textwrap

from templates.readme.sample_email import (
    ACCOUNT,
    ASSOCIATION,
    FAILED_OUTPUT,
    FAILED_SUMMARY,
    INPUTS,
    REGION,
    cached,
    handler_modules,
)

# The sample email's inputs and this module: the payload is the handler's chat rendering.
CHAT_INPUTS = (*INPUTS, __file__)
PAYLOAD = re.compile(r"```json\n(.*?)\n```", re.DOTALL)

WIDTH = 720
MARGIN = 24
LINE = 20
WRAP = 84  # characters per line at the body font size: long links wrap rather than overflow
FAILED_COLOUR, OK_COLOUR = "#d13212", "#1d8102"
SAMPLE_REPORT = (
    "https://console.aws.amazon.com/s3/object/ssm-notifier-reports?region=us-east-1"
    "&bucketType=general&prefix=digests%2F2026-11-01%2F3f1c0e9a.txt"
)


def escape(text: str) -> str:
    """&, < and > as entities, as xml.sax.saxutils.escape does (importing it pulls in
    urllib.request, a sixth of generate.py's run time)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sample_chat_payload() -> dict:
    """The custom notification of the README's sample run, from the handler's own code."""
    inbox, chat = handler_modules("inbox", "chat")
    entries = [
        inbox.Entry(
            ACCOUNT,
            REGION,
            ASSOCIATION,
            "AWS-UpdateSSMAgent",
            instance,
            status,
            "new" if status == "Failed" else "ok",
            "2026-11-01T02:04:29.004Z",
            error_code="ExecutionError" if status == "Failed" else "",
            summary=FAILED_SUMMARY if status == "Failed" else "",
            output=FAILED_OUTPUT if status == "Failed" else "",
        )
        for instance, status in (
            ("i-0b22a22eec53b9321", "Success"),
            ("i-0f3c5a1d2e4b6f789", "Failed"),
        )
    ]
    links = inbox.Links(SAMPLE_REPORT, {})
    (email,) = inbox.plan_emails(entries, links)
    return chat.render(email, links)


def chat_preview_svg(payload: dict) -> str:
    """`payload` drawn as a chat card, deterministic SVG."""
    content = payload["content"]
    failed = any(keyword in ("Failed", "TimedOut") for keyword in content["keywords"])
    rows: list[tuple[str, str]] = [("title", content["title"]), ("gap", "")]
    for line in content["description"].split("\n"):
        rows += [("text", part) for part in _wrap(line)]
    rows += [("gap", ""), ("heading", "Next steps")]
    for step in content["nextSteps"]:
        wrapped = _wrap(step, WRAP - 2)
        rows.append(("bullet", wrapped[0]))
        rows += [("text", "  " + part) for part in wrapped[1:]]
    rows += [("gap", ""), ("tags", "")]
    height = 2 * MARGIN + LINE * len(rows) + 8
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="Helvetica, Arial, sans-serif" '
        'font-size="13">',
        f"<title>{escape(content['title'])}</title>",
        f'<rect x="0.5" y="0.5" width="{WIDTH - 1}" height="{height - 1}" rx="6" '
        'fill="#ffffff" stroke="#d5dbdb"/>',
        f'<rect x="{MARGIN - 12}" y="{MARGIN - 8}" width="4" height="{height - 2 * MARGIN + 16}" '
        f'rx="2" fill="{FAILED_COLOUR if failed else OK_COLOUR}"/>',
    ]
    y = MARGIN + 12
    for kind, text in rows:
        if kind == "title":
            out.append(
                f'<text x="{MARGIN}" y="{y}" font-size="15" font-weight="bold">'
                f"{escape(text)}</text>"
            )
        elif kind == "heading":
            out.append(f'<text x="{MARGIN}" y="{y}" font-weight="bold">{escape(text)}</text>')
        elif kind == "bullet":
            out.append(f'<text x="{MARGIN}" y="{y}">• {_markup(text)}</text>')
        elif kind == "text":
            out.append(f'<text x="{MARGIN}" y="{y}">{_markup(text)}</text>')
        elif kind == "tags":
            out += _tags(content["keywords"], y)
        y += LINE
    out.append("</svg>")
    return "\n".join(out) + "\n"


def sample_chat_section(current: str | None = None) -> str:
    """The README's generated section: the picture and the payload it draws, stamped; kept as
    `current` has it while the handler and this module are unchanged (`sample_email.cached`)."""
    return cached(current, CHAT_INPUTS, _sample_chat_text)


def payload_of(section: str) -> dict:
    """The custom notification a sample-chat section shows (what the picture draws)."""
    found = PAYLOAD.search(section)
    if not found:
        raise ValueError("the sample-chat section holds no JSON payload")
    return json.loads(found.group(1))


def _sample_chat_text() -> str:
    payload = sample_chat_payload()
    return (
        "![The sample digest as a chat message](build/chat-preview.svg)\n\n"
        "<details><summary>The custom notification it draws (what SNS hands Amazon Q "
        "Developer)</summary>\n\n```json\n"
        + json.dumps(payload, indent=2, ensure_ascii=False)
        + "\n```\n\n</details>\n"
    )


def _wrap(line: str, width: int = WRAP) -> list[str]:
    return textwrap.wrap(line, width, break_on_hyphens=False, break_long_words=True) or [""]


def _markup(text: str) -> str:
    """client-markdown's *bold* and `code`, as SVG tspans; everything else escaped."""
    parts = []
    for piece in re.split(r"(\*[^*]+\*|`[^`]+`)", text):
        if piece.startswith("*") and piece.endswith("*") and len(piece) > 1:
            parts.append(f'<tspan font-weight="bold">{escape(piece[1:-1])}</tspan>')
        elif piece.startswith("`") and piece.endswith("`") and len(piece) > 1:
            parts.append(
                f'<tspan font-family="Menlo, Consolas, monospace" fill="#c7254e">'
                f"{escape(piece[1:-1])}</tspan>"
            )
        else:
            parts.append(escape(piece))
    return "".join(parts)


def _tags(keywords: list[str], y: int) -> list[str]:
    out, x = [], MARGIN
    for keyword in keywords:
        width = 8 * len(keyword) + 16
        out.append(
            f'<rect x="{x}" y="{y - 14}" width="{width}" height="20" rx="10" fill="#eaeded"/>'
        )
        out.append(f'<text x="{x + 8}" y="{y}" fill="#16191f">{escape(keyword)}</text>')
        x += width + 8
    return out

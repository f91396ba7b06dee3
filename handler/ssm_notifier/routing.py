"""SNS Publish arguments of one planned email: both renderings in one message, routing attributes.

One topic, a message per protocol (SNS developer guide, "Amazon SNS message publishing":
`MessageStructure=json`, a `default` string required, a key per protocol that overrides it):
  default   the email text (email, email-json, sqs, lambda and every other subscriber)
  https     the chat custom notification (chat.py). Amazon Q Developer in chat applications
            subscribes to the topic with protocol https (its global endpoint), and SNS hands an
            https subscriber the `https` value as the notification's `Message`: what the chat
            service reads is exactly what a plain publish of that JSON would give it.
Why not a second topic: one publish keeps the email and the chat message one outcome (sent,
unknown, not sent) in the state table, one paced publish per digest, and one set of attributes
to filter on. The cost: any other https subscriber of the digest topic gets the chat JSON too
(subscribe such endpoints to a topic of their own, or filter them).

Message attributes, for subscription filter policies (FilterPolicyScope MessageAttributes):
  worst_status  String: Failed > TimedOut > Skipped > any other > Success
  accounts      String.Array: the account ids the email covers
  regions       String.Array
  documents     String.Array: document names
  kind          String: "digest"
SNS takes at most 10 attributes per message and counts them in the 256 KiB message size;
String.Array values are a JSON array (a filter on it matches when any element matches). Arrays
are bounded (ARRAY_MAX_ITEMS, failing ones first): a digest of more accounts than that is
delivered to account-filtered subscribers only for the ones listed, so use split_by="account"
(inbox.plan_emails) when per-account routes exist.

Size: the email is planned with budget EMAIL_BUDGET_BYTES, so that even escaped for JSON
(at most two bytes per byte) and beside the chat payload and the attributes, the message stays
under SNS's 262,144 bytes; `publish_arguments` checks and raises MessageTooLargeError otherwise.
"""

from __future__ import annotations

import json
from typing import Any

from . import chat, inbox
from .neutral import one_line

SNS_MESSAGE_MAX_BYTES = 262_144
SNS_MAX_ATTRIBUTES = 10
ATTRIBUTES_MAX_BYTES = 8_192  # what the bounded attributes below can take, with room
# Escaping for JSON at most doubles a byte; 1 KiB for the JSON keys and the envelope.
EMAIL_BUDGET_BYTES = (
    SNS_MESSAGE_MAX_BYTES - chat.CHAT_MAX_BYTES - ATTRIBUTES_MAX_BYTES
) // 2 - 1024
ARRAY_MAX_ITEMS = 50
VALUE_MAX_CHARS = 128
KIND_DIGEST = "digest"
KIND_SWEEP = "sweep"
# Severity, worst first; a status not named here ranks between Skipped and Success.
SEVERITY = ("Failed", "TimedOut", "Skipped")
LEAST_SEVERE = "Success"
ATTRIBUTE_NAMES = ("worst_status", "accounts", "regions", "documents", "kind")


class MessageTooLargeError(ValueError):
    """The planned email does not fit beside the chat payload: plan it with EMAIL_BUDGET_BYTES."""


def worst_status(entries: list[inbox.Entry]) -> str:
    statuses = {_value(entry.status) or "unknown" for entry in entries}
    for status in SEVERITY:
        if status in statuses:
            return status
    others = sorted(statuses - {LEAST_SEVERE})
    return others[0] if others else LEAST_SEVERE


def message_attributes(entries: list[inbox.Entry]) -> dict[str, dict[str, str]]:
    # Failing entries first, so a bounded array keeps the accounts that need attention.
    ordered = sorted(entries, key=lambda entry: not entry.failed)
    return {
        "worst_status": {"DataType": "String", "StringValue": worst_status(entries)},
        "accounts": _array([entry.account for entry in ordered]),
        "regions": _array([entry.region for entry in ordered]),
        "documents": _array([entry.document_name for entry in ordered]),
        "kind": {"DataType": "String", "StringValue": KIND_DIGEST},
    }


def sweep_attributes(
    accounts: list[str], regions: list[str], documents: list[str]
) -> dict[str, dict[str, str]]:
    """The sweep digest's attributes: the places and documents it names, and kind "sweep". No
    worst_status: a missed instance is not a failed run, so a failures-only filter does not take
    it; an account's route does."""
    return {
        "accounts": _array(accounts),
        "regions": _array(regions),
        "documents": _array(documents),
        "kind": {"DataType": "String", "StringValue": KIND_SWEEP},
    }


def _array(values: list[str]) -> dict[str, str]:
    distinct = list(dict.fromkeys(value for value in map(_value, values) if value))
    return {"DataType": "String.Array", "StringValue": json.dumps(distinct[:ARRAY_MAX_ITEMS])}


def publish_arguments(
    topic_arn: str, email: inbox.Email, links: inbox.Links, *, partition: str = "aws"
) -> dict[str, Any]:
    """Keyword arguments of sns.publish for one email: both renderings, attributes, checked size."""
    try:
        payload = chat.render(email, links, partition=partition)
    except Exception as error:  # the email must still go out; the channel learns it did
        payload = chat.fallback(email, links, f"{type(error).__name__}: {error}")
    structure = {"default": email.body, "https": chat.compact(payload)}
    message = json.dumps(structure, ensure_ascii=False)
    attributes = message_attributes(email.entries)
    size = len(message.encode("utf-8")) + sum(
        len(name.encode()) + len(value["DataType"]) + len(value["StringValue"].encode("utf-8"))
        for name, value in attributes.items()
    )
    if size > SNS_MESSAGE_MAX_BYTES:
        raise MessageTooLargeError(
            f"{size} bytes with both renderings; plan emails with budget_bytes="
            f"routing.EMAIL_BUDGET_BYTES ({EMAIL_BUDGET_BYTES})"
        )
    return {
        "TopicArn": topic_arn,
        "Subject": email.subject,
        "Message": message,
        "MessageStructure": "json",
        "MessageAttributes": attributes,
    }


def _value(value: object) -> str:
    # Printable ASCII only: attribute values are matched by filter policies, byte for byte.
    text = one_line(value, VALUE_MAX_CHARS)
    return "".join(c for c in text if " " <= c <= "~")

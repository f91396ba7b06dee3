"""Records with no time left are sent back to the queue as new messages, not failed.

SQS counts every receive towards the queue's maxReceiveCount, so a record handed back as a batch
failure only because the invocation ran out of time moves one step closer to the dead-letter queue
without having failed. Instead, `requeue` sends the same body to the same queue (SendMessageBatch,
10 to a call) with a message attribute counting the deferrals, and the record is then reported as
done. A record already deferred `max_deferrals` times is failed the ordinary way, so one that
never fits cannot circle forever. A send that fails (or cannot start in time) leaves its record
failed the ordinary way: nothing is lost. A send whose answer is lost may leave two copies: the
state table's claims make the second a no-op.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

DEFERRALS_ATTRIBUTE = "notifier-deferrals"
MAX_DEFERRALS = 10
SEND_BATCH_MAX = 10
MAX_DELAY = 900  # SQS's longest DelaySeconds: a record waiting on another invocation's claim


class Requeued(NamedTuple):
    requeued: list[str]  # message ids now on the queue again: report them as done
    failed: list[str]  # message ids to report as batch failures


def deferrals_of(record: Mapping[str, Any]) -> int:
    """How many times this record was deferred already (0 for a message EventBridge sent)."""
    attribute = (record.get("messageAttributes") or {}).get(DEFERRALS_ATTRIBUTE) or {}
    try:
        return max(0, int(attribute.get("stringValue", "0")))
    except (TypeError, ValueError):
        return 0


def requeue(
    sqs: Any,
    queue_url: str,
    records: list[Mapping[str, Any]],
    *,
    max_deferrals: int = MAX_DEFERRALS,
    delay_seconds: int = 0,
    before_call: Callable[[str], None] = lambda what: None,
) -> Requeued:
    requeued: list[str] = []
    failed: list[str] = []
    sendable = []
    for record in records:
        if deferrals_of(record) >= max_deferrals or not isinstance(record.get("body"), str):
            failed.append(record["messageId"])
        else:
            sendable.append(record)
    for start in range(0, len(sendable), SEND_BATCH_MAX):
        chunk = sendable[start : start + SEND_BATCH_MAX]
        entries = [
            {
                "Id": str(n),
                "MessageBody": record["body"],
                "DelaySeconds": max(0, min(MAX_DELAY, delay_seconds)),
                "MessageAttributes": {
                    DEFERRALS_ATTRIBUTE: {
                        "DataType": "Number",
                        "StringValue": str(deferrals_of(record) + 1),
                    }
                },
            }
            for n, record in enumerate(chunk)
        ]
        try:
            before_call("SendMessageBatch")
            answer = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        except Exception:  # the records stay with SQS as ordinary failures
            failed.extend(record["messageId"] for record in chunk)
            continue
        sent = {item["Id"] for item in answer.get("Successful", [])}
        for n, record in enumerate(chunk):
            (requeued if str(n) in sent else failed).append(record["messageId"])
    return Requeued(requeued, failed)

"""Parse one SQS record into an association state-change event, or say why it cannot be handled."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

SOURCE = "aws.ssm"
DETAIL_TYPE = "EC2 State Manager Instance Association State Change"


class InvalidRecordError(ValueError):
    """The record cannot be handled; `reason` says why, for the log line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AssociationEvent(NamedTuple):
    """One instance's association run. Optional fields are "" when missing or empty."""

    association_id: str
    instance_id: str
    document_name: str
    status: str
    detailed_status: str
    error_code: str
    execution_summary: str
    output_url: str
    last_execution_date: str
    region: str
    account: str
    partition: str
    raw: dict[str, Any]

    @property
    def dedupe_key(self) -> tuple[str, str, str, str]:
        """Events equal under this key report the same run (EventBridge delivers at least once)."""
        return (self.association_id, self.instance_id, self.last_execution_date, self.status)


def message_id_of(record: object) -> str:
    """The SQS message id; without one a record cannot even be reported as failed."""
    message_id = record.get("messageId") if isinstance(record, Mapping) else None
    if not isinstance(message_id, str) or not message_id:
        raise ValueError("an SQS record has no messageId: this is not an SQS event")
    return message_id


def parse_record(record: Mapping[str, Any]) -> AssociationEvent:
    """The event in the record's body, or InvalidRecordError."""
    body = record.get("body")
    if not isinstance(body, str):
        raise InvalidRecordError("record has no body")
    try:
        event = json.loads(body)
    except (ValueError, RecursionError):
        raise InvalidRecordError("body is not JSON") from None
    if not isinstance(event, dict):
        raise InvalidRecordError("body is not a JSON object")
    missing = [key for key in ("source", "detail-type", "detail") if key not in event]
    if missing:
        raise InvalidRecordError(f"not an EventBridge event: no {', '.join(missing)}")
    if event["source"] != SOURCE:
        raise InvalidRecordError(f"unexpected source {_shown(event['source'])}")
    if event["detail-type"] != DETAIL_TYPE:
        raise InvalidRecordError(f"unexpected detail-type {_shown(event['detail-type'])}")
    detail = event["detail"]
    if not isinstance(detail, dict):
        raise InvalidRecordError("detail is not a JSON object")
    association_id = _text(detail.get("association-id"))
    if not association_id:
        raise InvalidRecordError("detail has no association-id")
    instance_id = _text(detail.get("instance-id"))
    if not instance_id:
        raise InvalidRecordError("detail has no instance-id")
    return AssociationEvent(
        association_id=association_id,
        instance_id=instance_id,
        document_name=_text(detail.get("document-name")),
        status=_text(detail.get("status")),
        detailed_status=_text(detail.get("detailed-status")),
        error_code=_text(detail.get("error-code")),
        execution_summary=_text(detail.get("execution-summary")),
        output_url=_text(detail.get("output-url")),
        last_execution_date=_text(detail.get("last-execution-date")),
        region=_text(event.get("region")) or _text(record.get("awsRegion")),
        account=_text(event.get("account")),
        partition=_partition(event.get("resources")),
        raw=event,
    )


def _text(value: object) -> str:
    """A field as display text: "" for missing or null, compact JSON for a nested value."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def _partition(resources: object) -> str:
    """The partition of the first ARN in `resources` (aws, aws-cn, aws-us-gov, ...); default aws."""
    if isinstance(resources, list):
        for resource in resources:
            parts = resource.split(":", 2) if isinstance(resource, str) else []
            if len(parts) == 3 and parts[0] == "arn" and parts[1]:
                return parts[1]
    return "aws"


def _shown(value: object) -> str:
    return repr(value)[:100]

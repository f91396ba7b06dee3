"""Parse one SQS record into a run event (association, Run Command, maintenance window), or say
why it cannot be handled.

Three detail-types, each one instance's (or one window target's) run, all parsed into the same
model with a `kind` (runs.py names the run ids):
- "EC2 State Manager Instance Association State Change": association runs (always watched);
- "EC2 Command Invocation Status-change Notification": one instance's invocation of a Run Command
  command (WatchRunCommand); the run id is `command:<command-id>`, the run time its
  requested-date-time;
- "Maintenance Window Task Target Invocation State-change Notification": one task invocation on one
  window target (WatchMaintenanceWindows); the run id is `window:<window-execution-id>`. AWS's
  documented sample names no instance, so the "instance" is the window target and task execution
  (an instance id is used when the event carries one).
The command-level "EC2 Command Status-change Notification" is not parsed: it names no instance.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

from . import runs

SOURCE = "aws.ssm"
DETAIL_TYPE = "EC2 State Manager Instance Association State Change"
COMMAND_DETAIL_TYPE = "EC2 Command Invocation Status-change Notification"
WINDOW_DETAIL_TYPE = "Maintenance Window Task Target Invocation State-change Notification"
KIND_OF_DETAIL_TYPE = {
    DETAIL_TYPE: runs.ASSOCIATION,
    COMMAND_DETAIL_TYPE: runs.COMMAND,
    WINDOW_DETAIL_TYPE: runs.WINDOW,
}
# Maintenance windows spell statuses in capitals; the digest counts and classifies the others'.
WINDOW_STATUSES = {
    "SUCCESS": "Success",
    "FAILED": "Failed",
    "TIMED_OUT": "TimedOut",
    "CANCELLED": "Cancelled",
}


class InvalidRecordError(ValueError):
    """The record cannot be handled; `reason` says why, for the log line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AssociationEvent(NamedTuple):
    """One instance's run. Optional fields are "" when missing or empty. `association_id` is the
    run id (runs.py): the association's id, `command:<id>` or `window:<execution id>`; for a window
    `document_name` holds the window id."""

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
    kind: str = runs.ASSOCIATION
    command_id: str = ""  # Run Command: the command whose output is read for a failure

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
    kind = (
        KIND_OF_DETAIL_TYPE.get(event["detail-type"])
        if isinstance(event["detail-type"], str)
        else None
    )
    if kind is None:
        raise InvalidRecordError(f"unexpected detail-type {_shown(event['detail-type'])}")
    detail = event["detail"]
    if not isinstance(detail, dict):
        raise InvalidRecordError("detail is not a JSON object")
    parsers = {runs.COMMAND: _command_event, runs.WINDOW: _window_event}
    return parsers.get(kind, _association_event)(record, event, detail)


def _association_event(
    record: Mapping[str, Any], event: dict[str, Any], detail: dict[str, Any]
) -> AssociationEvent:
    return AssociationEvent(
        association_id=_required(detail, "association-id"),
        instance_id=_required(detail, "instance-id"),
        document_name=_text(detail.get("document-name")),
        status=_text(detail.get("status")),
        detailed_status=_text(detail.get("detailed-status")),
        error_code=_text(detail.get("error-code")),
        execution_summary=_text(detail.get("execution-summary")),
        output_url=_text(detail.get("output-url")),
        last_execution_date=_text(detail.get("last-execution-date")),
        **_origin(record, event),
        raw=event,
    )


def _command_event(
    record: Mapping[str, Any], event: dict[str, Any], detail: dict[str, Any]
) -> AssociationEvent:
    command_id = _required(detail, "command-id")
    return AssociationEvent(
        association_id=runs.run_id(runs.COMMAND, command_id),
        instance_id=_required(detail, "instance-id"),
        document_name=_text(detail.get("document-name")),
        status=_text(detail.get("status")),
        detailed_status="",
        error_code="",
        execution_summary="",
        output_url="",
        last_execution_date=_text(detail.get("requested-date-time")) or _text(event.get("time")),
        **_origin(record, event),
        raw=event,
        kind=runs.COMMAND,
        command_id=command_id,
    )


def _window_event(
    record: Mapping[str, Any], event: dict[str, Any], detail: dict[str, Any]
) -> AssociationEvent:
    execution_id = _required(detail, "window-execution-id")
    target = _text(detail.get("window-target-id"))
    task = _text(detail.get("task-execution-id"))
    instance_id = _text(detail.get("instance-id")) or _instance_in(event.get("resources"))
    if not instance_id:
        if not target and not task:
            raise InvalidRecordError("detail has no window-target-id or task-execution-id")
        # One task execution invokes each target once: together they name the invocation.
        instance_id = f"target {target or '-'} task {task or '-'}"
    status = _text(detail.get("status"))
    owner = _text(detail.get("owner-information"))
    return AssociationEvent(
        association_id=runs.run_id(runs.WINDOW, execution_id),
        instance_id=instance_id,
        document_name=_text(detail.get("window-id")),
        status=WINDOW_STATUSES.get(status, status),
        detailed_status=status,
        error_code="",
        execution_summary=f"owner information: {owner}" if owner else "",
        output_url="",
        last_execution_date=(
            _text(detail.get("end-time"))
            or _text(detail.get("start-time"))
            or _text(event.get("time"))
        ),
        **_origin(record, event),
        raw=event,
        kind=runs.WINDOW,
    )


def _required(detail: dict[str, Any], key: str) -> str:
    """A field the event cannot be reported without, as text; InvalidRecordError if missing."""
    value = _text(detail.get(key))
    if not value:
        raise InvalidRecordError(f"detail has no {key}")
    return value


def _origin(record: Mapping[str, Any], event: dict[str, Any]) -> dict[str, str]:
    """Where the event happened: region, account and partition."""
    return {
        "region": _text(event.get("region")) or _text(record.get("awsRegion")),
        "account": _text(event.get("account")),
        "partition": _partition(event.get("resources")),
    }


def _instance_in(resources: object) -> str:
    """The instance id of the first EC2 instance ARN in `resources`, else ""."""
    if isinstance(resources, list):
        for resource in resources:
            if (
                isinstance(resource, str)
                and ":instance/" in resource
                and resource.startswith("arn:")
            ):
                return resource.rsplit("/", 1)[1].strip()
    return ""


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

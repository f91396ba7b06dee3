"""JSON log lines on the stdlib logger: one object per line, fields queryable in Logs Insights.

Use: `logger.warning("record rejected", extra=fields(message_id=..., reason=...))`.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

LOGGER_NAME = "ssm_notifier"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class _CurrentStdoutHandler(logging.StreamHandler):
    """Writes to sys.stdout as it is at each write: test runners and runtimes swap the stream."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout
        super().emit(record)


def get_logger() -> logging.Logger:
    return logging.getLogger(LOGGER_NAME)


def configure(level: str) -> None:
    """Send this package's logs as JSON to stdout at `level`; safe to call on every invocation."""
    logger = get_logger()
    logger.setLevel(level)
    if not any(isinstance(handler, _CurrentStdoutHandler) for handler in logger.handlers):
        handler = _CurrentStdoutHandler()
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
    # The Lambda runtime's root handler would print every line a second time, not as JSON.
    logger.propagate = False


def fields(**values: object) -> dict[str, dict[str, object]]:
    """The `extra` argument that adds `values` as top-level keys of the JSON line."""
    return {"fields": values}


def describe_error(error: BaseException) -> str:
    """A short reason for a log field or a message: the AWS error code, else the exception type."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code") or "ClientError"
        operation = getattr(error, "operation_name", "")
        return f"{code} ({operation})" if operation else code
    text = str(error).strip()
    name = type(error).__name__
    return f"{name}: {text[:200]}" if text else name

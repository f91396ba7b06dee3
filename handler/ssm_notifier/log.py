"""Logging through the Lambda runtime: the standard `logging` module with JSON-safe `extra=` fields.

Use: `logger.warning("record rejected", extra=fields(message_id=..., reason=...))`.

Deployed, the function sets LoggingConfig.LogFormat=JSON and the Python runtime (awslambdaric's
`JsonFormatter`, in lambda_runtime_log_utils) formats every record that reaches the root logger:
this package only logs, and its logger propagates there. The runtime's level (ApplicationLogLevel,
given to it as AWS_LAMBDA_LOG_LEVEL) decides what is written. A deployed line (one line in
CloudWatch Logs, wrapped here) looks like this:

    {"timestamp": "2026-11-01T02:04:33.120Z", "level": "INFO", "message": "digest published",
     "logger": "ssm_notifier", "requestId": "79b4f56e-95b1-4643-9700-2807f4e68189",
     "association_id": "8dfe3659-...", "sns_message_id": "...", "instances": 2, "records": 2}

`timestamp`, `level`, `message`, `logger` and `requestId` are the runtime's; a logged exception adds
its `errorType`, `errorMessage`, `stackTrace` and `location`; every `extra=` key becomes a
top-level key. The runtime encodes with `json` and no `default=`, so `fields()` makes every value
JSON-safe first (datetimes as ISO 8601 text, sets and tuples as lists, anything else as text).

Run anywhere else (tests, the benchmarks, a local run), where neither AWS_LAMBDA_LOG_FORMAT nor
AWS_LAMBDA_FUNCTION_NAME is set, `configure()` sets the level from the LOG_LEVEL setting and adds
a small handler that writes the same shape of line (without `requestId`) to standard output, so
local runs stay readable. Tests read the records with pytest's `caplog` (the logger propagates).
"""

from __future__ import annotations

import json
import logging
import math
import os
import sys
from collections.abc import Mapping
from datetime import UTC, date, datetime

from .times import api_time

LOGGER_NAME = "ssm_notifier"
# Set by the Lambda service in every function's environment (the log format with LoggingConfig):
# either one means the runtime's handler is on the root logger.
RUNTIME_VARIABLES = ("AWS_LAMBDA_LOG_FORMAT", "AWS_LAMBDA_FUNCTION_NAME")
# The attributes every LogRecord has: whatever else a record carries came from `extra=`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def get_logger() -> logging.Logger:
    return logging.getLogger(LOGGER_NAME)


def configure(level: str, environ: Mapping[str, str] | None = None) -> None:
    """Prepare this package's logger for an invocation; safe to call on every invocation.

    Under the Lambda runtime (AWS_LAMBDA_LOG_FORMAT or AWS_LAMBDA_FUNCTION_NAME set) it leaves
    the lines and their level to the runtime; elsewhere it sets `level` and writes JSON lines to
    standard output.
    """
    environ = os.environ if environ is None else environ
    logger = get_logger()
    local = [handler for handler in logger.handlers if isinstance(handler, LocalHandler)]
    if any(environ.get(name) for name in RUNTIME_VARIABLES):
        logger.setLevel(logging.NOTSET)
        for handler in local:
            logger.removeHandler(handler)
        return
    logger.setLevel(level)
    if not local:
        logger.addHandler(LocalHandler())


class LocalFormatter(logging.Formatter):
    """The runtime's line shape, for runs outside Lambda: one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "timestamp": api_time(datetime.fromtimestamp(record.created, UTC)),
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
        }
        if record.exc_info and record.exc_info[0] is not None:
            entry["errorType"] = record.exc_info[0].__name__
            entry["errorMessage"] = str(record.exc_info[1])
            entry["stackTrace"] = self.formatException(record.exc_info).splitlines()
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and key not in entry:
                entry[key] = value
        return json.dumps(entry, ensure_ascii=False)


class LocalHandler(logging.StreamHandler):
    """Writes to sys.stdout as it is at each write: test runners swap the stream."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)
        self.setFormatter(LocalFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout
        super().emit(record)


def fields(**values: object) -> dict[str, object]:
    """The `extra` argument that adds `values`, made JSON-safe, as top-level keys of the line."""
    return {key: json_safe(value) for key, value in values.items()}


def json_safe(value: object) -> object:
    """`value` as something `json.dumps` encodes without a `default=` (the runtime has none)."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return [json_safe(item) for item in items]
    return str(value)


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


def is_aws_error(error: BaseException) -> bool:
    """botocore's errors need no traceback in the log; anything else is a bug worth one."""
    return type(error).__module__.startswith("botocore")

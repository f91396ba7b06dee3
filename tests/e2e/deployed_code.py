"""The deployed function's code, run in this process as the Lambda runtime would run it.

    code = DeployedCode(unzipped_dir, "ssm_notifier.notify.lambda_handler")
    run = invoke_as_runtime(code, event, configuration)   # response, log lines, request id

The harness plays the Lambda Python runtime, with the function's LoggingConfig: the function's
environment variables and the runtime's own (AWS_LAMBDA_*), a context object, and the runtime's
log handling.
With `LogFormat: JSON` the runtime puts a handler on the root logger whose formatter
(`RuntimeJsonFormatter`, after awslambdaric's `JsonFormatter`) writes each record as one JSON
object: timestamp, level, message, logger, requestId, and every `extra=` key; the root level is
`ApplicationLogLevel`. Whatever the code prints on stdout is kept as it is, as the runtime does.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import logging
import os
import sys
import time
import traceback
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# LogRecord attributes that are not `extra=` keys (awslambdaric's list: the record's own
# attributes, and the request id the runtime's filter adds).
_RECORD_ATTRIBUTES = {
    "name",
    "msg",
    "args",
    "levelname",
    "levelno",
    "pathname",
    "filename",
    "module",
    "exc_info",
    "exc_text",
    "stack_info",
    "lineno",
    "funcName",
    "created",
    "msecs",
    "relativeCreated",
    "thread",
    "threadName",
    "processName",
    "process",
    "taskName",
    "aws_request_id",
}


class RuntimeJsonFormatter(logging.Formatter):
    """The Lambda Python runtime's JSON log line (awslambdaric `JsonFormatter`, LogFormat JSON).

    Like the runtime's, its encoder has no `default=`: a value JSON cannot encode fails the line,
    as it would on AWS (the handler must make its fields JSON-safe).
    """

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        moment = datetime.fromtimestamp(record.created, tz=UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"

    def format(self, record: logging.LogRecord) -> str:
        record.levelno = min(50, max(0, record.levelno)) // 10 * 10
        record.levelname = logging.getLevelName(record.levelno)
        exc_info = record.exc_info
        entry: dict[str, Any] = {
            "timestamp": self.formatTime(record),
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
            "stackTrace": traceback.format_tb(exc_info[2]) if exc_info else None,
            "errorType": exc_info[0].__name__ if exc_info and exc_info[0] else None,
            "errorMessage": str(exc_info[1]) if exc_info else None,
            "requestId": getattr(record, "aws_request_id", None),
            "location": (
                f"{record.pathname}:{record.funcName}:{record.lineno}" if exc_info else None
            ),
        }
        entry.update(
            (key, value)
            for key, value in record.__dict__.items()
            if key not in _RECORD_ATTRIBUTES and key not in entry
        )
        return json.dumps({k: v for k, v in entry.items() if v is not None}, ensure_ascii=False)


class RuntimeTextFormatter(logging.Formatter):
    """The runtime's text line (LogFormat Text): [LEVEL] timestamp requestId message."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, tz=UTC)
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        request_id = getattr(record, "aws_request_id", "")
        return f"[{record.levelname}]\t{stamp}\t{request_id}\t{record.getMessage()}"


class _RequestIdFilter(logging.Filter):
    """What the runtime's handler filter does: the current request id on every record."""

    def __init__(self, request_id: str) -> None:
        super().__init__()
        self.request_id = request_id

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


@contextlib.contextmanager
def runtime_logging(
    configuration: Mapping[str, Any], request_id: str, stream: io.StringIO
) -> Iterator[logging.Handler]:
    """The runtime's root log handler for one invocation, writing to `stream`; then restored."""
    logging_config = configuration.get("LoggingConfig") or {}
    json_format = logging_config.get("LogFormat", "Text").upper() == "JSON"
    application_level = logging_config.get("ApplicationLogLevel", "INFO").upper()
    # Lambda's TRACE and FATAL are Python's DEBUG and CRITICAL.
    level = {"TRACE": "DEBUG", "FATAL": "CRITICAL"}.get(application_level, application_level)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RuntimeJsonFormatter() if json_format else RuntimeTextFormatter())
    handler.addFilter(_RequestIdFilter(request_id))
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    root.handlers[:] = [handler]
    # Text format: no ApplicationLogLevel, the root logger keeps Python's default (WARNING).
    root.setLevel(level if json_format else logging.WARNING)
    try:
        yield handler
    finally:
        root.handlers[:], level_before = saved
        root.setLevel(level_before)


def runtime_environment(configuration: Mapping[str, Any]) -> dict[str, str]:
    """The function's own variables and the ones the Lambda runtime sets."""
    logging_config = configuration.get("LoggingConfig") or {}
    variables = dict((configuration.get("Environment") or {}).get("Variables", {}))
    variables.update(
        {
            "AWS_LAMBDA_FUNCTION_NAME": configuration["FunctionName"],
            "AWS_LAMBDA_FUNCTION_VERSION": configuration.get("Version", "$LATEST"),
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(configuration["MemorySize"]),
            "AWS_LAMBDA_LOG_GROUP_NAME": logging_config.get("LogGroup", ""),
            "AWS_LAMBDA_LOG_FORMAT": logging_config.get("LogFormat", "Text"),
            "AWS_LAMBDA_LOG_LEVEL": logging_config.get("ApplicationLogLevel", ""),
        }
    )
    return {name: value for name, value in variables.items() if value}


@dataclass
class RuntimeRun:
    response: Any
    request_id: str
    output: str  # everything the invocation wrote: runtime log lines and the code's own stdout
    runtime_lines: list[str]  # the lines the runtime's log handler wrote
    seconds: float

    @property
    def json_lines(self) -> list[dict[str, Any]]:
        """Every line of the output that is a JSON object (runtime's and the code's own)."""
        found = []
        for line in self.output.splitlines():
            if line.startswith("{"):
                with contextlib.suppress(ValueError):
                    found.append(json.loads(line))
        return found


class _Recording(io.StringIO):
    """The invocation's output; remembers which lines came from the runtime's log handler."""

    def __init__(self) -> None:
        super().__init__()
        self.runtime_lines: list[str] = []


def invoke_as_runtime(
    code: DeployedCode, event: Any, configuration: Mapping[str, Any]
) -> RuntimeRun:
    """One invocation: environment, context, runtime logging, stdout kept; all restored after."""
    context = LambdaContext(configuration)
    output = _Recording()
    runtime_stream = _RuntimeStream(output)
    started = time.monotonic()
    with (
        _environment(runtime_environment(configuration)),
        contextlib.redirect_stdout(output),
        runtime_logging(configuration, context.aws_request_id, runtime_stream),
    ):
        response = code(event, context)
    return RuntimeRun(
        response,
        context.aws_request_id,
        output.getvalue(),
        output.runtime_lines,
        time.monotonic() - started,
    )


class _RuntimeStream(io.StringIO):
    """The runtime handler's stream: into the same output, each line also noted as the runtime's."""

    def __init__(self, output: _Recording) -> None:
        super().__init__()
        self.output = output

    def write(self, text: str) -> int:
        self.output.write(text)
        self.output.runtime_lines += [line for line in text.splitlines() if line.strip()]
        return len(text)


class LambdaContext:
    """The parts of the Lambda context object a handler may read, from the deployed function."""

    def __init__(self, configuration: Mapping[str, Any]) -> None:
        self.function_name = configuration["FunctionName"]
        self.function_version = configuration.get("Version", "$LATEST")
        self.invoked_function_arn = configuration["FunctionArn"]
        self.memory_limit_in_mb = configuration["MemorySize"]
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = (configuration.get("LoggingConfig") or {}).get("LogGroup", "")
        self._deadline = time.monotonic() + configuration["Timeout"]

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@contextlib.contextmanager
def _environment(variables: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class DeployedCode:
    """The handler from the deployed zip, not from handler/ of the work tree.

    Its package is imported with the zip's directory first on sys.path, and its modules are put in
    sys.modules only while it runs (`with code:`); any copy imported from elsewhere (the handler's
    unit tests import it from handler/) is set aside meanwhile and put back afterwards.
    """

    def __init__(self, code_dir: Path, entry_point: str) -> None:
        module_name, self.function_name = entry_point.rsplit(".", 1)
        self.package = module_name.split(".", 1)[0]
        self.modules: dict[str, Any] = {}
        self.logger_state: tuple[list[logging.Handler], int, bool] = ([], logging.NOTSET, True)
        with self:
            sys.path.insert(0, str(code_dir))
            try:
                module = importlib.import_module(module_name)
            finally:
                sys.path.remove(str(code_dir))
            origin = Path(module.__file__ or "").resolve()
            if code_dir.resolve() not in origin.parents:
                raise AssertionError(f"{module_name} was imported from {origin}, not the zip")
            self.function = getattr(module, self.function_name)

    def _ours(self) -> list[str]:
        return [n for n in sys.modules if n == self.package or n.startswith(self.package + ".")]

    def __enter__(self) -> DeployedCode:
        self._saved = {name: sys.modules.pop(name) for name in self._ours()}
        sys.modules.update(self.modules)
        # The package's logger is process-wide: the deployed code's handlers must not stay on it
        # (the work tree's copy would not recognise them and would log every line twice).
        logger = logging.getLogger(self.package)
        self._saved_logger = (logger.handlers[:], logger.level, logger.propagate)
        logger.handlers[:], logger.level, logger.propagate = self.logger_state
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.modules = {name: sys.modules.pop(name) for name in self._ours()}
        sys.modules.update(self._saved)
        logger = logging.getLogger(self.package)
        self.logger_state = (logger.handlers[:], logger.level, logger.propagate)
        logger.handlers[:], logger.level, logger.propagate = self._saved_logger

    def __call__(self, event: Any, context: Any) -> Any:
        with self:
            return self.function(event, context)

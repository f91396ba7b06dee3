"""log: the handler logs through the Lambda runtime's handler when deployed, locally through its
own small one; every `extra=` field is JSON-safe for the runtime's encoder (no `default=`)."""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from notifier_testkit import SAMPLE_BODY, FakeClock
from ssm_notifier import log, notify
from ssm_notifier.clients import ClientCache

from templates.sample_events import sqs_record

REQUEST_ID = "79b4f56e-95b1-4643-9700-2807f4e68189"
STANDARD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "aws_request_id"}


class RuntimeLikeFormatter(logging.Formatter):
    """What the Python runtime's JSON formatter writes, as far as this test needs: its own keys,
    then every other record attribute, through a plain encoder that has no `default=`."""

    encoder = json.JSONEncoder(ensure_ascii=False)

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "timestamp": "2026-11-01T02:04:33.120Z",
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
            "requestId": getattr(record, "aws_request_id", None),
        }
        line.update(
            (key, value)
            for key, value in vars(record).items()
            if key not in STANDARD_ATTRIBUTES and key not in line
        )
        return self.encoder.encode({k: v for k, v in line.items() if v is not None})


class RuntimeHandler(logging.Handler):
    """Stands in for the handler the runtime puts on the root logger (with its request id)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.setFormatter(RuntimeLikeFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        record.aws_request_id = REQUEST_ID
        self.lines.append(self.format(record))


@pytest.fixture
def lambda_runtime(monkeypatch, topic, ssm) -> Iterator[RuntimeHandler]:
    """The Lambda runtime's logging, as LoggingConfig LogFormat=JSON, ApplicationLogLevel=INFO."""
    monkeypatch.setenv("AWS_LAMBDA_LOG_FORMAT", "JSON")
    monkeypatch.setenv("AWS_LAMBDA_LOG_LEVEL", "INFO")
    monkeypatch.setenv("TOPIC_ARN", topic.arn)
    clock = FakeClock()
    clients = ClientCache(factory=lambda service: pytest.fail(f"unexpected {service} client"))
    clients.set("sns", topic.sns)
    clients.set("ssm", ssm[0])
    monkeypatch.setattr(notify, "RUNTIME", notify.Runtime(clients, clock, clock.sleep))
    root = logging.getLogger()
    handler = RuntimeHandler()
    saved_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler
    root.removeHandler(handler)
    root.setLevel(saved_level)
    log.configure("INFO", {})  # back to the local setup the other tests run with


def test_deployed_lines_are_written_by_the_runtime_with_the_handlers_fields(
    lambda_runtime,
) -> None:
    response = notify.lambda_handler({"Records": [sqs_record(SAMPLE_BODY, "m-1")]}, None)

    assert response == {"batchItemFailures": []}
    logger = log.get_logger()
    assert logger.handlers == []
    assert logger.propagate is True
    assert logger.level == logging.NOTSET  # the runtime's level (ApplicationLogLevel) decides
    lines = [json.loads(line) for line in lambda_runtime.lines]
    published = next(line for line in lines if line["message"] == "digest published")
    assert published["requestId"] == REQUEST_ID
    assert published["logger"] == "ssm_notifier"
    assert published["level"] == "INFO"
    assert published["association_id"] == "34fcb7e0-5a52-4b9b-8b53-0aa3fe6fd1a3"
    assert (published["instances"], published["records"]) == (1, 1)
    done = next(line for line in lines if line["message"] == "batch done")
    assert (done["records"], done["failed"], done["published"]) == (1, 0, 1)


def test_outside_lambda_one_local_handler_writes_json_lines(capsys) -> None:
    log.configure("INFO", {})
    log.configure("INFO", {})

    logger = log.get_logger()
    assert [type(h) for h in logger.handlers] == [log.LocalHandler]
    assert logger.propagate is True
    logger.warning("record rejected", extra=log.fields(message_id="m-1", reason="body is not JSON"))

    [line] = [json.loads(text) for text in capsys.readouterr().out.splitlines()]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["timestamp"])
    assert line["level"] == "WARNING"
    assert line["message"] == "record rejected"
    assert line["logger"] == "ssm_notifier"
    assert (line["message_id"], line["reason"]) == ("m-1", "body is not JSON")


def test_the_local_level_comes_from_the_setting_and_the_runtimes_from_the_runtime() -> None:
    log.configure("WARNING", {})
    assert log.get_logger().level == logging.WARNING

    log.configure("WARNING", {"AWS_LAMBDA_LOG_FORMAT": "JSON"})
    assert log.get_logger().level == logging.NOTSET
    assert log.get_logger().handlers == []

    log.configure("INFO", {})
    log.configure("INFO", {"AWS_LAMBDA_FUNCTION_NAME": "ssm-notifier-Function-1A2B"})
    assert log.get_logger().handlers == []

    log.configure("INFO", {})


def test_a_logged_exception_names_its_type_and_message(capsys) -> None:
    log.configure("INFO", {})
    try:
        raise KeyError("boom")
    except KeyError:
        log.get_logger().error("publish failed", exc_info=True, extra=log.fields(error="x"))

    [line] = [json.loads(text) for text in capsys.readouterr().out.splitlines()]
    assert line["errorType"] == "KeyError"
    assert line["errorMessage"] == "'boom'"
    assert any("raise KeyError" in frame for frame in line["stackTrace"])


def test_fields_are_json_safe_for_an_encoder_without_default() -> None:
    safe = log.fields(
        since=datetime(2026, 5, 4, 6, 0, tzinfo=UTC),
        ids={"b", "a"},
        pair=("x", 1),
        nested={"at": datetime(2026, 5, 4, tzinfo=UTC), 3: [frozenset({1})]},
        ratio=math.nan,
        thing=object,
        plain=[1, 2.5, True, None, "text"],
    )

    assert json.loads(json.JSONEncoder(allow_nan=False).encode(safe)) == {
        "since": "2026-05-04T06:00:00+00:00",
        "ids": ["a", "b"],
        "pair": ["x", 1],
        "nested": {"at": "2026-05-04T00:00:00+00:00", "3": [[1]]},
        "ratio": "nan",
        "thing": "<class 'object'>",
        "plain": [1, 2.5, True, None, "text"],
    }


def test_describe_error_names_the_aws_error_code_or_the_exception_type() -> None:
    from botocore.exceptions import ClientError

    throttled = ClientError({"Error": {"Code": "ThrottlingException"}}, "Publish")

    assert log.describe_error(throttled) == "ThrottlingException (Publish)"
    assert log.describe_error(ValueError("bad value")) == "ValueError: bad value"
    assert log.is_aws_error(throttled) is True
    assert log.is_aws_error(ValueError("bad value")) is False

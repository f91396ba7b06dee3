"""Deadlines: the real botocore client against a local endpoint that hangs or answers late."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from botocore.exceptions import ReadTimeoutError
from ssm_notifier.deadline import BUDGETS, CallBudget, Deadline, OutOfTimeError, make_client

PUBLISH_ANSWER = (
    b'<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult>'
    b"<MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r-1</RequestId>"
    b"</ResponseMetadata></PublishResponse>"
)
TOPIC = "arn:aws:sns:us-east-1:123456789012:notifier"
# Small, so the hang test takes seconds: 2 tries x (0.5 + 1.0) + backoff.
TEST_BUDGET = CallBudget(connect_timeout=0.5, read_timeout=1.0, total_max_attempts=2)


class Endpoint:
    """A local HTTP endpoint that waits `delay` seconds (None: forever) before answering."""

    def __init__(self, delay: float | None) -> None:
        self.delay = delay
        self.requests = 0
        self.release = threading.Event()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                endpoint.requests += 1
                if endpoint.release.wait(endpoint.delay):
                    return  # the test is over: drop the connection
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(PUBLISH_ANSWER)))
                self.end_headers()
                self.wfile.write(PUBLISH_ANSWER)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hanging() -> Iterator[Endpoint]:
    endpoint = Endpoint(delay=None)
    yield endpoint
    endpoint.close()


@pytest.fixture
def late() -> Iterator[Endpoint]:
    endpoint = Endpoint(delay=TEST_BUDGET.read_timeout - 0.3)
    yield endpoint
    endpoint.close()


def sns_client(url: str, budget: CallBudget) -> object:
    return make_client("sns", {"sns": budget}, endpoint_url=url, region_name="us-east-1")


def test_a_hung_endpoint_gives_up_within_the_worst_case_after_exactly_the_tries(
    hanging: Endpoint,
) -> None:
    client = sns_client(hanging.url, TEST_BUDGET)
    started = time.monotonic()
    with pytest.raises(ReadTimeoutError):
        client.publish(TopicArn=TOPIC, Message="x")
    took = time.monotonic() - started
    # total_max_attempts counts tries: 2 means 2 requests, not 3.
    assert hanging.requests == 2
    assert 2 * TEST_BUDGET.read_timeout <= took <= TEST_BUDGET.worst_case_seconds()


def test_an_answer_just_under_the_read_timeout_is_taken(late: Endpoint) -> None:
    client = sns_client(late.url, TEST_BUDGET)
    started = time.monotonic()
    answer = client.publish(TopicArn=TOPIC, Message="x")
    took = time.monotonic() - started
    assert answer["MessageId"] == "m-1"
    assert late.requests == 1
    assert took <= TEST_BUDGET.worst_case_seconds()


def test_a_call_the_deadline_allows_ends_inside_it_even_when_the_endpoint_hangs(
    hanging: Endpoint,
) -> None:
    reserve = 0.5
    deadline = Deadline.from_clock(TEST_BUDGET.worst_case_seconds() + reserve + 0.2)
    client = sns_client(hanging.url, TEST_BUDGET)
    deadline.require(TEST_BUDGET, reserve, "publish")
    with pytest.raises(ReadTimeoutError):
        client.publish(TopicArn=TOPIC, Message="x")
    assert deadline.seconds_left() >= reserve


def test_a_call_that_does_not_fit_is_not_started(hanging: Endpoint) -> None:
    deadline = Deadline.from_clock(TEST_BUDGET.worst_case_seconds() - 0.1)
    with pytest.raises(OutOfTimeError, match="publish not started"):
        deadline.require(TEST_BUDGET, 0.0, "publish")
    assert hanging.requests == 0


def test_worst_case_counts_tries_timeouts_and_capped_backoff() -> None:
    one_try = CallBudget(connect_timeout=2, read_timeout=8, total_max_attempts=1)
    assert one_try.worst_case_seconds() == 10
    # 4 tries: 3 waits of at most 1, 2, 4 s (throttling base), each + 5 s retry-after allowance.
    four = CallBudget(connect_timeout=1, read_timeout=2, total_max_attempts=4)
    assert four.worst_case_seconds() == 4 * 3 + (1 + 2 + 4) + 3 * 5
    # The wait is capped at 20 s however many tries.
    many = CallBudget(connect_timeout=0, read_timeout=0, total_max_attempts=8)
    assert many.backoff_worst_seconds() == 1 + 2 + 4 + 8 + 16 + 20 + 20 + 7 * 5
    assert many.client_config()["retries"] == {"mode": "standard", "total_max_attempts": 8}


def test_every_service_budget_fits_a_60_second_invocation_with_room() -> None:
    for service, budget in BUDGETS.items():
        assert budget.worst_case_seconds() <= 30, service
    assert BUDGETS["sns"].total_max_attempts == 1  # a retried publish could be a second email


def test_deadline_from_context_and_without_one() -> None:
    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 12_500

    assert Deadline.from_context(Context()).seconds_left() == 12.5
    assert Deadline.from_context(object()).seconds_left() == math.inf
    assert Deadline.from_context(Context()).allows(10, reserve_seconds=2.5)
    assert not Deadline.from_context(Context()).allows(10, reserve_seconds=2.6)

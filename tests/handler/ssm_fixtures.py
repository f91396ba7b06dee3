"""The SSM responses in tests/events/ssm/, a long patch log, and stubbed ssm and s3 clients.

A module of its own (not conftest) so the command-output test and the handler-level test share it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import botocore.session
from botocore.response import StreamingBody
from botocore.stub import Stubber

FIXTURES = Path(__file__).resolve().parents[1] / "events" / "ssm"
REGION = "us-east-1"
API_STDOUT_CAP = 24_000

# The end of the failed PatchLinux step: what an operator needs to see.
PATCH_LOG_END = [
    "Installing 12 of 14: openssl-libs-1:3.0.8-1.amzn2023.0.18.x86_64",
    "Error: Transaction test error:",
    "  file /usr/lib64/libssl.so.3 from install of openssl-libs-1:3.0.8-1.amzn2023.0.18.x86_64"
    " conflicts with file from package openssl-snapsafe-libs-1:3.0.8-1.amzn2023.0.12.x86_64",
    "ERROR: dnf command returned exit code 1",
    "Patch installation failed: 0 of 14 patches installed",
    "Reporting compliance: NON_COMPLIANT (InstalledOther=512, Missing=14, Failed=14)",
]


def load(name: str) -> dict[str, Any]:
    """A fixture as the API returns it: the `_source` note dropped."""
    data = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return {key: value for key, value in data.items() if not key.startswith("_")}


def patch_log(newline: str = "\n") -> str:
    """A Linux patch log well past the API's 24,000 characters, failing at its end."""
    head = load("get_command_invocation_patch_baseline.json")["StandardOutputContent"]
    body = [
        f"Checking package {n:04d}: kernel-livepatch-6.1.{n}-1.amzn2023.x86_64 is up to date"
        for n in range(1_000)
    ]
    text = head.replace("\n", newline) + newline.join([*body, *PATCH_LOG_END]) + newline
    assert len(text) > 2 * API_STDOUT_CAP
    return text


def client(service: str) -> Any:
    """A real botocore client with dummy credentials: Stubber answers it, nothing leaves."""
    return botocore.session.get_session().create_client(
        service,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@contextmanager
def stubbed(service: str) -> Iterator[tuple[Any, Stubber]]:
    """A client whose every call must be stubbed: an unexpected one fails the test."""
    real = client(service)
    with Stubber(real) as stubber:
        yield real, stubber


def object_tail(data: bytes, tail_bytes: int) -> dict[str, Any]:
    """GetObject's answer to `Range: bytes=-tail_bytes` on an object holding `data`."""
    start = max(0, len(data) - tail_bytes)
    part = data[start:]
    return {
        "Body": StreamingBody(io.BytesIO(part), len(part)),
        "ContentLength": len(part),
        "ContentRange": f"bytes {start}-{len(data) - 1}/{len(data)}",
        "AcceptRanges": "bytes",
    }


def bucket_and_key(url: str) -> tuple[str, str]:
    """Bucket and key of a path-style S3 URL from a fixture."""
    path = url.split("amazonaws.com/", 1)[1]
    bucket, key = path.split("/", 1)
    return bucket, key


def stubbable(response: Any) -> Any:
    """`response` without its empty strings, which Stubber would reject.

    AWS's documented responses carry "" for unset fields (OutputS3BucketName,
    CloudWatchLogGroupName) where botocore's model sets a minimum length. A real client never
    validates what it receives; Stubber does. An empty string and a missing key mean the same
    "not set" to the code under test, which reads every field with `.get(...) or ""`.
    """
    if isinstance(response, dict):
        return {key: stubbable(value) for key, value in response.items() if value != ""}
    if isinstance(response, list):
        return [stubbable(item) for item in response]
    return response


def stub_ssm(stubber, listing: dict, invocation: dict, instance_id: str, step: str) -> None:
    """Expect the step listing, then GetCommandInvocation naming the step (as AWS requires)."""
    command_id = invocation["CommandId"]
    stubber.add_response(
        "list_command_invocations",
        stubbable(listing),
        {"CommandId": command_id, "InstanceId": instance_id, "Details": True},
    )
    stubber.add_response(
        "get_command_invocation",
        stubbable(invocation),
        {"CommandId": command_id, "InstanceId": instance_id, "PluginName": step},
    )

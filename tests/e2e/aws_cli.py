"""The AWS clients of the run: the real AWS CLI against the emulator, and boto3 set up like it.

cli = Cli(moto.endpoint, moto.env, cwd)   # `aws --endpoint-url ... ARGS`, every call kept
with aws_environment(moto.endpoint): ...  # this process's boto3 (the handler's too) -> moto
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import botocore.config
from emulator import REGION, SCRUBBED, client_environment

CLI_TIMEOUT_SECONDS = 120
# boto3's own deadline for each call the harness makes (the CLI's is CLI_TIMEOUT_SECONDS).
CLIENT_TIMEOUT_SECONDS = 30


class CliError(RuntimeError):
    def __init__(self, call: CliCall) -> None:
        super().__init__(
            f"`{call.shown}` exited {call.returncode}\n{call.stdout[-3000:]}{call.stderr[-3000:]}"
        )
        self.call = call


@dataclass
class CliCall:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def shown(self) -> str:
        return "aws " + " ".join(self.args)


def aws_executable() -> str:
    """The `aws` of the interpreter's own environment (the pinned awscli), else the PATH's."""
    beside = Path(sys.executable).with_name("aws")
    found = str(beside) if beside.exists() else shutil.which("aws")
    if not found:
        raise RuntimeError("the AWS CLI (`aws`) is not installed in this environment")
    return found


@dataclass
class Cli:
    """`aws --endpoint-url http://localhost:PORT ...` in a clean environment, every call kept."""

    endpoint: str
    env: dict[str, str]
    cwd: Path
    calls: list[CliCall] = field(default_factory=list)

    def __call__(self, *args: str, region: str | None = None, check: bool = True) -> CliCall:
        args = ["--endpoint-url", self.endpoint, *(["--region", region] if region else []), *args]
        started = time.monotonic()
        done = subprocess.run(
            [aws_executable(), *args],
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT_SECONDS,
            check=False,
        )
        call = CliCall(args, done.returncode, done.stdout, done.stderr, time.monotonic() - started)
        self.calls.append(call)
        if check and call.returncode != 0:
            raise CliError(call)
        return call


@contextlib.contextmanager
def aws_environment(endpoint: str) -> Iterator[None]:
    """This process's environment set like the CLI's, for boto3 here and the handler; restored.

    The handler makes its own boto3 clients: `AWS_ENDPOINT_URL` is what sends them to moto.
    """
    wanted = client_environment(endpoint)
    saved = {name: os.environ.get(name) for name in [*wanted, *SCRUBBED]}
    try:
        for name in SCRUBBED:
            os.environ.pop(name, None)
        os.environ.update(wanted)
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def client(service: str, endpoint: str, region: str = REGION) -> Any:
    return boto3.session.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        aws_session_token="testing",
        region_name=region,
    ).client(
        service,
        endpoint_url=endpoint,
        config=botocore.config.Config(
            connect_timeout=CLIENT_TIMEOUT_SECONDS, read_timeout=CLIENT_TIMEOUT_SECONDS
        ),
    )

"""A moto server on 127.0.0.1 for the length of a `with` block, always stopped afterwards.

    with MotoServer() as moto:
        moto.endpoint   # http://localhost:PORT, for --endpoint-url and boto3
        moto.env        # the environment every AWS client of the run gets

The server runs from the same virtual environment as this interpreter (moto's server, started by
`emulator_extensions.py`, which first registers what moto lacks),
in a process group of its own, so stopping it (SIGTERM, then SIGKILL) also ends anything it
started. Stopping happens in `__exit__`, whatever went wrong inside the block, and waits for the
process to be gone and the port to be closed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HOST = "127.0.0.1"
# A file to which each server started appends "PID PORT" (test_emulator_lifecycle.py reads it).
RECORD_ENV = "SSM_NOTIFIER_E2E_SERVER_RECORD"
REGION = "us-east-1"
# moto's server, taught what the run needs and moto lacks first (numbered workarounds 8 to 10).
EXTENDED_SERVER = Path(__file__).resolve().with_name("emulator_extensions.py")
START_TIMEOUT_SECONDS = 20.0
STOP_TIMEOUT_SECONDS = 5.0


def free_port() -> int:
    """A port nobody listens on right now (the kernel's choice) on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def port_is_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def process_is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, but is not ours
        return True
    # A zombie has exited; only its exit status is left for its parent to read.
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True


def _die_with_parent() -> None:
    """In the child, before exec: be sent SIGTERM when the process that started us dies.

    Covers what no `finally` can: the test run killed (SIGKILL) or ended by a signal Python does
    not turn into an exception (SIGTERM). Linux only; elsewhere the `with` block is the guard.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def client_environment(endpoint: str, region: str = REGION) -> dict[str, str]:
    """What every AWS client of the run (the CLI, boto3, the handler) is given.

    Dummy credentials, a fixed region, and config/credential files that do not exist, so a real
    ~/.aws of whoever runs the tests can neither point us at an account nor change the settings.
    `AWS_ENDPOINT_URL` sends every boto3 client (the handler's too) to the emulator.
    `AWS_ENDPOINT_URL_S3` is also needed by `aws cloudformation package`, whose S3 client ignores
    `--endpoint-url`.
    """
    nowhere = str(Path(tempfile.gettempdir()) / "ssm-notifier-e2e-no-aws-config")
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_CONFIG_FILE": nowhere,
        "AWS_SHARED_CREDENTIALS_FILE": nowhere,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ENDPOINT_URL_S3": endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PAGER": "",
    }


# Variables of the caller's environment that must not reach a client of the run.
SCRUBBED = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CA_BUNDLE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "http_proxy",
    "https_proxy",
)


class MotoServer:
    """moto's server (`emulator_extensions`) on 127.0.0.1 and a free port; a context manager."""

    def __init__(self, log_path: Path | None = None) -> None:
        self.log_path = log_path
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.last_pid: int | None = None  # of the last server started, for checks after stop()
        self._log_file = None

    @property
    def endpoint(self) -> str:
        # localhost, not 127.0.0.1: moto reads a path-style S3 TemplateURL only when its host
        # contains "localhost" (the URL `package` writes is built from this endpoint).
        return f"http://localhost:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
        env.update(client_environment(self.endpoint))
        env["NO_PROXY"] = env["no_proxy"] = "localhost,127.0.0.1"
        return env

    def __enter__(self) -> MotoServer:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        last_error: Exception | None = None
        for _ in range(3):  # another process may take the free port before the server binds it
            self.port = free_port()
            try:
                self._spawn()
                self._wait_until_ready()
                return
            except RuntimeError as error:
                last_error = error
                self.stop()
        raise RuntimeError(f"moto server did not start: {last_error}")

    def _spawn(self) -> None:
        if self.log_path is not None:
            self._log_file = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        env = self.env
        self.process = subprocess.Popen(
            [sys.executable, str(EXTENDED_SERVER), "-H", HOST, "-p", str(self.port)],
            stdin=subprocess.DEVNULL,
            stdout=self._log_file or subprocess.DEVNULL,
            stderr=subprocess.STDOUT if self._log_file else subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # its own process group: killpg ends it and its children
            preexec_fn=_die_with_parent,
        )
        self.last_pid = self.process.pid
        record = os.environ.get(RECORD_ENV)
        if record:  # for the tests that check no server outlives its run
            with open(record, "a") as lines:
                lines.write(f"{self.process.pid} {self.port}\n")

    def _wait_until_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        url = f"http://{HOST}:{self.port}/moto-api/data.json"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"exited with {self.process.returncode} (port {self.port})")
            with (
                contextlib.suppress(OSError, urllib.error.URLError),
                urllib.request.urlopen(url, timeout=1) as response,
            ):
                if response.status == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"not answering on {url} after {START_TIMEOUT_SECONDS:g} s")

    def stop(self) -> None:
        """End the server's process group and reap it; safe to call twice."""
        process, self.process = self.process, None
        if process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            # Anything left in the group (there should be nothing) goes too.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

"""`tox -e local` (tests/e2e/demo.py): what it shows, and that Ctrl-C leaves nothing behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from emulator import RECORD_ENV, REGION, process_is_running
from pipeline import FAILED_ERROR, FAILED_OUTPUT

pytestmark = pytest.mark.e2e

DEMO = Path(__file__).resolve().with_name("demo.py")
# Set in the demo's environment; every process it starts inherits it, so /proc finds them all.
MARKER = "SSM_NOTIFIER_DEMO_TEST_RUN"
DEMO_TIMEOUT_SECONDS = 240


def _demo_env(tmp_path: Path) -> tuple[dict[str, str], Path, str]:
    temp = tmp_path / "tmp"
    temp.mkdir()
    run_id = str(uuid.uuid4())
    env = {
        **os.environ,
        "TMPDIR": str(temp),
        RECORD_ENV: str(tmp_path / "servers"),
        MARKER: run_id,
        "PYTHONUNBUFFERED": "1",
    }
    return env, temp, run_id


def _processes_with(run_id: str) -> list[int]:
    """Our processes whose environment carries the run's marker (the demo's and its children)."""
    found = []
    needle = f"{MARKER}={run_id}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:  # gone, or not ours
            continue
        if needle in environ.split(b"\0") and process_is_running(int(entry.name)):
            found.append(int(entry.name))
    return found


def _assert_nothing_left(tmp_path: Path, temp: Path, run_id: str) -> None:
    deadline = time.monotonic() + 10
    while _processes_with(run_id) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_with(run_id) == [], "a process of the demo outlived it"
    for line in (tmp_path / "servers").read_text().splitlines():
        pid = int(line.split()[0])
        assert not process_is_running(pid), f"moto server {pid} still runs"
    assert sorted(p.name for p in temp.iterdir()) == [], "the demo left files in TMPDIR"


def test_demo_shows_the_failed_run_with_its_output_account_and_url_in_one_region(tmp_path):
    env, temp, run_id = _demo_env(tmp_path)
    run = subprocess.run(
        [sys.executable, str(DEMO)],
        env=env,
        capture_output=True,
        text=True,
        timeout=DEMO_TIMEOUT_SECONDS,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    out = run.stdout
    email = out[out.index("The email that would have been sent") :]
    email = email[: email.index("When the digest cannot be published")]
    for line in FAILED_OUTPUT.splitlines() + FAILED_ERROR.splitlines():
        assert f"|     | {line}" in email, f"{line!r} is not in the email"
    assert re.search(r"\| == \d{12} us-east-1 association ", email), "no 12-digit account id"
    assert re.search(r"output url https://s3\.", email)
    assert "output not fetched" not in out
    # Deployed with WatchRunCommand=true: a Run Command run is digested under its command, with
    # the failed instance's output fetched by the deployed handler through the emulator.
    command = out[out.index("The Run Command digest that would have been sent") :]
    assert re.search(
        r"\| == \d{12} us-east-1 Run Command [0-9a-f-]{36} \(AWS-UpdateSSMAgent\): "
        r"1 failed, 1 other",
        command,
    ), command[:2000]
    for line in FAILED_OUTPUT.splitlines() + FAILED_ERROR.splitlines():
        assert f"|     | {line}" in command, f"{line!r} is not in the Run Command digest"
    # The misspelled watched document the demo deploys with, named in the sweep's digest.
    sweep = out[out.index("The daily sweep, with") :]
    assert "| Watched documents that do not exist:" in sweep
    assert "|   AWS-UpdateSSMAgnet: does not exist" in sweep
    # Workarounds before anything is shown: no failing deploy is printed, one region throughout.
    assert "exit 255" not in out and "undefined resource" not in out
    regions = set(re.findall(r"\b(?:us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-\d\b", out))
    assert regions == {REGION}, regions
    assert "Traceback" not in run.stderr
    _assert_nothing_left(tmp_path, temp, run_id)


@pytest.mark.parametrize(
    "when",
    [
        "cloudformation package",  # deploying: the AWS CLI is running
        "A run of AWS-UpdateSSMAgent",  # the pipeline: the deployed code in-process
    ],
)
def test_ctrl_c_ends_the_demo_with_one_line_and_leaves_no_process_or_temp_dir(tmp_path, when):
    """Ctrl-C as a terminal sends it: SIGINT to the demo's whole process group."""
    env, temp, run_id = _demo_env(tmp_path)
    demo = subprocess.Popen(
        [sys.executable, str(DEMO)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert demo.stdout is not None
        seen = []
        for line in demo.stdout:
            seen.append(line)
            if when in line:
                break
        assert when in "".join(seen), "".join(seen)[-3000:]
        os.killpg(demo.pid, signal.SIGINT)
        rest, errors = demo.communicate(timeout=60)
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
    assert demo.returncode == 130, errors[-3000:]
    assert "Traceback" not in errors + rest
    assert [line for line in errors.splitlines() if line.strip()] == [
        "interrupted: moto server stopped, work files removed"
    ]
    _assert_nothing_left(tmp_path, temp, run_id)

"""No moto server outlives its run: not after success, a failing step, a failing fixture, or a
killed test process."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from deploy import ROOT, SOURCE_ENV
from emulator import RECORD_ENV, MotoServer, port_is_open, process_is_running

pytestmark = pytest.mark.e2e

HERE = Path(__file__).resolve().parent


def assert_gone(pid: int, port: int, within: float = 0.0) -> None:
    deadline = time.monotonic() + within
    while process_is_running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not process_is_running(pid), f"moto server {pid} is still running"
    assert not port_is_open(port), f"port {port} is still open"


def recorded_servers(record: Path) -> list[tuple[int, int]]:
    lines = record.read_text().split() if record.exists() else []
    return [(int(pid), int(port)) for pid, port in zip(lines[::2], lines[1::2], strict=True)]


def test_server_answers_on_localhost_and_is_stopped_after_the_block():
    with MotoServer() as moto:
        pid, port = moto.last_pid, moto.port
        assert moto.endpoint == f"http://localhost:{port}"
        assert port_is_open(port) and process_is_running(pid)
    assert_gone(pid, port)


@pytest.mark.parametrize("error", [RuntimeError("a step failed"), KeyboardInterrupt()])
def test_server_is_stopped_when_a_step_inside_fails(error):
    moto = MotoServer()
    with pytest.raises(type(error)), moto:
        assert port_is_open(moto.port)
        raise error
    assert moto.last_pid is not None
    assert_gone(moto.last_pid, moto.port)


def test_server_is_stopped_when_the_deploy_in_the_fixture_fails(tmp_path):
    """The real fixture, in a pytest of its own, deploying a tree whose generate.py fails."""
    broken = tmp_path / "broken"
    for name in ("templates", "handler"):
        shutil.copytree(ROOT / name, broken / name)
    shutil.copy2(ROOT / "README.md", broken / "README.md")
    (broken / "generate.py").write_text("raise SystemExit('deliberately broken for this test')\n")
    record = tmp_path / "servers"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"{HERE / 'test_local_stack.py'}::test_output_bucket_is_encrypted",
        ],
        cwd=ROOT,
        env={**os.environ, SOURCE_ENV: str(broken), RECORD_ENV: str(record)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "generate.py failed" in run.stdout
    assert "deliberately broken" in run.stdout
    ((pid, port),) = recorded_servers(record)
    assert_gone(pid, port)


def test_server_dies_with_a_test_process_that_is_killed(tmp_path):
    """SIGKILL runs no `finally`: the server is told by the kernel that its parent died."""
    record = tmp_path / "servers"
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(HERE)!r})
        from emulator import MotoServer
        server = MotoServer()
        server.__enter__()
        print("up", flush=True)
        time.sleep(60)
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script],
        env={**os.environ, RECORD_ENV: str(record)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "up"
        ((pid, port),) = recorded_servers(record)
        assert process_is_running(pid)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        if child.stdout:
            child.stdout.close()
    assert_gone(pid, port, within=10)

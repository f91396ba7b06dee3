"""Run the README's two commands as a new user would: each in a new `bash -c`, in order.

    python .ci/readme_commands.py --here [--python PY]    in this checkout (what .ci/run does)
    python .ci/readme_commands.py [--python PY ...]       in a fresh clone of HEAD (tox -e fresh)

`python3` in the commands is PY: by default the oldest supported interpreter the machine has,
Debian 12's /usr/bin/python3 (3.11.2), else the python3 on PATH. A fresh clone also gets a fresh
HOME and PATH=/usr/local/bin:/usr/bin:/bin, so nothing installed by hand can help. Exits with the
first failing command's status. Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## The two commands"
FRESH_PATH = "/usr/local/bin:/usr/bin:/bin"


def readme_commands(readme: str) -> list[str]:
    """The command lines of the first ```sh block under the README's two-commands heading."""
    _, found, rest = readme.partition(f"\n{SECTION}\n")
    if not found:
        raise ValueError(f"README.md has no '{SECTION}' section")
    _, opened, rest = rest.partition("```sh\n")
    block, closed, _ = rest.partition("```")
    if not (opened and closed):
        raise ValueError(f"'{SECTION}' has no ```sh block")
    lines = [line.strip() for line in block.splitlines()]
    commands = [line for line in lines if line and not line.startswith("#")]
    if len(commands) != 2:
        raise ValueError(f"'{SECTION}' shows {len(commands)} commands, not 2: {commands}")
    return commands


def oldest_python() -> str:
    return "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else "python3"


def run_commands(commands: list[str], cwd: Path, python: str, env: dict[str, str]) -> int:
    """Run each command in a new `bash -c`, `python3` being `python`; stop at the first failure."""
    with tempfile.TemporaryDirectory(prefix="readme-python-") as shim:
        # A wrapper, not a symlink, so a venv made by `python3 -m venv` points at the real one.
        wrapper = Path(shim, "python3")
        wrapper.write_text(f'#!/bin/sh\nexec {shlex.quote(python)} "$@"\n')
        wrapper.chmod(0o755)
        env = {**env, "PATH": f"{shim}:{env['PATH']}"}
        for number, command in enumerate(commands, 1):
            print(f"\n$ {command}", flush=True)
            started = time.monotonic()
            status = subprocess.run(["bash", "-c", command], cwd=cwd, env=env).returncode
            seconds = time.monotonic() - started
            print(f"command {number}: exit {status} in {seconds:.0f} s", flush=True)
            if status:
                return status
    return 0


def python_version(python: str) -> str:
    args = [python, "-c", "import platform; print(platform.python_version())"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip()


def in_fresh_clone(commands: list[str], python: str) -> tuple[int, float]:
    """Clone HEAD into a temp dir and run the commands there with a fresh HOME and a bare PATH.

    Returns the exit status and the seconds from clone to the end of the last command (the
    temp dir's removal afterwards, a few GB, is not counted).
    """
    with tempfile.TemporaryDirectory(prefix="fresh-clone-") as scratch:
        started = time.monotonic()
        clone, home = Path(scratch, "repo"), Path(scratch, "home")
        home.mkdir()
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        env = {"HOME": str(home), "PATH": FRESH_PATH, "LANG": "C.UTF-8"}
        status = run_commands(commands, clone, python, env)
        return status, time.monotonic() - started


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--here", action="store_true", help="run in this checkout, not a clone")
    parser.add_argument("--python", action="append", help="interpreter to be python3 (repeatable)")
    args = parser.parse_args(argv)
    commands = readme_commands((ROOT / "README.md").read_text())
    pythons = args.python or [oldest_python()]
    if args.here:
        return run_commands(commands, ROOT, pythons[0], dict(os.environ))
    statuses, summary = [], []
    for python in pythons:
        python = shutil.which(python) or python
        version = python_version(python)
        print(f"== fresh clone of HEAD, python3 = {python} ({version})", flush=True)
        status, seconds = in_fresh_clone(commands, python)
        statuses.append(status)
        summary.append(f"Python {version} ({python}): exit {statuses[-1]} in {seconds:.0f} s")
    print("\n" + "\n".join(summary))
    return next((status for status in statuses if status), 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

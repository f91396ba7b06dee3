"""Check templates against policy/invariants.guard with CloudFormation Guard (cfn-guard 3).

    python -m policy.guard [TEMPLATE ...]    default: every template in build/

Prints one line per broken rule and exits 1 if any rule fails.
"""

from __future__ import annotations

import atexit
import functools
import json
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib import metadata
from pathlib import Path

from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parent.parent
RULES_FILE = Path(__file__).resolve().parent / "invariants.guard"

# cfn-guard's own static binaries, as AWS's cdklabs validator package ships them on PyPI. The
# Python binding cfn_guard_rs has no wheel for Python 3.13 or newer; a binary works on any Python.
GUARD_PACKAGE = "cdklabs.cdk-validator-cfnguard"
GUARD_SYSTEMS = {"Linux": "ubuntu", "Darwin": "macos"}
GUARD_MACHINES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}
GUARD_EXIT_PASS, GUARD_EXIT_FAIL = 0, 19


@functools.cache
def guard_binary() -> Path:
    """This platform's cfn-guard, unpacked once per process from the installed package."""
    system = GUARD_SYSTEMS.get(platform.system())
    machine = GUARD_MACHINES.get(platform.machine().lower())
    if not (system and machine):
        raise RuntimeError(f"no cfn-guard binary for {platform.system()} {platform.machine()}")
    package = metadata.distribution(GUARD_PACKAGE)
    bundle = next(file for file in package.files or [] if file.name.endswith(".jsii.tgz"))
    scratch = tempfile.mkdtemp(prefix="cfn-guard-")
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    binary = Path(scratch, "cfn-guard")
    with tarfile.open(package.locate_file(bundle)) as tar:
        member = tar.extractfile(f"package/bin/{system}/{machine}/cfn-guard")
        binary.write_bytes(member.read())
    binary.chmod(0o755)
    return binary


def guard_report(template: dict, rules: str) -> dict:
    """cfn-guard's JSON report of one template against the rules; an error if it cannot run."""
    payload = json.dumps({"rules": [rules], "data": [json.dumps(template)]})
    args = [guard_binary(), "validate", "--payload", "--output-format", "json"]
    args += ["--show-summary", "none"]
    result = subprocess.run(args, input=payload, capture_output=True, text=True, timeout=60)
    if result.returncode not in (GUARD_EXIT_PASS, GUARD_EXIT_FAIL):
        raise RuntimeError(f"cfn-guard exit {result.returncode}: {result.stderr.strip()}")
    return json.loads(result.stdout)


def load_template(path: Path) -> dict:
    """A template as CloudFormation reads it (short-form tags like !Ref expanded)."""
    template, problems = decode(str(path))
    if problems:
        raise ValueError(f"{path}: cannot be read: {problems[0]}")
    return json.loads(json.dumps(template, default=str))


def failed_rules(template: dict, rules: str | None = None) -> dict[str, list[str]]:
    """Rule name -> messages of the checks it failed; empty when the template complies.

    The custom messages are read from the raw JSON report, where disjunctions nest them deeper.
    """
    rules = RULES_FILE.read_text() if rules is None else rules
    report = guard_report(template, rules)
    failures: dict[str, list[str]] = {}
    for entry in report.get("not_compliant", []):
        rule = entry["Rule"]
        failures[rule["name"]] = sorted(set(_messages(rule)))
    return failures


def _messages(node) -> list[str]:
    found = []
    if isinstance(node, dict):
        messages = node.get("messages")
        if isinstance(messages, dict) and messages.get("custom_message"):
            found.append(messages["custom_message"].strip())
        for value in node.values():
            found += _messages(value)
    elif isinstance(node, list):
        for value in node:
            found += _messages(value)
    return found


def main(argv: list[str]) -> int:
    paths = [Path(arg) for arg in argv] or sorted((ROOT / "build").glob("*.yaml"))
    broken = 0
    for path in paths:
        for rule, messages in failed_rules(load_template(path)).items():
            broken += 1
            print(f"{path.name}: {rule}: {'; '.join(messages) or 'failed'}")
    print(f"guard: {len(paths)} templates, {broken} broken rules")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

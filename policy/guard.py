"""Check templates against policy/invariants.guard with CloudFormation Guard (cfn-guard-rs).

    python -m policy.guard [TEMPLATE ...]    default: every template in build/

Prints one line per broken rule and exits 1 if any rule fails.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from cfn_guard_rs.cfn_guard_rs import run_checks_rs
from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parent.parent
RULES_FILE = Path(__file__).resolve().parent / "invariants.guard"


def load_template(path: Path) -> dict:
    """A template as CloudFormation reads it (short-form tags like !Ref expanded)."""
    template, problems = decode(str(path))
    if problems:
        raise ValueError(f"{path}: cannot be read: {problems[0]}")
    return json.loads(json.dumps(template, default=str))


def failed_rules(template: dict, rules: str | None = None) -> dict[str, list[str]]:
    """Rule name -> messages of the checks it failed; empty when the template complies.

    cfn-guard-rs's Python report classes cannot read reports with disjunctions, so the raw JSON
    report is read here instead.
    """
    rules = RULES_FILE.read_text() if rules is None else rules
    raw = run_checks_rs(json.dumps(template), rules, False)
    try:
        report = json.loads(raw)
    except json.JSONDecodeError as error:
        # cfn-guard-rs returns a broken report past 64 KiB, or when one clause fails on a missing
        # key: write rules whose failures report small values (see invariants.guard).
        raise RuntimeError(f"cfn-guard-rs returned an unreadable report: {raw[:200]!r}") from error
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

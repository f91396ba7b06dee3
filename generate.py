"""Write the CloudFormation templates of the SSM association notifier into build/.

    python generate.py          write build/ and the README's generated sections
    python generate.py --check  exit 1 naming each stale file (build/ or README.md)

Deploy build/parent.yaml with `aws cloudformation package` + `aws cloudformation deploy`
(see README.md).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from troposphere import Template

from templates.config import Config, ConfigError
from templates.parent import build_all
from templates.readme import architecture, sections

ROOT = Path(__file__).resolve().parent
BUILD_DIR = ROOT / "build"
README = ROOT / "README.md"
DIAGRAM_FILE = "architecture.mmd"
GENERATED_FILES = ("*.yaml", "*.mmd")


def render(templates: dict[str, Template]) -> dict[str, str]:
    """build/ file name -> text. Pure: the same templates give the same bytes."""
    files = {name: template.to_yaml() for name, template in templates.items()}
    files[DIAGRAM_FILE] = architecture(as_dicts(templates))
    return files


def render_readme(templates: dict[str, Template], readme: str) -> str:
    """README.md with every `<!-- generated:NAME -->` section rewritten from the templates."""
    generated = sections(as_dicts(templates)) | {"sample-email": sample_email()}
    for name, text in generated.items():
        pattern = re.compile(
            rf"(<!-- generated:{name} -->\n).*?(<!-- /generated:{name} -->)", re.DOTALL
        )
        if not pattern.search(readme):
            raise ValueError(f"README.md has no <!-- generated:{name} --> section")
        readme = pattern.sub(
            lambda match, text=text: match.group(1) + text + match.group(2), readme
        )
    return readme


def as_dicts(templates: dict[str, Template]) -> dict[str, dict]:
    return {name: template.to_dict() for name, template in templates.items()}


def stale_files(rendered: dict[str, str], build_dir: Path) -> list[str]:
    stale = []
    for name, text in rendered.items():
        path = build_dir / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            stale.append(name)
    present = {p.name for pattern in GENERATED_FILES for p in build_dir.glob(pattern)}
    stale += sorted(present - set(rendered))
    return stale


def write(rendered: dict[str, str], build_dir: Path) -> None:
    build_dir.mkdir(exist_ok=True)
    for name, text in rendered.items():
        (build_dir / name).write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 if build/ or README.md differs from what the code generates",
    )
    args = parser.parse_args(argv)

    config = Config()
    try:
        templates = build_all(config)
    except ConfigError as error:
        print(f"generate.py: bad config: {error}", file=sys.stderr)
        return 2
    rendered = render(templates)
    readme_now = README.read_text(encoding="utf-8")
    readme = render_readme(templates, readme_now)

    if args.check:
        stale = [f"build/{name}" for name in stale_files(rendered, BUILD_DIR)]
        stale += ["README.md"] if readme != readme_now else []
        for name in stale:
            print(f"stale: {name} (run python generate.py)", file=sys.stderr)
        if not stale:
            print(f"build/ and README.md are up to date ({len(rendered)} files)")
        return 1 if stale else 0

    write(rendered, BUILD_DIR)
    README.write_text(readme, encoding="utf-8")
    for name, text in rendered.items():
        what = (
            f"{len(templates[name].resources):>3} resources"
            if name in templates
            else "  diagram    "
        )
        print(f"build/{name:<20} {what} {len(text.encode()):>7,} bytes")
    return 0


# --- A sample email, produced by the notifier's own code ------------------------------------------

SAMPLE_ASSOCIATION = "8dfe3659-4309-493a-8755-0123456789ab"
SAMPLE_REGION, SAMPLE_ACCOUNT = "us-east-1", "123456789012"
# What the seed's blog saw in Run Command history when the target version did not exist.
SAMPLE_FAILED_OUTPUT = """Successfully downloaded manifest
Successfully downloaded updater version 3.1.459.0
Updating amazon-ssm-agent from 3.1.459.0 to 100000
amazon-ssm-agent target version 100000 is unsupported on current platform
Failed to update amazon-ssm-agent to 100000
No rollback needed
"""


def sample_email() -> str:
    """The digest the notifier publishes for one run on two instances, one of them failed.

    The real handler (`process_batch`) runs on SQS records shaped like AWS's sample events,
    with a stand-in SSM client that returns the blog's failure output and a stand-in SNS client
    that keeps what is published; nothing leaves the machine.
    """
    sys.path.insert(0, str(ROOT / "handler"))
    from ssm_notifier.notify import process_batch
    from ssm_notifier.settings import load_settings

    records = [
        _sample_record("i-0b22a22eec53b9321", "Success", "Success", "", ""),
        _sample_record(
            "i-0f3c5a1d2e4b6f789",
            "Failed",
            "Failed",
            "ExecutionError",
            "1 out of 1 plugin processed, 0 success, 1 failed, 0 timedout, 0 skipped. "
            "The operation aws:updateSsmAgent failed because Failed to update "
            "amazon-ssm-agent to 100000.",
        ),
    ]
    published: list[dict] = []
    # A clock that the pacing waits move forward, so the sample takes no real time.
    now = [0.0]
    settings = load_settings(
        {"TOPIC_ARN": f"arn:aws:sns:{SAMPLE_REGION}:{SAMPLE_ACCOUNT}:ssm-notifier-Topic"}
    )
    handler_logger = logging.getLogger("ssm_notifier")
    handler_logger.disabled = True  # its JSON log lines are not part of generate.py's output
    try:
        result = process_batch(
            records,
            settings,
            ssm=_SampleSsm(),
            sns=_SampleSns(published),
            clock=lambda: now[0],
            sleep=lambda seconds: now.__setitem__(0, now[0] + seconds),
        )
    finally:
        handler_logger.disabled = False
    assert result == {"batchItemFailures": []} and len(published) == 1, (result, published)
    (message,) = published
    return f"```\nSubject: {message['Subject']}\n\n{message['Message'].rstrip()}\n```\n"


def _sample_record(instance: str, status: str, detailed: str, error: str, summary: str) -> dict:
    event = {
        "version": "0",
        "id": f"6a7e8feb-b491-4cf7-a9f1-{instance[-12:]}",
        "detail-type": "EC2 State Manager Instance Association State Change",
        "source": "aws.ssm",
        "account": SAMPLE_ACCOUNT,
        "time": "2026-11-01T02:04:31Z",
        "region": SAMPLE_REGION,
        "resources": [
            f"arn:aws:ec2:{SAMPLE_REGION}:{SAMPLE_ACCOUNT}:instance/{instance}",
            f"arn:aws:ssm:{SAMPLE_REGION}::document/AWS-UpdateSSMAgent",
        ],
        "detail": {
            "association-id": SAMPLE_ASSOCIATION,
            "instance-id": instance,
            "document-name": "AWS-UpdateSSMAgent",
            "document-version": "1",
            "targets": '[{"key":"tag:ssm-notifier:fleet","values":["ssm-notifier"]}]',
            "creation-date": "2026-10-18T02:00:05.118Z",
            "last-successful-execution-date": "2026-10-18T02:01:12.602Z",
            "last-execution-date": "2026-11-01T02:04:29.004Z",
            "status": status,
            "detailed-status": detailed,
            "error-code": error,
            "execution-summary": summary,
            "output-url": f"https://s3.console.aws.amazon.com/s3/object/ssm-notifier-output"
            f"?prefix=ssm-agent-update/{instance}/",
            "instance-association-cwe-version": "1.0",
        },
    }
    return {
        "messageId": f"059f36b4-87a3-44ab-83d2-{instance[-12:]}",
        "receiptHandle": "AQEB...",
        "body": json.dumps(event),
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{SAMPLE_REGION}:{SAMPLE_ACCOUNT}:ssm-notifier-Queue",
        "awsRegion": SAMPLE_REGION,
    }


class _SampleSsm:
    def describe_association_executions(self, **_):
        return {
            "AssociationExecutions": [
                {
                    "ExecutionId": "7abb6378-a4a5-4f10-8312-0123456789ab",
                    "CreatedTime": datetime(2026, 11, 1, 2, 4, 0, tzinfo=UTC),
                }
            ]
        }

    def describe_association_execution_targets(self, **_):
        return {
            "AssociationExecutionTargets": [
                {
                    "OutputSource": {
                        "OutputSourceId": "97fff367-fc5a-4299-aed8-0123456789ab",
                        "OutputSourceType": "RunCommand",
                    }
                }
            ]
        }

    def get_command_invocation(self, **_):
        return {"StandardOutputContent": SAMPLE_FAILED_OUTPUT, "StandardErrorContent": ""}


class _SampleSns:
    def __init__(self, published: list[dict]) -> None:
        self._published = published

    def publish(self, **message):
        self._published.append(message)
        return {"MessageId": f"sample-{len(self._published)}"}


if __name__ == "__main__":
    sys.exit(main())

"""Chat payloads and filtered routes on the deployed digest topic, with the deployed code's modules.

Until the notifier publishes through routing.py (the pipeline integration, branch h-scale2), the
deployed notifier publishes the email alone. So the harness takes what it published (subject and
body) and the events it digested, makes the inbox.Email that the pipeline will plan for them, and
publishes it through the deployed zip's own `routing.publish_arguments` to the deployed topic:
the chat payload printed is the `https` value SNS hands Amazon Q Developer, and the filtered
subscriptions below receive exactly what SNS's filter policies admit. After the merge, the lead
replaces `digest_of` with the pipeline's own planned emails (README, "Chat", for the steps).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pipeline import Email, Pipeline

# A second account, as a hub's digest of a member account names it (the emulator has one account).
OTHER_ACCOUNT = "210987654321"
FAILURES_ONLY = {"worst_status": ["Failed", "TimedOut"]}


@dataclass
class Published:
    name: str
    subject: str
    chat: str  # the https value: what Amazon Q Developer's subscription receives
    default: str  # what every other subscriber receives: the email text


def digest_of(events: list[dict[str, Any]], email: Email, modules: Any, **changes: str) -> Any:
    """The inbox.Email for `events` with the subject and body the notifier sent."""
    inbox = modules.inbox
    entries = []
    for event in events:
        detail = event["detail"]
        status = changes.get("status", detail["status"])
        entries.append(
            inbox.Entry(
                account=changes.get("account", event.get("account", "")),
                region=event["region"],
                association_id=detail["association-id"],
                document_name=detail["document-name"],
                instance_id=detail["instance-id"],
                status=status,
                classification="new" if status in inbox.FAILED_STATUSES else "ok",
                last_execution=detail["last-execution-date"],
                error_code=detail.get("error-code", "") if status != "Success" else "",
                summary=detail.get("execution-summary", "") if status != "Success" else "",
            )
        )
    return inbox.Email(email.subject, email.body, entries, len(entries))


def planned(digest: Any, links: Any, modules: Any) -> Any:
    """The email the pipeline's model plans for these entries (what it sends after the merge)."""
    with modules.code:
        (email,) = modules.inbox.plan_emails(
            digest.entries, links, budget_bytes=modules.routing.EMAIL_BUDGET_BYTES
        )
    return email


def links_for(events: list[dict[str, Any]], modules: Any) -> Any:
    # No S3 report yet in today's notifier: the association's State Manager page stands in.
    detail, region = events[0]["detail"], events[0]["region"]
    page = (
        "https://console.aws.amazon.com/systems-manager/state-manager/"
        f"{detail['association-id']}/description?region={region}"
    )
    return modules.inbox.Links(page, {})


class Modules:
    """The deployed zip's ssm_notifier modules (not the work tree's), while `with code:` holds."""

    def __init__(self, pipeline: Pipeline) -> None:
        import importlib

        self.code = pipeline._deployed_handler("ssm_notifier.notify.lambda_handler")
        with self.code:
            self.inbox = importlib.import_module("ssm_notifier.inbox")
            self.chat = importlib.import_module("ssm_notifier.chat")
            self.routing = importlib.import_module("ssm_notifier.routing")
        origin = self.routing.__file__ or ""
        if str(pipeline.deployment.workdir) not in origin:
            raise AssertionError(f"routing.py came from {origin}, not the deployed zip")


def subscribe_filtered(pipeline: Pipeline, name: str, policy: dict | None) -> str:
    """A queue subscribed to the deployed topic with `policy` on the message attributes."""
    sqs, sns = pipeline.sqs, pipeline.sns
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    attributes = {"RawMessageDelivery": "true"}
    if policy is not None:
        attributes |= {
            "FilterPolicy": json.dumps(policy),
            "FilterPolicyScope": "MessageAttributes",
        }
    sns.subscribe(
        TopicArn=pipeline.topic_arn,
        Protocol="sqs",
        Endpoint=arn["QueueArn"],
        Attributes=attributes,
    )
    return url


def publish(pipeline: Pipeline, modules: Any, name: str, digest: Any, links: Any) -> Published:
    with modules.code:
        arguments = modules.routing.publish_arguments(pipeline.topic_arn, digest, links)
    pipeline.sns.publish(**arguments)
    structure = json.loads(arguments["Message"])
    return Published(name, arguments["Subject"], structure["https"], structure["default"])


def received(pipeline: Pipeline, url: str, published: list[Published]) -> list[str]:
    """Which of `published` the queue got (raw delivery: the body is the message itself)."""
    names = []
    while messages := pipeline.sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0
    ).get("Messages", []):
        for message in messages:
            matches = [p.name for p in published if p.default == message["Body"]]
            names.append(matches[0] if len(matches) == 1 else "unrecognised")
            pipeline.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return sorted(names)

"""The settings that decide whether a notification can be lost or delayed, read back from the
rendered templates (not from the config that produced them), for the README's settings table and
its Fleet scale paragraph: prose that quotes a value cannot drift from the template."""

from __future__ import annotations

import math

NOTIFICATIONS, SWEEP = "notifications.yaml", "sweep.yaml"
FLEET_EVENTS = 10_000  # the fleet the Fleet scale paragraph (and `tox -e fleet`) speaks of

# (what it is, template, resource, property path, unit, why it matters)
SETTINGS = [
    (
        "receives before an event is dead-lettered",
        NOTIFICATIONS,
        "Queue",
        ("RedrivePolicy", "maxReceiveCount"),
        "",
        "after this many receives the queue moves an event to the dead-letter queue (alarmed)",
    ),
    (
        "queue visibility timeout",
        NOTIFICATIONS,
        "Queue",
        ("VisibilityTimeout",),
        "s",
        "six times the notifier's timeout plus the batching window: no redelivery mid-batch",
    ),
    (
        "queue retention",
        NOTIFICATIONS,
        "Queue",
        ("MessageRetentionPeriod",),
        "s",
        "how long an event waits for the notifier",
    ),
    (
        "dead-letter retention",
        NOTIFICATIONS,
        "DeadLetterQueue",
        ("MessageRetentionPeriod",),
        "s",
        "the most SQS keeps a message: time to fix the cause and replay",
    ),
    (
        "rule target retry attempts",
        NOTIFICATIONS,
        "Rule",
        ("Targets", 0, "RetryPolicy", "MaximumRetryAttempts"),
        "",
        "EventBridge retries a failed delivery to the queue this often, then dead-letters it",
    ),
    (
        "rule target maximum event age",
        NOTIFICATIONS,
        "Rule",
        ("Targets", 0, "RetryPolicy", "MaximumEventAgeInSeconds"),
        "s",
        "and for at most this long",
    ),
    (
        "notifier timeout",
        NOTIFICATIONS,
        "Function",
        ("Timeout",),
        "s",
        "a batch not done by then is redelivered whole",
    ),
    (
        "batch size",
        NOTIFICATIONS,
        "QueueEventSource",
        ("BatchSize",),
        "events",
        "events per invocation, so a fleet's run becomes a few digests",
    ),
    (
        "batching window",
        NOTIFICATIONS,
        "QueueEventSource",
        ("MaximumBatchingWindowInSeconds",),
        "s",
        "how long the event source mapping gathers a batch",
    ),
    (
        "maximum concurrency",
        NOTIFICATIONS,
        "QueueEventSource",
        ("ScalingConfig", "MaximumConcurrency"),
        "invocations",
        "at most this many digests at once: the email endpoint's 10-a-second limit is safe",
    ),
    (
        "sweep timeout",
        SWEEP,
        "SweepFunction",
        ("Timeout",),
        "s",
        "one sweep of every watched association",
    ),
    (
        "sweep target retry attempts",
        SWEEP,
        "SweepRule",
        ("Targets", 0, "RetryPolicy", "MaximumRetryAttempts"),
        "",
        "EventBridge retries starting a sweep this often, then records it in the failure queue",
    ),
]


def setting(rendered: dict[str, dict], file_name: str, resource: str, path: tuple) -> object:
    value = rendered[file_name]["Resources"][resource]["Properties"]
    for step in path:
        value = value[step]
    return value


def settings_table(rendered: dict[str, dict]) -> str:
    rows = ["| setting | value | in | why |", "| --- | --- | --- | --- |"]
    for what, file_name, resource, path, unit, why in SETTINGS:
        value = setting(rendered, file_name, resource, path)
        shown = f"{value:,}" + (f" {unit}" if unit else "")
        where = f"`{file_name.removesuffix('.yaml')}` `{resource}.{'.'.join(map(str, path))}`"
        rows.append(f"| {what} | {shown} | {where} | {why} |")
    return "\n".join(rows) + "\n"


def fleet_scale(rendered: dict[str, dict]) -> str:
    """The Fleet scale paragraph's opening, with the event source mapping's own numbers."""
    mapping = rendered[NOTIFICATIONS]["Resources"]["QueueEventSource"]["Properties"]
    batch = mapping["BatchSize"]
    window = mapping["MaximumBatchingWindowInSeconds"]
    concurrency = mapping["ScalingConfig"]["MaximumConcurrency"]
    return wrap(
        "An email endpoint that receives more than 10 messages a second is suspended, so the "
        f"pipeline batches: the event source mapping takes up to {batch:,} events at a time with "
        f"a {window}-second batching window, runs at most {concurrency} invocations at once "
        "(`MaximumConcurrency`), and each invocation publishes at most one message a second and "
        "returns no sooner than a second after its last publish. A run on "
        f"{FLEET_EVENTS:,} instances becomes about {math.ceil(FLEET_EVENTS / batch)} emails, "
        f"never more than {concurrency} in any second."
    )


def wrap(text: str, width: int = 100) -> str:
    """Greedy line filling at the README's width (textwrap would cost an import for this)."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines) + "\n"

"""Which run kinds the notifications stack's rule sends to the queue: association runs always,
Run Command invocations and maintenance window task target invocations when their parameters say.

Only the per-instance (per-target) event of each kind is matched, and only its final statuses, so
no event that the digest would not report reaches the queue (each one costs a delivery, a receive
and a Lambda share):

- "EC2 Command Invocation Status-change Notification" (one instance's invocation of a command):
  statuses Success, Failed, TimedOut, Cancelled (CommandInvocationStatus without Pending,
  InProgress, Delayed, Cancelling); documents as WatchedDocuments, since the event names its
  document. The command-level "EC2 Command Status-change Notification" names no instance: not
  matched.
- "Maintenance Window Task Target Invocation State-change Notification" (one task invocation on
  one window target): statuses SUCCESS, FAILED, TIMED_OUT, CANCELLED (not IN_PROGRESS); any
  document, since the event names none. The window-level and task-level execution events are
  summaries of these: not matched.

With both parameters false (the default) the rule's pattern is the association pattern alone,
exactly as before; otherwise one `$or` of the watched kinds, so the rule, its alarms and the
queue policy stay one. The hub bus's rule and the spokes' forward rules use the same pattern
(Scope=organization): a member's Run Command and window runs reach the hub as its association
runs do.
"""

from __future__ import annotations

from troposphere import Equals, If, NoValue, Or, Parameter, Ref, Template

from templates import parameters
from templates.common import association_event_pattern

COMMAND_DETAIL_TYPE = "EC2 Command Invocation Status-change Notification"
WINDOW_DETAIL_TYPE = "Maintenance Window Task Target Invocation State-change Notification"
COMMAND_FINAL_STATUSES = ["Success", "Failed", "TimedOut", "Cancelled"]
WINDOW_FINAL_STATUSES = ["SUCCESS", "FAILED", "TIMED_OUT", "CANCELLED"]
WATCHES_RUN_COMMAND = "WatchesRunCommand"
WATCHES_MAINTENANCE_WINDOWS = "WatchesMaintenanceWindows"
WATCHES_OTHER_RUNS = "WatchesOtherRuns"


def declare(template: Template) -> tuple[Parameter, Parameter]:
    """The two parameters and their conditions: (WatchRunCommand, WatchMaintenanceWindows)."""
    run_command = template.add_parameter(parameters.watch_run_command())
    windows = template.add_parameter(parameters.watch_maintenance_windows())
    template.add_condition(WATCHES_RUN_COMMAND, Equals(Ref(run_command), "true"))
    template.add_condition(WATCHES_MAINTENANCE_WINDOWS, Equals(Ref(windows), "true"))
    template.add_condition(
        WATCHES_OTHER_RUNS,
        Or({"Condition": WATCHES_RUN_COMMAND}, {"Condition": WATCHES_MAINTENANCE_WINDOWS}),
    )
    return run_command, windows


def event_pattern(documents, statuses) -> If:
    """The rule's pattern: the association runs of `documents` in `statuses`, and the watched
    kinds' final runs (conditions from `declare`)."""
    only_associations = association_event_pattern(documents, statuses)
    association = {key: value for key, value in only_associations.items() if key != "source"}
    run_command = {
        "detail-type": [COMMAND_DETAIL_TYPE],
        "detail": {"status": COMMAND_FINAL_STATUSES, "document-name": documents},
    }
    windows = {"detail-type": [WINDOW_DETAIL_TYPE], "detail": {"status": WINDOW_FINAL_STATUSES}}
    return If(
        WATCHES_OTHER_RUNS,
        {
            "source": ["aws.ssm"],
            "$or": [
                association,
                If(WATCHES_RUN_COMMAND, run_command, NoValue),
                If(WATCHES_MAINTENANCE_WINDOWS, windows, NoValue),
            ],
        },
        only_associations,
    )


def function_variables(run_command: Parameter, windows: Parameter) -> dict[str, Ref]:
    """What the notifier reads (settings.py): an event of a kind not watched is dropped."""
    return {
        "WATCH_RUN_COMMAND": Ref(run_command),
        "WATCH_MAINTENANCE_WINDOWS": Ref(windows),
    }

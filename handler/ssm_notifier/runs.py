"""Name the kinds of run a digest groups by: an association, a Run Command command, a window.

The state table, the reports and the digest key a run by (account, region, run id). An
association's run id is its id, a UUID; the other kinds carry a prefix, so their keys never
collide with an association's (state.py's INSTANCE# and RUN# items, reports' keys):

  command:<command id>          Run Command ("EC2 Command Invocation Status-change Notification")
  window:<window execution id>  maintenance window task target invocations ("Maintenance Window
                                Task Target Invocation State-change Notification")
"""

from __future__ import annotations

from .neutral import one_line
from .text import ID_CHARS

ASSOCIATION = "association"
COMMAND = "command"
WINDOW = "window"
KINDS = (ASSOCIATION, COMMAND, WINDOW)
_PREFIXES = {COMMAND: "command:", WINDOW: "window:"}


def run_id(kind: str, identifier: str) -> str:
    """The run id of `identifier` (an association id, a command id, a window execution id)."""
    return _PREFIXES.get(kind, "") + identifier


def kind_of(run_id_: str) -> str:
    for kind, prefix in _PREFIXES.items():
        if run_id_.startswith(prefix):
            return kind
    return ASSOCIATION


def identifier_of(run_id_: str) -> str:
    return run_id_.removeprefix(_PREFIXES.get(kind_of(run_id_), ""))


def heading(run_id_: str, document_name: str) -> str:
    """How a digest and a report name the run, every part neutralised:
    `association ID (DOCUMENT)`, `Run Command ID (DOCUMENT)`, or
    `maintenance window WINDOW execution ID` (a window event's document_name is its window id)."""
    kind = kind_of(run_id_)
    shown = one_line(identifier_of(run_id_), ID_CHARS)
    named = one_line(document_name, ID_CHARS)
    if kind == COMMAND:
        return f"Run Command {shown} ({named})"
    if kind == WINDOW:
        return f"maintenance window {named or '(unnamed)'} execution {shown}"
    return f"association {shown} ({named})"

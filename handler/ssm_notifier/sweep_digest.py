"""The sweep's digest: the subject and plain-text body of a SweepReport (missed instances, and what
could not be checked). Pure; built from the same `text` helpers as the notifier's digest.
"""

from __future__ import annotations

from . import text
from .periods import duration_text
from .sweep_check import AssociationResult, SweepReport
from .targets import InstanceState

# Room in the message for the "could not check" and "targets not checked" sections.
PROBLEMS_BUDGET_BYTES = 30_000


def subject(report: SweepReport) -> str:
    """E.g. `[SSM] 2 instances missed by AWS-UpdateSSMAgent`: printable ASCII, at most 99 chars."""
    failed = len(report.not_checked)
    if report.missed_count:
        documents = sorted({result.document for result in report.missed})
        head = f"[SSM] {text.counted(report.missed_count, 'instance')} missed by "
        tail = f" ({text.counted(failed, 'check')} failed)" if failed else ""
    else:
        documents = sorted({result.document for result in report.not_checked})
        head = "[SSM] Sweep of "
        tail = f": {text.counted(failed, 'check')} failed"
    if not documents:
        return "[SSM] Sweep: nothing missed"
    name = text.ascii_text(documents[0] if len(documents) == 1 else f"{len(documents)} documents")
    room = text.SUBJECT_MAX_CHARS - len(head) - len(tail)
    if room >= 12:
        return head + text.shorten(name, room) + tail
    return text.shorten(text.ascii_text(head + name + tail), text.SUBJECT_MAX_CHARS)


def message(report: SweepReport, budget_bytes: int = text.MESSAGE_BUDGET_BYTES) -> str:
    """The plain-text body, at most `budget_bytes` UTF-8 bytes.

    What could not be checked keeps its own bounded share; instances that do not fit are counted
    in an "... and N more" line.
    """
    header = text.clean(_header(report))
    problems = text.clean(_problems(report, min(PROBLEMS_BUDGET_BYTES, budget_bytes // 4)))
    used = text.utf8_size(header) + text.utf8_size(problems) + 2
    room = budget_bytes - text.OMISSION_LINES_BYTES - used
    lines: list[str] = []
    shown = 0
    for result in report.missed:
        section = text.clean(_section(result, report))
        for index, state in enumerate(result.missed):
            instance = text.clean(_instance_text(state, report))
            needed = text.utf8_size(instance) + 1
            if index == 0:
                needed += text.utf8_size(section) + 1
            if needed > room:
                break
            if index == 0:
                lines.append(section)
            lines.append(instance)
            room -= needed
            shown += 1
        else:
            continue
        break
    hidden = report.missed_count - shown
    if hidden:
        lines.append(text.more_instances(hidden) + "\n")
    return "\n".join([header, *lines, problems]).rstrip() + "\n"


def _header(report: SweepReport) -> str:
    checked = [r for r in report.results if r.association_id and not r.error and not r.unresolved]
    documents = sorted({result.document for result in report.results})
    lines = [
        f"SSM missed-instance sweep: {text.counted(report.missed_count, 'instance')} missed by "
        f"{text.counted(len(report.missed), 'association')}",
        "",
        "Instances a watched association targets but that did not run in its last schedule",
        "period. SSM sends no event for them: stopped or offline instances are not run (they run",
        "late when they come back).",
        "",
        text.header_field("Swept at", report.swept_at.isoformat(timespec="seconds")),
        text.header_field("Region", report.region),
        text.header_field("Documents", ", ".join(documents)),
        text.header_field(
            "Associations",
            f"{len(checked)} checked ({len(report.missed)} with missed instances), "
            f"{len(report.not_checked)} could not be checked, "
            f"{len(report.unresolved)} with targets not checked",
        ),
    ]
    return "\n".join(lines)


def _section(result: AssociationResult, report: SweepReport) -> str:
    period = result.period
    lines = ["", f"== {result.label} =="]
    if period is not None and result.since is not None:
        lines.append(
            text.field(
                "Schedule",
                f"{period.rule}; period {duration_text(period.length)}, runs looked for since "
                f"{result.since.isoformat(timespec='seconds')} (with grace)",
            )
        )
    lines.append(text.field("Targets", result.targets or "-"))
    lines.append(
        text.field(
            "Instances",
            f"{result.targeted} targeted, {result.ran} ran, {len(result.missed)} missed",
        )
    )
    link = _association_link(report, result.association_id)
    if link:
        lines.append(text.field("Console", link))
    lines.extend(text.field("Note", note) for note in result.notes)
    return "\n".join(lines)


def _instance_text(state: InstanceState, report: SweepReport) -> str:
    lines = [
        f"  {state.instance_id}: {state.summary}",
        text.field("Last successful association run (any association)", state.last_success_text, 4),
    ]
    link = _instance_link(report, state)
    if link:
        lines.append(text.field("Console", link, 4))
    return "\n".join(lines)


def _problems(report: SweepReport, budget_bytes: int) -> str:
    sections = []
    for title, results, reason in (
        ("Could not check", report.not_checked, lambda r: r.error),
        (
            "Targets not checked (the sweep resolves InstanceIds and tag targets only)",
            report.unresolved,
            lambda r: ", ".join(r.unresolved),
        ),
        (
            "Checked with limits (nothing missed, or not all instances listed)",
            [r for r in report.results if r.notes and not r.missed and not r.error],
            lambda r: "; ".join(r.notes),
        ),
    ):
        if results:
            sections.append(
                _bounded_list(
                    f"{title}:", [f"  {r.label}: {reason(r)}" for r in results], budget_bytes // 3
                )
            )
    text = "\n".join(sections)
    return "\n" + text if text else ""


def _bounded_list(title: str, items: list[str], share: int) -> str:
    lines = [title]
    used = text.utf8_size(title)
    for index, item in enumerate(items):
        item = text.shorten(item, 1000)
        if used + text.utf8_size(item) + 1 > share:
            lines.append(f"  ... and {len(items) - index} more")
            break
        lines.append(item)
        used += text.utf8_size(item) + 1
    return "\n".join(lines) + "\n"


def _association_link(report: SweepReport, association_id: str) -> str:
    page = f"systems-manager/state-manager/{association_id}/description"
    return text.console_link(report.partition, report.region, page, association_id)


def _instance_link(report: SweepReport, state: InstanceState) -> str:
    instance_id = state.instance_id
    if state.managed:
        page = f"systems-manager/fleet-manager/managed-nodes/{instance_id}/general"
        return text.console_link(report.partition, report.region, page, instance_id)
    if instance_id.startswith("i-"):
        link = text.console_link(report.partition, report.region, "ec2/home", instance_id)
        return f"{link}#InstanceDetails:instanceId={instance_id}" if link else ""
    return ""

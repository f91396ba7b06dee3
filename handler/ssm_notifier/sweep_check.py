"""The sweep's check: every association of the watched documents, its targets against the
instances its recent executions ran on. Returns a SweepReport; publishes nothing.

What counts as "ran": the ResourceIds of DescribeAssociationExecutionTargets, any status (failures
are the notification pipeline's job), of every execution created within the association's last
schedule period (see `periods`), grace included.

Bounds: every listing has a page cap and an item cap (`paging`), at most MAX_ASSOCIATIONS are
checked per sweep, and no call starts when less than PUBLISH_RESERVE_SECONDS are left in the
invocation. What is cut is logged and kept in the report. An API error for one association
(throttling, access denied, not found) marks it "could not check" and the others are still checked.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

from . import log
from .paging import SSM_PAGE_SIZE, OutOfTimeError, Pager
from .periods import Period, association_period
from .settings import SweepSettings
from .targets import Fleet, InstanceState, describe_target
from .times import api_time, as_utc

MAX_ASSOCIATIONS = 200
# More executions than this in one period means the runs cannot all be compared: the association
# is reported as not checked rather than listing instances that may well have run.
MAX_EXECUTIONS = 20
# Kept back for publishing the digest (with the SNS client's retries) after the last check.
PUBLISH_RESERVE_SECONDS = 20.0

logger = log.get_logger()


class AssociationResult:
    """One association's check. `error` set: it could not be checked (association_id "" when a
    whole document could not be listed). `unresolved` set: its targets were not checked."""

    def __init__(
        self,
        document: str,
        association_id: str = "",
        *,
        missed: list[InstanceState] | None = None,
        error: str = "",
    ) -> None:
        self.document = document
        self.association_id = association_id
        self.name = ""
        self.schedule = ""
        self.period: Period | None = None
        self.since: datetime | None = None
        self.targets = ""  # as the digest shows them, e.g. "tag:Patch=yes"
        self.targeted = 0
        self.ran = 0
        self.missed = [] if missed is None else missed
        self.unresolved: tuple[str, ...] = ()
        self.notes: list[str] = []
        self.error = error

    @property
    def label(self) -> str:
        if not self.association_id:
            return self.document
        name = f"{self.name} ({self.association_id})" if self.name else self.association_id
        return f"{self.document}: {name}"


class SweepReport:
    def __init__(
        self,
        results: list[AssociationResult],
        swept_at: datetime,
        region: str = "",
        partition: str = "aws",
    ) -> None:
        self.results = results
        self.swept_at = swept_at
        self.region = region
        self.partition = partition

    @property
    def missed(self) -> list[AssociationResult]:
        return [result for result in self.results if result.missed]

    @property
    def missed_count(self) -> int:
        return sum(len(result.missed) for result in self.results)

    @property
    def not_checked(self) -> list[AssociationResult]:
        return [result for result in self.results if result.error]

    @property
    def unresolved(self) -> list[AssociationResult]:
        return [result for result in self.results if result.unresolved]

    @property
    def worth_sending(self) -> bool:
        """Something was missed, or something could not be checked (an error nobody would see)."""
        return bool(self.missed or self.not_checked)


class _CannotCheckError(Exception):
    """The association cannot be compared; the message is the reason shown in the digest."""


def sweep(
    settings: SweepSettings,
    *,
    ssm: Any,
    ec2: Any,
    now: datetime,
    seconds_left: Callable[[], float] = lambda: math.inf,
) -> SweepReport:
    """Check every association of the watched documents; never raises for an API error."""
    pager = Pager(seconds_left, PUBLISH_RESERVE_SECONDS)
    fleet = Fleet(ssm, ec2, pager)
    results: list[AssociationResult] = []
    checked = 0
    for document in settings.documents:
        try:
            associations, cut = pager.items(
                ssm.list_associations,
                {
                    "AssociationFilterList": [{"key": "Name", "value": document}],
                    "MaxResults": SSM_PAGE_SIZE,
                },
                lambda page: page.get("Associations") or [],
            )
        except Exception as error:
            results.append(_not_checked(AssociationResult(document), error, "ListAssociations"))
            continue
        if cut:
            results.append(
                _not_checked(
                    AssociationResult(document),
                    _CannotCheckError(
                        f"more associations than the {len(associations)} listed: the rest "
                        "not checked"
                    ),
                )
            )
        ids = list(
            dict.fromkeys(a["AssociationId"] for a in associations if a.get("AssociationId"))
        )
        room = max(0, MAX_ASSOCIATIONS - checked)
        for association_id in ids[:room]:
            results.append(
                _check_association(document, association_id, settings, ssm, fleet, pager, now)
            )
        checked += min(room, len(ids))
        if len(ids) > room:
            results.append(
                _not_checked(
                    AssociationResult(document),
                    _CannotCheckError(
                        f"{len(ids) - room} associations not checked: at most {MAX_ASSOCIATIONS} "
                        "per sweep"
                    ),
                )
            )
    return SweepReport(results, now, region=_region_of(ssm), partition=_partition_of(settings))


def _check_association(
    document: str,
    association_id: str,
    settings: SweepSettings,
    ssm: Any,
    fleet: Fleet,
    pager: Pager,
    now: datetime,
) -> AssociationResult:
    result = AssociationResult(document, association_id)
    try:
        pager.check_time()
        description = ssm.describe_association(AssociationId=association_id).get(
            "AssociationDescription", {}
        )
        result.name = description.get("AssociationName") or ""
        result.schedule = description.get("ScheduleExpression") or ""
        result.period = association_period(result.schedule, settings.sweep_period)
        result.since = now - result.period.lookback
        targets = description.get("Targets") or []
        legacy_id = description.get("InstanceId") or ""
        result.targets = "; ".join(describe_target(t) for t in targets) or legacy_id
        resolution = fleet.resolve(targets, legacy_id)
        if resolution.unresolved:
            result.unresolved = resolution.unresolved
            logger.warning(
                "targets not checked",
                extra=log.fields(
                    association_id=association_id, document=document, targets=result.targets
                ),
            )
            return result
        if resolution.cut:
            result.notes.append(
                f"targets cut: only {len(resolution.ids)} instances checked (listing limits)"
            )
        ran, executions = _ran_instances(ssm, pager, association_id, result.since)
        if not executions:
            result.notes.append("no execution in the period: every target counts as missed")
        result.targeted = len(resolution.ids)
        result.ran = len(resolution.ids & ran)
        result.missed, problem = fleet.states(resolution.ids - ran, resolution.ssm_listed)
        if problem:
            result.notes.append(f"instance states not all looked up: {problem}")
    except Exception as error:
        return _not_checked(result, error)
    logger.info(
        "association checked",
        extra=log.fields(
            association_id=association_id,
            document=document,
            period=result.period.rule if result.period else "",
            since=result.since,
            targeted=result.targeted,
            ran=result.ran,
            missed=len(result.missed),
            notes=result.notes,
        ),
    )
    return result


def _ran_instances(
    ssm: Any, pager: Pager, association_id: str, since: datetime
) -> tuple[set[str], int]:
    """The ResourceIds every execution created since `since` ran on, and how many executions."""
    executions, cut = pager.items(
        ssm.describe_association_executions,
        {
            "AssociationId": association_id,
            "Filters": [{"Key": "CreatedTime", "Value": api_time(since), "Type": "GREATER_THAN"}],
            "MaxResults": SSM_PAGE_SIZE,
        },
        lambda page: page.get("AssociationExecutions") or [],
        max_items=MAX_EXECUTIONS,
    )
    if cut:
        raise _CannotCheckError(
            f"more than {MAX_EXECUTIONS} executions in the period: runs not all compared"
        )
    # The filter is the service's; checked here again in case a created time is out of range.
    recent = [
        execution["ExecutionId"]
        for execution in executions
        if execution.get("ExecutionId")
        and not (
            isinstance(created := execution.get("CreatedTime"), datetime)
            and as_utc(created) < since
        )
    ]
    ran: set[str] = set()
    for execution_id in recent:
        targets, cut = pager.items(
            ssm.describe_association_execution_targets,
            {
                "AssociationId": association_id,
                "ExecutionId": execution_id,
                "MaxResults": SSM_PAGE_SIZE,
            },
            lambda page: page.get("AssociationExecutionTargets") or [],
        )
        if cut:
            raise _CannotCheckError(
                f"the targets of execution {execution_id} were cut (listing limits)"
            )
        ran.update(target["ResourceId"] for target in targets if target.get("ResourceId"))
    return ran, len(recent)


def _not_checked(
    result: AssociationResult, error: Exception, operation: str = ""
) -> AssociationResult:
    if isinstance(error, (_CannotCheckError, OutOfTimeError)):
        result.error = str(error)
    else:
        result.error = log.describe_error(error)
        if operation and "(" not in result.error:
            result.error += f" ({operation})"
    is_expected = isinstance(error, (_CannotCheckError, OutOfTimeError)) or log.is_aws_error(error)
    logger.warning(
        "association not checked" if result.association_id else "document not fully checked",
        exc_info=not is_expected,
        extra=log.fields(
            association_id=result.association_id, document=result.document, reason=result.error
        ),
    )
    return result


def _region_of(client: Any) -> str:
    return str(getattr(getattr(client, "meta", None), "region_name", "") or "")


def _partition_of(settings: SweepSettings) -> str:
    parts = settings.topic_arn.split(":")
    return parts[1] if len(parts) > 1 and parts[1] else "aws"

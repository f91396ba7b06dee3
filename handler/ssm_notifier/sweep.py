"""Lambda entry point of the missed-instance sweep: plan a run, check one association, or collect
a run's results into one digest, by the event it is given.

SSM sends no event at all for stopped or offline instances: they are simply not run (they run late
when they come back). The sweep finds them in units of work, so no slow call or large association
can lose the others' results:
1. plan (the scheduled event, or any direct invocation: "sweep now"): list the associations of
   the watched documents and put one "check" message per association on the work queue. Runs
   left unpublished by an earlier sweep are collected first. A watched document no association
   uses there is looked up (DescribeDocument, once per document and place): one that does not
   exist, or cannot be looked up, is recorded as a finding of its own.
   Under Scope=organization the plan puts one "list" message per place instead: every instance
   of the spokes' StackSet and the function's own account and region. A list unit (an SQS record)
   lists that place's associations through its spoke's reader role (accounts.py), adds them to
   the run's count and queues their checks, each carrying its place: no invocation lists more
   than one place, so the organization's size costs time only.
2. check (an SQS record, one per invocation): check one association (`sweep_check`) within the
   invocation's time and record its result in the state table (`sweep_runs`). The unit that
   completes the run's count puts a "collect" message on the queue.
3. collect (an SQS record): merge the run's results into ONE digest (`sweep_digest`) and publish
   it if anything was missed or could not be checked, or a misconfiguration was found (a watched
   document missing or unused everywhere, targets the sweep cannot resolve, an association whose
   due runs sent no event: `sweep_silence`). Under Scope=organization the digest also
   says what coverage.py finds (silent spokes, spokes not CURRENT, accounts without a spoke),
   and goes out for that alone.
A record that cannot be handled is returned as a batch item failure: the queue retries it, then
keeps it in its dead-letter queue (alarmed); the next scheduled run still closes that run, naming
the association as not checked.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from . import log
from .accounts import AccountClients, HandlerRuntime
from .clients import (
    PUBLISH_CALL_SECONDS,
    SWEEP_CALL_SECONDS,
    SWEEP_CLIENT_OPTIONS,
    ClientCache,
    make_client,
)
from .paging import OutOfTimeError, Pager
from .publish import Pacer, publish_digest
from .settings import SweepSettings, load_sweep_settings
from .times import api_time, parse_time, utc_now

logger = log.get_logger()

# Kept back in a check for recording its result: a few timed calls at their worst.
RECORD_RESERVE_SECONDS = 5 * SWEEP_CALL_SECONDS
# SendMessageBatch takes at most 10 messages.
SEND_BATCH = 10
NOT_LISTED = (
    "associations not listed: the place's unit of work never finished (its message is in the "
    "sweep's work dead-letter queue, or the run was closed by the next sweep)"
)
PLACE_UNIT = "place:"
NO_RESULT = (
    "no result recorded: its check never finished (its message is in the sweep's work "
    "dead-letter queue, or the run was closed by the next sweep)"
)


class Listing:
    """One place's listing: its units ((unit, document)), their check messages, how many
    documents could not be listed, and how many document findings were recorded (a watched
    document that does not exist there, or could not be looked up)."""

    def __init__(
        self, units: list[tuple[str, str]], checks: list[dict[str, Any]], failures: int
    ) -> None:
        self.units = units
        self.checks = checks
        self.failures = failures
        self.findings = 0


def place_unit(account: str, region: str) -> str:
    """A place's "list" unit (Scope=organization)."""
    return f"{PLACE_UNIT}{account}:{region}"


class Runtime(HandlerRuntime):
    """What lambda_handler takes from outside; tests and the bench replace parts of it."""

    def __init__(
        self, clients: ClientCache | None = None, now: Callable[[], datetime] = utc_now
    ) -> None:
        super().__init__(
            ClientCache(partial(make_client, options=SWEEP_CLIENT_OPTIONS))
            if clients is None
            else clients,
            SWEEP_CLIENT_OPTIONS,
        )
        self.now = now


RUNTIME = Runtime()


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    settings = load_sweep_settings(os.environ)
    log.configure(settings.log_level)
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    return handle(
        event,
        settings,
        RUNTIME.clients,
        now=RUNTIME.now(),
        seconds_left=(lambda: remaining_ms() / 1000) if remaining_ms else (lambda: math.inf),
        accounts=RUNTIME.accounts(settings),
    )


def handle(
    event: Any,
    settings: SweepSettings,
    clients: ClientCache,
    *,
    now: datetime,
    seconds_left: Callable[[], float] = lambda: math.inf,
    accounts: AccountClients | None = None,
) -> dict[str, Any]:
    """SQS records: checks and collects; anything else: plan a run."""
    sweep = Sweep(settings, clients, now, seconds_left, accounts)
    if isinstance(event, dict) and isinstance(event.get("Records"), list):
        return sweep.records(event["Records"])
    when = parse_time(event.get("time", "")) if isinstance(event, dict) else None
    return sweep.plan(when or now)


class Sweep:
    def __init__(
        self,
        settings: SweepSettings,
        clients: ClientCache,
        now: datetime,
        seconds_left: Callable[[], float],
        accounts: AccountClients | None = None,
    ) -> None:
        from .sweep_runs import RunStore  # the sweep's own modules, loaded when it runs

        self.settings = settings
        self.clients = clients
        # Scope=organization: the clients of every account and region (reader roles).
        self.accounts = accounts
        self.now = now
        self.seconds_left = seconds_left
        # Records and messages: each call only in time, nothing kept back.
        self.recorder = Pager(seconds_left, 0.0, SWEEP_CALL_SECONDS)
        self.store = RunStore(clients.get("dynamodb"), settings.state_table, self.recorder)
        self.collected: list[dict[str, Any]] = []  # each collect's summary, for the logs' reader

    # 1. plan

    def plan(self, run_at: datetime) -> dict[str, Any]:
        run_id = api_time(run_at)
        closed = [old for old in self.store.unpublished_before(run_id) if self._close(old)]
        if not self.store.start(run_id, run_at):
            logger.info("sweep run already planned", extra=log.fields(run=run_id))
            return {"run": run_id, "planned": 0, "closed": closed}
        if self.accounts is not None:
            return self._plan_places(run_id, run_at, closed)
        lister = Pager(self.seconds_left, RECORD_RESERVE_SECONDS, SWEEP_CALL_SECONDS)
        listing = self._list_place(run_id, run_at, "", "", lister)
        units = listing.units
        self.store.plan(run_id, units, run_at)
        self._send([{"kind": "check", "run": run_id, **check} for check in listing.checks])
        counted = self.store.expect(run_id, len(units))
        if counted.done >= len(units):
            self._send([{"kind": "collect", "run": run_id}])
        summary = {"run": run_id, "planned": len(units), "closed": closed}
        logger.info("sweep run planned", extra=log.fields(**summary))
        return summary

    def _plan_places(self, run_id: str, run_at: datetime, closed: list[str]) -> dict[str, Any]:
        """Scope=organization: one "list" unit per place, so that no invocation lists more than
        one place (the organization's size costs time, not a bigger invocation). Each list unit
        adds its associations to the run's count (`RunStore.count_listed`)."""
        places, units = self._places(run_id, run_at)
        units += [(place_unit(account, region), "") for account, region in places]
        self.store.plan(run_id, units, run_at)
        # The count first: a list unit adds to it, and must find it set.
        counted = self.store.expect(run_id, len(units))
        self._send(
            [
                {"kind": "list", "run": run_id, "account": account, "region": region}
                for account, region in places
            ]
        )
        if counted.done >= len(units):  # no place at all (never: the hub's own is one)
            self._send([{"kind": "collect", "run": run_id}])
        summary = {"run": run_id, "planned": len(units), "places": len(places), "closed": closed}
        logger.info("sweep run planned", extra=log.fields(**summary))
        return summary

    def list_place(self, run_id: str, account: str, region: str) -> None:
        """A "list" unit (Scope=organization): list the place's associations through its reader
        role, add them to the run, queue their checks. A redelivered unit adds nothing again and
        queues the checks again (a check already recorded is not done twice)."""
        if self.accounts is None:
            raise ValueError("a list unit, but SCOPE is not organization")
        run_at = parse_time(run_id) or self.now
        lister = Pager(self.seconds_left, RECORD_RESERVE_SECONDS, SWEEP_CALL_SECONDS)
        listing = self._list_place(run_id, run_at, account, region, lister, count=False)
        self.store.plan(run_id, listing.units, run_at)
        counted = self.store.count_listed(
            run_id,
            f"{account}:{region}",
            added=len(listing.units),
            done=1 + listing.failures + listing.findings,
            answered=listing.failures == 0,
        )
        self._send([{"kind": "check", "run": run_id, **check} for check in listing.checks])
        if counted is not None and counted.done == counted.expected:
            self._send([{"kind": "collect", "run": run_id}])

    def _list_place(
        self,
        run_id: str,
        run_at: datetime,
        account: str,
        region: str,
        lister: Pager,
        count: bool = True,
    ) -> Listing:
        """The associations of the watched documents in one place, as units and check messages;
        a document that cannot be listed there is recorded as not checked (`count`: and counted
        done now)."""
        from . import sweep_documents
        from .sweep_check import list_association_ids, unit_key

        listing = Listing([], [], 0)
        for document in self.settings.documents:
            try:
                ssm = self.client("ssm", account, region)
                used = False
                for association in list_association_ids(ssm, lister, document):
                    used = True
                    listing.units.append((unit_key(account, region, association), document))
                    listing.checks.append(
                        {"unit": association, "document": document}
                        | ({"account": account, "region": region} if account else {})
                    )
                if not used:
                    lookup = sweep_documents.look_up(ssm, lister, document)
                    if lookup:
                        self._record_document_finding(
                            run_id, run_at, document, lookup, account, region, count=count
                        )
                        listing.findings += 1
                        listing.units.append((unit_key(account, region, "", document), document))
            except Exception as error:
                # The associations listed are still checked; the document is named as not
                # checked there (a reader role refused: the whole place).
                listing.failures += 1
                self._record_listing_failure(
                    run_id, run_at, document, error, account=account, region=region, count=count
                )
                listing.units.append((unit_key(account, region, "", document), document))
        return listing

    def _record_document_finding(
        self,
        run_id: str,
        run_at: datetime,
        document: str,
        lookup: str,
        account: str,
        region: str,
        *,
        count: bool,
    ) -> None:
        """A watched document that does not exist in the place, or could not be looked up, as a
        result of its own (unit `document:...`), counted done (`count`) in Scope=account."""
        from .sweep_check import AssociationResult
        from .sweep_documents import NOT_FOUND

        result = AssociationResult(document, account=account, region=region)
        result.document_lookup = lookup
        logger.warning(
            "watched document not found"
            if lookup == NOT_FOUND
            else "watched document not looked up",
            extra=log.fields(document=document, account=account, region=region, lookup=lookup),
        )
        if self.store.record(run_id, result.unit, result, run_at) and count:
            self.store.count_done(run_id)

    def client(self, service: str, account: str = "", region: str = "") -> Any:
        """The function's own client, or (Scope=organization) the one of that account and
        region; ReaderUnavailableError when its reader role cannot be assumed."""
        if self.accounts is None:
            return self.clients.get(service)
        return self.accounts.client(service, account, region)

    def _places(
        self, run_id: str, run_at: datetime
    ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """The (account, region) places to sweep, and the units already done (a listing that
        failed). ("", "") in Scope=account; under organization the function's own account and
        region and every instance of the spokes' StackSet (whatever its state: a spoke that
        cannot be read is named as not checked). A StackSet that cannot be listed is named as
        not checked; the hub's own place is still swept."""
        if self.accounts is None:
            return [("", "")], []
        home = self.accounts.home
        places = [(home.account, home.region)]
        try:
            instances = self._spoke_instances()
        except Exception as error:
            label = self._stack_set_label
            self._record_listing_failure(run_id, run_at, label, error, "ListStackInstances")
            return places, [(f"document:{label}", label)]
        for instance in instances:
            place = (instance.place.account, instance.place.region)
            if place not in places:
                places.append(place)
        return places, []

    def _spoke_instances(self) -> list:
        """Every instance of the spokes' StackSet (coverage.spoke_instances); raises as it does."""
        from .coverage import spoke_instances

        return spoke_instances(
            self.clients.get("cloudformation"),
            self.settings.spoke_stack_set_name,
            self.settings.call_as,
        )

    @property
    def _stack_set_label(self) -> str:
        return f"the spokes' StackSet {self.settings.spoke_stack_set_name}"

    def _close(self, run_id: str) -> bool:
        """Collect an earlier run that never published; a failure is logged, never blocks the new
        run (the next sweep tries that run again)."""
        try:
            self.collect(run_id, late=True)
        except Exception as error:
            logger.error(
                "an earlier sweep run could not be closed",
                exc_info=not log.is_aws_error(error),
                extra=log.fields(run=run_id, error=log.describe_error(error)),
            )
            return False
        return True

    def _record_listing_failure(
        self,
        run_id: str,
        run_at: datetime,
        document: str,
        error: Exception,
        operation: str = "ListAssociations",
        *,
        account: str = "",
        region: str = "",
        count: bool = True,
    ) -> None:
        from .accounts import ReaderUnavailableError
        from .sweep_check import AssociationResult, not_checked

        result = AssociationResult(document, account=account, region=region)
        if isinstance(error, ReaderUnavailableError):
            result.error = str(error)  # "could not check", never missed
        else:
            result = not_checked(result, error, operation)
        if isinstance(error, OutOfTimeError):
            result.error = f"not all listed: {error}"
        if self.store.record(run_id, result.unit, result, run_at) and count:
            self.store.count_done(run_id)

    # 2. check, 3. collect

    def records(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        """Each record alone: one that fails is handed back, the others are done."""
        failures = []
        for record in records:
            message_id = record.get("messageId", "")
            try:
                message = json.loads(record.get("body") or "")
                if not isinstance(message, dict):
                    raise ValueError("the message is not a JSON object")
                if message.get("kind") == "check":
                    self.check(
                        str(message["run"]),
                        str(message["unit"]),
                        str(message["document"]),
                        account=str(message.get("account") or ""),
                        region=str(message.get("region") or ""),
                    )
                elif message.get("kind") == "list":
                    self.list_place(
                        str(message["run"]), str(message["account"]), str(message["region"])
                    )
                elif message.get("kind") == "collect":
                    self.collect(str(message["run"]))
                else:
                    raise ValueError(f"unknown message kind {message.get('kind')!r}")
            except Exception as error:
                logger.error(
                    "work message failed",
                    exc_info=not log.is_aws_error(error),
                    extra=log.fields(message_id=message_id, error=log.describe_error(error)),
                )
                failures.append({"itemIdentifier": message_id})
        return {"batchItemFailures": failures}

    def check(
        self,
        run_id: str,
        association_id: str,
        document: str,
        *,
        account: str = "",
        region: str = "",
    ) -> None:
        """Check one association (in `account` and `region` under Scope=organization, with that
        place's clients) and record its result; the unit that completes the run queues the
        collect."""
        from .accounts import ReaderUnavailableError
        from .missed_memory import MissedMemory
        from .sweep_check import AssociationResult, check_association, unit_key
        from .sweep_silence import EventLog
        from .targets import Fleet

        if account and self.accounts is None:
            raise ValueError("a check of another account, but SCOPE is not organization")
        run_at = parse_time(run_id) or self.now
        unit = unit_key(account, region, association_id)
        if self.store.has_result(run_id, unit):
            logger.info("association already checked in this run", extra=log.fields(run=run_id))
            return
        checker = Pager(self.seconds_left, RECORD_RESERVE_SECONDS, SWEEP_CALL_SECONDS)
        try:
            ssm = self.client("ssm", account, region)
            ec2 = self.client("ec2", account, region)
        except ReaderUnavailableError as error:
            result = AssociationResult(
                document, association_id, error=str(error), account=account, region=region
            )
        else:
            memory = MissedMemory(
                self.clients.get("dynamodb"),
                self.settings.state_table,
                checker,
                self.settings.reminder,
            )
            watching_since, silence_problem = self._watching_since()
            home = self._home()
            result = check_association(
                document,
                association_id,
                self.settings,
                ssm=ssm,
                fleet=Fleet(ssm, ec2, checker),
                pager=checker,
                now=run_at,
                memory=memory,
                account=account,
                region=region,
                events=EventLog(
                    self.clients.get("dynamodb"),
                    self.settings.state_table,
                    checker,
                    account or home[0],
                    region or home[1],
                )
                if not silence_problem
                else None,
                watching_since=watching_since,
            )
            if silence_problem:
                result.notes.append(silence_problem)
        if not self.store.record(run_id, unit, result, run_at):
            return
        counted = self.store.count_done(run_id)
        if counted.expected is not None and counted.done == counted.expected:
            self._send([{"kind": "collect", "run": run_id}])

    def _watching_since(self) -> tuple[datetime | None, str]:
        """When the sweep's earliest recorded run began, or why the silent-association check
        cannot run (a note: the missed-instance check goes on)."""
        try:
            return self.store.first_run_at(), ""
        except Exception as error:
            return None, f"silent-association check could not run: {log.describe_error(error)}"

    def _home(self) -> tuple[str, str]:
        """The function's own account and region (the topic's: the same stack family), as the
        notifier's events carry them in Scope=account."""
        from .accounts import home_of

        place, _ = home_of(self.settings.topic_arn)
        return place.account, place.region

    def collect(self, run_id: str, late: bool = False) -> dict[str, Any]:
        from . import routing, sweep_digest, sweep_documents
        from .display_time import display_zone
        from .sweep_check import AssociationResult, unit_parts
        from .sweep_report import SweepReport

        summary: dict[str, Any] = {"run": run_id, "published": False}
        run = self.store.run(run_id)
        if "published_at" in run:
            logger.info("sweep run already collected", extra=log.fields(run=run_id))
            return summary
        planned, results = self.store.results(run_id)
        recorded = {result.unit for result in results}
        listed = set(run.get("listed", {}).get("SS", []))
        for unit, document in planned.items():
            if unit.startswith(PLACE_UNIT):
                place = unit.removeprefix(PLACE_UNIT)
                if place not in listed:
                    account, _, region = place.partition(":")
                    results.append(
                        AssociationResult(
                            ", ".join(self.settings.documents),
                            error=NOT_LISTED,
                            account=account,
                            region=region,
                        )
                    )
            elif unit not in recorded:
                account, region, association_id = unit_parts(unit)
                results.append(
                    AssociationResult(
                        document, association_id, error=NO_RESULT, account=account, region=region
                    )
                )
        ssm = self.clients.get("ssm")
        report = SweepReport(
            results,
            parse_time(run_id) or self.now,
            region=str(getattr(getattr(ssm, "meta", None), "region_name", "") or ""),
            partition=_partition_of(self.settings.topic_arn),
            unused_documents=sweep_documents.unused(
                self.settings.documents,
                planned,
                said={result.document for result in results if not result.association_id},
                all_listed=all(
                    unit.removeprefix(PLACE_UNIT) in listed
                    for unit in planned
                    if unit.startswith(PLACE_UNIT)
                ),
            ),
            zone=display_zone(self.settings.display_time_zone),
        )
        sweep_documents.used_elsewhere_is_no_finding(results, planned)
        if self.accounts is not None:
            report.places |= {
                (account, region)
                for account, _, region in (
                    place.partition(":") for place in run.get("answered", {}).get("SS", [])
                )
            }
            report.coverage, report.name_of = self._coverage(run)
            summary["coverage_lines"] = len(report.coverage)
        summary.update(
            associations=sum(1 for result in results if result.association_id),
            missed=report.missed_count,
            held_back=report.held_back_count,
            not_checked=len(report.not_checked),
            targets_not_checked=len(report.unresolved),
            findings=report.findings,
            late=late,
        )
        if report.worth_sending:
            if self.seconds_left() < PUBLISH_CALL_SECONDS:
                raise OutOfTimeError("not enough time left to publish the digest")
            try:
                summary["sns_message_id"] = publish_digest(
                    self.clients.get("sns"),
                    self.settings.topic_arn,
                    sweep_digest.subject(report),
                    sweep_digest.message(report),
                    Pacer(),
                    routing.sweep_attributes(
                        *report.routed_places(_account_of(self.settings.topic_arn))
                    ),
                )
            except Exception as error:
                logger.error(
                    "publish failed",
                    exc_info=not log.is_aws_error(error),
                    extra=log.fields(error=log.describe_error(error), **summary),
                )
                raise
            summary["published"] = True
        self.store.mark_published(run_id, self.now)
        self.collected.append(summary)
        logger.info(
            "digest published" if summary["published"] else "sweep done: nothing to report",
            extra=log.fields(**summary),
        )
        return summary

    def _coverage(self, run: dict[str, Any]) -> tuple[list[str], Callable[[str], str]]:
        """Scope=organization: what coverage has to say at the end of a run ([] when every spoke
        answered and every account has one), and the accounts' names. "Seen": the places whose
        associations the sweep could list in this run (`seen_elsewhere` adds what else the hub
        may record). A listing that fails is said, never fatal: the digest still goes out."""
        from .accounts import AccountNames, Place
        from .coverage import active_accounts, compare

        assert self.accounts is not None
        names = AccountNames(lambda: self.clients.get("organizations"))
        seen = {
            Place(*place.split(":", 1)) for place in run.get("answered", {}).get("SS", [])
        } | seen_elsewhere(run)
        try:
            instances = self._spoke_instances()
        except Exception as error:
            return [
                f"Coverage not checked: {self._stack_set_label} not listed: "
                f"{log.describe_error(error)}"
            ], names.name
        notes: list[str] = []
        try:
            accounts: list[str] | None = active_accounts(self.clients.get("organizations"))
        except Exception as error:
            accounts = None
            notes.append(
                "  accounts without a spoke not checked: the organization's accounts not "
                f"listed: {log.describe_error(error)}"
            )
        coverage = compare(instances, seen, hub=self.accounts.home, accounts=accounts)
        if not coverage.worth_reporting and not notes:
            return [], names.name
        return coverage.lines(names.name) + notes, names.name

    def _send(self, messages: list[dict[str, Any]]) -> None:
        sqs = self.clients.get("sqs")
        for start in range(0, len(messages), SEND_BATCH):
            entries = [
                {"Id": str(index), "MessageBody": json.dumps(message)}
                for index, message in enumerate(messages[start : start + SEND_BATCH])
            ]
            for _ in range(3):
                answer = self.recorder.call(
                    sqs.send_message_batch, QueueUrl=self.settings.work_queue_url, Entries=entries
                )
                failed = {entry["Id"] for entry in answer.get("Failed") or []}
                entries = [entry for entry in entries if entry["Id"] in failed]
                if not entries:
                    break
            else:
                raise RuntimeError(f"{len(entries)} work messages could not be sent")


def seen_elsewhere(run: dict[str, Any]) -> set[Any]:
    """Places known to have reported in the period other than by answering this sweep: none yet.
    The hook for the notifier's record of events seen per (account, region), once it keeps one
    in the state table: read it here, and coverage counts those places as seen."""
    del run
    return set()


def _account_of(topic_arn: str) -> str:
    """The account of arn:PARTITION:sns:REGION:ACCOUNT:NAME (settings checked its shape)."""
    parts = topic_arn.split(":")
    return parts[4] if len(parts) > 5 else ""


def _partition_of(topic_arn: str) -> str:
    parts = topic_arn.split(":")
    return parts[1] if len(parts) > 1 and parts[1] else "aws"

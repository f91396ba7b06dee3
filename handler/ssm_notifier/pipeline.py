"""The notifier's core: one batch of records -> at most `cap` digests, state, reports, deferrals.

Composes deadline, state, reports, inbox and defer; notify.lambda_handler calls it with the
settings' table, bucket and queue. Per invocation:
 1. parse each record alone; a record that is not an event, or whose identity fields cannot key
    the state table, fails alone; an event of a run kind not watched (runs.py) is dropped with a
    log line;
 2. if the fixed stages cannot fit in the time left, re-enqueue everything (defer) and stop;
 3. claim the latest event per instance in the state table (skipped: already reported, older);
    a claim another live invocation holds is re-enqueued with a delay, not dropped;
 4. enrich failed instances within what time is left; build entries, each alone (bad ones fail);
    name the instances the email shows (instance_names.py: bulk, cached, bounded; bare ids when
    the lookup fails or time is short);
 5. write the full reports to S3 (failing: release the claims, fail the records);
 6. plan at most `cap` emails; publish each once (retrying only what surely did not go out),
    paced; confirm sent / unknown, or release and re-enqueue what could not be published in time.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from . import inbox, log, reports, routing, runs
from .accounts import AccountClients, AccountNames, ReaderUnavailableError
from .deadline import BUDGETS, Deadline, OutOfTimeError
from .display_time import display_zone
from .enrich import Enricher, OutputLookup
from .events import AssociationEvent, InvalidRecordError, message_id_of, parse_record
from .instance_names import InstanceNames, NameCache
from .publish import Pacer
from .state import Claim, Observation, Store, digest_id_of

# What must fit before work starts: one call of each stage (a claim, a report write, a publish,
# its confirm).
# The instance names' lookup: a few bulk calls, each also bounded by the deadline.
NAMES_BUDGET_SECONDS = 5.0
# A record waiting on another invocation's claim: SQS's longest DelaySeconds (defer.MAX_DELAY,
# not imported here: defer is loaded only when something is deferred).
MAX_DEFER_SECONDS = 900
START_RESERVE_SECONDS = (
    2 * BUDGETS["dynamodb"].worst_case_seconds()
    + BUDGETS["s3"].worst_case_seconds()
    + BUDGETS["sns"].worst_case_seconds()
)
# Kept back by every call for what must follow it whatever happens: re-enqueueing what is left.
AFTER_RESERVE_SECONDS = BUDGETS["sqs"].worst_case_seconds()
# Kept back by a publish: recording it (confirm), or if it cannot go out, releasing its claims
# and re-enqueueing its records. Without it, claims left unrecorded would hold their records back
# for the whole lease.
AFTER_PUBLISH_RESERVE_SECONDS = BUDGETS["dynamodb"].worst_case_seconds() + AFTER_RESERVE_SECONDS
PUBLISH_TRIES = 3
IDENTITY_MAX_CHARS = 128
STATUS_MAX_CHARS = 40

logger = log.get_logger()


class Resources(NamedTuple):
    topic_arn: str
    table_name: str
    bucket: str
    queue_url: str
    region: str
    partition: str = "aws"


def process(
    records: list[Mapping[str, Any]],
    resources: Resources,
    *,
    clients: Mapping[str, Any],
    deadline: Deadline,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    wall_clock: Callable[[], float] = time.time,
    split_by: str = "none",
    cap: int = inbox.DEFAULT_CAP,
    enrich_max_lookups: int = 10,
    enrich_budget_seconds: float = 10.0,
    lease_seconds: float = 900,
    ttl_days: int = 90,
    accounts: AccountClients | None = None,
    watched_kinds: frozenset[str] = frozenset({runs.ASSOCIATION}),
    instance_names: NameCache | None = None,
    account_names: AccountNames | None = None,
    display_time_zone: str = "",
    names_budget_seconds: float = NAMES_BUDGET_SECONDS,
) -> dict[str, list[dict[str, str]]]:
    """Digest and publish a batch; return the ids of the records SQS must deliver again.
    `accounts` (Scope=organization) reads each event's output in its own account and region;
    `watched_kinds` are the run kinds reported (association runs, and as deployed, Run Command
    and maintenance windows). `instance_names` and `account_names`: the sandbox's caches of
    names (new ones if None; account names are read under Scope=organization only);
    `display_time_zone`: an IANA zone the email shows times in beside UTC."""
    failed: list[str] = []
    parsed: list[tuple[Mapping[str, Any], AssociationEvent]] = []
    for record in records:
        try:
            event = parse_record(record)
            _check_identity(event)
        except InvalidRecordError as rejected:
            failed.append(message_id_of(record))
            logger.warning(
                "record rejected",
                extra=log.fields(message_id=message_id_of(record), reason=rejected.reason),
            )
        else:
            if event.kind in watched_kinds:
                parsed.append((record, event))
            else:  # the rule of an earlier deploy sent it: not an error, nothing to report
                logger.info(
                    "record dropped: its run kind is not watched",
                    extra=log.fields(message_id=message_id_of(record), kind=event.kind),
                )

    def requeue(chosen: list[Mapping[str, Any]], delay: int = 0) -> None:
        if not chosen:
            return
        from . import defer  # only when there is something to defer: not at cold start

        result = defer.requeue(
            clients["sqs"],
            resources.queue_url,
            chosen,
            delay_seconds=delay,
            before_call=_guard(deadline, "sqs", 0.0),
        )
        failed.extend(result.failed)
        logger.warning(
            "records deferred: sent back to the queue",
            extra=log.fields(
                requeued=len(result.requeued), failed=len(result.failed), delay_seconds=delay
            ),
        )

    if not deadline.allows(START_RESERVE_SECONDS, AFTER_RESERVE_SECONDS):
        requeue([record for record, _ in parsed])
        return _response(failed, len(records))

    by_instance: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    events: dict[tuple[str, ...], AssociationEvent] = {}
    for record, event in parsed:
        key = _instance_key(event)
        by_instance.setdefault(key, []).append(record)
        if key not in events or _order(event) > _order(events[key]):
            events[key] = event
    observations = [_observation(event) for event in events.values()]
    digest_id = digest_id_of(observations)
    store = Store(
        clients["dynamodb"],
        resources.table_name,
        clock=wall_clock,
        lease_seconds=lease_seconds,
        ttl_days=ttl_days,
        before_call=_guard(deadline, "dynamodb", AFTER_RESERVE_SECONDS),
    )
    try:
        claimed = store.claim(observations, digest_id)
    except OutOfTimeError:
        # Claims already taken lapse after their lease; the retry takes them over.
        requeue([record for record, _ in parsed])
        return _response(failed, len(records))
    for skipped in claimed.skipped:
        if skipped.reason == "claimed_elsewhere":
            requeue(by_instance[_observation_key(skipped.observation)], delay=MAX_DEFER_SECONDS)

    claims = {_observation_key(claim.observation): claim for claim in claimed.claimed}
    enricher = Enricher(
        clients["ssm"],
        enrich_max_lookups,
        max(
            0.0,
            min(
                enrich_budget_seconds,
                deadline.seconds_left()
                - START_RESERVE_SECONDS
                - BUDGETS["ssm"].worst_case_seconds(),
            ),
        ),
        clock,
        s3=clients["s3"],  # the end of a long output, from the association's output bucket
        accounts=accounts,
    )
    built, quarantined = inbox.build_entries(
        claims.items(),
        lambda claim: _entry(events[_observation_key(claim.observation)], claim, enricher),
    )
    bad = {key for key, _ in quarantined}
    for key, reason in quarantined:
        failed.extend(message_id_of(record) for record in by_instance[key])
        logger.error(
            "record quarantined: its entry could not be built",
            extra=log.fields(
                message_ids=[message_id_of(record) for record in by_instance[key]], reason=reason
            ),
        )
    if bad:
        with contextlib.suppress(Exception):  # if not released, the claims lapse after the lease
            store.release([claims[key] for key in bad])
    entries = [entry for _, entry in built]
    kept = [claims[key] for key, _ in built]
    if not entries:
        return _response(failed, len(records))
    entries = _named(
        entries,
        InstanceNames(
            instance_names if instance_names is not None else NameCache(clock),
            _place_clients(clients, accounts),
            _guard_service(deadline, START_RESERVE_SECONDS + AFTER_RESERVE_SECONDS),
            names_budget_seconds,
            clock,
        ),
    )

    def give_back(chosen: list[Claim], fail: bool) -> None:
        with contextlib.suppress(Exception):  # if not released, the claims lapse after the lease
            store.release(chosen)
        chosen_records = [
            record
            for claim in chosen
            for record in by_instance[_observation_key(claim.observation)]
        ]
        if fail:
            failed.extend(message_id_of(record) for record in chosen_records)
        else:
            requeue(chosen_records)

    run_date = max(event.last_execution_date[:10] for event in events.values()) or "undated"
    try:
        written = reports.write_reports(
            clients["s3"],
            resources.bucket,
            [_report_line(entry) for entry in entries],
            digest_id,
            run_date,
            region=resources.region,
            partition=resources.partition,
            before_call=_guard(deadline, "s3", AFTER_RESERVE_SECONDS),
        )
    except reports.ReportWriteError as error:
        logger.error(
            "report not written: the digest is not sent",
            extra=log.fields(digest_id=digest_id, error=log.describe_error(error)),
        )
        give_back(kept, fail=not isinstance(error.__cause__, OutOfTimeError))
        return _response(failed, len(records))

    links = inbox.Links(
        written.index_link, {key: link for key, (_, link) in written.associations.items()}
    )
    totals = {key[:3]: counts for key, counts in sorted(claimed.run_totals.items())}
    unconfirmed = sorted(
        {link for links_ in claimed.unconfirmed_reports.values() for link in links_}
    )
    emails = inbox.plan_emails(
        entries,
        links,
        split_by=split_by,
        cap=cap,
        run_totals=totals,
        unconfirmed=unconfirmed,
        # Each email travels with its chat rendering and routing attributes in one message.
        budget_bytes=routing.EMAIL_BUDGET_BYTES,
        naming=_naming(clients, accounts, account_names, display_time_zone, deadline),
    )
    by_entry = dict(zip(entries, kept, strict=True))
    pacer = Pacer(clock, sleep)
    published = 0
    for email in emails:
        email_claims = [by_entry[entry] for entry in email.entries]
        outcome = _publish_once(clients["sns"], resources, email, links, pacer, deadline)
        fields = log.fields(
            digest_id=digest_id,
            outcome=outcome,
            instances=len(email.entries),
            shown=email.shown,
            associations=len({entry.group_key for entry in email.entries}),
            report=written.index_link,
        )
        if outcome in ("sent", "unknown"):
            published += 1
            logger.info("digest published", extra=fields)
        else:
            logger.error("digest not published", extra=fields)
        if outcome not in ("sent", "unknown"):
            give_back(email_claims, fail=outcome == "refused")
            continue
        try:
            store.confirm(
                email_claims,
                outcome,
                report_link=written.index_link if outcome == "unknown" else "",
            )
        # The email went out (or may have): its records are done whatever the table says. An
        # unconfirmed claim only lapses after its lease; failing the batch here would send the
        # email again.
        except Exception as error:
            logger.error(
                "digest not recorded as sent",
                extra=log.fields(digest_id=digest_id, error=log.describe_error(error)),
            )
    if deadline.allows(pacer.seconds_until_free()):
        pacer.wait_until_free()
    return _response(failed, len(records), published)


def _publish_once(
    sns: Any,
    resources: Resources,
    email: inbox.Email,
    links: inbox.Links,
    pacer: Pacer,
    deadline: Deadline,
) -> str:
    """sent | unknown | refused (SNS said no every time, or the message is too large) | no_time
    (not started). One message carries the email text for email and SQS subscribers, the chat
    rendering for Amazon Q Developer's https subscription, and the routing attributes that
    subscription filter policies read (routing.py)."""
    try:
        arguments = routing.publish_arguments(
            resources.topic_arn, email, links, partition=resources.partition
        )
    except routing.MessageTooLargeError as error:
        logger.error("digest too large to publish", extra=log.fields(error=str(error)))
        return "refused"
    for _ in range(PUBLISH_TRIES):
        wait = pacer.seconds_until_free()
        if not deadline.allows(
            wait + BUDGETS["sns"].worst_case_seconds(), AFTER_PUBLISH_RESERVE_SECONDS
        ):
            return "no_time"
        pacer.wait_turn()
        try:
            sns.publish(**arguments)
        except Exception as error:
            if inbox.publish_outcome(error) == "unknown":
                return "unknown"
            continue  # surely not sent: safe to try again
        return "sent"
    return "refused"


def _guard(deadline: Deadline, service: str, reserve: float) -> Callable[[str], None]:
    return lambda what: deadline.require(BUDGETS[service], reserve, what)


def _guard_service(deadline: Deadline, reserve: float) -> Callable[[str], None]:
    """A call to the service it is given starts only if its worst case leaves `reserve`."""
    return lambda service: deadline.require(BUDGETS[service], reserve, f"{service} call")


def _named(entries: list[inbox.Entry], names: InstanceNames) -> list[inbox.Entry]:
    """The entries, each with its instance's name where one was found: the instances an email
    names (all but the successes, which it counts), failures first."""
    shown = sorted(
        (entry for entry in entries if entry.classification != "ok"),
        key=lambda entry: (not entry.failed, inbox.CLASS_ORDER.get(entry.classification, 2)),
    )
    try:
        found = names.names((e.account, e.region, e.instance_id) for e in shown)
    except Exception as error:  # never: InstanceNames raises nothing; bare ids if it ever does
        logger.warning(
            "instance names not shown", extra=log.fields(error=log.describe_error(error))
        )
        return entries
    return [
        entry._replace(
            instance_name=found.get((entry.account, entry.region, entry.instance_id), "")
        )
        for entry in entries
    ]


def _place_clients(
    clients: Mapping[str, Any], accounts: AccountClients | None
) -> Callable[[str, str, str], Any]:
    """(service, account, region) -> the client that reads there: the function's own in its own
    place, the spoke's reader role's elsewhere (Scope=organization)."""

    def client_for(service: str, account: str, region: str) -> Any:
        if accounts is None or accounts.is_home(accounts.place(account, region)):
            if service not in clients:
                raise ReaderUnavailableError(f"no {service} client")
            return clients[service]
        return accounts.client(service, account, region)

    return client_for


def _naming(
    clients: Mapping[str, Any],
    accounts: AccountClients | None,
    account_names: AccountNames | None,
    display_time_zone: str,
    deadline: Deadline,
) -> inbox.Naming:
    """Account names under Scope=organization (Organizations, cached, each call only if a
    publish and what must follow it still fit), and the display zone (None: UTC only)."""
    zone = display_zone(display_time_zone)
    if accounts is None:
        return inbox.Naming(zone=zone)
    names = account_names or AccountNames(lambda: clients["organizations"])
    guard = _guard_service(
        deadline, BUDGETS["sns"].worst_case_seconds() + AFTER_PUBLISH_RESERVE_SECONDS
    )
    return inbox.Naming(lambda account: names.name(account, guard), True, zone)


def _check_identity(event: AssociationEvent) -> None:
    for name, value in (
        ("account", event.account),
        ("region", event.region),
        ("association-id", event.association_id),
        ("instance-id", event.instance_id),
    ):
        if len(value) > IDENTITY_MAX_CHARS or not _encodable(value):
            raise InvalidRecordError(f"{name} cannot key the state table")
    if len(event.status) > STATUS_MAX_CHARS or not _encodable(event.status):
        raise InvalidRecordError("status is not a status")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _order(event: AssociationEvent) -> tuple[str, str]:
    return (event.last_execution_date, event.status)


def _instance_key(event: AssociationEvent) -> tuple[str, ...]:
    return (event.account, event.region, event.association_id, event.instance_id)


def _observation_key(observation: Observation) -> tuple[str, ...]:
    return (
        observation.account,
        observation.region,
        observation.association_id,
        observation.instance_id,
    )


def _observation(event: AssociationEvent) -> Observation:
    return Observation(
        event.account,
        event.region,
        event.association_id,
        event.instance_id,
        event.status,
        event.last_execution_date,
    )


def _entry(event: AssociationEvent, claim: Claim, enricher: Enricher) -> inbox.Entry:
    output = ""
    if event.status in ("Failed", "TimedOut"):
        output = _output_text(enricher.lookup(event))
    return inbox.Entry(
        account=event.account,
        region=event.region,
        association_id=event.association_id,
        document_name=event.document_name,
        instance_id=event.instance_id,
        status=event.status,
        classification=claim.classification,
        last_execution=event.last_execution_date,
        failing_since=claim.failing_since,
        error_code=event.error_code,
        summary=event.execution_summary,
        output=output,
        possible_repeat=claim.possible_repeat,
        output_url=event.output_url,
    )


def _output_text(lookup: OutputLookup) -> str:
    if lookup.not_fetched:
        return f"output not fetched: {lookup.not_fetched}"
    return "\n".join(part for part in (lookup.stdout_tail, lookup.stderr_tail) if part)


def _report_line(entry: inbox.Entry) -> reports.ReportLine:
    # A report line is an entry's fields by name (reports keeps no dependency on the email model).
    return reports.ReportLine(
        **{field: getattr(entry, field) for field in reports.ReportLine._fields}
    )


def _response(
    failed: list[str], records: int, published: int = 0
) -> dict[str, list[dict[str, str]]]:
    unique = list(dict.fromkeys(failed))
    logger.info(
        "batch done", extra=log.fields(records=records, failed=len(unique), published=published)
    )
    return {"batchItemFailures": [{"itemIdentifier": item} for item in unique]}

"""Full digest reports in S3: every instance a digest covers, named durably, and a link to them.

The email is bounded (one message, 256 KiB); the report is not: every instance with its status,
classification, times, error code, summary and fetched output. Keys:

  reports/<account>/<region>/<association-id>/<run date>/<digest-id>.txt   one per association
  digests/<run date>/<digest-id>.txt                                       the digest's index

The index lists every association of the digest with its counts and its report's key; the email
always carries the index link and, for each association it shows, that association's link.
Objects are text/plain UTF-8 and encrypted by the bucket's default encryption (no SSE parameters
sent, so the bucket decides: SSE-KMS with its key in the template). A write that fails raises
ReportWriteError: the caller fails the digest so it is retried, never sends names it did not keep.

Links are S3 console URLs (partition-aware host), opened with the reader's own sign-in. Presigned
URLs are not used: one signed with the function's role credentials stops working when those
session credentials expire (hours at most), long before anyone reads an old email.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from . import runs
from .neutral import block, one_line

CONSOLE_HOSTS = {
    "aws": "console.aws.amazon.com",
    "aws-cn": "console.amazonaws.cn",
    "aws-us-gov": "console.amazonaws-us-gov.com",
}
FIELD_MAX_CHARS = 2_000
OUTPUT_MAX_CHARS = 24_000  # GetCommandInvocation's own limit on StandardOutputContent
OUTPUT_MAX_LINES = 400
CONTENT_TYPE = "text/plain; charset=utf-8"
# A digest of a burst covers hundreds of associations: one PUT each, a few at a time.
PUT_THREADS = 8


class ReportWriteError(Exception):
    """A report could not be written: the digest must not go out without it."""


class ReportLine(NamedTuple):
    """One instance in a report (every field untrusted, neutralised when written)."""

    account: str
    region: str
    association_id: str
    document_name: str
    instance_id: str
    status: str
    classification: str
    last_execution: str
    failing_since: str
    error_code: str
    summary: str
    output: str
    output_url: str = ""  # where State Manager wrote the run's whole output (the event's)
    instance_name: str = ""  # its Name tag or computer name, when the digest looked it up


class Written(NamedTuple):
    index_key: str
    index_link: str
    # (account, region, association_id) -> (key, link)
    associations: dict[tuple[str, str, str], tuple[str, str]]


def report_key(
    account: str, region: str, association_id: str, run_date: str, digest_id: str
) -> str:
    parts = (account, region, association_id, run_date)
    return "reports/" + "/".join(_key_part(part) for part in parts) + f"/{digest_id}.txt"


def index_key(run_date: str, digest_id: str) -> str:
    return f"digests/{_key_part(run_date)}/{digest_id}.txt"


def console_link(bucket: str, key: str, region: str, partition: str = "aws") -> str:
    host = CONSOLE_HOSTS.get(partition, CONSOLE_HOSTS["aws"])
    from urllib.parse import quote  # here, not at import: cold start

    return (
        f"https://{host}/s3/object/{bucket}?region={quote(region, safe='')}"
        f"&bucketType=general&prefix={quote(key, safe='')}"
    )


def write_reports(
    s3: Any,
    bucket: str,
    lines: Iterable[ReportLine],
    digest_id: str,
    run_date: str,
    *,
    region: str,
    partition: str = "aws",
    before_call: Callable[[str], None] = lambda what: None,
    threads: int = PUT_THREADS,
) -> Written:
    """Write one report per association and the digest's index; ReportWriteError on any failure."""
    by_association: dict[tuple[str, str, str], list[ReportLine]] = {}
    for line in lines:
        key = (line.account, line.region, line.association_id)
        by_association.setdefault(key, []).append(line)
    written: dict[tuple[str, str, str], tuple[str, str]] = {}
    index_lines = [f"Digest {digest_id}, runs of {run_date}", ""]
    objects: list[tuple[str, list[ReportLine]]] = []
    for (account, area, association_id), entries in sorted(by_association.items()):
        key = report_key(account, area, association_id, run_date, digest_id)
        objects.append((key, entries))
        written[(account, area, association_id)] = (
            key,
            console_link(bucket, key, region, partition),
        )
        failed = sum(1 for entry in entries if entry.status in ("Failed", "TimedOut"))
        index_lines.append(
            f"{one_line(account, 20)} {one_line(area, 30)} {one_line(association_id, 64)}: "
            f"{len(entries)} instances, {failed} failed: {key}"
        )
    _put_all(s3, bucket, objects, digest_id, before_call, threads)
    key = index_key(run_date, digest_id)
    _put(s3, bucket, key, "\n".join(index_lines) + "\n", before_call)
    return Written(key, console_link(bucket, key, region, partition), written)


def render(entries: list[ReportLine], digest_id: str) -> str:
    """The report's text: a header, then one block per instance, failures first."""
    first = entries[0]
    named = runs.heading(first.association_id, first.document_name)
    out = [
        named[:1].upper() + named[1:],
        f"Account {one_line(first.account, 20)}, region {one_line(first.region, 30)}",
        f"Digest {digest_id}: {len(entries)} instances",
        "",
    ]
    for entry in sorted(entries, key=_report_order):
        named = f" ({one_line(entry.instance_name, 64)})" if entry.instance_name else ""
        out.append(
            f"{one_line(entry.instance_id, 128)}{named}: {one_line(entry.status, 40)}"
            f" ({one_line(entry.classification, 20)})"
        )
        for label, value in (
            ("last run", entry.last_execution),
            ("failing since", entry.failing_since),
            ("error code", entry.error_code),
            ("summary", entry.summary),
            ("output url", entry.output_url),
        ):
            if value:
                out.append(f"  {label}: {one_line(value, FIELD_MAX_CHARS)}")
        if entry.output:
            out.append("  output:")
            out.extend(
                "    " + line for line in block(entry.output, OUTPUT_MAX_CHARS, OUTPUT_MAX_LINES)
            )
        out.append("")
    return "\n".join(out)


def _report_order(entry: ReportLine) -> tuple[int, str]:
    failing = entry.status in ("Failed", "TimedOut")
    return (0 if failing else 1, entry.instance_id)


def _put_all(
    s3: Any,
    bucket: str,
    objects: list[tuple[str, list[ReportLine]]],
    digest_id: str,
    before_call: Callable[[str], None],
    threads: int,
) -> None:
    def put(item: tuple[str, list[ReportLine]]) -> None:
        _put(s3, bucket, item[0], render(item[1], digest_id), before_call)

    if threads <= 1 or len(objects) <= 1:
        for item in objects:
            put(item)
        return
    from concurrent.futures import ThreadPoolExecutor  # not at import: cold start

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(put, objects))  # the first ReportWriteError propagates


def _put(s3: Any, bucket: str, key: str, text: str, before_call: Callable[[str], None]) -> None:
    try:
        before_call("PutObject")
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=text.encode("utf-8", "replace"),
            ContentType=CONTENT_TYPE,
        )
    except Exception as error:
        raise ReportWriteError(
            f"report {key} not written: {type(error).__name__}: {error}"
        ) from error


def _key_part(value: str) -> str:
    """A key segment: only characters safe in S3 keys and console URLs; never empty."""
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in value[:128])
    return safe if safe.strip(".") else "_"  # never empty, "." or ".."

"""Full reports in moto's S3: one object per association and an index, links, failures raise."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws
from notifier_testkit import REGION
from ssm_notifier.deadline import OutOfTimeError
from ssm_notifier.reports import (
    ReportLine,
    ReportWriteError,
    console_link,
    report_key,
    write_reports,
)

BUCKET = "notifier-reports"


@pytest.fixture
def s3() -> Iterator[object]:
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=BUCKET)
        client.put_bucket_encryption(
            Bucket=BUCKET,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
            },
        )
        yield client


def line(instance: str, status: str, association: str = "assoc-1", **fields: str) -> ReportLine:
    values = {
        "account": "123456789012",
        "region": REGION,
        "association_id": association,
        "document_name": "AWS-UpdateSSMAgent",
        "instance_id": instance,
        "status": status,
        "classification": "new" if status == "Failed" else "ok",
        "last_execution": "2026-05-04T03:02:10.000Z",
        "failing_since": "2026-05-04T03:02:10.000Z" if status == "Failed" else "",
        "error_code": "ExecutionError" if status == "Failed" else "",
        "summary": "1 out of 1 plugin processed",
        "output": "",
    }
    values.update(fields)
    return ReportLine(**values)


def read(s3: object, key: str) -> str:
    return s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()


def test_every_instance_is_named_in_its_association_report(s3: object) -> None:
    lines = [line(f"i-{n:05}", "Failed" if n % 3 == 0 else "Success") for n in range(2000)]
    lines.append(line("i-other", "Failed", association="assoc-2"))
    written = write_reports(s3, BUCKET, lines, "digest1", "2026-05-04", region=REGION)
    key, link = written.associations[("123456789012", REGION, "assoc-1")]
    assert key == "reports/123456789012/us-east-1/assoc-1/2026-05-04/digest1.txt"
    text = read(s3, key)
    assert all(f"i-{n:05}:" in text for n in range(2000))
    assert text.index("i-00000: Failed") < text.index("i-00001: Success")  # failures first
    assert "i-other" not in text
    index = read(s3, written.index_key)
    assert written.index_key == "digests/2026-05-04/digest1.txt"
    assert "assoc-1: 2000 instances, 667 failed" in index and "assoc-2: 1 instances" in index
    head = s3.head_object(Bucket=BUCKET, Key=key)
    assert head["ContentType"] == "text/plain; charset=utf-8"
    assert head["ServerSideEncryption"] == "aws:kms"  # the bucket's default, not ours
    assert link.startswith("https://console.aws.amazon.com/s3/object/notifier-reports?region=")


def test_the_report_carries_every_field_and_the_output_neutralised(s3: object) -> None:
    hostile = line(
        "i-\ud800\nBcc: x",
        "Failed",
        output="Updating amazon-ssm-agent\nFailed to update amazon-ssm-agent to 100000\u202e\n",
    )
    written = write_reports(s3, BUCKET, [hostile], "d2", "2026-05-04", region=REGION)
    text = read(s3, next(iter(written.associations.values()))[0])
    assert "i-\ufffd Bcc: x: Failed (new)" in text
    assert "  error code: ExecutionError" in text
    assert "  failing since: 2026-05-04T03:02:10.000Z" in text
    assert "    Failed to update amazon-ssm-agent to 100000?" in text


def test_links_follow_the_partition() -> None:
    key = report_key("123456789012", "cn-north-1", "a/../b", "2026-05-04", "d")
    assert key == "reports/123456789012/cn-north-1/a_.._b/2026-05-04/d.txt"
    link = console_link("bucket", key, "cn-north-1", "aws-cn")
    assert link.startswith("https://console.amazonaws.cn/s3/object/bucket?region=cn-north-1")
    assert "prefix=reports%2F123456789012%2Fcn-north-1" in link
    assert console_link("b", "k", "us-gov-west-1", "aws-us-gov").startswith(
        "https://console.amazonaws-us-gov.com/"
    )


def test_a_failed_write_raises(s3: object) -> None:
    with pytest.raises(ReportWriteError, match="not written: NoSuchBucket"):
        write_reports(
            s3, "no-such-bucket", [line("i-1", "Failed")], "d", "2026-05-04", region=REGION
        )


def test_a_write_the_deadline_refuses_raises_and_writes_nothing(s3: object) -> None:
    def refuse(what: str) -> None:
        raise OutOfTimeError(f"{what} not started")

    with pytest.raises(ReportWriteError, match="PutObject not started"):
        write_reports(
            s3,
            BUCKET,
            [line("i-1", "Failed")],
            "d",
            "2026-05-04",
            region=REGION,
            before_call=refuse,
        )
    assert s3.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 0


def test_an_instance_is_named_beside_its_id_when_the_digest_looked_it_up() -> None:
    from ssm_notifier.reports import ReportLine, render

    line = ReportLine(
        "111111111111",
        "us-east-1",
        "a-1",
        "AWS-UpdateSSMAgent",
        "i-0web",
        "Failed",
        "new",
        "2026-05-04T03:02:10Z",
        "",
        "",
        "",
        "",
    )
    text = render(
        [line._replace(instance_name="web-1\nforged"), line._replace(instance_id="i-0b")], "d"
    )
    assert "\ni-0web (web-1 forged): Failed (new)\n" in text
    assert "\ni-0b: Failed (new)\n" in text

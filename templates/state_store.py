"""The notifier's durable stores: the state table (what was reported) and the report bucket (the
full reports the emails link), and the role statements that use exactly them.

- State table (handler/ssm_notifier/state.py): on-demand, string keys `pk`/`sk`, TTL on
  `expires_at`, point-in-time recovery, encrypted with the pipeline key, retained on delete.
  The function's role may BatchGetItem, PutItem and UpdateItem on it, nothing else (state.py
  makes no other call). The sweep stack reads the same table through the `StateTableArn` output,
  under a key prefix of its own.
- Report bucket (handler/ssm_notifier/reports.py): private, owner-enforced, TLS only, versioned,
  objects expire after `Config.report_retention_days`, retained on delete. SSE-S3, not the
  pipeline key: the bucket outlives the stack while the pipeline key is deleted with it (30 days
  pending), which would leave the retained reports unreadable; and whoever opens a report link
  then needs no grant on the pipeline key. No server access log: the logging stack's access-log
  bucket admits the output bucket only, and admitting this bucket would make the logging stack
  depend on this one, which already depends on it (a cycle).
"""

from __future__ import annotations

from awacs import dynamodb as dynamodb_actions
from awacs import s3 as s3_actions
from awacs import sqs as sqs_actions
from awacs.aws import Allow, Statement
from troposphere import GetAtt, Sub, dynamodb, s3, sqs

from templates.common import checkov_skips
from templates.config import Config
from templates.logging_bucket import private_bucket, tls_only_policy

# reports.py's two key prefixes: per association, and the digest's index.
REPORT_PREFIXES = ("reports/", "digests/")


# The state table's keys as CreateTable and the template both spell them. The tests and benchmarks
# make their emulator tables with exactly these (`create_table(..., **TABLE_KEYS)`), so the tables
# the handler is tested against cannot drift from the stack's.
TABLE_KEYS = {
    "AttributeDefinitions": [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "S"},
    ],
    "KeySchema": [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ],
}


def state_table(
    key_arn: object,
    title: str = "StateTable",
    deletion_policy: str = "Retain",
    **extra,
) -> dynamodb.Table:
    """The state table's layout (string keys pk/sk, TTL expires_at, point-in-time recovery,
    encrypted with `key_arn`). The notifier's is retained: what was reported is the guard against
    a second email, kept if the stack goes. `extra`: further resource attributes (a Condition)."""
    return dynamodb.Table(
        title,
        DeletionPolicy=deletion_policy,
        UpdateReplacePolicy=deletion_policy,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            dynamodb.AttributeDefinition(**key) for key in TABLE_KEYS["AttributeDefinitions"]
        ],
        KeySchema=[dynamodb.KeySchema(**key) for key in TABLE_KEYS["KeySchema"]],
        SSESpecification=dynamodb.SSESpecification(
            SSEEnabled=True, SSEType="KMS", KMSMasterKeyId=key_arn
        ),
        PointInTimeRecoverySpecification=dynamodb.PointInTimeRecoverySpecification(
            PointInTimeRecoveryEnabled=True
        ),
        TimeToLiveSpecification=dynamodb.TimeToLiveSpecification(
            AttributeName="expires_at", Enabled=True
        ),
        **extra,
    )


def report_bucket(config: Config) -> s3.Bucket:
    return private_bucket(
        "ReportBucket",
        config.report_retention_days,
        expiry_rule_id="ExpireOldReports",
        Metadata=checkov_skips(
            CKV_AWS_18="no access-log bucket can take this bucket's log without a stack cycle "
            "(the logging stack's admits the output bucket only); CloudTrail data events cover "
            "object access where an account needs it",
            CKV_AWS_145="SSE-S3 on purpose: the bucket is retained while the pipeline key is "
            "deleted with the stack, which would leave the reports unreadable",
        ),
    )


def report_bucket_policy(bucket: s3.Bucket) -> s3.BucketPolicy:
    return tls_only_policy("ReportBucketPolicy", bucket)


def notifier_statements(
    table: dynamodb.Table, bucket: s3.Bucket, queue: sqs.Queue
) -> list[Statement]:
    """The state table, the report prefixes, and sending deferred records back to the queue
    (SendMessageBatch is authorised as SendMessage). The queue's key use is the role's
    EncryptForTopic statement (the same pipeline key)."""
    return [
        Statement(
            Sid="KeepState",
            Effect=Allow,
            Action=[
                dynamodb_actions.BatchGetItem,
                dynamodb_actions.PutItem,
                dynamodb_actions.UpdateItem,
            ],
            Resource=[GetAtt(table, "Arn")],
        ),
        Statement(
            Sid="WriteReports",
            Effect=Allow,
            Action=[s3_actions.PutObject],
            Resource=[Sub(f"${{{bucket.title}.Arn}}/{prefix}*") for prefix in REPORT_PREFIXES],
        ),
        Statement(
            Sid="DeferRecords",
            Effect=Allow,
            Action=[sqs_actions.SendMessage],
            Resource=[GetAtt(queue, "Arn")],
        ),
    ]

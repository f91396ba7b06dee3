"""Logging: the S3 bucket State Manager writes association output to, and the instance-role policy
that output needs.

The agent uploads a run's stdout/stderr with the *instance's* credentials, so the instance role
(not the association) needs `s3:PutObject` on the objects and `s3:GetEncryptionConfiguration`
on the bucket. The bucket outlives the stack: it holds the evidence of past runs. Requests to it
are recorded in a second bucket (S3 server access logs), kept as long.
"""

from __future__ import annotations

from awacs import s3 as s3_actions
from awacs.aws import Allow, ArnEquals, Bool, Condition, Deny, Principal, Statement, StringEquals
from troposphere import (
    AccountId,
    Equals,
    GetAtt,
    Join,
    Not,
    Output,
    Parameter,
    Ref,
    Sub,
    Template,
    iam,
    s3,
)

from templates import names, parameters
from templates.common import checkov_skips, new_template, policy_document
from templates.config import Config

HAS_INSTANCE_ROLES = "HasInstanceRoles"
ACCESS_LOG_PREFIX = "output-bucket/"


def build(config: Config) -> Template:
    template = new_template("SSM association notifier: association output bucket and its policy")

    retention_days = template.add_parameter(parameters.output_retention_days(config))
    role_names = template.add_parameter(
        Parameter(
            names.INSTANCE_ROLE_NAMES,
            Type="CommaDelimitedList",
            Default="",
            Description="Names of the instance roles that may write association output "
            "(empty: none)",
        )
    )
    template.add_condition(HAS_INSTANCE_ROLES, Not(Equals(Join("", Ref(role_names)), "")))

    access_logs = template.add_resource(
        _private_bucket(
            "AccessLogBucket",
            Ref(retention_days),
            Metadata=checkov_skips(
                CKV_AWS_18="this bucket receives the access log; logging it would recurse"
            ),
        )
    )
    bucket = template.add_resource(
        _private_bucket(
            "OutputBucket",
            Ref(retention_days),
            LoggingConfiguration=s3.LoggingConfiguration(
                DestinationBucketName=Ref(access_logs), LogFilePrefix=ACCESS_LOG_PREFIX
            ),
        )
    )
    template.add_resource(_tls_only_policy("OutputBucketPolicy", bucket))
    template.add_resource(
        _tls_only_policy(
            "AccessLogBucketPolicy",
            access_logs,
            # S3 user guide, "Enabling Amazon S3 server access logging" (permissions for the
            # logging service principal, with aws:SourceArn and aws:SourceAccount).
            Statement(
                Sid="S3WritesAccessLog",
                Effect=Allow,
                Principal=Principal("Service", "logging.s3.amazonaws.com"),
                Action=[s3_actions.PutObject],
                Resource=[Sub(f"${{{access_logs.title}.Arn}}/{ACCESS_LOG_PREFIX}*")],
                Condition=Condition(
                    [
                        ArnEquals("aws:SourceArn", GetAtt(bucket, "Arn")),
                        StringEquals("aws:SourceAccount", AccountId),
                    ]
                ),
            ),
        )
    )

    template.add_resource(
        iam.PolicyType(
            "InstanceOutputPolicy",
            Condition=HAS_INSTANCE_ROLES,
            PolicyName="write-association-output",
            Roles=Ref(role_names),
            PolicyDocument=policy_document(
                [
                    Statement(
                        Sid="WriteAssociationOutput",
                        Effect=Allow,
                        Action=[s3_actions.PutObject],
                        Resource=[Sub("${OutputBucket.Arn}/*")],
                    ),
                    Statement(
                        Sid="ReadBucketEncryption",
                        Effect=Allow,
                        Action=[s3_actions.GetEncryptionConfiguration],
                        Resource=[GetAtt(bucket, "Arn")],
                    ),
                ]
            ),
        )
    )

    template.add_output(
        [
            Output(names.OUTPUT_BUCKET_NAME, Value=Ref(bucket)),
            Output(names.OUTPUT_BUCKET_ARN, Value=GetAtt(bucket, "Arn")),
        ]
    )
    return template


def _private_bucket(title: str, retention_days: Ref, **extra) -> s3.Bucket:
    """Encrypted, private, versioned, kept on stack deletion, objects expiring after
    `retention_days`. SSE-S3: S3 server access logs can only be delivered to SSE-S3 buckets, and
    the agent writes output without needing a KMS grant."""
    return s3.Bucket(
        title,
        DeletionPolicy="Retain",
        UpdateReplacePolicy="Retain",
        BucketEncryption=s3.BucketEncryption(
            ServerSideEncryptionConfiguration=[
                s3.ServerSideEncryptionRule(
                    ServerSideEncryptionByDefault=s3.ServerSideEncryptionByDefault(
                        SSEAlgorithm="AES256"
                    ),
                    BucketKeyEnabled=True,
                )
            ]
        ),
        PublicAccessBlockConfiguration=s3.PublicAccessBlockConfiguration(
            BlockPublicAcls=True,
            BlockPublicPolicy=True,
            IgnorePublicAcls=True,
            RestrictPublicBuckets=True,
        ),
        OwnershipControls=s3.OwnershipControls(
            Rules=[s3.OwnershipControlsRule(ObjectOwnership="BucketOwnerEnforced")]
        ),
        VersioningConfiguration=s3.VersioningConfiguration(Status="Enabled"),
        LifecycleConfiguration=s3.LifecycleConfiguration(
            Rules=[
                s3.LifecycleRule(
                    Id="ExpireOldObjects",
                    Status="Enabled",
                    ExpirationInDays=retention_days,
                    NoncurrentVersionExpiration=s3.NoncurrentVersionExpiration(NoncurrentDays=1),
                    AbortIncompleteMultipartUpload=s3.AbortIncompleteMultipartUpload(
                        DaysAfterInitiation=1
                    ),
                )
            ]
        ),
        **extra,
    )


def _tls_only_policy(title: str, bucket: s3.Bucket, *allow: Statement) -> s3.BucketPolicy:
    arn = GetAtt(bucket, "Arn")
    return s3.BucketPolicy(
        title,
        # Kept with the bucket it protects: a retained bucket without its policy would lose
        # TLS-only, and the access-log bucket the logging service's permission to write.
        DeletionPolicy="Retain",
        UpdateReplacePolicy="Retain",
        Bucket=Ref(bucket),
        PolicyDocument=policy_document(
            [
                # S3 user guide, "Security best practices for Amazon S3" (enforce encryption of
                # data in transit: deny when aws:SecureTransport is false).
                Statement(
                    Sid="DenyInsecureTransport",
                    Effect=Deny,
                    Principal=Principal("*"),
                    Action=[s3_actions.Action("*")],
                    Resource=[arn, Sub(f"${{{bucket.title}.Arn}}/*")],
                    Condition=Condition(Bool("aws:SecureTransport", "false")),
                ),
                *allow,
            ]
        ),
    )

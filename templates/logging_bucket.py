"""Logging: the S3 bucket State Manager writes association output to, and the instance-role policy
that output needs.

The agent uploads a run's stdout/stderr with the *instance's* credentials, so the instance role
(not the association) needs `s3:PutObject` on the objects and `s3:GetEncryptionConfiguration`
on the bucket. That policy sits on roles this stack does not own, and IAM is global: its name is
this stack's own (`output_policy_name`), so a copy of the stack in another region, or a second
one in the same region, granting the same role never collides with it, and deleting one stack
removes only its own grant. The bucket outlives the stack: it holds the evidence of past runs.
Requests to it are recorded in a second bucket (S3 server access logs), kept as long.
"""

from __future__ import annotations

from awacs import kms as kms_actions
from awacs import s3 as s3_actions
from awacs.aws import Allow, ArnEquals, Bool, Condition, Deny, Principal, Statement, StringEquals
from troposphere import (
    AccountId,
    And,
    Equals,
    GetAtt,
    If,
    Join,
    Not,
    Output,
    Parameter,
    Ref,
    Region,
    Select,
    Split,
    StackId,
    Sub,
    Template,
    iam,
    s3,
)
from troposphere import Condition as CfnCondition

from templates import names, parameters
from templates.common import checkov_skips, new_template, policy_document
from templates.config import Config

HAS_INSTANCE_ROLES = "HasInstanceRoles"
HAS_OUTPUT_KEY = "HasOutputBucketKey"
INSTANCE_ROLES_USE_OUTPUT_KEY = "InstanceRolesUseOutputBucketKey"
ACCESS_LOG_PREFIX = "output-bucket/"
OUTPUT_POLICY_PREFIX = "write-association-output"


OUTPUT_KEY_POLICY_PREFIX = "use-association-output-key"


def output_policy_name(prefix: str = OUTPUT_POLICY_PREFIX) -> Join:
    """PREFIX-REGION-UUID, the UUID being the one in this stack's id (arn:...:stack/NAME/UUID):
    unique per stack and region, 78 characters at most for today's region names, within IAM's
    128 characters and pattern (iam service-2.json policyNameType). The stack name would be
    readable, but it can be 128 characters long by itself."""
    return Join("-", [prefix, Region, Select(2, Split("/", StackId))])


def build(config: Config) -> Template:
    template = new_template("SSM association notifier: association output bucket and its policy")

    retention_days = template.add_parameter(parameters.output_retention_days(config))
    role_names = template.add_parameter(
        Parameter(
            names.INSTANCE_ROLE_NAMES,
            Type="CommaDelimitedList",
            Default="",
            # As the spoke declares it (a parameter is declared alike wherever it is declared).
            AllowedPattern=r"^[\w+=,.@-]{0,64}$",
            ConstraintDescription="IAM role names (not ARNs), comma-separated",
            Description="Names of the instance roles that may write association output "
            "(empty: none)",
        )
    )
    template.add_condition(HAS_INSTANCE_ROLES, Not(Equals(Join("", Ref(role_names)), "")))
    output_key = template.add_parameter(parameters.output_bucket_kms_key_arn())
    template.add_condition(HAS_OUTPUT_KEY, Not(Equals(Ref(output_key), "")))
    template.add_condition(
        INSTANCE_ROLES_USE_OUTPUT_KEY,
        And(CfnCondition(HAS_INSTANCE_ROLES), CfnCondition(HAS_OUTPUT_KEY)),
    )

    access_logs = template.add_resource(
        private_bucket(
            "AccessLogBucket",
            Ref(retention_days),
            Metadata=checkov_skips(
                CKV_AWS_18="this bucket receives the access log; logging it would recurse"
            ),
        )
    )
    bucket = template.add_resource(
        private_bucket(
            "OutputBucket",
            Ref(retention_days),
            # Your key when one is given; S3 server access logs need SSE-S3, so the access-log
            # bucket keeps it.
            encryption=If(HAS_OUTPUT_KEY, _sse_kms(Ref(output_key)), _SSE_S3),
            LoggingConfiguration=s3.LoggingConfiguration(
                DestinationBucketName=Ref(access_logs), LogFilePrefix=ACCESS_LOG_PREFIX
            ),
        )
    )
    template.add_resource(tls_only_policy("OutputBucketPolicy", bucket))
    template.add_resource(
        tls_only_policy(
            "AccessLogBucketPolicy",
            access_logs,
            access_log_write_statement(access_logs, bucket),
        )
    )

    template.add_resource(
        iam.PolicyType(
            "InstanceOutputPolicy",
            Condition=HAS_INSTANCE_ROLES,
            PolicyName=output_policy_name(),
            Roles=Ref(role_names),
            PolicyDocument=policy_document(instance_output_statements(bucket)),
        )
    )

    template.add_resource(
        iam.PolicyType(
            "InstanceOutputKeyPolicy",
            Condition=INSTANCE_ROLES_USE_OUTPUT_KEY,
            PolicyName=output_policy_name(OUTPUT_KEY_POLICY_PREFIX),
            Roles=Ref(role_names),
            PolicyDocument=policy_document(
                [
                    Statement(
                        Sid="EncryptAssociationOutput",
                        Effect=Allow,
                        # "Using server-side encryption with AWS KMS keys (SSE-KMS)", S3 user
                        # guide: PutObject needs kms:GenerateDataKey, a multipart upload (the
                        # agent's for long output) kms:Decrypt as well.
                        Action=[kms_actions.GenerateDataKey, kms_actions.Decrypt],
                        Resource=[Ref(output_key)],
                    )
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


_SSE_S3 = s3.ServerSideEncryptionRule(
    ServerSideEncryptionByDefault=s3.ServerSideEncryptionByDefault(SSEAlgorithm="AES256"),
    BucketKeyEnabled=True,
)


def _sse_kms(key_arn: Ref) -> s3.ServerSideEncryptionRule:
    """SSE-KMS with `key_arn` and an S3 bucket key (far fewer KMS requests, and their cost)."""
    return s3.ServerSideEncryptionRule(
        ServerSideEncryptionByDefault=s3.ServerSideEncryptionByDefault(
            SSEAlgorithm="aws:kms", KMSMasterKeyID=key_arn
        ),
        BucketKeyEnabled=True,
    )


def private_bucket(
    title: str,
    retention_days: Ref | int,
    encryption=_SSE_S3,
    expiry_rule_id: str = "ExpireOldObjects",
    **extra,
) -> s3.Bucket:
    """Encrypted, private, versioned, kept on stack deletion, objects expiring after
    `retention_days` (lifecycle rule `expiry_rule_id`). SSE-S3 unless `encryption` says
    otherwise: S3 server access logs can only be delivered to SSE-S3 buckets, and the agent
    writes SSE-S3 output without a KMS grant."""
    return s3.Bucket(
        title,
        DeletionPolicy="Retain",
        UpdateReplacePolicy="Retain",
        BucketEncryption=s3.BucketEncryption(ServerSideEncryptionConfiguration=[encryption]),
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
                    Id=expiry_rule_id,
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


def access_log_write_statement(access_logs: s3.Bucket, bucket: s3.Bucket) -> Statement:
    """The access-log bucket's grant to the S3 logging service, for `bucket`'s log only."""
    # S3 user guide, "Enabling Amazon S3 server access logging" (permissions for the logging
    # service principal, with aws:SourceArn and aws:SourceAccount).
    return Statement(
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
    )


def instance_output_statements(bucket: s3.Bucket) -> list[Statement]:
    """What the instance roles need to write association output to `bucket` (the SSM agent
    reads the bucket's encryption before it writes)."""
    return [
        Statement(
            Sid="WriteAssociationOutput",
            Effect=Allow,
            Action=[s3_actions.PutObject],
            Resource=[Sub(f"${{{bucket.title}.Arn}}/*")],
        ),
        Statement(
            Sid="ReadBucketEncryption",
            Effect=Allow,
            Action=[s3_actions.GetEncryptionConfiguration],
            Resource=[GetAtt(bucket, "Arn")],
        ),
    ]


def tls_only_policy(title: str, bucket: s3.Bucket, *allow: Statement) -> s3.BucketPolicy:
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

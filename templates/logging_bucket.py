"""Logging: the S3 bucket State Manager writes association output to, and the instance-role policy
that output needs.

The agent uploads a run's stdout/stderr with the *instance's* credentials, so the instance role
(not the association) needs `s3:PutObject` on the objects and `s3:GetEncryptionConfiguration`
on the bucket.
The bucket outlives the stack: it holds the evidence of past runs.
"""

from __future__ import annotations

from awacs import s3 as s3_actions
from awacs.aws import Allow, Bool, Condition, Deny, Principal, Statement
from troposphere import (
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

from templates import names
from templates.common import new_template, policy_document
from templates.config import Config

HAS_INSTANCE_ROLES = "HasInstanceRoles"


def build(config: Config) -> Template:
    template = new_template("SSM association notifier: association output bucket and its policy")

    retention_days = template.add_parameter(
        Parameter(
            "OutputRetentionDays",
            Type="Number",
            Default=config.default_output_retention_days,
            MinValue=1,
            MaxValue=3650,
            Description="Days association output is kept in the bucket before it expires",
        )
    )
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

    bucket = template.add_resource(
        s3.Bucket(
            "OutputBucket",
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
                        Id="ExpireOldOutput",
                        Status="Enabled",
                        ExpirationInDays=Ref(retention_days),
                        NoncurrentVersionExpiration=s3.NoncurrentVersionExpiration(
                            NoncurrentDays=1
                        ),
                        AbortIncompleteMultipartUpload=s3.AbortIncompleteMultipartUpload(
                            DaysAfterInitiation=1
                        ),
                    )
                ]
            ),
        )
    )
    objects_arn = Sub("${OutputBucket.Arn}/*")

    template.add_resource(
        s3.BucketPolicy(
            "OutputBucketPolicy",
            Bucket=Ref(bucket),
            PolicyDocument=policy_document(
                [
                    Statement(
                        Sid="DenyInsecureTransport",
                        Effect=Deny,
                        Principal=Principal("*"),
                        Action=[s3_actions.Action("*")],
                        Resource=[GetAtt(bucket, "Arn"), objects_arn],
                        Condition=Condition(Bool("aws:SecureTransport", "false")),
                    )
                ]
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
                        Resource=[objects_arn],
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

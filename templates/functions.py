"""The pieces every function of this product is made of, shared by the notifications and sweep
stacks: an encrypted log group with a retention, a role whose only policy is the function's own,
the function itself (Python on arm64, JSON logs, code from handler/), the statements that let it
publish to the topic and write its logs, and an alarm that emails the topic."""

from __future__ import annotations

from awacs import kms as kms_actions
from awacs import logs as logs_actions
from awacs import sns as sns_actions
from awacs.aws import Allow, Statement
from troposphere import AWSHelperFn, GetAtt, Ref, cloudwatch, iam, logs
from troposphere.awslambda import Environment

from templates.common import (
    FunctionLoggingConfig,
    LocalCodeFunction,
    policy_document,
    service_trust_policy,
)
from templates.config import Config


def log_group(title: str, retention_days: Ref, key_arn: AWSHelperFn) -> logs.LogGroup:
    return logs.LogGroup(
        title,
        DeletionPolicy="Delete",
        UpdateReplacePolicy="Delete",
        KmsKeyId=key_arn,
        RetentionInDays=retention_days,
    )


def role(title: str, description: str, policy_name: str, statements: list[Statement]) -> iam.Role:
    return iam.Role(
        title,
        Description=description,
        AssumeRolePolicyDocument=service_trust_policy("lambda.amazonaws.com"),
        Policies=[iam.Policy(PolicyName=policy_name, PolicyDocument=policy_document(statements))],
    )


def function(
    title: str,
    config: Config,
    *,
    entry: str,
    timeout: int,
    role: iam.Role,
    logs_to: logs.LogGroup,
    variables: dict,
    **properties,
) -> LocalCodeFunction:
    return LocalCodeFunction(
        title,
        Code=config.handler_code_dir,
        Handler=entry,
        Runtime=config.runtime,
        Architectures=[config.architecture],
        MemorySize=config.memory_mb,
        Timeout=timeout,
        Role=GetAtt(role, "Arn"),
        Environment=Environment(Variables=variables),
        LoggingConfig=FunctionLoggingConfig(
            LogFormat="JSON",
            LogGroup=Ref(logs_to),
            ApplicationLogLevel="INFO",
            SystemLogLevel="WARN",
        ),
        **properties,
    )


def publish_statements(sid: str, topic_arn: AWSHelperFn, key_arn: AWSHelperFn) -> list[Statement]:
    """Publish to the topic, and use its key to do so (the topic is KMS-encrypted)."""
    return [
        Statement(Sid=sid, Effect=Allow, Action=[sns_actions.Publish], Resource=[topic_arn]),
        Statement(
            Sid="EncryptForTopic",
            Effect=Allow,
            Action=[kms_actions.GenerateDataKey, kms_actions.Decrypt],
            Resource=[key_arn],
        ),
    ]


def own_logs_statement(group: logs.LogGroup) -> Statement:
    return Statement(
        Sid="WriteOwnLogs",
        Effect=Allow,
        Action=[logs_actions.CreateLogStream, logs_actions.PutLogEvents],
        Resource=[GetAtt(group, "Arn")],
    )


def alarm(
    title: str,
    description: str,
    metric: tuple[str, str],
    dimension: tuple[str, AWSHelperFn],
    topic_arn: AWSHelperFn,
) -> cloudwatch.Alarm:
    """Emails the topic as soon as the metric is above zero in a 5-minute period. Queue depth is
    read as a maximum, counts (errors, failed deliveries) as a sum."""
    namespace, name = metric
    return cloudwatch.Alarm(
        title,
        AlarmDescription=description,
        Namespace=namespace,
        MetricName=name,
        Dimensions=[cloudwatch.MetricDimension(Name=dimension[0], Value=dimension[1])],
        Statistic="Maximum" if namespace == "AWS/SQS" else "Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=0,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
        AlarmActions=[topic_arn],
    )

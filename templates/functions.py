"""The pieces every function of this product is made of, shared by the notifications and sweep
stacks: an encrypted log group with a retention, a role whose only policy is the function's own,
the function itself (Python on arm64, JSON logs, code from handler/) with the checkov checks it
skips, and the statements that let it publish to the topic and write its logs; with the
troposphere classes that add what troposphere 4.11.1 lacks for functions (LoggingConfig.LogFormat)
and their SQS event source mappings (ScalingConfig.MaximumConcurrency)."""

from __future__ import annotations

from awacs import kms as kms_actions
from awacs import logs as logs_actions
from awacs import sns as sns_actions
from awacs.aws import Allow, Statement
from troposphere import AWSHelperFn, AWSProperty, GetAtt, Ref, Sub, awslambda, iam, logs
from troposphere.awslambda import Environment
from troposphere.validators import integer

from templates import names
from templates.common import policy_document, service_trust_policy
from templates.config import Config

# checkov checks that no function of this product should satisfy, and why.
FUNCTION_CHECKOV_SKIPS = {
    "CKV_AWS_115": "concurrency is capped by the event source mapping (notifier) or the schedule "
    "(sweep); a reservation fails in accounts at the default concurrency quota",
    "CKV_AWS_117": "calls only AWS APIs; a VPC would add NAT or endpoints and protect nothing",
    "CKV_AWS_173": "the environment holds ARNs and names only, no secrets",
}


# troposphere 4.11.1's awslambda.LoggingConfig and awslambda.ScalingConfig carry other resources'
# properties (no LogFormat, no MaximumConcurrency). Correct classes are built on copies of the
# library's property dicts; the library itself is left untouched. tests/test_troposphere_fixes.py
# fails the day troposphere has both properties: delete these classes then.
class FunctionLoggingConfig(AWSProperty):
    props = {
        **awslambda.LoggingConfig.props,
        "LogFormat": (str, False),
    }


class EventSourceScalingConfig(AWSProperty):
    props = {"MaximumConcurrency": (integer, False)}


class EventSourceMapping(awslambda.EventSourceMapping):
    props = {
        **awslambda.EventSourceMapping.props,
        "ScalingConfig": (EventSourceScalingConfig, False),
    }


class LocalCodeFunction(awslambda.Function):
    """A Function whose `Code` is a local directory path that `aws cloudformation package` zips
    and uploads, replacing it with the S3 location."""

    props = {
        **awslambda.Function.props,
        "Code": (str, True),
        "LoggingConfig": (FunctionLoggingConfig, False),
    }


# The log groups under the pipeline key, each named after the parent stack (unique in its account
# and region): the key's policy lets CloudWatch Logs use the key for exactly these
# (templates/notifications.py).
NOTIFIER_LOG_GROUP = "notifier"
SWEEP_LOG_GROUP = "sweep"
PIPELINE_KEY_LOG_GROUPS = (NOTIFIER_LOG_GROUP, SWEEP_LOG_GROUP)


def log_group_name(group: str) -> str:
    """The `Fn::Sub` text of a function's log group name; its stack takes ParentStackName."""
    return f"/ssm-notifier/${{{names.PARENT_STACK_NAME}}}/{group}"


def log_group(title: str, retention_days: Ref, key_arn: AWSHelperFn, group: str) -> logs.LogGroup:
    """The log group `log_group_name(group)`, named before it exists: a key policy cannot name a
    generated one without a dependency cycle (the group depends on the key)."""
    return logs.LogGroup(
        title,
        DeletionPolicy="Delete",
        UpdateReplacePolicy="Delete",
        LogGroupName=Sub(log_group_name(group)),
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

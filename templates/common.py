"""Small pieces every stack module uses: troposphere fixes and awacs helpers."""

from __future__ import annotations

from awacs import sqs as sqs_actions
from awacs.aws import Allow, ArnEquals, Condition, Policy, Principal, Statement
from troposphere import AWSProperty, GetAtt, Ref, Sub, Template, awslambda, events, sqs
from troposphere.validators import integer

from templates.config import Config

POLICY_VERSION = "2012-10-17"


def new_template(description: str) -> Template:
    template = Template(Description=description)
    template.set_version("2010-09-09")
    return template


def policy_document(statements: list[Statement]) -> Policy:
    return Policy(Version=POLICY_VERSION, Statement=statements)


def checkov_skips(**reasons: str) -> dict:
    """Resource Metadata that tells checkov which of its checks do not fit, each with the reason."""
    return {
        "checkov": {
            "skip": [{"id": check, "comment": why} for check, why in sorted(reasons.items())]
        }
    }


# checkov checks that no function of this product should satisfy, and why.
FUNCTION_CHECKOV_SKIPS = {
    "CKV_AWS_115": "concurrency is capped by the event source mapping (notifier) or the schedule "
    "(sweep); a reservation fails in accounts at the default concurrency quota",
    "CKV_AWS_117": "calls only AWS APIs; a VPC would add NAT or endpoints and protect nothing",
    "CKV_AWS_173": "the environment holds ARNs and names only, no secrets",
}


def service_trust_policy(service: str) -> Policy:
    """Who may assume a role: one AWS service principal, e.g. `lambda.amazonaws.com`."""
    from awacs.sts import AssumeRole

    return policy_document(
        [Statement(Effect=Allow, Principal=Principal("Service", service), Action=[AssumeRole])]
    )


def aws_managed_policy_arn(name: str) -> Sub:
    """ARN of an AWS managed policy in whatever partition the stack is deployed to."""
    return Sub(f"arn:${{AWS::Partition}}:iam::aws:policy/{name}")


# troposphere 4.11.1's awslambda.LoggingConfig and awslambda.ScalingConfig carry other resources'
# properties (no LogFormat, no MaximumConcurrency). Correct classes are built on copies of the
# library's property dicts; the library itself is left untouched.
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


def retrying_rule_target(target_id: str, arn, dead_letter_arn, config: Config) -> events.Target:
    """A rule target that EventBridge retries for up to a day, then sends to `dead_letter_arn`
    instead of dropping the event."""
    return events.Target(
        Id=target_id,
        Arn=arn,
        RetryPolicy=events.RetryPolicy(
            MaximumRetryAttempts=config.target_retry_attempts,
            MaximumEventAgeInSeconds=config.target_max_event_age_seconds,
        ),
        DeadLetterConfig=events.DeadLetterConfig(Arn=dead_letter_arn),
    )


def only_rule_may_send(
    title: str, sid: str, rule: events.Rule, queues: list[sqs.Queue]
) -> sqs.QueuePolicy:
    """A queue policy that lets EventBridge send to `queues` for `rule` alone."""
    return sqs.QueuePolicy(
        title,
        Queues=[Ref(queue) for queue in queues],
        PolicyDocument=policy_document(
            [
                Statement(
                    Sid=sid,
                    Effect=Allow,
                    Principal=Principal("Service", "events.amazonaws.com"),
                    Action=[sqs_actions.SendMessage],
                    Resource=[GetAtt(queue, "Arn") for queue in queues],
                    Condition=Condition(ArnEquals("aws:SourceArn", GetAtt(rule, "Arn"))),
                )
            ]
        ),
    )

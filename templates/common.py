"""Small pieces the stack modules share: a new template, awacs policy helpers, checkov skips,
and the rule pieces (a retrying target, a queue policy only the rule may use)."""

from __future__ import annotations

from awacs import sqs as sqs_actions
from awacs.aws import Allow, ArnEquals, Condition, Policy, Principal, Statement
from troposphere import GetAtt, Ref, Sub, Template, events, sqs

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


def service_trust_policy(service: str | Sub) -> Policy:
    """Who may assume a role: one AWS service principal, e.g. `lambda.amazonaws.com`."""
    from awacs.sts import AssumeRole

    return policy_document(
        [Statement(Effect=Allow, Principal=Principal("Service", service), Action=[AssumeRole])]
    )


def aws_managed_policy_arn(name: str) -> Sub:
    """ARN of an AWS managed policy in whatever partition the stack is deployed to."""
    return Sub(f"arn:${{AWS::Partition}}:iam::aws:policy/{name}")


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
                # EventBridge user guide, "Using resource-based policies for Amazon EventBridge",
                # section "Amazon SQS permissions" (with aws:SourceArn, the rule).
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

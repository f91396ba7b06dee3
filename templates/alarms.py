"""Alarms: every way a notification or a sweep can be lost ends in an email on the alarm topic.

Every alarm publishes to the alarm topic (templates/alarm_topic.py), never to the digest topic:
the alarm topic's key is not the pipeline's, so an alarm still arrives when the pipeline's key
is what broke.

Each alarm fires as soon as its metric is above its threshold (zero unless the alarm names
another) in a 5-minute period. The statistic is an explicit choice at each alarm: a queue's depth
or age is read as its maximum (any message waiting), counts (errors, failed deliveries) as their
sum.
"""

from __future__ import annotations

from typing import NamedTuple

from troposphere import AWSHelperFn, cloudwatch

MAXIMUM = "Maximum"
SUM = "Sum"
PERIOD_SECONDS = 300


class Metric(NamedTuple):
    namespace: str
    name: str
    dimension: str  # the dimension that names the watched resource


QUEUE_DEPTH = Metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName")
QUEUE_OLDEST_AGE = Metric("AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName")  # seconds
FUNCTION_ERRORS = Metric("AWS/Lambda", "Errors", "FunctionName")
RULE_FAILED_DELIVERIES = Metric("AWS/Events", "FailedInvocations", "RuleName")
# Events the rule gave up on and could not write to its dead-letter queue either: lost.
RULE_DEAD_LETTER_FAILURES = Metric("AWS/Events", "InvocationsFailedToBeSentToDlq", "RuleName")


class Alarm(NamedTuple):
    """One alarm of a stack: its title, what it tells the reader, and what it watches."""

    title: str
    description: str
    metric: Metric
    statistic: str
    watched: AWSHelperFn  # the value of the metric's dimension: a queue name, a function name...
    threshold: int = 0  # fires above this


def alarm(spec: Alarm, topic_arn: AWSHelperFn) -> cloudwatch.Alarm:
    """Emails the alarm topic `topic_arn` when the spec's statistic of its metric is above the
    spec's threshold."""
    return cloudwatch.Alarm(
        spec.title,
        AlarmDescription=spec.description,
        Namespace=spec.metric.namespace,
        MetricName=spec.metric.name,
        Dimensions=[cloudwatch.MetricDimension(Name=spec.metric.dimension, Value=spec.watched)],
        Statistic=spec.statistic,
        Period=PERIOD_SECONDS,
        EvaluationPeriods=1,
        Threshold=spec.threshold,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
        AlarmActions=[topic_arn],
    )


def alarms(specs: list[Alarm], topic_arn: AWSHelperFn) -> list[cloudwatch.Alarm]:
    """A stack's alarms, all emailing the alarm topic: `template.add_resource(alarms(...))`."""
    return [alarm(spec, topic_arn) for spec in specs]

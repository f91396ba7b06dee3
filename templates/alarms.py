"""Alarms: every way a notification or a sweep can be lost ends in an email on the topic.

Each alarm fires as soon as its metric is above zero in a 5-minute period. The statistic is the
caller's choice, named where the alarm is made: a queue's depth is read as its maximum, counts
(errors, failed deliveries) as their sum.
"""

from __future__ import annotations

from troposphere import AWSHelperFn, GetAtt, Ref, cloudwatch

MAXIMUM = "Maximum"
SUM = "Sum"
PERIOD_SECONDS = 300


def alarm(
    title: str,
    description: str,
    *,
    metric: tuple[str, str],
    dimension: tuple[str, AWSHelperFn],
    statistic: str,
    topic_arn: AWSHelperFn,
) -> cloudwatch.Alarm:
    """Emails `topic_arn` when `statistic` of the (namespace, name) `metric` is above zero."""
    namespace, name = metric
    return cloudwatch.Alarm(
        title,
        AlarmDescription=description,
        Namespace=namespace,
        MetricName=name,
        Dimensions=[cloudwatch.MetricDimension(Name=dimension[0], Value=dimension[1])],
        Statistic=statistic,
        Period=PERIOD_SECONDS,
        EvaluationPeriods=1,
        Threshold=0,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
        AlarmActions=[topic_arn],
    )


def queue_not_empty(title: str, description: str, queue, topic_arn) -> cloudwatch.Alarm:
    """A message is waiting in `queue` (a dead-letter or failure queue)."""
    return alarm(
        title,
        description,
        metric=("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        dimension=("QueueName", GetAtt(queue, "QueueName")),
        statistic=MAXIMUM,
        topic_arn=topic_arn,
    )


def function_errors(title: str, description: str, function, topic_arn) -> cloudwatch.Alarm:
    """An invocation of `function` failed."""
    return alarm(
        title,
        description,
        metric=("AWS/Lambda", "Errors"),
        dimension=("FunctionName", Ref(function)),
        statistic=SUM,
        topic_arn=topic_arn,
    )


def rule_failed_deliveries(title: str, description: str, rule, topic_arn) -> cloudwatch.Alarm:
    """EventBridge could not deliver an event of `rule` to its target."""
    return alarm(
        title,
        description,
        metric=("AWS/Events", "FailedInvocations"),
        dimension=("RuleName", Ref(rule)),
        statistic=SUM,
        topic_arn=topic_arn,
    )

"""Deploy-time parameters, declared once.

A parameter the parent takes and passes to a child is declared by the same factory in both, so
its type, default and constraint cannot drift apart. Every constraint is there to reject a bad
value before CloudFormation creates anything (tests/test_parameter_constraints.py tries good and
bad values against each).
"""

from __future__ import annotations

from troposphere import Parameter

from templates import names
from templates.config import FINAL_STATUSES, LOG_RETENTION_CHOICES, Config

# The shape SNS email subscriptions accept in practice (RFC 5322 allows more, SNS does not).
EMAIL_PATTERN = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"
INSTANCE_TYPE_PATTERN = r"^[a-z][a-z0-9-]*\.[a-z0-9]+$"
# An IPv4 block from /16 to /26 (room for the two /27 subnets).
CIDR_PATTERN = (
    r"^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}"
    r"(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])/(1[6-9]|2[0-6])$"
)
SSM_PARAMETER_NAME_PATTERN = r"^/[A-Za-z0-9_./-]+$"
# SSM document names, as CreateAssociation accepts them (applied to each list element).
DOCUMENT_NAME_PATTERN = r"^[a-zA-Z0-9_\-.:/]{3,128}$"
# rate(N minutes|hours|days) or cron(...), as EventBridge schedules accept them.
EVENTS_SCHEDULE_PATTERN = (
    r"^(rate\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\)|cron\([^()]+\))$"
)
# State Manager: rate() at least 30 minutes apart, or cron().
ASSOCIATION_SCHEDULE_PATTERN = (
    r"^(rate\((3[0-9]|[4-9][0-9]|[1-9][0-9]{2,}) minutes\)"
    r"|rate\(([1-9][0-9]*) (hour|hours|day|days)\)"
    r"|cron\([^()]+\))$"
)
# A count ("10") or a percentage ("10%"), as MaxConcurrency and MaxErrors take them.
RATE_LIMIT_PATTERN = r"^([1-9][0-9]*|[1-9][0-9]?%|100%)$"
ERROR_LIMIT_PATTERN = r"^([0-9]+|[0-9][0-9]?%|100%)$"
TAG_VALUE_PATTERN = r"^[\w .:/=+@-]*$"


def notification_email() -> Parameter:
    return Parameter(
        names.NOTIFICATION_EMAIL,
        Type="String",
        Description="Email address that receives the digests and alarms (confirm the subscription)",
        AllowedPattern=EMAIL_PATTERN,
        ConstraintDescription="a single email address such as ops@example.com",
    )


def instance_type(config: Config) -> Parameter:
    return Parameter(
        "InstanceType",
        Type="String",
        Default=config.default_instance_type,
        Description="EC2 instance type of the demo instances",
        AllowedPattern=INSTANCE_TYPE_PATTERN,
        ConstraintDescription="an EC2 instance type such as t3.micro",
    )


def vpc_cidr(config: Config) -> Parameter:
    return Parameter(
        "VpcCidr",
        Type="String",
        Default=config.default_vpc_cidr,
        Description="CIDR block of the demo VPC (/16 to /26); its first two /27 blocks become "
        "the public subnets",
        AllowedPattern=CIDR_PATTERN,
        ConstraintDescription="an IPv4 CIDR block from /16 to /26, e.g. 10.0.0.0/24",
    )


def image_parameter_name(config: Config) -> Parameter:
    return Parameter(
        "ImageParameterName",
        Type="String",
        Default=config.default_ami_parameter,
        Description="Public SSM parameter that names the demo instances' AMI "
        "(default: latest Amazon Linux 2023)",
        AllowedPattern=SSM_PARAMETER_NAME_PATTERN,
        ConstraintDescription="an SSM parameter name starting with /",
    )


def output_retention_days(config: Config) -> Parameter:
    return Parameter(
        "OutputRetentionDays",
        Type="Number",
        Default=config.default_output_retention_days,
        MinValue=1,
        MaxValue=3650,
        Description="Days association output (and its access log) is kept in the bucket",
        ConstraintDescription="a whole number of days from 1 to 3650",
    )


def log_retention_days(config: Config) -> Parameter:
    return Parameter(
        names.LOG_RETENTION_DAYS,
        Type="Number",
        Default=config.default_log_retention_days,
        AllowedValues=list(LOG_RETENTION_CHOICES),
        Description="Days the functions' logs are kept",
        ConstraintDescription="a CloudWatch Logs retention: 1, 3, 5, 7, 14, 30, 60, 90, ...",
    )


def watched_documents(config: Config) -> Parameter:
    return Parameter(
        names.WATCHED_DOCUMENTS,
        Type="CommaDelimitedList",
        Default=",".join(config.watched_documents),
        Description="SSM documents whose association runs are reported (comma-separated)",
        AllowedPattern=DOCUMENT_NAME_PATTERN,
        ConstraintDescription="SSM document names, comma-separated",
    )


def watched_statuses(config: Config) -> Parameter:
    return Parameter(
        names.WATCHED_STATUSES,
        Type="CommaDelimitedList",
        Default=",".join(config.watched_statuses),
        Description="Association run statuses that are reported (comma-separated)",
        AllowedValues=list(FINAL_STATUSES),
        ConstraintDescription=f"any of {', '.join(FINAL_STATUSES)}",
    )


def sweep_schedule(config: Config) -> Parameter:
    return Parameter(
        names.SWEEP_SCHEDULE,
        Type="String",
        Default=config.default_sweep_schedule,
        Description="How often to look for instances a watched association did not run on",
        AllowedPattern=EVENTS_SCHEDULE_PATTERN,
        ConstraintDescription="rate(N minutes|hours|days) or cron(...)",
    )


def association_schedule(config: Config) -> Parameter:
    return Parameter(
        names.ASSOCIATION_SCHEDULE,
        Type="String",
        Default=config.default_association_schedule,
        Description="How often the agent update runs: rate(...) or cron(...)",
        AllowedPattern=ASSOCIATION_SCHEDULE_PATTERN,
        ConstraintDescription="rate(N days|hours|minutes >= 30) or cron(...)",
    )


def association_max_concurrency(config: Config) -> Parameter:
    return Parameter(
        names.ASSOCIATION_MAX_CONCURRENCY,
        Type="String",
        Default=config.default_max_concurrency,
        Description="How many targets the agent update runs on at once: a number or a percentage",
        AllowedPattern=RATE_LIMIT_PATTERN,
        ConstraintDescription="a number from 1, or a percentage from 1% to 100%",
    )


def association_max_errors(config: Config) -> Parameter:
    return Parameter(
        names.ASSOCIATION_MAX_ERRORS,
        Type="String",
        Default=config.default_max_errors,
        Description="Errors after which the agent update stops: a number or a percentage",
        AllowedPattern=ERROR_LIMIT_PATTERN,
        ConstraintDescription="a number from 0, or a percentage from 0% to 100%",
    )


def association_targets(targeted: str, everything: str) -> Parameter:
    return Parameter(
        names.ASSOCIATION_TARGETS,
        Type="String",
        Default=targeted,
        AllowedValues=[targeted, everything],
        Description="Run the agent update on the instances with the target tag, or on every "
        "managed instance",
    )


def target_tag_key() -> Parameter:
    return Parameter(
        names.TARGET_TAG_KEY,
        Type="String",
        Default=names.FLEET_TAG_KEY,
        Description="Tag key of the instances the agent update targets",
        MinLength=1,
        MaxLength=128,
        AllowedPattern=r"^[\w .:/=+@-]+$",
        ConstraintDescription="a tag key (letters, digits, spaces and _ . : / = + - @)",
    )

"""Deploy-time parameters, declared once, each constrained exactly as AWS constrains the value.

A parameter the parent takes and passes to a child is declared by the same factory in both, so
its type, default and constraint cannot drift apart. Every constraint is there to reject a bad
value before CloudFormation creates anything; each names its source (a botocore service model
shape, or the AWS documentation page that states the rule). tests/test_parameter_constraints.py
tries AWS's documented good and bad values and the boundaries against every declaration.

CloudFormation's AllowedPattern is a Java regular expression that must match the whole value.
The patterns use only constructs Java and Python's `regex` read alike: no `\\w` (ASCII in Java,
Unicode in Python), `\\p{...}` only for Unicode categories, no `&&` or `[` inside a class.
"""

from __future__ import annotations

from troposphere import Parameter

from templates import names
from templates.config import FINAL_STATUSES, LOG_RETENTION_CHOICES, Config


def integer_range(low: int, high: int) -> str:
    """A regex group matching the decimal integers low..high, without leading zeros."""
    if not 0 <= low <= high:
        raise ValueError(f"bad range {low}..{high}")
    parts: list[str] = []
    while low <= high:
        # Split at powers of ten so each piece has one digit count.
        top = min(high, 10 ** len(str(low)) - 1)
        parts += _same_length(str(low), str(top))
        low = top + 1
    return "(" + "|".join(parts) + ")"


def _digits(low: str, high: str) -> str:
    return low if low == high else f"[{low}-{high}]"


def _same_length(low: str, high: str) -> list[str]:
    """Alternatives matching low..high, two numbers with the same number of digits."""
    if len(low) == 1:
        return [_digits(low, high)]
    if low[0] == high[0]:
        return [low[0] + rest for rest in _same_length(low[1:], high[1:])]
    tail = len(low) - 1
    parts = []
    first, last = int(low[0]), int(high[0])
    if low[1:] != "0" * tail:  # low's leading digit does not cover a whole block
        parts += [low[0] + rest for rest in _same_length(low[1:], "9" * tail)]
        first += 1
    if high[1:] != "9" * tail:
        last -= 1
    if first <= last:
        parts.append(_digits(str(first), str(last)) + "[0-9]" + (f"{{{tail}}}" if tail > 1 else ""))
    if high[1:] != "9" * tail:
        parts += [high[0] + rest for rest in _same_length("0" * tail, high[1:])]
    return parts


def whole(pattern: str) -> str:
    """Anchor a pattern to the whole value, as the API models write theirs."""
    return f"^({pattern})$"


# --- Schedules --------------------------------------------------------------------------------
# Cron field values shared by EventBridge (user guide "Using cron and rate expressions to schedule
# rules in Amazon EventBridge") and SSM ("Reference: Cron and rate expressions for Systems
# Manager"); both take 1-7/SUN-SAT and 1-12/JAN-DEC.
CRON_MINUTE = "[0-5]?[0-9]"  # 0-59 (AWS's own examples write 09)
CRON_HOUR = "([01]?[0-9]|2[0-3])"  # 0-23
CRON_DAY_OF_MONTH = "(0?[1-9]|[12][0-9]|3[01])"  # 1-31
CRON_MONTH = "(0?[1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)"
CRON_WEEKDAY = "([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)"
CRON_YEAR = "(19[7-9][0-9]|2[01][0-9][0-9])"  # 1970-2199


def _cron_list(value: str, step: str | None) -> str:
    """A cron field: `*`, values or ranges (each with /step where the field takes one), listed."""
    item = rf"(\*|{value}(-{value})?)" + (f"(/{step})?" if step else "")
    return f"{item}(,{item})*"


# EventBridge cron: six fields, minutes hours day-of-month month day-of-week year; one of the two
# day fields is `?`. Day-of-month also takes L (last day) and nW (weekday nearest the n-th);
# day-of-week takes L, nL (last n-day of the month) and n#k (k-th n-day), and no /step.
_EVENTS_MONTH = _cron_list(CRON_MONTH, integer_range(1, 12))
_EVENTS_DAY_OF_MONTH = (
    f"({_cron_list(CRON_DAY_OF_MONTH, integer_range(1, 31))}|L|{CRON_DAY_OF_MONTH}W)"
)
_EVENTS_DAY_OF_WEEK = f"({_cron_list(CRON_WEEKDAY, None)}|L|{CRON_WEEKDAY}L|{CRON_WEEKDAY}#[1-5])"
EVENTS_CRON = (
    rf"cron\({_cron_list(CRON_MINUTE, integer_range(1, 59))}"
    rf" {_cron_list(CRON_HOUR, integer_range(1, 23))}"
    rf" ({_EVENTS_DAY_OF_MONTH} {_EVENTS_MONTH} \?|\? {_EVENTS_MONTH} {_EVENTS_DAY_OF_WEEK})"
    rf" {_cron_list(CRON_YEAR, integer_range(1, 229))}\)"
)
# EventBridge rate(value unit): a positive whole number; 1 takes the singular unit, more the plural.
EVENTS_RATE = r"rate\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\)"
# events service-2.json ScheduleExpression (max 256) + the user guide above.
EVENTS_SCHEDULE_PATTERN = whole(f"{EVENTS_RATE}|{EVENTS_CRON}")

# State Manager association cron ("Reference: Cron and rate expressions for Systems Manager",
# section "Cron and rate expressions for associations"): "every 1/2, 1, 2, 4, 8, or 12 hours;
# every day or every week at a specific time", six fields with an optional leading Seconds field
# that can only be 0, plus the monthly forms AWS's association examples use (THU#2, 6L, L).
_EVERY_DAY = r"(\? \* \*|(\*|1/1) \* \?)"  # day-of-month month day-of-week: any day
_EVERY_HALF_HOUR = rf"(0|\*)/30 \* {_EVERY_DAY}"  # cron(0/30 * * * ? *)
_EVERY_N_HOURS = rf"{CRON_MINUTE} (0|\*)/(1|2|4|8|12) {_EVERY_DAY}"  # cron(0 0/4 * * ? *)
_DAILY = rf"{CRON_MINUTE} {CRON_HOUR} {_EVERY_DAY}"  # cron(15 13 ? * * *)
_WEEKLY = rf"{CRON_MINUTE} {CRON_HOUR} \? \* {CRON_WEEKDAY}"  # cron(15 13 ? * MON *)
_MONTHLY = rf"{CRON_MINUTE} {CRON_HOUR} (\? \* ({CRON_WEEKDAY}#[1-5]|[1-7]L)|L \* \?)"
ASSOCIATION_CRON = (
    rf"cron\((0 )?({_EVERY_HALF_HOUR}|{_EVERY_N_HOURS}|{_DAILY}|{_WEEKLY}|{_MONTHLY}) \*\)"
)
# Association rate: "intervals of 30 minutes or greater and less than 31 days" (31 days is
# 44640 minutes or 744 hours); 1 takes the singular unit.
ASSOCIATION_RATE = (
    rf"rate\(({integer_range(30, 44639)} minutes|1 hour|{integer_range(2, 743)} hours"
    rf"|1 day|{integer_range(2, 30)} days)\)"
)
# ssm service-2.json ScheduleExpression (1-256) + the SSM reference above.
ASSOCIATION_SCHEDULE_PATTERN = whole(f"{ASSOCIATION_RATE}|{ASSOCIATION_CRON}")
SCHEDULE_MAX_LENGTH = 256  # events and ssm service-2.json ScheduleExpression max

# --- Rate controls ----------------------------------------------------------------------------
# ssm service-2.json MaxErrors and MaxConcurrency: these patterns, length 1-7.
MAX_ERRORS_PATTERN = r"^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$"
MAX_CONCURRENCY_PATTERN = r"^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$"
RATE_CONTROL_MAX_LENGTH = 7

# ssm service-2.json ScheduleOffset: an integer 1-6 (empty here: none).
SCHEDULE_OFFSET_CHOICES = ["", "1", "2", "3", "4", "5", "6"]
# ssm service-2.json AssociationSyncCompliance.
SYNC_COMPLIANCE_CHOICES = ["AUTO", "MANUAL"]
# ssm service-2.json CalendarNameOrARN is a plain string; a change calendar is an SSM document
# (type ChangeCalendar), named as DocumentARN allows (3-128 of letters, digits, _ - . : /);
# empty here: no calendar.
CALENDAR_NAME_PATTERN = r"^(|[a-zA-Z0-9_\-.:/]{3,128})$"

# --- Tags -------------------------------------------------------------------------------------
# The key part of an SSM target "tag:<key>": ssm service-2.json TargetKey allows
# [\p{L}\p{Z}\p{N}_.:/=\-@] (no +, unlike TagKey); EC2 and SSM tag keys are 1-128 characters.
TAG_KEY_PATTERN = r"^[\p{L}\p{Z}\p{N}_.:/=@-]*$"
TAG_KEY_MAX_LENGTH = 128
# ssm service-2.json TagValue: the tag value rule SSM applies (0-256 characters). TargetValue
# itself has no pattern; EC2 allows any character in its own tags, but SSM and most services not.
TAG_VALUE_PATTERN = r"^[\p{L}\p{Z}\p{N}_.:/=+@-]*$"

# --- IAM ----------------------------------------------------------------------------------------
# iam service-2.json pathType: this pattern (written with \u escapes, which Java and Python read
# alike), 1-512 characters; empty here means "no path" (IAM's default, /).
ROLE_PATH_PATTERN = r"^(|(\u002F)|(\u002F[\u0021-\u007E]+\u002F))$"
ROLE_PATH_MAX_LENGTH = 512
# iam service-2.json CreateRole PermissionsBoundary is an arnType (20-2048 characters, no pattern)
# naming a managed policy: arn:PARTITION:iam::ACCOUNT|aws:policy[PATH]NAME ("IAM identifiers",
# IAM user guide), the path as pathType allows and the name as policyNameType ([\w+=,.@-]+,
# \w spelled out in ASCII as Java reads it). Empty means no boundary.
_POLICY_NAME = "[A-Za-z0-9_+=,.@-]+"
_PARTITION = "aws[a-z-]*"
PERMISSIONS_BOUNDARY_PATTERN = (
    rf"^(|arn:{_PARTITION}:iam::([0-9]{{12}}|aws):policy"
    rf"(\u002F|\u002F[\u0021-\u007E]+\u002F){_POLICY_NAME})$"
)
ARN_MAX_LENGTH = 2048

# --- KMS ----------------------------------------------------------------------------------------
# kms service-2.json KeyIdType (1-2048, no pattern) takes an id, an alias or an ARN; an IAM grant
# needs the key ARN itself ("Key ARN", KMS developer guide: arn:PARTITION:kms:REGION:ACCOUNT:key/
# KEY-ID, the id a UUID or, for a multi-Region key, mrk- and 32 hex digits). Empty: no key.
_KEY_ID = "([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})"
KMS_KEY_ARN_PATTERN = rf"^(|arn:{_PARTITION}:kms:[a-z0-9-]+:[0-9]{{12}}:key/{_KEY_ID})$"

# --- Network ------------------------------------------------------------------------------------
# lambda service-2.json SubnetId and SecurityGroupId (what VpcConfig takes; ec2's own shapes have
# no pattern), each element of the list; empty means "not in a VPC". At most 16 subnets and 5
# groups (SubnetIds, SecurityGroupIds max): no parameter constraint counts list elements, Lambda
# itself rejects more.
SUBNET_ID_PATTERN = "^(|subnet-[0-9a-z]*)$"
SECURITY_GROUP_ID_PATTERN = "^(|sg-[0-9a-zA-Z]*)$"

# --- Everything else --------------------------------------------------------------------------
# SNS Subscribe Endpoint (sns service-2.json `endpoint`) has no pattern: one RFC 5322 dot-atom
# address (local part up to 64 characters, RFC 5321) at an LDH host name whose top-level domain
# is letters or an IDN A-label (xn--...); 254 characters at most (RFC 5321 path).
_EMAIL_LOCAL_CHARACTER = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_EMAIL_LOCAL = rf"{_EMAIL_LOCAL_CHARACTER}+(\.{_EMAIL_LOCAL_CHARACTER}+)*"
_DNS_LABEL = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_TOP_LEVEL_DOMAIN = "([A-Za-z]{2,63}|[Xx][Nn]--[A-Za-z0-9-]{0,57}[A-Za-z0-9])"
EMAIL_PATTERN = rf"^(?=[^@]{{1,64}}@){_EMAIL_LOCAL}@({_DNS_LABEL}\.)+{_TOP_LEVEL_DOMAIN}$"
EMAIL_MAX_LENGTH = 254
# ec2 service-2.json InstanceType is an enum (1437 types in botocore 1.44): a family, then nano
# ... xlarge, Nxlarge, metal or metal-Nxl. The pattern accepts every member (the test checks) and
# types launched after this botocore, which a copied enum would reject.
INSTANCE_TYPE_PATTERN = (
    r"^[a-z][a-z0-9]*(-[a-z0-9]+)*\."
    r"(nano|micro|small|medium|large|[1-9][0-9]*xlarge|xlarge|metal|metal-[1-9][0-9]*xl)$"
)
# EC2 VPC CIDR blocks are /16 to /28 ("VPC CIDR blocks", Amazon VPC user guide) and name a
# network, so the host bits are zero (EC2 rejects 10.0.0.5/24); /26 at most here, so two /27
# public subnets fit. One alternative per prefix length lists the octet values it can end on.
_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"


def _network_octet(block: int) -> str:
    """The octet values that are multiples of `block` (any octet when block is 1)."""
    if block == 1:
        return _OCTET
    return "(" + "|".join(str(value) for value in range(0, 256, block)) + ")"


def _network(prefix: int) -> str:
    if prefix <= 24:
        third, fourth = _network_octet(2 ** (24 - prefix)), "0"
    else:
        third, fourth = _OCTET, _network_octet(2 ** (32 - prefix))
    return rf"{_OCTET}\.{_OCTET}\.{third}\.{fourth}/{prefix}"


CIDR_PATTERN = whole("|".join(_network(prefix) for prefix in range(16, 27)))
# SSM parameter names ("Requirements and constraints for parameter names", SSM user guide):
# a-z A-Z 0-9 _ . -, a hierarchy of at most 15 levels starts with /; 1011 characters at most.
SSM_PARAMETER_NAME_PATTERN = r"^((/[A-Za-z0-9_.-]+){1,15}|[A-Za-z0-9_.-]+)$"
SSM_PARAMETER_NAME_MAX_LENGTH = 1011
# ssm service-2.json DocumentARN (CreateAssociation Name, and the event's document name); applied
# to each list element.
DOCUMENT_NAME_PATTERN = r"^[a-zA-Z0-9_\-.:/]{3,128}$"


def notification_email() -> Parameter:
    return Parameter(
        names.NOTIFICATION_EMAIL,
        Type="String",
        Description="Email address that receives the digests and alarms (confirm the subscription)",
        AllowedPattern=EMAIL_PATTERN,
        MaxLength=EMAIL_MAX_LENGTH,
        ConstraintDescription="a single email address such as ops@example.com (no list, no "
        "spaces, at most 254 characters)",
    )


def instance_type(config: Config) -> Parameter:
    return Parameter(
        "InstanceType",
        Type="String",
        Default=config.default_instance_type,
        Description="EC2 instance type of the demo instances",
        AllowedPattern=INSTANCE_TYPE_PATTERN,
        ConstraintDescription="an EC2 instance type such as t3.micro, c6gn.16xlarge or "
        "m7i.metal-24xl",
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
        MaxLength=SSM_PARAMETER_NAME_MAX_LENGTH,
        ConstraintDescription="an SSM parameter name: letters, digits, _ . -, either one name or "
        "/a/hierarchy of at most 15 levels",
    )


def output_retention_days(config: Config) -> Parameter:
    # S3 lifecycle Expiration Days is a positive whole number ("Lifecycle configuration
    # elements", S3 user guide): a String with a pattern, since a Number parameter takes 1.5;
    # 3650 is this product's ceiling (config.validate).
    return Parameter(
        "OutputRetentionDays",
        Type="String",
        Default=str(config.default_output_retention_days),
        AllowedPattern=whole(integer_range(1, 3650)),
        Description="Days association output (and its access log) is kept in the bucket",
        ConstraintDescription="a whole number of days from 1 to 3650",
    )


def log_retention_days(config: Config) -> Parameter:
    # logs service-2.json Days: "Possible values are: 1, 3, 5, ... 3653".
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
        ConstraintDescription="SSM document names or ARNs, comma-separated, each 3-128 "
        "characters of letters, digits and _ - . : /",
    )


def watched_statuses(config: Config) -> Parameter:
    # The final statuses of an association run on an instance (DESIGN.md; the "EC2 State Manager
    # Instance Association State Change" event's status).
    return Parameter(
        names.WATCHED_STATUSES,
        Type="CommaDelimitedList",
        Default=",".join(config.watched_statuses),
        Description="Association run statuses that are reported (comma-separated)",
        AllowedValues=list(FINAL_STATUSES),
        ConstraintDescription=f"any of {', '.join(FINAL_STATUSES)}",
    )


def watch_run_command() -> Parameter:
    return Parameter(
        names.WATCH_RUN_COMMAND,
        Type="String",
        Default="false",
        AllowedValues=["true", "false"],
        Description="true: also report Run Command invocations of the watched documents "
        "(each instance's Success, Failed, TimedOut or Cancelled, grouped by command, with the "
        "failed step's output)",
    )


def watch_maintenance_windows() -> Parameter:
    return Parameter(
        names.WATCH_MAINTENANCE_WINDOWS,
        Type="String",
        Default="false",
        AllowedValues=["true", "false"],
        Description="true: also report maintenance window task target invocations (SUCCESS, "
        "FAILED, TIMED_OUT or CANCELLED, grouped by window execution; any document)",
    )


def sweep_schedule(config: Config) -> Parameter:
    return Parameter(
        names.SWEEP_SCHEDULE,
        Type="String",
        Default=config.default_sweep_schedule,
        Description="How often to look for instances a watched association did not run on",
        AllowedPattern=EVENTS_SCHEDULE_PATTERN,
        MaxLength=SCHEDULE_MAX_LENGTH,
        ConstraintDescription="an EventBridge schedule: rate(1 minute|hour|day), "
        "rate(N minutes|hours|days) for N of 2 or more, or cron(minutes hours day-of-month "
        "month day-of-week year) with ? in one of the day fields",
    )


def association_schedule(config: Config) -> Parameter:
    return Parameter(
        names.ASSOCIATION_SCHEDULE,
        Type="String",
        Default=config.default_association_schedule,
        Description="How often the agent update runs: rate(...) or cron(...)",
        AllowedPattern=ASSOCIATION_SCHEDULE_PATTERN,
        MaxLength=SCHEDULE_MAX_LENGTH,
        ConstraintDescription="a State Manager schedule: rate(30 minutes) up to rate(30 days) "
        "(1 hour and 1 day singular), or cron() every 1/2, 1, 2, 4, 8 or 12 hours, or daily, "
        "weekly (SUN) or monthly (THU#2, 6L, L) at a time, such as cron(0 2 ? * SUN *)",
    )


def association_max_concurrency(config: Config) -> Parameter:
    return Parameter(
        names.ASSOCIATION_MAX_CONCURRENCY,
        Type="String",
        Default=config.default_max_concurrency,
        Description="How many targets the agent update runs on at once: a number or a percentage",
        AllowedPattern=MAX_CONCURRENCY_PATTERN,
        MinLength=1,
        MaxLength=RATE_CONTROL_MAX_LENGTH,
        ConstraintDescription="a number from 1 (at most 7 digits), or a percentage from 1% "
        "to 100%, without leading zeros",
    )


def association_max_errors(config: Config) -> Parameter:
    return Parameter(
        names.ASSOCIATION_MAX_ERRORS,
        Type="String",
        Default=config.default_max_errors,
        Description="Errors after which the agent update stops: a number or a percentage",
        AllowedPattern=MAX_ERRORS_PATTERN,
        MinLength=1,
        MaxLength=RATE_CONTROL_MAX_LENGTH,
        ConstraintDescription="a number from 0 (at most 7 digits), or a percentage from 0% "
        "to 100%, without leading zeros",
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
        MaxLength=TAG_KEY_MAX_LENGTH,
        AllowedPattern=TAG_KEY_PATTERN,
        ConstraintDescription="a tag key of 1-128 letters (any script), digits, spaces and "
        "_ . : / = @ - (no +: SSM targets do not take it)",
    )


def permissions_boundary_arn() -> Parameter:
    return Parameter(
        names.PERMISSIONS_BOUNDARY_ARN,
        Type="String",
        Default="",
        Description="ARN of the managed policy set as permissions boundary on every role the "
        "stacks create (empty: none)",
        AllowedPattern=PERMISSIONS_BOUNDARY_PATTERN,
        MaxLength=ARN_MAX_LENGTH,
        ConstraintDescription="empty, or a managed policy ARN: arn:PARTITION:iam::ACCOUNT:policy/"
        "PATH/NAME, ACCOUNT being an account id or aws (at most 2048 characters)",
    )


def role_path() -> Parameter:
    return Parameter(
        names.ROLE_PATH,
        Type="String",
        Default="",
        Description="IAM path of every role the stacks create, e.g. /app/ (empty: /)",
        AllowedPattern=ROLE_PATH_PATTERN,
        MaxLength=ROLE_PATH_MAX_LENGTH,
        ConstraintDescription="empty, /, or a path that starts and ends with / of printable "
        "ASCII characters (at most 512)",
    )


def function_subnet_ids() -> Parameter:
    return Parameter(
        names.FUNCTION_SUBNET_IDS,
        Type="CommaDelimitedList",
        Default="",
        Description="Subnets the functions run in, comma-separated; set together with "
        "FunctionSecurityGroupIds (empty: no VPC)",
        AllowedPattern=SUBNET_ID_PATTERN,
        ConstraintDescription="subnet ids such as subnet-0123456789abcdef0, comma-separated",
    )


def function_security_group_ids() -> Parameter:
    return Parameter(
        names.FUNCTION_SECURITY_GROUP_IDS,
        Type="CommaDelimitedList",
        Default="",
        Description="Security groups of the functions in the VPC, comma-separated; set together "
        "with FunctionSubnetIds (empty: no VPC)",
        AllowedPattern=SECURITY_GROUP_ID_PATTERN,
        ConstraintDescription="security group ids such as sg-0123456789abcdef0, comma-separated",
    )


def association_apply_only_at_cron_interval(config: Config) -> Parameter:
    # ssm service-2.json ApplyOnlyAtCronInterval: a boolean, "not supported for rate
    # expressions" (the association stack applies it to a cron schedule only).
    return Parameter(
        names.ASSOCIATION_APPLY_ONLY_AT_CRON,
        Type="String",
        Default=str(config.default_apply_only_at_cron_interval).lower(),
        AllowedValues=["true", "false"],
        Description="true: the agent update runs only at its cron times, not at once when the "
        "association is created or updated (cron schedules only; a rate() one always runs at "
        "once)",
    )


def association_schedule_offset() -> Parameter:
    return Parameter(
        names.ASSOCIATION_SCHEDULE_OFFSET,
        Type="String",
        Default="",
        AllowedValues=SCHEDULE_OFFSET_CHOICES,
        ConstraintDescription="empty, or a whole number of days from 1 to 6",
        Description="Days after the cron day the agent update runs, e.g. 3 with THU#2: the "
        "Sunday after the second Thursday (cron schedules only; empty: none)",
    )


def association_calendar_names() -> Parameter:
    return Parameter(
        names.ASSOCIATION_CALENDAR_NAMES,
        Type="CommaDelimitedList",
        Default="",
        Description="SSM Change Calendar names or ARNs; the agent update runs only while they "
        "are OPEN (comma-separated; empty: none)",
        AllowedPattern=CALENDAR_NAME_PATTERN,
        ConstraintDescription="change calendar names or ARNs, comma-separated, each 3-128 "
        "characters of letters, digits and _ - . : /",
    )


def association_sync_compliance() -> Parameter:
    return Parameter(
        names.ASSOCIATION_SYNC_COMPLIANCE,
        Type="String",
        Default="AUTO",
        AllowedValues=SYNC_COMPLIANCE_CHOICES,
        Description="AUTO: State Manager records the association's compliance after each run; "
        "MANUAL: only PutComplianceItems does",
    )


def output_bucket_kms_key_arn() -> Parameter:
    return Parameter(
        names.OUTPUT_BUCKET_KMS_KEY_ARN,
        Type="String",
        Default="",
        Description="ARN of your KMS key for the output bucket (SSE-KMS with a bucket key; the "
        "instance roles may use it to write); empty: SSE-S3",
        AllowedPattern=KMS_KEY_ARN_PATTERN,
        MaxLength=ARN_MAX_LENGTH,
        ConstraintDescription="empty, or a KMS key ARN: arn:PARTITION:kms:REGION:ACCOUNT:key/"
        "KEY-ID (not an alias)",
    )


def parent_stack_name() -> Parameter:
    # CloudFormation CreateStack StackName ("must start with an alphabetical character and can't
    # be longer than 128 characters"; letters, digits and hyphens): the parent fills it.
    return Parameter(
        names.PARENT_STACK_NAME,
        Type="String",
        Description="Name of the parent stack; the functions' log groups are named after it",
        AllowedPattern=r"^[A-Za-z][-A-Za-z0-9]*$",
        MaxLength=128,
    )


# Zone names as the EC2 user guide ("Regions and Zones") forms them: the Region code and a letter
# (us-east-1a), or for a Local Zone the Region code, a location and a letter (us-west-2-lax-1a);
# empty: the default. Applied to each element of the list.
AVAILABILITY_ZONE_PATTERN = r"^([a-z]{2}(-[a-z]+)+-[0-9]+([a-z]|-[a-z]+-[0-9]+[a-z]))?$"


def demo_availability_zones() -> Parameter:
    return Parameter(
        names.DEMO_AVAILABILITY_ZONES,
        Type="CommaDelimitedList",
        Default="",
        Description="demo mode: the two Availability Zones of the subnets and instances, e.g. "
        "us-east-1a,us-east-1c (empty: the Region's first two; zone letters map to different "
        "zones in each account, and the instance type may not be offered in all of them)",
        AllowedPattern=AVAILABILITY_ZONE_PATTERN,
        ConstraintDescription="two zone names such as us-east-1a,us-east-1c, or empty",
    )


def pipeline_kms_key_arn() -> Parameter:
    return Parameter(
        names.PIPELINE_KMS_KEY_ARN,
        Type="String",
        Default="",
        Description="ARN of your KMS key for the digest topic, the queues and the log groups "
        "(its policy needs the statements README lists); empty: the stack creates one",
        AllowedPattern=KMS_KEY_ARN_PATTERN,
        MaxLength=ARN_MAX_LENGTH,
        ConstraintDescription="empty, or a KMS key ARN: arn:PARTITION:kms:REGION:ACCOUNT:key/"
        "KEY-ID (not an alias)",
    )


# An IANA time zone name: the tz database's file names (its Theory file, "Names of timezones":
# components of ASCII letters, digits, "_", "-" and "+", as in Etc/GMT+5, joined by "/", not
# starting with "-"), at most 50 characters as AWS's own IANA zone inputs (scheduler
# service-2.json ScheduleExpressionTimezone, 1-50; ssm's MaintenanceWindowTimezone has no bounds).
# Empty: times in UTC only. Whether the zone exists is the function's to check (display_time.py).
TIME_ZONE_PATTERN = r"^(|[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*)$"
TIME_ZONE_MAX_LENGTH = 50


def display_time_zone() -> Parameter:
    return Parameter(
        names.DISPLAY_TIME_ZONE,
        Type="String",
        Default="",
        Description="IANA time zone the digests show times in beside UTC, e.g. Europe/Paris "
        "(empty: UTC only)",
        AllowedPattern=TIME_ZONE_PATTERN,
        MaxLength=TIME_ZONE_MAX_LENGTH,
        ConstraintDescription="empty, or an IANA time zone name such as Europe/Paris, "
        "America/Argentina/Buenos_Aires or Etc/GMT+5 (at most 50 characters)",
    )


def sweep_reminder_days(config: Config) -> Parameter:
    # The product's own bound (the sweep's REMINDER_DAYS, settings.py): a whole number, so a
    # String with a pattern, as OutputRetentionDays.
    return Parameter(
        names.SWEEP_REMINDER_DAYS,
        Type="String",
        Default=str(config.default_reminder_days),
        AllowedPattern=whole(integer_range(1, 365)),
        Description="Days before an instance already reported missed, and unchanged, is reported "
        "again",
        ConstraintDescription="a whole number of days from 1 to 365",
    )


# --- Where digests go besides the notification email (templates/chat.py) ----------------------
# Each is optional: empty leaves the feature out. chatbot service-2.json: SlackTeamId
# [0-9A-Z]{1,255}, SlackChannelId [A-Za-z0-9]+ (1-255), TeamId and TenantId UUID (36 characters),
# TeamsChannelId as below (1-255; the character class reordered so Java reads it as Python does).
SLACK_WORKSPACE_ID_PATTERN = r"^([0-9A-Z]{1,255})?$"
SLACK_CHANNEL_ID_PATTERN = r"^([A-Za-z0-9]{1,255})?$"
UUID_PATTERN = r"^([0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12})?$"
_TEAMS_CHANNEL_CHARACTER = r"[-a-zA-Z0-9_=+/.,]"
TEAMS_CHANNEL_ID_PATTERN = (
    rf"^({_TEAMS_CHANNEL_CHARACTER}*%3[aA]{_TEAMS_CHANNEL_CHARACTER}*%40"
    rf"{_TEAMS_CHANNEL_CHARACTER}*)?$"
)
CHAT_ID_MAX_LENGTH = 255
# An account route "123456789012=ops@example.com": a 12-digit account id (organizations
# service-2.json AccountId ^\d{12}$), "=", one address as NotificationEmail takes it but without
# "=" in it, since the template splits the pair at "=" (Fn::Split cannot split once).
_ROUTE_EMAIL = EMAIL_PATTERN[1:-1].replace("/=?", "/?")
ACCOUNT_ROUTE_PATTERN = rf"^([0-9]{{12}}={_ROUTE_EMAIL})?$"


def _optional_chat_id(name: str, pattern: str, description: str, example: str) -> Parameter:
    return Parameter(
        name,
        Type="String",
        Default="",
        AllowedPattern=pattern,
        MaxLength=CHAT_ID_MAX_LENGTH,
        ConstraintDescription=f"empty, or {example}",
        Description=description,
    )


def slack_workspace_id() -> Parameter:
    return _optional_chat_id(
        names.SLACK_WORKSPACE_ID,
        SLACK_WORKSPACE_ID_PATTERN,
        "Slack workspace (team) id, e.g. T0123ABCD, after authorising the workspace once in the "
        "Amazon Q Developer in chat applications console (empty: no Slack)",
        "a Slack workspace id such as T0123ABCD (digits and capital letters)",
    )


def slack_channel_id() -> Parameter:
    return _optional_chat_id(
        names.SLACK_CHANNEL_ID,
        SLACK_CHANNEL_ID_PATTERN,
        "Slack channel id, e.g. C0123456789, that receives the digests (with SlackWorkspaceId)",
        "a Slack channel id such as C0123456789 (letters and digits)",
    )


def teams_team_id() -> Parameter:
    return _optional_chat_id(
        names.TEAMS_TEAM_ID,
        UUID_PATTERN,
        "Microsoft Teams team id (a UUID), after authorising the team once in the Amazon Q "
        "Developer in chat applications console (empty: no Teams)",
        "a UUID such as 01234567-89ab-cdef-0123-456789abcdef",
    )


def teams_tenant_id() -> Parameter:
    return _optional_chat_id(
        names.TEAMS_TENANT_ID,
        UUID_PATTERN,
        "Microsoft Teams tenant id (a UUID), with TeamsTeamId",
        "a UUID such as 01234567-89ab-cdef-0123-456789abcdef",
    )


def teams_channel_id() -> Parameter:
    return _optional_chat_id(
        names.TEAMS_CHANNEL_ID,
        TEAMS_CHANNEL_ID_PATTERN,
        "Microsoft Teams channel id, as in the channel's link (19%3a...%40thread.tacv2), with "
        "TeamsTeamId",
        "a Teams channel id such as 19%3ab6ef35dc342d4a6a8a9fd6a2a1b9a1b2%40thread.tacv2",
    )


def failures_only_email() -> Parameter:
    return Parameter(
        names.FAILURES_ONLY_EMAIL,
        Type="String",
        Default="",
        AllowedPattern=f"^({EMAIL_PATTERN[1:-1]})?$",
        MaxLength=EMAIL_MAX_LENGTH,
        ConstraintDescription="empty, or a single email address such as oncall@example.com",
        Description="Email address that receives only the digests with a failed or timed-out "
        "run (confirm the subscription; empty: none)",
    )


def account_route(name: str) -> Parameter:
    return Parameter(
        name,
        Type="String",
        Default="",
        AllowedPattern=ACCOUNT_ROUTE_PATTERN,
        MaxLength=12 + 1 + EMAIL_MAX_LENGTH,
        ConstraintDescription="empty, or an account id, =, and one email address without = "
        "in it, such as 123456789012=team-a@example.com",
        Description="Route: digests that cover this account also go to this address, "
        "account=email such as 123456789012=team-a@example.com (empty: none)",
    )

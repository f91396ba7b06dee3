"""Deploy-time bad input is rejected before anything is created, exactly as AWS rejects it.

CloudFormation checks a parameter's Type, AllowedPattern (a Java regex that must match the whole
value), AllowedValues, Min/MaxValue and Min/MaxLength when a stack is created or updated; for a
CommaDelimitedList, the pattern and the allowed values apply to each element. `accepts` applies
the same rules to the rendered declarations, and every parameter of every template (parent and
children) is tried with AWS's documented good and bad values and the boundaries. The patterns'
sources are botocore's service models, which the last tests read directly.
"""

from __future__ import annotations

import ipaddress
import random
import re

import pytest
import regex
from botocore.loaders import Loader

from templates import parameters


def cron_with_years(count: int) -> str:
    """A valid EventBridge cron that lists `count` years: long values for the length limit."""
    return "cron(0 12 ? * MON " + ",".join(map(str, range(1970, 1970 + count))) + ")"


# The longest such cron within ScheduleExpression's 256 characters, and one over it.
LONGEST_CRON = max(
    (cron_with_years(count) for count in range(1, 60) if len(cron_with_years(count)) <= 256),
    key=len,
)
TOO_LONG_CRON = cron_with_years(LONGEST_CRON.count(",") + 2)

# Parameter name -> (values CloudFormation must accept, values it must reject).
CASES: dict[str, tuple[list[str], list[str]]] = {
    "NotificationEmail": (
        [
            "ops@example.com",
            "first.last+ssm@mail.example.co.jp",
            "o'neil@example.com",
            "ops@example.xn--p1ai",
            "ops_team/oncall=1@sub-domain.example.museum",
            "x" * 64 + "@example.com",
            "ops@" + "d" * 63 + ".example.com",
            "o@" + ("d" * 62 + ".") * 3 + "e" * 60 + ".io",  # 254 characters
        ],
        [
            "",
            "ops",
            "ops@example",
            "ops@exa mple.com",
            " ops@example.com",
            "a@b,c@d.com",
            "a@b.com;c@d.com",
            "ops@@example.com",
            ".ops@example.com",
            "ops.@example.com",
            "o..ps@example.com",
            "x" * 65 + "@example.com",
            "ops@-example.com",
            "ops@example-.com",
            "ops@" + "d" * 64 + ".example.com",
            "ops@example.c",
            "ops@example.com.",
            "ops@example.xn--",
            "ops@example.xn--p1ai-",
            "ops@exämple.com",
            "o@" + ("d" * 62 + ".") * 3 + "e" * 61 + ".io",  # 255 characters
        ],
    ),
    "InstanceType": (
        ["t3.micro", "m7g.large", "c6gn.16xlarge", "m7i.metal-24xl", "u7i-12tb.224xlarge"],
        ["", "t3", "T3.MICRO", "t3 micro", "t3.", "t3.huge", "t3.0xlarge", "t3-.micro", "-t3.nano"],
    ),
    "VpcCidr": (
        [
            "10.0.0.0/24",
            "172.16.0.0/16",
            "10.1.128.0/17",
            "10.1.254.0/23",
            "192.168.4.0/26",
            "192.168.4.192/26",
            "255.255.255.128/25",
        ],
        [
            "",
            "10.0.0.0",
            "ten/24",
            "10.0.0.0/27",
            "10.0.0.0/15",
            "10.0.0.0/8",
            "10.0.0.256/24",
            "010.0.0.0/24",
            "10.0.0.5/24",
            "10.0.1.0/16",
            "10.0.64.0/17",
            "10.1.255.0/23",
            "192.168.4.32/26",
        ],
    ),
    "ImageParameterName": (
        [
            "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
            "MyAmiParameter",
            "ami-id_v1.2",
            "/" + "/".join("abcdefghijklmno"),  # 15 levels
            "/" + "a" * 1010,
        ],
        [
            "",
            "/has space",
            "a/b",
            "/a/",
            "//a",
            "/" + "/".join("abcdefghijklmnop"),
            "/" + "a" * 1011,
        ],
    ),
    "ImageId": (["/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"], []),
    "OutputRetentionDays": (
        ["1", "90", "3650"],
        ["", "0", "3651", "-5", "ninety", "1.5", "1.5x", "090", "1e3"],
    ),
    "SweepReminderDays": (
        ["1", "7", "365"],
        ["", "0", "366", "-1", "week", "1.5", "07", "1e2"],
    ),
    # IANA tz names (empty: UTC only); 50 characters at most, as scheduler's
    # ScheduleExpressionTimezone.
    "DisplayTimeZone": (
        [
            "",
            "UTC",
            "Europe/Paris",
            "America/Argentina/Buenos_Aires",
            "America/Port-au-Prince",
            "Etc/GMT+5",
            "Etc/GMT-14",
            "EST5EDT",
            "Z" * 50,
        ],
        [
            "Europe/",
            "/Europe/Paris",
            "Europe//Paris",
            "Europe/Paris ",
            "Europe Paris",
            "../etc/passwd",
            "-Foo",
            "Europe/París",
            "UTC+1:00",
            "Z" * 51,
        ],
    ),
    # Any ARN or name the parent passes from the notifications stack; empty: the sweep's own table.
    "StateTableArn": (["", "arn:aws:dynamodb:eu-west-1:123456789012:table/state"], []),
    "StateTableName": (["", "notifier-StateTable-1ABC"], []),
    "LogRetentionDays": (
        [str(days) for days in parameters.LOG_RETENTION_CHOICES],
        ["0", "2", "31", "3650", "3652", "forever"],
    ),
    "WatchedDocuments": (
        [
            "AWS-UpdateSSMAgent",
            "AWS-UpdateSSMAgent,AWS-RunPatchBaseline",
            "My.Doc_v2",
            "arn:aws:ssm:us-east-1:123456789012:document/MyDoc",
            "abc",
            "x" * 128,
        ],
        ["", "AB", "AWS-UpdateSSMAgent,has space", "x" * 129, "doc+1", "Dokumént"],
    ),
    "WatchedStatuses": (
        ["Success,Failed", "Failed,TimedOut", "Success,Failed,TimedOut,Skipped"],
        ["Pending", "Success,InProgress", "failed", ""],
    ),
    "SweepSchedule": (
        [
            "rate(1 minute)",
            "rate(5 minutes)",
            "rate(1 hour)",
            "rate(6 hours)",
            "rate(1 day)",
            "rate(7 days)",
            # The EventBridge user guide's cron examples.
            "cron(0 10 * * ? *)",
            "cron(15 12 * * ? *)",
            "cron(0 18 ? * MON-FRI *)",
            "cron(0 8 1 * ? *)",
            "cron(0/15 * * * ? *)",
            "cron(0/10 * ? * MON-FRI *)",
            "cron(0/5 8-17 ? * MON-FRI *)",
            "cron(0 9 ? * 2#1 *)",
            "cron(0 20 * * ? *)",
            # Its wildcards: L, W, lists, named months, years.
            "cron(0 10 L * ? *)",
            "cron(0 10 15W * ? *)",
            "cron(15 10 ? * 6L 2027-2030)",
            "cron(0 0 1 JAN,JUL ? *)",
            "cron(*/5 * ? * * *)",
            LONGEST_CRON,
        ],
        [
            "",
            "daily",
            "rate(1 minutes)",
            "rate(5 minute)",
            "rate(1 days)",
            "rate(2 hour)",
            "rate(0 days)",
            "rate(01 day)",
            "rate(1 week)",
            "RATE(5 minutes)",
            "rate(5 minutes) ",
            "cron(0 12 * * * *)",
            "cron(0 12 ? * ? *)",
            "cron(0 12 * * ?)",
            "cron(0 0 12 * * ? *)",
            "cron(60 12 * * ? *)",
            "cron(0 24 * * ? *)",
            "cron(0 12 32 * ? *)",
            "cron(0 12 * 13 ? *)",
            "cron(0 12 ? * 8 *)",
            "cron(0 12 * * ? 1969)",
            "cron(0 12 * * ? 2200)",
            "cron(0/0 12 * * ? *)",
            "cron(0 12 ? * MON/2 *)",
            "cron(0 9 ? * 2#0 *)",
            "cron(0 9 ? * 2#6 *)",
            "cron(0 9 ? * 2#1,3 *)",
        ],
    ),
    "AssociationSchedule": (
        [
            # Rate: 30 minutes up to, not including, 31 days; 1 singular.
            "rate(30 minutes)",
            "rate(44639 minutes)",
            "rate(1 hour)",
            "rate(5 hours)",
            "rate(743 hours)",
            "rate(1 day)",
            "rate(14 days)",
            "rate(15 days)",
            "rate(30 days)",
            # The SSM reference's association cron examples (six fields).
            "cron(0/30 * * * ? *)",
            "cron(0 0/1 * * ? *)",
            "cron(0 0/2 * * ? *)",
            "cron(0 0/4 * * ? *)",
            "cron(0 0/8 * * ? *)",
            "cron(0 0/12 * * ? *)",
            "cron(15 13 ? * * *)",
            "cron(15 13 ? * MON *)",
            # With the optional leading Seconds field (0 only), as AWS's examples write them.
            "cron(0 */30 * * * ? *)",
            "cron(0 0 2 ? * SUN *)",
            "cron(0 0/30 * 1/1 * ? *)",
            "cron(0 0 0/4 1/1 * ? *)",
            "cron(0 0 10 ? * SUN *)",
            # Monthly forms from AWS's association examples, and day numbers, leading zeros.
            "cron(0 0 ? * THU#2 *)",
            "cron(0 2 ? * THU#3 *)",
            "cron(15 10 ? * 6L *)",
            "cron(0 2 L * ? *)",
            "cron(30 09 ? * 1 *)",
        ],
        [
            "",
            "every 14 days",
            "rate(29 minutes)",
            "rate(44640 minutes)",
            "rate(1 minute)",
            "rate(5 minutes)",
            "rate(744 hours)",
            "rate(800 hours)",
            "rate(31 days)",
            "rate(0 days)",
            "rate(1 days)",
            "rate(2 day)",
            "rate(1 hours)",
            "rate(5 hour)",
            "rate(030 minutes)",
            "rate(2 weeks)",
            "cron(0/15 * * * ? *)",
            "cron(0 0/3 * * ? *)",
            "cron(0 0/6 * * ? *)",
            "cron(15 10 ? * MON-FRI *)",
            "cron(0 10 1 * ? *)",
            "cron(5 0 2 ? * SUN *)",
            "cron(0 10 * * * *)",
            "cron(0 10 ? * ? *)",
            "cron(0 10 * * ? 2030)",
            "cron(0 10 * * ?)",
            "cron(60 10 * * ? *)",
            "cron(0 24 * * ? *)",
            "cron(0 10 ? * 8 *)",
            "cron(* * * * ? *)",
            "cron(0 2 ? * THU#6 *)",
        ],
    ),
    "AssociationMaxConcurrency": (
        ["1", "50", "9999999", "1%", "10%", "99%", "100%"],
        ["", "0", "0%", "01", "05%", "101%", "110%", "1000%", "10000000", "ten", "-1"],
    ),
    "AssociationMaxErrors": (
        ["0", "3", "9999999", "0%", "5%", "10%", "100%"],
        ["", "00", "007", "05%", "101%", "110%", "10000000", "-1", "some"],
    ),
    "AssociationTargets": (["Tagged", "AllManagedInstances"], ["All", "tagged", ""]),
    "TargetTagKey": (
        [
            "ssm-notifier:fleet",
            "Patch Group",
            "aws:cloudformation:stack-name",
            "Größe",
            "環境",
            "a=b@c/d.e_f",
            "k" * 128,
        ],
        ["", "k" * 129, "cost+center", "bad\ttab", "a,b", "key*", "key?"],
    ),
    "TargetTagValue": (
        ["", "prod", "ssm-notifier", "a+b", "Größe", "環境", "v" * 256],
        ["v" * 257, "bad\nline", "a,b", "a*", "a\tb"],
    ),
    "FleetMode": (["demo", "existing"], ["", "Demo", "both"]),
    "ExistingInstanceRoleNames": (
        ["", "WebRole", "WebRole,Batch.Role-2", "r" * 64, "a+=.@_-b"],
        ["arn:aws:iam::123456789012:role/WebRole", "has space", "r" * 65, "Rôle"],
    ),
    "CreateAgentUpdateAssociation": (["true", "false"], ["yes", "True", ""]),
    "WatchRunCommand": (["true", "false"], ["", "True", "yes"]),
    "WatchMaintenanceWindows": (["true", "false"], ["", "TRUE", "1"]),
    "FleetTagValue": (["ssm-notifier"], [""]),
    "InstanceRoleNames": (["", "WebRole,BatchRole"], []),
    "OutputBucketName": (["my-bucket"], []),
    "OutputBucketArn": (
        ["arn:aws:s3:::my-bucket", "arn:aws-cn:s3:::a.b-c", "arn:aws-us-gov:s3:::abc"],
        ["my-bucket", "arn:aws:s3:::my-bucket/*", "arn:aws:s3:::ab", "arn:aws:sns:::my-bucket"],
    ),
    "OutputKeyPrefix": (["ssm-agent-update/"], ["", "bad prefix"]),
    "TopicArn": (["arn:aws:sns:us-east-1:123456789012:t"], []),
    "KeyArn": (["arn:aws:kms:us-east-1:123456789012:key/k"], []),
    "PermissionsBoundaryArn": (
        [
            "",
            "arn:aws:iam::123456789012:policy/Boundary",
            "arn:aws:iam::123456789012:policy/org/boundaries/Dev+Ops=1,a.b@c-d_e",
            "arn:aws-us-gov:iam::123456789012:policy/Boundary",
            "arn:aws-cn:iam::aws:policy/PowerUserAccess",
            "arn:aws:iam::aws:policy/" + "p" * 128,
            "arn:aws:iam::123456789012:policy/" + "a/" * 1007 + "P",  # 2048 characters
        ],
        [
            "Boundary",
            "arn:aws:iam::123456789012:role/Boundary",
            "arn:aws:iam::12345678901:policy/Boundary",
            "arn:aws:iam:us-east-1:123456789012:policy/Boundary",
            "arn:aws:iam::123456789012:policy/",
            "arn:aws:iam::123456789012:policy/has space",
            "arn:aws:iam::123456789012:policy//Boundary",
            "arn:aws:s3:::bucket",
            " arn:aws:iam::aws:policy/PowerUserAccess",
            "arn:aws:iam::123456789012:policy/" + "a/" * 1007 + "PP",  # 2049 characters
        ],
    ),
    "PipelineKmsKeyArn": (
        ["", "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"],
        ["alias/pipeline", "arn:aws:kms:eu-west-1:123456789012:alias/pipeline", "key"],
    ),
    "OutputBucketKmsKeyArn": (
        [
            "",
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab",
            "arn:aws-cn:kms:cn-north-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ],
        [
            "1234abcd-12ab-34cd-56ef-1234567890ab",
            "alias/ssm-output",
            "arn:aws:kms:us-east-1:123456789012:alias/ssm-output",
            "arn:aws:kms:us-east-1:123456789012:key/1234ABCD-12AB-34CD-56EF-1234567890AB",
            "arn:aws:kms:us-east-1:12345678901:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:kms:us-east-1:123456789012:key/mrk-1234",
            "arn:aws:s3:::bucket",
        ],
    ),
    "FunctionSubnetIds": (
        ["", "subnet-0123456789abcdef0", "subnet-0a1b2c3d,subnet-9z8y7x6w", "subnet-"],
        ["subnet_1", "sg-0123", "Subnet-0a", "subnet-0A1B", "subnet-0a,vpc-1", " subnet-0a"],
    ),
    "FunctionSecurityGroupIds": (
        ["", "sg-0123456789abcdef0", "sg-0a1b,sg-2c3d", "sg-0A1b"],
        ["sg_1", "subnet-0a", "SG-0a", "sg-0a,default", "sg-0a b"],
    ),
    "AssociationApplyOnlyAtCronInterval": (["true", "false"], ["", "True", "yes"]),
    "AssociationScheduleOffset": (["", "1", "3", "6"], ["0", "7", "01", "-1", "1.5", "one"]),
    "AssociationCalendarNames": (
        [
            "",
            "FreezeCalendar",
            "Freeze-2027.q1,Weekends",
            "arn:aws:ssm:us-east-1:123456789012:document/FreezeCalendar",
            "c" * 128,
        ],
        ["ab", "has space", "c" * 129, "Freeze,ab", "Calendrier-é"],
    ),
    "AssociationSyncCompliance": (["AUTO", "MANUAL"], ["", "auto", "Manual", "NONE"]),
    "RolePath": (
        ["", "/", "/app/", "/org/team-a/ssm/", "/~!@#$%^&*()_+{}|:<>?/", "/" + "p" * 510 + "/"],
        ["app", "/app", "app/", "//", "/a b/", "/é/", "/" + "p" * 511 + "/", "/\t/"],
    ),
    # Across an organization (hub.yaml, spoke.yaml, the parent's Scope=organization). The empty
    # organization id, OU list and region list pass the patterns (the parent's Scope=account);
    # the Rules of each template refuse them where needed (test_hub, test_spoke_stack).
    "Scope": (["account", "organization"], ["", "Organization", "org"]),
    "OrganizationId": (["", "o-a1b2c3d4e5", "o-" + "z" * 32], ["o-abc", "O-A1B2C3D4E5"]),
    "TargetOrganizationalUnitIds": (
        ["", "ou-ab12-abcdefgh", "ou-ab12-abcdefgh,ou-zz99-12345678ab", "r-ab12"],
        ["ou-ab1-abcdefgh", "OU-AB12-ABCDEFGH", "o-a1b2c3d4e5", "r-a"],
    ),
    "SpokeRegions": (["", "us-east-1", "us-east-1,eu-west-1"], ["us east 1", "r" * 129]),
    "RetainStacksOnAccountRemoval": (["true", "false"], ["", "True"]),
    "CallAs": (["SELF", "DELEGATED_ADMIN"], ["", "self"]),
    "SpokeFailureTolerancePercentage": (["0", "100"], ["-1", "101"]),
    "SpokeMaxConcurrentPercentage": (["1", "100"], ["0", "101"]),
    "HubEventBusName": (["ssm-notifier-hub", "a.b_c-d/e"], ["", "has space", "b" * 257]),
    "HubEventBusArn": (
        ["arn:aws:events:us-east-1:123456789012:event-bus/ssm-notifier-hub"],
        ["", "arn:aws:events:us-east-1:123456789012:rule/x"],
    ),
    "FunctionRoleArn": (["arn:aws:iam::123456789012:role/r"], ["", "arn:aws:iam::1:role/r"]),
    "SweepRoleArn": (["arn:aws:iam::123456789012:role/r"], ["", "FunctionRole"]),
    "HubNotifierRoleArn": (["arn:aws:iam::123456789012:role/r"], ["", "arn:aws:iam::*:role/x"]),
    "HubSweepRoleArn": (["arn:aws:iam::123456789012:role/r"], ["", "arn:aws:iam::1:user/x"]),
    "SpokeCreatesAgentUpdateAssociation": (["true", "false"], ["", "yes"]),
    "ReaderRoleNamePrefix": (["ssm-notifier-reader", "r" * 48], ["", "r" * 49, "path/name"]),
    # EC2 user guide, "Regions and Zones": Region code and letter; Local Zones add a location.
    "DemoAvailabilityZones": (
        ["", "us-east-1a,us-east-1c", "cn-north-1b", "us-gov-west-1a", "us-west-2-lax-1a"],
        [
            "us-east-1",
            "use1-az1",
            "US-EAST-1A",
            "us-east-1a ",
            "us-east-1a,us-east-1",
            "us-east-1-",
        ],
    ),
    "AlarmTopicArn": (["arn:aws-cn:sns:cn-north-1:123456789012:alarms"], []),
    # chatbot service-2.json: SlackTeamId [0-9A-Z]{1,255}; SlackChannelId [A-Za-z0-9]+;
    # TeamId/TenantId UUID; TeamsChannelId with %3a and %40. Empty leaves the channel out.
    "SlackWorkspaceId": (["", "T0123ABCD", "T" + "0" * 254], ["t0123abcd", "T012-3", "T" * 256]),
    "SlackChannelId": (["", "C0123456789", "c07abc"], ["#ops", "C012 3", "C0_1", "C" * 256]),
    "TeamsTeamId": (
        ["", "01234567-89ab-cdef-0123-456789ABCDEF"],
        ["01234567-89ab-cdef-0123-456789abcde", "0123456789abcdef0123456789abcdef", "{0123}"],
    ),
    "TeamsTenantId": (["", "a1b2c3d4-e5f6-a7b8-c9d0-e1f2a3b4c5d6"], ["tenant", "a1b2c3d4"]),
    "TeamsChannelId": (
        ["", "19%3ab6ef35dc342d4a6a8a9fd6a2a1b9a1b2%40thread.tacv2", "19%3A-_=+/.,%40x"],
        [
            "19:abc@thread.tacv2",
            "19%3aabc",
            "abc%40thread",
            "19%3a a%40b",
            "19%3a" + "a" * 251 + "%40",
        ],
    ),
    "FailuresOnlyEmail": (["", "oncall@example.com", "o=n@example.com"], ["oncall", "a@b,c@d.com"]),
    **{
        f"AccountRoute{slot}": (
            ["", "123456789012=team-a@example.com", "000000000000=a.b+c@mail.example.co.jp"],
            [
                "123456789012",
                "123456789012=",
                "12345678901=a@example.com",
                "123456789012=a=b@example.com",
                "123456789012=a@example.com,b@example.com",
                "123456789012 = a@example.com",
                "arn:aws:iam::123456789012:root=a@example.com",
            ],
        )
        for slot in range(1, 6)
    },
    # CloudFormation stack names: a letter, then letters, digits and hyphens, 128 at most.
    "ParentStackName": (
        ["ssm-notifier", "A", "a" * 128, "Prod-2"],
        ["", "1stack", "ssm_notifier", "a" * 129, "ssm notifier", "-x"],
    ),
}


def java_semantics(pattern: str) -> str:
    r"""`pattern` for Python's `regex`, read as Java reads it: `\w` is ASCII in Java."""
    out, in_class, i = [], False, 0
    while i < len(pattern):
        if pattern.startswith(r"\w", i):
            out.append("A-Za-z0-9_" if in_class else "[A-Za-z0-9_]")
            i += 2
            continue
        char = pattern[i]
        if char == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        in_class = (in_class or char == "[") and char != "]"
        out.append(char)
        i += 1
    return "".join(out)


def matches(pattern: str, value: str) -> bool:
    return regex.fullmatch(java_semantics(pattern), value) is not None


def accepts(spec: dict, value: str) -> bool:
    """Whether CloudFormation accepts `value` for a parameter declared as `spec`."""
    elements = value.split(",") if spec["Type"] == "CommaDelimitedList" else [value]
    for element in elements:
        if "AllowedPattern" in spec and not matches(spec["AllowedPattern"], element):
            return False
        if "AllowedValues" in spec and element not in [str(v) for v in spec["AllowedValues"]]:
            return False
    if spec["Type"] == "Number":
        try:
            number = float(value)
        except ValueError:
            return False
        if "MinValue" in spec and number < float(spec["MinValue"]):
            return False
        if "MaxValue" in spec and number > float(spec["MaxValue"]):
            return False
    if spec["Type"] == "String":
        if len(value) < int(spec.get("MinLength", 0)):
            return False
        if "MaxLength" in spec and len(value) > int(spec["MaxLength"]):
            return False
    return True


def declarations(rendered: dict) -> list[tuple[str, str, dict]]:
    return [
        (file_name, name, spec)
        for file_name, template in sorted(rendered.items())
        for name, spec in sorted(template.get("Parameters", {}).items())
    ]


def test_every_parameter_has_cases(rendered):
    missing = {name for _, name, _ in declarations(rendered)} - set(CASES)
    assert not missing, f"add good and bad values for {sorted(missing)}"


def test_every_parent_parameter_is_constrained(parent):
    constraint_keys = {"AllowedPattern", "AllowedValues", "MinValue", "MaxValue", "MinLength"}
    for name, spec in parent["Parameters"].items():
        assert constraint_keys & set(spec), f"{name} accepts anything"


def test_a_parameter_is_declared_alike_wherever_it_is_declared(rendered):
    constraint_keys = ("Type", "AllowedPattern", "AllowedValues", "MinLength", "MaxLength")
    seen: dict[str, tuple[str, dict]] = {}
    for file_name, name, spec in declarations(rendered):
        constraint = {key: spec.get(key) for key in constraint_keys}
        first = seen.setdefault(name, (file_name, constraint))
        assert first[1] == constraint, f"{name}: {file_name} differs from {first[0]}"


def test_defaults_pass_their_own_constraints(rendered):
    for file_name, name, spec in declarations(rendered):
        if "Default" in spec and not spec["Type"].startswith("AWS::"):
            assert accepts(spec, str(spec["Default"])), f"{file_name}:{name} default rejected"


@pytest.mark.parametrize(
    "file_name",
    [
        "parent.yaml",
        "network.yaml",
        "logging.yaml",
        "notifications.yaml",
        "association.yaml",
        "sweep.yaml",
    ],
)
def test_good_values_pass_and_bad_values_are_rejected(rendered, file_name):
    for name, spec in rendered[file_name].get("Parameters", {}).items():
        good, bad = CASES[name]
        rejected = [value for value in good if not accepts(spec, value)]
        accepted = [value for value in bad if accepts(spec, value)]
        assert not rejected, f"{file_name}:{name} rejects good values {rejected!r}"
        assert not accepted, f"{file_name}:{name} accepts bad values {accepted!r}"


def test_the_schedule_length_limit_applies(rendered):
    """ScheduleExpression is at most 256 characters (ssm and events service models)."""
    too_long = TOO_LONG_CRON
    assert len(too_long) > 256
    spec = rendered["sweep.yaml"]["Parameters"]["SweepSchedule"]
    assert matches(spec["AllowedPattern"], too_long)
    assert not accepts(spec, too_long)


@pytest.mark.parametrize(
    ("low", "high"), [(0, 9), (1, 12), (2, 30), (30, 44639), (2, 743), (1, 229), (7, 1000)]
)
def test_integer_range_matches_exactly_its_numbers(low, high):
    pattern = parameters.integer_range(low, high)
    for number in range(0, high * 2 + 12):
        assert (re.fullmatch(pattern, str(number)) is not None) == (low <= number <= high), number
    assert not re.fullmatch(pattern, "0" + str(high))


def test_cidr_pattern_is_a_network_of_16_to_26_bits(parent):
    """The pattern agrees with the standard library's strict network parser."""
    spec, generator = parent["Parameters"]["VpcCidr"], random.Random(12)
    for _ in range(5000):
        octets = [generator.choice([0, 64, 128, 192, generator.randrange(256)]) for _ in "abcd"]
        value = ".".join(map(str, octets)) + f"/{generator.randrange(14, 29)}"
        try:
            network = ipaddress.ip_network(value, strict=True)
        except ValueError:
            network = None
        assert accepts(spec, value) == (network is not None and 16 <= network.prefixlen <= 26)


# --- The sources: botocore's service models ---------------------------------------------------

MODELS = Loader()


def shape(service: str, name: str) -> dict:
    return MODELS.load_service_model(service, "service-2")["shapes"][name]


@pytest.mark.parametrize(
    ("parameter", "service", "shape_name"),
    [
        ("AssociationMaxErrors", "ssm", "MaxErrors"),
        ("AssociationMaxConcurrency", "ssm", "MaxConcurrency"),
    ],
)
def test_rate_controls_are_the_api_models(parent, parameter, service, shape_name):
    spec, model = parent["Parameters"][parameter], shape(service, shape_name)
    assert spec["AllowedPattern"] == model["pattern"]
    assert (spec["MinLength"], spec["MaxLength"]) == (model["min"], model["max"])


def test_schedule_lengths_are_the_api_models(parent):
    assert (
        parent["Parameters"]["AssociationSchedule"]["MaxLength"]
        == shape("ssm", "ScheduleExpression")["max"]
    )
    assert (
        parent["Parameters"]["SweepSchedule"]["MaxLength"]
        == shape("events", "ScheduleExpression")["max"]
    )


def test_documents_are_the_api_model(parent):
    assert (
        parent["Parameters"]["WatchedDocuments"]["AllowedPattern"]
        == shape("ssm", "DocumentARN")["pattern"]
    )


def test_tag_keys_make_target_keys_the_api_accepts():
    """Every tag key the parameter takes, as "tag:<key>", matches SSM's TargetKey pattern."""
    target_key = shape("ssm", "TargetKey")
    for key in CASES["TargetTagKey"][0]:
        assert regex.search(target_key["pattern"], f"tag:{key}"), key
    assert regex.search(target_key["pattern"], "tag:cost+center") is None
    assert len("tag:" + "k" * 128) <= target_key["max"]


def test_tag_values_are_the_api_models_tag_values(parent):
    model = shape("ssm", "TagValue")
    spec = parent["Parameters"]["TargetTagValue"]
    assert spec["MaxLength"] == model["max"]
    good, bad = CASES["TargetTagValue"]
    for value in good:
        assert regex.fullmatch(model["pattern"], value), value
    for value in bad:
        assert not (regex.fullmatch(model["pattern"], value) and len(value) <= model["max"])


def test_every_instance_type_in_the_ec2_model_is_accepted(parent):
    spec = parent["Parameters"]["InstanceType"]
    refused = [name for name in shape("ec2", "InstanceType")["enum"] if not accepts(spec, name)]
    assert not refused


def test_role_path_is_the_api_models_path(parent):
    spec, model = parent["Parameters"]["RolePath"], shape("iam", "pathType")
    assert spec["MaxLength"] == model["max"]
    assert f"|{model['pattern']})" in spec["AllowedPattern"]
    for value in CASES["RolePath"][0][1:]:
        assert regex.fullmatch(model["pattern"], value), value


def test_permissions_boundary_is_an_arn_of_the_api_models_length(parent):
    spec, model = parent["Parameters"]["PermissionsBoundaryArn"], shape("iam", "arnType")
    assert spec["MaxLength"] == model["max"]
    shortest = min((v for v in CASES["PermissionsBoundaryArn"][0] if v), key=len)
    assert len(shortest) >= model["min"]


@pytest.mark.parametrize(
    ("parameter", "shape_name"),
    [("FunctionSubnetIds", "SubnetId"), ("FunctionSecurityGroupIds", "SecurityGroupId")],
)
def test_function_network_ids_are_the_lambda_models(parent, parameter, shape_name):
    """Each element as Lambda's VpcConfig takes it, or empty for "no VPC"."""
    spec, model = parent["Parameters"][parameter], shape("lambda", shape_name)
    assert spec["AllowedPattern"] == f"^(|{model['pattern']})$"


def test_association_safety_inputs_are_the_api_models(parent):
    offset = shape("ssm", "ScheduleOffset")
    assert parent["Parameters"]["AssociationScheduleOffset"]["AllowedValues"] == [""] + [
        str(day) for day in range(offset["min"], offset["max"] + 1)
    ]
    assert (
        parent["Parameters"]["AssociationSyncCompliance"]["AllowedValues"]
        == shape("ssm", "AssociationSyncCompliance")["enum"]
    )
    calendars = parent["Parameters"]["AssociationCalendarNames"]["AllowedPattern"]
    assert calendars == "^(|" + shape("ssm", "DocumentARN")["pattern"][1:-1] + ")$"


def test_log_retention_is_the_logs_models_list(parent):
    documented = shape("logs", "Days")["documentation"].split("Possible values are:")[1]
    listed = [int(number) for number in re.findall(r"\d+", documented.split("</p>")[0])]
    assert parent["Parameters"]["LogRetentionDays"]["AllowedValues"] == listed


def test_chat_ids_follow_the_chatbot_model() -> None:
    """Every documented good value the chatbot model's own patterns accept, ours accept too."""
    model = Loader().load_service_model("chatbot", "service-2")["shapes"]
    shapes = {
        "SlackWorkspaceId": "SlackTeamId",
        "SlackChannelId": "SlackChannelId",
        "TeamsTeamId": "UUID",
        "TeamsTenantId": "UUID",
        "TeamsChannelId": "TeamsChannelId",
    }
    for name, shape in shapes.items():
        good, bad = CASES[name]
        pattern, longest = model[shape]["pattern"], model[shape]["max"]
        for value in filter(None, good):
            assert regex.fullmatch(pattern, value) and len(value) <= longest, (name, value)
        for value in bad:
            assert not (regex.fullmatch(pattern, value) and len(value) <= longest), (name, value)


def test_display_time_zone_takes_every_iana_zone_and_the_scheduler_models_length(parent):
    """Every zone of the tz database this machine has passes (the handler still checks the zone
    exists in its runtime); the length is the scheduler model's ScheduleExpressionTimezone."""
    import zoneinfo

    spec = parent["Parameters"]["DisplayTimeZone"]
    zones = zoneinfo.available_timezones()
    assert len(zones) > 300  # the machine's tz data is there: the loop checks something
    assert [zone for zone in sorted(zones) if not accepts(spec, zone)] == []
    assert spec["MaxLength"] == shape("scheduler", "ScheduleExpressionTimezone")["max"]

"""Spoke: what a StackSet deploys into each member account and region of an organization.

    SSM Agent -> default bus -> ForwardRule --ForwardRole--> hub event bus (another account)
                                    `-. undeliverable .-> DeadLetterQueue
    hub notifier and sweep roles --sts:AssumeRole--> ReaderRole (SSM/EC2 reads, output objects)
    optionally: the agent-update association and its output bucket, as in the single-account deploy

In the hub's own account and region the forwarding part is left out (ForwardsToHub): the
hub's default-bus rule already sees those events. Nothing here can be used from outside the
organization: the forward role trusts only EventBridge for this account's rules, the dead-letter
queue admits only the forward rule, and the reader role trusts exactly the two hub role ARNs, and
only while they belong to the organization.
"""

from __future__ import annotations

from awacs import events as events_actions
from awacs import s3 as s3_actions
from awacs import sts as sts_actions
from awacs.aws import (
    Allow,
    ArnLike,
    Condition,
    Principal,
    Statement,
    StringEquals,
)
from troposphere import (
    AccountId,
    And,
    Equals,
    GetAtt,
    If,
    Join,
    Not,
    Output,
    Parameter,
    Ref,
    Region,
    Select,
    Split,
    Sub,
    Template,
    events,
    iam,
    s3,
    sqs,
    ssm,
)
from troposphere import Condition as TroposphereCondition

from templates import common, names, parameters, watched_runs
from templates.association import DOCUMENT, TARGET_ALL, TARGET_TAGGED
from templates.common import (
    checkov_skips,
    new_template,
    only_rule_may_send,
    policy_document,
    retrying_rule_target,
)
from templates.config import Config
from templates.logging_bucket import (
    ACCESS_LOG_PREFIX,
    access_log_write_statement,
    instance_output_statements,
    output_policy_name,
    private_bucket,
    tls_only_policy,
)

SPOKE_FILE = "spoke.yaml"

# Parameters of the spoke (the hub's StackSet passes them; the names are spelled once here).
HUB_EVENT_BUS_ARN = "HubEventBusArn"
HUB_NOTIFIER_ROLE_ARN = "HubNotifierRoleArn"
HUB_SWEEP_ROLE_ARN = "HubSweepRoleArn"
ORGANIZATION_ID = "OrganizationId"
READER_ROLE_NAME_PREFIX = "ReaderRoleNamePrefix"
CREATE_AGENT_UPDATE_ASSOCIATION = "CreateAgentUpdateAssociation"
OUTPUT_RETENTION_DAYS = "OutputRetentionDays"
INSTANCE_ROLE_NAMES = "InstanceRoleNames"

# Outputs of the spoke.
READER_ROLE_ARN = "ReaderRoleArn"
FORWARD_RULE_ARN = "ForwardRuleArn"

# Conditions.
CREATE_ASSOCIATION = "CreateAssociation"
TARGETS_ALL = "TargetsAllManagedInstances"
ANY_TAG_VALUE = "TargetsAnyTagValue"
INSTANCE_ROLES_WRITE_OUTPUT = "InstanceRolesWriteOutput"
FORWARDS_TO_HUB = "ForwardsToHub"

DEFAULT_READER_ROLE_NAME_PREFIX = "ssm-notifier-reader"

# AWS's own shapes, in any partition: the organization id as botocore's organizations model
# has it; role names and paths as IAM's (roleNameType, paths up to 512); bus names as
# EventBridge documents them ([/.-_A-Za-z0-9], up to 256).
# The organization id may be empty in the pattern only because the hub's parent declares the same
# parameter for Scope=account too (a parameter is declared alike wherever it is declared); the
# templates that need it refuse an empty one with a Rules assertion (required_rule).
ORGANIZATION_ID_PATTERN = r"^(o-[a-z0-9]{10,32})?$"
ROLE_ARN_PATTERN = r"^arn:[a-z-]+:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}$"
EVENT_BUS_ARN_PATTERN = (
    r"^arn:[a-z-]+:events:[a-z0-9-]+:[0-9]{12}:event-bus/[/.\-_A-Za-z0-9]{1,256}$"
)
# The reader role's name is the prefix, "-" and the region (at most 64 characters: the longest
# region name today is 14), so the prefix is kept to 48.
ROLE_NAME_PREFIX_PATTERN = r"^[\w+=,.@-]{1,48}$"


def required_rule(*parameters: Parameter) -> dict:
    """A template Rules entry that refuses an empty value for each of `parameters` before any
    resource is created, naming the parameter (for parameters whose pattern must admit "")."""
    return {
        "Assertions": [
            {
                "Assert": {"Fn::Not": [{"Fn::Equals": [Ref(parameter), ""]}]},
                "AssertDescription": f"{parameter.title} must not be empty",
            }
            for parameter in parameters
        ]
    }


def spoke_template(config: Config) -> dict[str, Template]:
    """The spoke keyed by its file name in build/, for generate.py's list of templates."""
    return {SPOKE_FILE: build(config)}


def reader_role_name(prefix) -> Sub:
    """The reader role's name in every member and region: `<prefix>-<region>`.

    The one physical name of the product: the hub must find the role from an event's account and
    region alone, and a name CloudFormation generates cannot be known from another account. IAM
    names are per account, and one stack per region is deployed, hence the region in the name.
    """
    return Sub("${Prefix}-${AWS::Region}", Prefix=prefix)


def build(config: Config) -> Template:
    template = new_template(
        "SSM association notifier spoke: forwards association events of this account and region "
        "to the hub, and lets the hub read runs and output"
    )
    params = _parameters(template, config)
    # WatchRunCommand, WatchMaintenanceWindows: forwarded as the hub's rule watches them.
    watched_runs.declare(template)
    template.add_rule("OrganizationIdGiven", required_rule(params[ORGANIZATION_ID]))
    template.add_condition(
        CREATE_ASSOCIATION, Equals(Ref(params[CREATE_AGENT_UPDATE_ASSOCIATION]), "true")
    )
    template.add_condition(TARGETS_ALL, Equals(Ref(params[names.ASSOCIATION_TARGETS]), TARGET_ALL))
    template.add_condition(ANY_TAG_VALUE, Equals(Ref(params[names.TARGET_TAG_VALUE]), ""))
    template.add_condition(
        INSTANCE_ROLES_WRITE_OUTPUT,
        And(
            TroposphereCondition(CREATE_ASSOCIATION),
            Not(Equals(Join("", Ref(params[INSTANCE_ROLE_NAMES])), "")),
        ),
    )

    # Where the spoke lands in the hub's own account and region (a delegated administrator in a
    # target OU), the hub's default-bus rule already sees the events: forwarding them to the hub
    # bus as well would report every run twice.
    hub_bus = Split(":", Ref(params[HUB_EVENT_BUS_ARN]))
    template.add_condition(
        FORWARDS_TO_HUB,
        Not(
            And(
                Equals(Select(4, hub_bus), AccountId),
                Equals(Select(3, hub_bus), Region),
            )
        ),
    )

    rule = _add_forwarding(template, config, params)
    bucket = _add_output_bucket(template, params)
    _add_association(template, config, params, bucket)
    reader = template.add_resource(_reader_role(params))
    template.add_resource(_reader_output_policy(config, reader, bucket))

    template.add_output(
        [
            Output(READER_ROLE_ARN, Value=GetAtt(reader, "Arn")),
            Output(FORWARD_RULE_ARN, Condition=FORWARDS_TO_HUB, Value=GetAtt(rule, "Arn")),
            Output(
                names.OUTPUT_BUCKET_NAME,
                Condition=CREATE_ASSOCIATION,
                Value=Ref(bucket),
            ),
        ]
    )
    return template


def _parameters(template: Template, config: Config) -> dict[str, Parameter]:
    declared = [
        Parameter(
            HUB_EVENT_BUS_ARN,
            Type="String",
            Description="ARN of the hub's event bus the association events are forwarded to",
            AllowedPattern=EVENT_BUS_ARN_PATTERN,
            ConstraintDescription="an event bus ARN, "
            "arn:PARTITION:events:REGION:ACCOUNT:event-bus/NAME",
        ),
        Parameter(
            HUB_NOTIFIER_ROLE_ARN,
            Type="String",
            Description="ARN of the hub's notifier function role (may assume the reader role)",
            AllowedPattern=ROLE_ARN_PATTERN,
            ConstraintDescription="an IAM role ARN",
        ),
        Parameter(
            HUB_SWEEP_ROLE_ARN,
            Type="String",
            Description="ARN of the hub's sweep function role (may assume the reader role)",
            AllowedPattern=ROLE_ARN_PATTERN,
            ConstraintDescription="an IAM role ARN",
        ),
        Parameter(
            ORGANIZATION_ID,
            Type="String",
            Description="The organization (o-...) the hub roles must belong to",
            AllowedPattern=ORGANIZATION_ID_PATTERN,
            ConstraintDescription="an organization id, o- and 10 to 32 lowercase letters or digits",
        ),
        Parameter(
            READER_ROLE_NAME_PREFIX,
            Type="String",
            Default=DEFAULT_READER_ROLE_NAME_PREFIX,
            Description="Name of the reader role before -REGION (the hub assumes it by this name)",
            AllowedPattern=ROLE_NAME_PREFIX_PATTERN,
            ConstraintDescription="1 to 48 characters of letters, digits and _ + = , . @ -",
        ),
        parameters.watched_documents(config),
        parameters.watched_statuses(config),
        Parameter(
            CREATE_AGENT_UPDATE_ASSOCIATION,
            Type="String",
            Default="false",
            AllowedValues=["true", "false"],
            Description="Create the AWS-UpdateSSMAgent association and its output bucket in "
            "this account and region",
        ),
        parameters.output_retention_days(config),
        Parameter(
            INSTANCE_ROLE_NAMES,
            Type="CommaDelimitedList",
            Default="",
            AllowedPattern=r"^[\w+=,.@-]{0,64}$",
            ConstraintDescription="IAM role names (not ARNs), comma-separated",
            Description="Instance roles that get the policy to write association output to the "
            "bucket (empty: none)",
        ),
        parameters.association_schedule(config),
        parameters.association_max_concurrency(config),
        parameters.association_max_errors(config),
        parameters.association_targets(TARGET_TAGGED, TARGET_ALL),
        parameters.target_tag_key(),
        Parameter(
            names.TARGET_TAG_VALUE,
            Type="String",
            Default="",
            MaxLength=256,
            AllowedPattern=parameters.TAG_VALUE_PATTERN,
            Description="Tag value of the instances the agent update targets (empty: every "
            "instance that has the tag key, whatever its value)",
        ),
    ]
    return {parameter.title: template.add_parameter(parameter) for parameter in declared}


def _add_forwarding(template: Template, config: Config, params: dict) -> events.Rule:
    """The rule that sends watched association events to the hub bus, the role EventBridge
    assumes to put them there, and the queue that keeps what could not be delivered."""
    dead_letter_queue = template.add_resource(
        sqs.Queue(
            "DeadLetterQueue",
            Condition=FORWARDS_TO_HUB,
            DeletionPolicy="Delete",
            UpdateReplacePolicy="Delete",
            # SSE-SQS: EventBridge writes to it without a key policy (DESIGN.md).
            SqsManagedSseEnabled=True,
            MessageRetentionPeriod=config.dead_letter_retention_seconds,
            Metadata=checkov_skips(
                CKV_AWS_27="encrypted with SSE-SQS; a customer-managed key in every member and "
                "region would cost US$1 a month each and protect nothing more here"
            ),
        )
    )
    forward_role = template.add_resource(
        common.role(
            "ForwardRole",
            "EventBridge: put this account's association events on the hub bus",
            Condition=FORWARDS_TO_HUB,
            AssumeRolePolicyDocument=policy_document(
                [
                    Statement(
                        Effect=Allow,
                        Principal=Principal("Service", "events.amazonaws.com"),
                        Action=[sts_actions.AssumeRole],
                        # Confused-deputy guard as AWS documents it. The rule's own ARN would
                        # make a cycle (the rule names this role), so: any rule of this account
                        # in this region; the role can do nothing but put events on the hub bus.
                        Condition=Condition(
                            [
                                StringEquals("aws:SourceAccount", AccountId),
                                ArnLike(
                                    "aws:SourceArn",
                                    Sub(
                                        "arn:${AWS::Partition}:events:${AWS::Region}"
                                        ":${AWS::AccountId}:rule/*"
                                    ),
                                ),
                            ]
                        ),
                    )
                ]
            ),
            Policies=[
                iam.Policy(
                    PolicyName="put-events-on-hub-bus",
                    PolicyDocument=policy_document(
                        [
                            Statement(
                                Sid="PutEventsOnHubBus",
                                Effect=Allow,
                                Action=[events_actions.PutEvents],
                                Resource=[Ref(params[HUB_EVENT_BUS_ARN])],
                            )
                        ]
                    ),
                )
            ],
        )
    )
    target = retrying_rule_target(
        "HubEventBus",
        Ref(params[HUB_EVENT_BUS_ARN]),
        GetAtt(dead_letter_queue, "Arn"),
        config,
    )
    # A bus in another account is only reached through a role of the sending account.
    target.RoleArn = GetAtt(forward_role, "Arn")
    rule = template.add_resource(
        events.Rule(
            "ForwardRule",
            Condition=FORWARDS_TO_HUB,
            Description="Forwards State Manager association runs of the watched documents and "
            "statuses, and the Run Command and maintenance window runs watched, to the hub",
            EventPattern=watched_runs.event_pattern(
                Ref(params[names.WATCHED_DOCUMENTS]), Ref(params[names.WATCHED_STATUSES])
            ),
            State="ENABLED",
            Targets=[target],
        )
    )
    queue_policy = only_rule_may_send(
        "DeadLetterQueuePolicy", "ForwardRuleDeadLetters", rule, [dead_letter_queue]
    )
    queue_policy.Condition = FORWARDS_TO_HUB
    template.add_resource(queue_policy)
    return rule


def _add_output_bucket(template: Template, params: dict) -> s3.Bucket:
    """The association output bucket, as the logging stack makes it (only with the association)."""
    retention = Ref(params[OUTPUT_RETENTION_DAYS])
    access_logs = template.add_resource(
        private_bucket(
            "AccessLogBucket",
            retention,
            Condition=CREATE_ASSOCIATION,
            Metadata=checkov_skips(
                CKV_AWS_18="this bucket receives the access log; logging it would recurse"
            ),
        )
    )
    bucket = template.add_resource(
        private_bucket(
            "OutputBucket",
            retention,
            Condition=CREATE_ASSOCIATION,
            LoggingConfiguration=s3.LoggingConfiguration(
                DestinationBucketName=Ref(access_logs), LogFilePrefix=ACCESS_LOG_PREFIX
            ),
        )
    )
    output_policy = template.add_resource(tls_only_policy("OutputBucketPolicy", bucket))
    access_log_policy = template.add_resource(
        tls_only_policy(
            "AccessLogBucketPolicy",
            access_logs,
            access_log_write_statement(access_logs, bucket),
        )
    )
    output_policy.Condition = CREATE_ASSOCIATION
    access_log_policy.Condition = CREATE_ASSOCIATION
    template.add_resource(
        iam.PolicyType(
            "InstanceOutputPolicy",
            Condition=INSTANCE_ROLES_WRITE_OUTPUT,
            # Every region's spoke grants the same roles: a name per stack and region (IAM is
            # global), as the logging stack's.
            PolicyName=output_policy_name(),
            Roles=Ref(params[INSTANCE_ROLE_NAMES]),
            PolicyDocument=policy_document(instance_output_statements(bucket)),
        )
    )
    return bucket


def _add_association(template: Template, config: Config, params: dict, bucket: s3.Bucket) -> None:
    """The agent-update association, as the association stack makes it, writing to this spoke's
    bucket. In a member there are no demo instances, so an empty tag value means every instance
    that carries the tag key."""
    tag_key = Ref(params[names.TARGET_TAG_KEY])
    template.add_resource(
        ssm.Association(
            "AgentUpdateAssociation",
            Condition=CREATE_ASSOCIATION,
            Name=DOCUMENT,
            ScheduleExpression=Ref(params[names.ASSOCIATION_SCHEDULE]),
            Targets=If(
                TARGETS_ALL,
                [ssm.Targets(Key="InstanceIds", Values=["*"])],
                If(
                    ANY_TAG_VALUE,
                    [ssm.Targets(Key="tag-key", Values=[tag_key])],
                    [
                        ssm.Targets(
                            Key=Sub("tag:${Key}", Key=tag_key),
                            Values=[Ref(params[names.TARGET_TAG_VALUE])],
                        )
                    ],
                ),
            ),
            OutputLocation=ssm.InstanceAssociationOutputLocation(
                S3Location=ssm.S3OutputLocation(
                    OutputS3BucketName=Ref(bucket),
                    OutputS3KeyPrefix=config.association_output_prefix,
                )
            ),
            MaxConcurrency=Ref(params[names.ASSOCIATION_MAX_CONCURRENCY]),
            MaxErrors=Ref(params[names.ASSOCIATION_MAX_ERRORS]),
            ComplianceSeverity="HIGH",
            ApplyOnlyAtCronInterval=False,
        )
    )


def _reader_output_policy(config: Config, reader: iam.Role, bucket: s3.Bucket) -> iam.PolicyType:
    """With the association: the reader may also fetch its output objects from this spoke's
    bucket (a policy of its own, so the role's statements need no condition)."""
    return iam.PolicyType(
        "ReaderOutputPolicy",
        Condition=CREATE_ASSOCIATION,
        PolicyName="read-association-output",
        Roles=[Ref(reader)],
        PolicyDocument=policy_document(
            [
                Statement(
                    Sid="ReadAssociationOutput",
                    Effect=Allow,
                    Action=[s3_actions.GetObject],
                    Resource=[Sub(f"${{{bucket.title}.Arn}}/{config.association_output_prefix}*")],
                )
            ]
        ),
    )


def _reader_role(params: dict) -> iam.Role:
    """The role the hub's notifier and sweep assume here: the reads enrichment and the sweep
    perform in the single-account deploy, scoped to this account and region."""
    return common.role(
        "ReaderRole",
        "The SSM association notifier's hub reads association runs, instances and output in "
        "this account and region",
        RoleName=reader_role_name(Ref(params[READER_ROLE_NAME_PREFIX])),
        AssumeRolePolicyDocument=policy_document(
            [
                Statement(
                    Sid="HubFunctionsAssume",
                    Effect=Allow,
                    Principal=Principal(
                        "AWS",
                        [Ref(params[HUB_NOTIFIER_ROLE_ARN]), Ref(params[HUB_SWEEP_ROLE_ARN])],
                    ),
                    Action=[sts_actions.AssumeRole],
                    Condition=Condition(
                        StringEquals("aws:PrincipalOrgID", Ref(params[ORGANIZATION_ID]))
                    ),
                )
            ]
        ),
        Policies=[
            iam.Policy(
                PolicyName="read-association-runs",
                PolicyDocument=policy_document(
                    [
                        common.list_associations_and_instances_statement(),
                        common.read_association_runs_statement(),
                        common.read_command_output_statement(),
                        common.describe_documents_statement(),
                        # The notifier names instances here (DescribeInstanceInformation is
                        # granted above).
                        common.name_instances_statement(with_instance_information=False),
                    ]
                ),
            )
        ],
    )

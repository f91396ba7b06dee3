"""Small pieces the stack modules share: a new template, the one IAM role builder, awacs policy
helpers (with the SSM read statements several roles share), checkov skips, and the rule pieces
(the association event pattern, a retrying target, a queue policy only the rules may use)."""

from __future__ import annotations

from awacs import ec2 as ec2_actions
from awacs import sqs as sqs_actions
from awacs import ssm as ssm_actions
from awacs.aws import Allow, ArnEquals, Condition, Policy, Principal, Statement
from troposphere import (
    And,
    Equals,
    GetAtt,
    If,
    Join,
    Not,
    NoValue,
    Ref,
    Sub,
    Template,
    events,
    iam,
    sqs,
)

from templates import names, parameters
from templates.config import VERSION, Config

POLICY_VERSION = "2012-10-17"
DETAIL_TYPE = "EC2 State Manager Instance Association State Change"


HAS_PERMISSIONS_BOUNDARY = "HasPermissionsBoundary"
HAS_ROLE_PATH = "HasRolePath"
FUNCTIONS_IN_VPC = "FunctionsInVpc"


class StackTemplate(Template):
    """A template that declares the deploy-time inputs a role or a function needs the first time
    one is added to it: the permissions boundary and path for a role, the subnets and security
    groups for a function. It refuses a role not built by `role()` and a function without the
    VPC setting of `templates.functions.function()`, so no stack can create a role that escapes
    an organization's boundary, or a function that ignores its VPC."""

    def add_resource(self, resource):
        for each in resource if isinstance(resource, list) else [resource]:
            if isinstance(each, iam.Role):
                if each.properties.get("PermissionsBoundary") != _boundary():
                    raise ValueError(f"role {each.title}: build it with templates.common.role()")
                declare_role_inputs(self)
            if getattr(each, "resource_type", None) == "AWS::Lambda::Function":
                if "VpcConfig" not in each.properties:
                    raise ValueError(
                        f"function {each.title}: build it with templates.functions.function()"
                    )
                declare_function_vpc_inputs(self)
        return super().add_resource(resource)


def new_template(description: str) -> Template:
    """A template of this product: its description and metadata carry the product's version."""
    template = StackTemplate(Description=f"{description} (version {VERSION})")
    template.set_version("2010-09-09")
    template.set_metadata({"SsmNotifier": {"Version": VERSION}})
    return template


def declare_role_inputs(template: Template) -> None:
    """The PermissionsBoundaryArn and RolePath parameters and their "is set" conditions, once."""
    if names.PERMISSIONS_BOUNDARY_ARN in template.parameters:
        return
    boundary = template.add_parameter(parameters.permissions_boundary_arn())
    path = template.add_parameter(parameters.role_path())
    template.add_condition(HAS_PERMISSIONS_BOUNDARY, Not(Equals(Ref(boundary), "")))
    template.add_condition(HAS_ROLE_PATH, Not(Equals(Ref(path), "")))


def declare_function_vpc_inputs(template: Template) -> None:
    """The FunctionSubnetIds and FunctionSecurityGroupIds parameters and the condition that
    both are set (the parent's Rules reject one without the other), once."""
    if names.FUNCTION_SUBNET_IDS in template.parameters:
        return
    subnets = template.add_parameter(parameters.function_subnet_ids())
    groups = template.add_parameter(parameters.function_security_group_ids())
    template.add_condition(
        FUNCTIONS_IN_VPC,
        And(
            Not(Equals(Join("", Ref(subnets)), "")),
            Not(Equals(Join("", Ref(groups)), "")),
        ),
    )


def _boundary() -> If:
    return If(HAS_PERMISSIONS_BOUNDARY, Ref(names.PERMISSIONS_BOUNDARY_ARN), NoValue)


def role(
    title: str, description: str, trusted_service: str | Sub | None = None, **properties
) -> iam.Role:
    """The one way this product makes an IAM role, with the deploy-time permissions boundary and
    path when they are set (none and / when empty): assumable by `trusted_service` only, or as
    an `AssumeRolePolicyDocument` among `properties` says (a role other accounts' roles assume)."""
    trust = properties.pop("AssumeRolePolicyDocument", None)
    if (trust is None) == (trusted_service is None):
        raise ValueError(f"role {title}: give a trusted service or a trust policy, not both")
    return iam.Role(
        title,
        Description=description,
        AssumeRolePolicyDocument=trust or service_trust_policy(trusted_service),
        PermissionsBoundary=_boundary(),
        Path=If(HAS_ROLE_PATH, Ref(names.ROLE_PATH), NoValue),
        **properties,
    )


def policy_document(statements: list[Statement]) -> Policy:
    return Policy(Version=POLICY_VERSION, Statement=statements)


def association_arns() -> Sub:
    """Every State Manager association in the stack's account and region."""
    return Sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:association/*")


def read_association_runs_statement(
    sid: str = "ReadAssociationRuns", *, with_association: bool = True
) -> Statement:
    """Read associations' runs (executions and their targets) in this account and region, and
    the association itself unless `with_association` is False."""
    return Statement(
        Sid=sid,
        Effect=Allow,
        Action=[
            *([ssm_actions.DescribeAssociation] if with_association else []),
            ssm_actions.DescribeAssociationExecutions,
            ssm_actions.DescribeAssociationExecutionTargets,
        ],
        Resource=[association_arns()],
    )


def list_associations_and_instances_statement() -> Statement:
    return Statement(
        Sid="ListAssociationsAndInstances",
        Effect=Allow,
        Action=[
            ssm_actions.ListAssociations,
            ssm_actions.DescribeInstanceInformation,
            ec2_actions.DescribeInstances,
        ],
        # These list/describe APIs support no resource-level permissions.
        Resource=["*"],
    )


def describe_documents_statement() -> Statement:
    """Look a watched document up (the sweep's "does not exist" finding): any document of this
    region, the account's own, shared ones and AWS-owned ones (whose ARNs have no account)."""
    return Statement(
        Sid="DescribeWatchedDocuments",
        Effect=Allow,
        Action=[ssm_actions.DescribeDocument],
        Resource=[Sub("arn:${AWS::Partition}:ssm:${AWS::Region}:*:document/*")],
    )


def name_instances_statement(*, with_instance_information: bool = True) -> Statement:
    """The reads that name an instance in a digest (handler instance_names.py): its EC2 Name
    tag, and a managed node's computer name (left out where another statement grants it)."""
    actions = [ec2_actions.DescribeTags]
    if with_instance_information:
        actions.append(ssm_actions.DescribeInstanceInformation)
    return Statement(
        Sid="NameInstances",
        Effect=Allow,
        Action=actions,
        # Neither supports resource-level permissions (Service Authorization Reference: EC2
        # DescribeTags and SSM DescribeInstanceInformation list no resource types): "*".
        Resource=["*"],
    )


def read_command_output_statement() -> Statement:
    return Statement(
        Sid="ReadCommandOutput",
        Effect=Allow,
        Action=[ssm_actions.ListCommandInvocations, ssm_actions.GetCommandInvocation],
        # Neither supports resource-level permissions (Service Authorization Reference).
        Resource=["*"],
    )


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


def association_event_pattern(documents, statuses) -> dict:
    """The association runs worth reporting, for every rule that watches them (the notifier's,
    the hub's, a spoke's): by document name, since AWS-owned document ARNs have an empty account
    field, so a match on `resources` with the account id misses them."""
    return {
        "source": ["aws.ssm"],
        "detail-type": [DETAIL_TYPE],
        "detail": {"status": statuses, "document-name": documents},
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


def notification_queue_target(
    queue: sqs.Queue, dead_letter_queue: sqs.Queue, config: Config
) -> events.Target:
    """The notifier's queue as the target of a rule that watches association runs (the default
    bus's and the hub bus's), retried, then dead-lettered."""
    return retrying_rule_target(
        "NotificationQueue", GetAtt(queue, "Arn"), GetAtt(dead_letter_queue, "Arn"), config
    )


def encrypted_queue(title: str, key_id, retention_seconds: int, **extra) -> sqs.Queue:
    """A queue encrypted with `key_id`, deleted with its stack."""
    return sqs.Queue(
        title,
        DeletionPolicy="Delete",
        UpdateReplacePolicy="Delete",
        KmsMasterKeyId=key_id,
        MessageRetentionPeriod=retention_seconds,
        **extra,
    )


def queue_with_dead_letters(
    title: str,
    dead_letter_title: str,
    key_id,
    *,
    retention_seconds: int,
    dead_letter_retention_seconds: int,
    visibility_timeout: int,
    max_receive_count: int,
) -> tuple[sqs.Queue, sqs.Queue]:
    """A queue and its dead-letter queue, both encrypted with `key_id`: a message received
    `max_receive_count` times without being deleted moves to the dead-letter queue. Returned as
    (queue, dead-letter queue); add the dead-letter queue first, as the stacks always have."""
    dead_letters = encrypted_queue(dead_letter_title, key_id, dead_letter_retention_seconds)
    queue = encrypted_queue(
        title,
        key_id,
        retention_seconds,
        VisibilityTimeout=visibility_timeout,
        RedrivePolicy=sqs.RedrivePolicy(
            deadLetterTargetArn=GetAtt(dead_letters, "Arn"), maxReceiveCount=max_receive_count
        ),
    )
    return queue, dead_letters


def only_rule_may_send(
    title: str, sid: str, rules: events.Rule | list, queues: list[sqs.Queue]
) -> sqs.QueuePolicy:
    """A queue policy that lets EventBridge send to `queues` for `rules` alone (a rule, or a list
    of rule ARNs, e.g. with an `If` for a rule that only some deployments have)."""
    rule_arns = [GetAtt(rules, "Arn")] if isinstance(rules, events.Rule) else rules
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
                    Condition=Condition(
                        ArnEquals(
                            "aws:SourceArn", rule_arns[0] if len(rule_arns) == 1 else rule_arns
                        )
                    ),
                )
            ]
        ),
    )

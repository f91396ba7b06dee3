"""Every place where the local end-to-end run works around the emulator (moto 5.2), and why.

Nothing here changes what the product's templates contain: the workarounds act on the harness's
own copies of the packaged templates (after `aws cloudformation package`) or on how the harness
reads results back, or teach the emulator an AWS behaviour it lacks before it serves anything.
Each one names the moto behaviour it exists for and the test that fails once moto learns it:
delete the workaround then. Items 1 to 3 and 16 live in `nested_stacks.py`, items 8 to 10 in
`emulator_extensions.py` (they run inside the server process), the rest here.

1. `nested_stacks.deploy_children_one_by_one`: moto cannot deploy the packaged parent. Its
   nested-stack model has no `get_cfn_attribute`, so the parent's `Fn::GetAtt Child.Outputs.X`
   cannot be evaluated (the deploy fails with "Fn::GetAtt references undefined resource
   Network"). `test_moto_still_cannot_deploy_the_parent_as_is` deploys the parent exactly as a
   user would, on a server of its own, and fails once moto can. The harness deploys each
   packaged child (downloaded from the emulator's bucket, where `package` put it) as a stack of
   its own with `aws cloudformation deploy`, in the parent's dependency order, passing it the
   parameters the parent would pass (`ParentScope` evaluates the parent's parameters, conditions,
   `Fn::If`, `Fn::Join` and `Fn::GetAtt Child.Outputs.X`, the last from the children deployed).
2. `nested_stacks.child_outputs`: stacks that moto creates through a change set (which
   `deploy` uses) report no Outputs. The harness evaluates the child's Outputs section (`Ref`,
   `Fn::Join`, `Fn::GetAtt`) from the stack's resources as moto lists them, reading attributes
   from each service
   (`service_get_att`; a KMS key's ARN from ListKeys, as moto's DescribeKey fails with HTTP 500
   on a key whose KeyPolicy came from a template). An output behind a resource moto skips (the
   association's id) has no value; the parent's outputs show it as unavailable.
   `nested_stacks.named_event_buses`: moto lists an AWS::Events::EventBus it created with no
   PhysicalResourceId; the harness takes the bus's name from the template's `Name`. Delete when
   `test_moto_still_lists_a_bus_without_its_name` fails.
3. `nested_stacks.rewrite_cidr_selects`: moto's CloudFormation has no `Fn::Cidr`, and its
   `Fn::Select` over the unevaluated value fails (KeyError: 0). In the harness's copy of the
   network child only, each `Fn::Select [i, Fn::Cidr [block, count, bits]]` becomes the CIDR
   that AWS would compute.
   (`Fn::Select` over `Fn::GetAZs` works in moto and is left as it is.)
   `copy_launch_template_basics`: moto's `AWS::EC2::Instance` ignores `LaunchTemplate` and fails
   without an `ImageId` (KeyError: 'ImageId'); the harness's copy gives each instance the
   ImageId and InstanceType of its own launch template.
   `name_buses_by_get_att`: moto's `Ref` of an AWS::Events::EventBus gives the bus object, not
   its name, and a rule whose `EventBusName` is that Ref fails (AttributeError, HTTP 500). The
   harness copy says `Fn::GetAtt [Bus, Name]` instead, which AWS resolves to the same name.
4. `function_code_zip`: moto's GetFunction returns a `Code.Location` on a real AWS host
   (awslambda-REGION-tasks.s3...), which this run must never contact. The key in that URL is the
   key `package` uploaded, so the harness reads that object from the emulator's bucket instead, and
   proves it is the function's code by comparing its SHA-256 with the function's CodeSha256.
5. `detach_scheduled_rule_targets`: moto matches a schedule-only rule (the sweep's) against every
   event put on the bus and fails on its Lambda target, so PutEvents answers HTTP 500. After
   deploying, and after the targets are read for the checks, the harness removes the targets of
   schedule-only rules in the emulator (AWS never sends put events to such a rule).
6. `disable_event_source_mappings`: moto's SQS event source mapping receives the queue's
   messages on every send and, unable to run the function without Docker, releases them: their
   receive count climbs with each event put, and at maxReceiveCount moto dead-letters them. The
   harness reads the mappings' settings, disables them in the emulator, and does their job itself.
7. `SKIPPED_BY_MOTO`: resource types and properties that moto's CloudFormation accepts and then
   silently ignores while reporting CREATE_COMPLETE. The live checks cannot see them; each is
   asserted on the templates instead, by the test named beside it (see README, "Testing without
   AWS").
8. `emulator_extensions.deliver_account_field`: moto's EventBridge delivers events to an SQS
   target without their `account` field (its default input template lacks it), so the digest
   would say `Account: -`. The server fills it with the account the event was put in, as AWS
   does. Delete when `test_moto_still_delivers_events_without_their_account` fails.
9. `emulator_extensions.register_association_runs`: moto has no DescribeAssociationExecutions
   or DescribeAssociationExecutionTargets, and its GetCommandInvocation reports every invocation
   `Success` with empty output, so the notifier could not fetch a failed run's output. The
   server answers them from runs simulated through a test-only SSM action
   (`SimulateAssociationRun`, sent by `pipeline.simulate_association_run`). Delete when
   `test_moto_still_lacks_the_association_run_apis` fails.
10. `emulator_extensions.register_message_move_tasks`: moto has no SQS StartMessageMoveTask or
   ListMessageMoveTasks (README's dead-letter replay). The server moves the messages at once.
   Delete when `test_moto_still_lacks_message_move_tasks` fails.
11. `pipeline.Pipeline.dead_letter_as_eventbridge`: moto's EventBridge ignores a target's
   DeadLetterConfig and retry policy (a delivery that fails is dropped). The harness writes the
   event to the dead-letter queue as EventBridge does after its retries (the event as the body,
   with the RULE_ARN, TARGET_ARN, ERROR_CODE and ERROR_MESSAGE attributes), so README's replay
   command is run on what AWS would leave there.
12. `emulator_extensions.register_planted_associations`: moto has no ListAssociations,
   DescribeAssociation or DescribeInstanceInformation (nor CreateAssociation), which the sweep
   reads. An association and its managed nodes are planted per account and region through a
   test-only SSM action (`PlantAssociation`, sent by `org_demo.plant_missed_instance`). Delete
   when `test_moto_still_lacks_the_sweeps_listings` fails. (Item 9's runs are kept per account
   and region too, and their reads recorded: `ListSimulatedRunReads`.)
13. `emulator_extensions.forward_whole_events`: an event a rule sends to another event bus
   (another account's or region's: a spoke's forward rule) arrives rebuilt in moto, without
   `account`, with the destination's region, no resources and a new id; AWS delivers it as it
   was put. The server re-puts it on the destination bus unchanged. Delete when
   `test_org_probe.test_a_members_rule_delivers_into_the_hub_bus_rules_across_accounts_and_regions`
   fails.
14. `org_demo.create_spokes`: moto skips AWS::CloudFormation::StackSet inside a stack (and
   AWS::Events::EventBusPolicy: the bus policy is asserted on the templates and by Guard), while
   the stack reports CREATE_COMPLETE. The harness creates the StackSet through the
   CloudFormation API (CreateStackSet, CreateStackInstances) with the hub stack's own
   properties, evaluated with the parameters the parent passed it. Delete when
   `test_org_probe.test_stack_set_and_bus_policy_resources_are_skipped_in_a_template` fails.
15. `org_demo.create_spokes`: moto splits a CommaDelimitedList parameter it is given, but leaves
   one at its Default as the string "a,b" (a spoke's event pattern then fails). Each list
   parameter the StackSet leaves at its default is passed explicitly with that default. Delete
   when `test_org_probe.test_a_list_parameters_default_stays_a_string` fails.
16. `nested_stacks.resolve_conditional_list_items`: moto evaluates a list item
   `Fn::If [condition, item, AWS::NoValue]` whose condition is false to None and keeps it (a
   role's `Policies` with the VPC-only policy then fail: "'NoneType' object is not
   subscriptable"); AWS drops the item. In the harness's copy of each child, such items are
   replaced by the branch the child's own condition takes. Delete when
   `test_moto_still_keeps_a_no_value_list_item` fails.
17. `emulator_extensions.register_aws_owned_documents`: moto holds no AWS-owned documents (its
   DescribeDocument answers InvalidDocument for `AWS-UpdateSSMAgent`), which exist in every
   region on AWS; the sweep would call a watched AWS document with no association "does not
   exist". The server describes a few of AWS's own (Owner Amazon); other names get moto's answer.
   Delete when `test_moto_still_lacks_aws_owned_documents` fails.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

# Resource types moto 5.2's CloudFormation skips ("No Moto CloudFormation support for X" in its
# log) while the stack reports CREATE_COMPLETE -> the template tests that assert them instead.
# test_local_stack.py fails on a skipped type missing here, and on a test file that no longer
# mentions the type.
SKIPPED_TYPES: dict[str, tuple[str, ...]] = {
    "AWS::SNS::Subscription": ("tests/test_notifications_stack.py", "tests/test_alarm_path.py"),
    "AWS::SNS::TopicPolicy": ("tests/test_alarm_path.py",),
    "AWS::SQS::QueuePolicy": ("tests/test_notifications_stack.py", "tests/test_sweep_stack.py"),
    "AWS::S3::BucketPolicy": ("tests/test_logging_stack.py",),
    "AWS::CloudWatch::Alarm": ("tests/test_notifications_stack.py", "tests/test_sweep_stack.py"),
    "AWS::SSM::Association": ("tests/test_association_stack.py",),
    "AWS::Lambda::EventInvokeConfig": ("tests/test_sweep_stack.py",),
    # Scope=organization only (tox -e org): the hub stack's two resources.
    "AWS::Events::EventBusPolicy": ("tests/test_hub.py",),
    "AWS::CloudFormation::StackSet": ("tests/test_hub.py",),
}

# Properties and behaviours moto accepts and ignores (measured on this pinned moto; the stack
# still reports CREATE_COMPLETE): (what, a word the covering test must contain, its files).
SKIPPED_BY_MOTO: list[tuple[str, str, tuple[str, ...]]] = [
    (
        "S3 PublicAccessBlockConfiguration",
        "PublicAccessBlockConfiguration",
        ("tests/test_logging_stack.py",),
    ),
    ("S3 LifecycleConfiguration", "LifecycleConfiguration", ("tests/test_logging_stack.py",)),
    (
        "S3 VersioningConfiguration",
        "VersioningConfiguration",
        ("tests/test_logging_stack.py", "tests/e2e/test_skipped_by_emulator.py"),
    ),
    (
        "S3 BucketKeyEnabled (moto reports False)",
        "BucketKeyEnabled",
        ("tests/test_logging_stack.py", "tests/e2e/test_skipped_by_emulator.py"),
    ),
    (
        "IAM Role ManagedPolicyArns (AmazonSSMManagedInstanceCore)",
        "ManagedPolicyArns",
        ("tests/test_network_stack.py",),
    ),
    (
        "EC2 Instance LaunchTemplate: IMDSv2 and the encrypted root volume",
        "HttpTokens",
        ("tests/test_network_stack.py",),
    ),
    (
        "EC2 Instance LaunchTemplate: security group and instance profile",
        "SecurityGroupIds",
        ("tests/test_network_stack.py", "tests/e2e/test_skipped_by_emulator.py"),
    ),
    (
        "Lambda Architectures (moto reports x86_64)",
        "Architectures",
        ("tests/test_notifications_stack.py",),
    ),
    (
        "Lambda event source mapping polling (moto cannot run the code; the harness does)",
        "ReportBatchItemFailures",
        ("tests/test_notifications_stack.py",),
    ),
    (
        "Lambda LoggingConfig (JSON format, log levels, log group; the harness's runtime reads "
        "it from the deployed template)",
        "LogFormat",
        ("tests/test_notifications_stack.py", "tests/test_sweep_stack.py"),
    ),
    (
        "Parent stack GetAtt Child.Outputs.X (deployed child by child here)",
        "Outputs.",
        ("tests/test_parent_wiring.py",),
    ),
]


# -- 4. the function's code ---------------------------------------------------------------------


def function_code_zip(function: Mapping[str, Any], get_object: Callable[[str], bytes]) -> bytes:
    """The deployed function's code zip, read from the emulator, checked against CodeSha256.

    `function` is a GetFunction response; `get_object(key)` reads a key of the artifacts bucket.
    """
    key = urlparse(function["Code"]["Location"]).path.lstrip("/")
    code = get_object(key)
    digest = base64.b64encode(hashlib.sha256(code).digest()).decode()
    expected = function["Configuration"]["CodeSha256"]
    if digest != expected:
        raise AssertionError(f"s3 object {key} is not the function's code ({digest} != {expected})")
    return code


# -- 5. schedule-only rules --------------------------------------------------------------------


@dataclass
class DetachedTargets:
    rule: str
    schedule: str
    targets: list[dict[str, Any]]


def detach_scheduled_rule_targets(events: Any) -> list[DetachedTargets]:
    """Take the targets off every schedule-only rule of the default bus, in the emulator only.

    moto matches a rule that has a ScheduleExpression and no EventPattern against every event put
    on the bus, and then fails on its Lambda target (NotImplementedError, HTTP 500 to PutEvents),
    which breaks the whole PutEvents call. On AWS such a rule never sees put events. The targets
    are returned so the caller can check them before they are gone.
    """
    detached = []
    for rule in events.list_rules()["Rules"]:
        if not rule.get("ScheduleExpression") or rule.get("EventPattern"):
            continue
        targets = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        if not targets:
            continue
        events.remove_targets(Rule=rule["Name"], Ids=[target["Id"] for target in targets])
        detached.append(DetachedTargets(rule["Name"], rule["ScheduleExpression"], targets))
    return detached


# -- 6. the SQS event source mapping -----------------------------------------------------------


def disable_event_source_mappings(lam: Any) -> list[dict[str, Any]]:
    """Disable every event source mapping in the emulator; return them as they were deployed.

    moto's SQS event source mapping acts on every message sent to the queue: it receives the
    queue's messages, tries to run the function in Docker (absent here), and on failure makes
    them visible again. Each send thus raises every waiting message's receive count, and after
    maxReceiveCount sends moto moves them to the dead-letter queue. The harness does the mapping's
    job itself (harness.Pipeline), so moto's is switched off once its settings are read.
    """
    mappings = lam.list_event_source_mappings()["EventSourceMappings"]
    for mapping in mappings:
        lam.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
    return mappings

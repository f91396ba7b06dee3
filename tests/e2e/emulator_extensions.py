"""The local moto server, taught first what AWS does, the run needs, and moto lacks.

Runs inside the server process: `python tests/e2e/emulator_extensions.py -H HOST -p PORT` registers
the pieces below on moto's backends and response classes, then hands over to `moto.server.main`.
Each piece is a numbered workaround in `moto_workarounds` (8 to 10, 12, 13 and 17); delete it when
moto learns the behaviour (`test_emulator_extensions.py` says when: it checks that moto 5.2 still
lacks each).

8. EventBridge's delivered event carries `account`: moto's default input template for a target
   leaves it out (it has `id, time, version, detail-type, source, region, resources, detail`),
   although AWS delivers the whole event. The template gets the field, filled with the account
   the event was put in (moto's `123456789012`), as AWS fills it.
9. The association run APIs the notifier reads a failed run's output with: moto has neither
   DescribeAssociationExecutions, DescribeAssociationExecutionTargets nor ListCommandInvocations,
   and its GetCommandInvocation answers every invocation with `Success` and empty output. A run is
   simulated through a test-only action, `SimulateAssociationRun` (an SSM JSON call, signed like
   any other), which sends the document with moto's own SendCommand and records the execution,
   its targets and each instance's outcome and output; the three read APIs then answer from
   that record with AWS's response shapes (botocore's model serialises them). Runs are kept per
   account and region, as AWS keeps them: a run simulated in a member account answers only to
   that account's credentials (an assumed role's), so a read with the hub's own credentials
   fails as on AWS. Every read the three APIs answer is recorded (`ListSimulatedRunReads`,
   test-only) with the account and region it was served in, for the harness to count.
   A Run Command command on its own (WatchRunCommand) is simulated the same way through
   `SimulateCommandRun` (test-only): moto's SendCommand, then each instance's outcome and output
   recorded, which ListCommandInvocations and GetCommandInvocation then answer.
10. SQS StartMessageMoveTask and ListMessageMoveTasks: moto has neither. The task moves every
   message of the dead-letter queue to `DestinationArn`, or, without one, each back to the SQS
   queue that dead-lettered it, as AWS does; as on AWS, a message that no
   SQS queue dead-lettered (EventBridge wrote it) cannot go back without `DestinationArn`, and
   the task fails. The move happens at once (AWS moves at a rate; the end state is the same).
12. The sweep's listings: moto has no ListAssociations, DescribeAssociation or
   DescribeInstanceInformation (nor CreateAssociation). An association (and the managed nodes SSM
   describes) is planted per account and region through a test-only action, `PlantAssociation`;
   the three APIs answer from that record with AWS's shapes.
13. An event a rule sends to an event bus (another account's, another region's) arrives rebuilt
   in moto: only source, detail-type and detail kept, so it has the hub's account and region, no
   resources and a new id. AWS delivers the event as it was put: the rule target here re-puts it
   on the destination bus with its account, region, resources, id and time kept.
17. AWS-owned documents: moto holds none (its DescribeDocument says InvalidDocument even for
   `AWS-UpdateSSMAgent`), while on AWS they exist in every region (Owner `Amazon`). The server
   describes the few in AWS_OWNED_DOCUMENTS as AWS does; any other name gets moto's own answer
   (InvalidDocument for one that does not exist, as on AWS: the sweep's "does not exist").
"""

from __future__ import annotations

import json
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

# Runs, per account and region: (account, region, association id) -> its executions (newest
# last); (account, region, command, instance) -> its output. _READS: what was read, and where.
_EXECUTIONS: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
_INVOCATIONS: dict[tuple[str, str, str, str], dict[str, Any]] = {}
_READS: list[dict[str, str]] = []
# Planted associations and managed nodes (12): (account, region) -> association id -> description.
_ASSOCIATIONS: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
_NODES: dict[tuple[str, str], list[dict[str, Any]]] = {}
# The one step of AWS-UpdateSSMAgent, the document the demo's association runs.
PLUGIN = "aws:updateSsmAgent"
_MOVE_TASKS: dict[str, list[dict[str, Any]]] = {}  # source queue ARN -> its tasks


# -- 8. the delivered event's account -----------------------------------------------------------


def deliver_account_field() -> None:
    from moto.events.utils import EventTemplateParser

    template = EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE
    if '"account"' not in template:
        EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = template.replace(
            '"detail-type"', '"account": "<account>", "detail-type"', 1
        )


# -- 9. association runs ------------------------------------------------------------------------


def _place(response: Any) -> tuple[str, str]:
    """The account and region a request is served in (its credentials' account)."""
    backend = response.ssm_backend
    return backend.account_id, backend.region_name


def _record_read(response: Any, action: str, **what: str) -> None:
    account, region = _place(response)
    _READS.append({"Account": account, "Region": region, "Action": action, **what})


def _output_url(
    region: str, bucket: str, prefix: str, command_id: str, instance_id: str, plugin: str = PLUGIN
) -> str:
    """Where the agent writes a step's stdout: PREFIX/COMMAND/INSTANCE/PLUGIN/stdout."""
    step = plugin.replace(":", "")
    parts = (prefix.strip("/"), command_id, instance_id, step, "stdout")
    key = "/".join(part for part in parts if part)
    return f"https://s3.{region}.amazonaws.com/{bucket}/{key}"


def _send_command(response: Any, comment: str, document: str) -> tuple[str, str, list, Any]:
    """moto's own SendCommand of `document` to the request's Targets, writing to its output
    bucket and prefix: (bucket, prefix, targets, command)."""
    bucket = response._get_param("OutputS3BucketName", "")
    prefix = response._get_param("OutputS3KeyPrefix", "")
    targets = response._get_param("Targets", [])
    backend = response.ssm_backend
    command = backend.send_command(
        comment=comment,
        document_name=document,
        timeout_seconds=3600,
        instance_ids=[target["InstanceId"] for target in targets],
        max_concurrency="50",
        max_errors="0",
        notification_config=None,
        output_s3_bucket_name=bucket,
        output_s3_key_prefix=prefix,
        output_s3_region=backend.region_name,
        parameters={},
        service_role_arn="",
        targets=[],
    )
    return bucket, prefix, targets, command


def _record_invocation(
    response: Any, output: tuple[str, str], command_id: str, target: dict[str, Any], plugin: str
) -> str:
    """Keep one instance's simulated invocation for ListCommandInvocations and
    GetCommandInvocation; return where its stdout is (`output`: bucket and key prefix)."""
    instance_id, status = target["InstanceId"], target["Status"]
    region = response.ssm_backend.region_name
    url = _output_url(region, *output, command_id, instance_id, plugin)
    _INVOCATIONS[(*_place(response), command_id, instance_id)] = {
        "PluginName": plugin,
        "Status": status,
        "StatusDetails": status,
        "ResponseCode": int(target.get("ResponseCode", 0 if status == "Success" else 1)),
        "StandardOutputContent": target.get("StandardOutputContent", ""),
        "StandardErrorContent": target.get("StandardErrorContent", ""),
        "StandardOutputUrl": url,
        "StandardErrorUrl": url.removesuffix("stdout") + "stderr",
    }
    return url


def simulate_association_run(response: Any) -> str:
    """SSM `SimulateAssociationRun` (test-only): one execution of an association on its targets.

    Input: AssociationId, DocumentName, OutputS3BucketName, OutputS3KeyPrefix, and Targets, each
    {InstanceId, Status, ResponseCode, StandardOutputContent, StandardErrorContent}.
    Output: ExecutionId, CommandId, CreatedTime and per target its OutputUrl.
    """
    association_id = response._get_param("AssociationId")
    document = response._get_param("DocumentName")
    bucket, prefix, targets, command = _send_command(
        response, f"State Manager association {association_id}", document
    )
    created = datetime.now(UTC)
    execution_id = str(uuid.uuid4())
    counts: dict[str, int] = {}
    execution_targets = []
    urls = {}
    for target in targets:
        instance_id, status = target["InstanceId"], target["Status"]
        counts[status] = counts.get(status, 0) + 1
        urls[instance_id] = _record_invocation(
            response, (bucket, prefix), command.command_id, target, PLUGIN
        )
        execution_targets.append(
            {
                "AssociationId": association_id,
                "AssociationVersion": "1",
                "ExecutionId": execution_id,
                "ResourceId": instance_id,
                "ResourceType": "ManagedInstance",
                "Status": status,
                "DetailedStatus": status,
                "LastExecutionDate": created,
                "OutputSource": {
                    "OutputSourceId": command.command_id,
                    "OutputSourceType": "RunCommand",
                },
            }
        )
    overall = "Failed" if counts.get("Failed") else "Success"
    _EXECUTIONS.setdefault((*_place(response), association_id), []).append(
        {
            "AssociationId": association_id,
            "AssociationVersion": "1",
            "ExecutionId": execution_id,
            "Status": overall,
            "DetailedStatus": overall,
            "CreatedTime": created,
            "LastExecutionDate": created,
            "ResourceCountByStatus": json.dumps(counts, separators=(",", ":")),
            "_targets": execution_targets,
        }
    )
    return json.dumps(
        {
            "ExecutionId": execution_id,
            "CommandId": command.command_id,
            "CreatedTime": created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "Targets": [{"InstanceId": i, "OutputUrl": u} for i, u in urls.items()],
        }
    )


def simulate_command_run(response: Any) -> str:
    """SSM `SimulateCommandRun` (test-only): one Run Command command on its instances.

    Input: DocumentName, PluginName (the document's one step, e.g. aws:runShellScript),
    OutputS3BucketName, OutputS3KeyPrefix, and Targets as for SimulateAssociationRun.
    Output: CommandId, RequestedDateTime and per target its OutputUrl.
    """
    document = response._get_param("DocumentName")
    plugin = response._get_param("PluginName")
    bucket, prefix, targets, command = _send_command(response, "Run Command", document)
    urls = {}
    for target in targets:
        urls[target["InstanceId"]] = _record_invocation(
            response, (bucket, prefix), command.command_id, target, plugin
        )
    requested = datetime.now(UTC)
    return json.dumps(
        {
            "CommandId": command.command_id,
            "RequestedDateTime": requested.isoformat(timespec="milliseconds").replace(
                "+00:00", "Z"
            ),
            "Targets": [{"InstanceId": i, "OutputUrl": u} for i, u in urls.items()],
        }
    )


def _result(body: dict[str, Any]) -> Any:
    from moto.core.responses import ActionResult

    return ActionResult(body)


def describe_association_executions(response: Any) -> Any:
    association_id = response._get_param("AssociationId")
    key = (*_place(response), association_id)
    executions = [
        {key: value for key, value in execution.items() if not key.startswith("_")}
        for execution in reversed(_EXECUTIONS.get(key, []))
    ]
    if key not in _EXECUTIONS:
        return _error("AssociationDoesNotExist", f"Association {association_id} does not exist")
    _record_read(response, "DescribeAssociationExecutions", AssociationId=association_id)
    return _result({"AssociationExecutions": executions[: response._get_param("MaxResults", 50)]})


def describe_association_execution_targets(response: Any) -> Any:
    association_id = response._get_param("AssociationId")
    execution_id = response._get_param("ExecutionId")
    executions = _EXECUTIONS.get((*_place(response), association_id), [])
    found = [e for e in executions if e["ExecutionId"] == execution_id]
    if not found:
        return _error(
            "AssociationExecutionDoesNotExist", f"Execution {execution_id} does not exist"
        )
    _record_read(response, "DescribeAssociationExecutionTargets", AssociationId=association_id)
    targets = found[0]["_targets"]
    for item in response._get_param("Filters", []):
        key = {"Status": "Status", "ResourceId": "ResourceId", "ResourceType": "ResourceType"}
        targets = [t for t in targets if t[key[item["Key"]]] == item["Value"]]
    return _result({"AssociationExecutionTargets": targets})


def list_command_invocations(response: Any) -> Any:
    """The invocation of one command on one instance with its steps (`Details`), as the notifier
    asks for it to learn the failed step's name."""
    key = (*_place(response), response._get_param("CommandId"), response._get_param("InstanceId"))
    if key not in _INVOCATIONS:
        return _result({"CommandInvocations": []})
    invocation = _INVOCATIONS[key]
    _record_read(response, "ListCommandInvocations", CommandId=key[2], InstanceId=key[3])
    plugin = {
        "Name": invocation["PluginName"],
        "Status": invocation["Status"],
        "StatusDetails": invocation["StatusDetails"],
        "ResponseCode": invocation["ResponseCode"],
        # AWS puts the first 2,500 characters of stdout and stderr together here.
        "Output": (invocation["StandardOutputContent"] + invocation["StandardErrorContent"])[:2500],
        "StandardOutputUrl": invocation["StandardOutputUrl"],
        "StandardErrorUrl": invocation["StandardErrorUrl"],
    }
    return _result(
        {
            "CommandInvocations": [
                {
                    "CommandId": key[2],
                    "InstanceId": key[3],
                    "Status": invocation["Status"],
                    "StatusDetails": invocation["StatusDetails"],
                    "CommandPlugins": [plugin] if response._get_param("Details") else [],
                }
            ]
        }
    )


def _error(code: str, message: str) -> tuple[str, dict[str, Any]]:
    return json.dumps({"__type": code, "message": message}), {"status": 400}


def register_association_runs() -> None:
    from moto.ssm.responses import SimpleSystemManagerResponse

    original_get_invocation = SimpleSystemManagerResponse.get_command_invocation

    def get_command_invocation(response: Any) -> Any:
        command_id, instance_id = (
            response._get_param("CommandId"),
            response._get_param("InstanceId"),
        )
        key = (*_place(response), command_id, instance_id)
        if key not in _INVOCATIONS:
            return original_get_invocation(response)
        invocation = _INVOCATIONS[key]
        plugin = response._get_param("PluginName")
        # As AWS: a step named must be one of the document's steps.
        if plugin is not None and plugin != invocation["PluginName"]:
            return _error("InvalidPluginName", f"The plugin name {plugin} is not valid")
        _record_read(response, "GetCommandInvocation", CommandId=command_id, InstanceId=instance_id)
        command = response.ssm_backend.get_command_by_id(command_id)
        return _result(
            {
                "CommandId": command_id,
                "InstanceId": instance_id,
                "DocumentName": command.document_name,
                "DocumentVersion": "$DEFAULT",
                **invocation,
            }
        )

    SimpleSystemManagerResponse.simulate_association_run = simulate_association_run
    SimpleSystemManagerResponse.simulate_command_run = simulate_command_run
    SimpleSystemManagerResponse.describe_association_executions = describe_association_executions
    SimpleSystemManagerResponse.describe_association_execution_targets = (
        describe_association_execution_targets
    )
    SimpleSystemManagerResponse.get_command_invocation = get_command_invocation
    SimpleSystemManagerResponse.list_command_invocations = list_command_invocations
    SimpleSystemManagerResponse.list_simulated_run_reads = list_simulated_run_reads


def list_simulated_run_reads(response: Any) -> str:
    """SSM `ListSimulatedRunReads` (test-only): every read of a simulated run, with the account
    and region it was served in."""
    return json.dumps({"Reads": _READS})


# -- 12. planted associations and managed nodes -------------------------------------------------


def plant_association(response: Any) -> str:
    """SSM `PlantAssociation` (test-only): an association as State Manager describes it
    (AssociationId, Name, Targets, ScheduleExpression), and the managed nodes SSM describes
    (ManagedNodes: [{InstanceId, PingStatus}]), in the caller's account and region."""
    place = _place(response)
    association_id = response._get_param("AssociationId") or str(uuid.uuid4())
    _ASSOCIATIONS.setdefault(place, {})[association_id] = {
        "AssociationId": association_id,
        "Name": response._get_param("Name"),
        "AssociationVersion": "1",
        "Targets": response._get_param("Targets", []),
        "ScheduleExpression": response._get_param("ScheduleExpression", ""),
        "Date": datetime.now(UTC),
    }
    _NODES.setdefault(place, []).extend(response._get_param("ManagedNodes", []))
    return json.dumps({"AssociationId": association_id})


def list_associations(response: Any) -> Any:
    names = {
        item["value"]
        for item in response._get_param("AssociationFilterList", [])
        if item.get("key") == "Name"
    }
    found = [
        {key: a[key] for key in ("AssociationId", "Name", "AssociationVersion", "Targets")}
        for a in _ASSOCIATIONS.get(_place(response), {}).values()
        if not names or a["Name"] in names
    ]
    return _result({"Associations": found})


def describe_association(response: Any) -> Any:
    association_id = response._get_param("AssociationId")
    found = _ASSOCIATIONS.get(_place(response), {}).get(association_id)
    if found is None:
        return _error("AssociationDoesNotExist", f"Association {association_id} does not exist")
    return _result({"AssociationDescription": found})


def describe_instance_information(response: Any) -> Any:
    """The planted managed nodes; an InstanceIds filter is applied, tag filters are not
    (the harness plants InstanceIds targets only)."""
    nodes = _NODES.get(_place(response), [])
    for item in response._get_param("Filters", []) or []:
        if item.get("Key") == "InstanceIds":
            nodes = [n for n in nodes if n["InstanceId"] in item.get("Values", [])]
    return _result({"InstanceInformationList": nodes})


def register_planted_associations() -> None:
    from moto.ssm.responses import SimpleSystemManagerResponse

    SimpleSystemManagerResponse.plant_association = plant_association
    SimpleSystemManagerResponse.list_associations = list_associations
    SimpleSystemManagerResponse.describe_association = describe_association
    SimpleSystemManagerResponse.describe_instance_information = describe_instance_information


# -- 13. events forwarded to another bus keep their account and region --------------------------


def forward_whole_events() -> None:
    from moto.events.models import Rule, events_backends
    from moto.utilities.arns import parse_arn

    send_to_targets = Rule.send_to_targets

    def send_keeping_the_event(rule: Any, original_event: Any, transform_input: bool = True):
        if not rule.event_pattern.matches_event(original_event):
            return
        buses = [t for t in rule.targets if _is_bus(parse_arn(t["Arn"]))]
        others = [t for t in rule.targets if t not in buses]
        if others:
            kept = rule.targets
            rule.targets = others
            try:
                send_to_targets(rule, original_event, transform_input)
            finally:
                rule.targets = kept
        for target in buses:
            arn = parse_arn(target["Arn"])
            bus = events_backends[arn.account][arn.region].describe_event_bus(arn.resource_id)
            for destination in list(bus.rules.values()):
                destination.send_to_targets(dict(original_event))

    Rule.send_to_targets = send_keeping_the_event


def _is_bus(arn: Any) -> bool:
    return arn.service == "events" and arn.resource_type == "event-bus"


# -- 10. the dead-letter queue's move task ------------------------------------------------------


def start_message_move_task(response: Any) -> Any:
    """Move the dead-letter queue's messages to DestinationArn, or each back to the SQS queue that
    dead-lettered it. A message with no such queue (EventBridge wrote it) cannot go back: without
    DestinationArn the task fails and moves nothing ("Non-SQS queue sources of dead-letter queues
    ... are currently not supported", StartMessageMoveTask)."""
    backend = response.sqs_backend
    source_arn = response._get_param("SourceArn")
    destination_arn = response._get_param("DestinationArn")
    source = _queue_by_arn(backend, source_arn)
    if source is None:
        return _error("ResourceNotFoundException", f"{source_arn} does not exist")
    messages = list(source._messages)
    handle = str(uuid.uuid4())
    task: dict[str, Any] = {
        "TaskHandle": handle,
        "SourceArn": source_arn,
        "StartedTimestamp": int(datetime.now(UTC).timestamp() * 1000),
        "ApproximateNumberOfMessagesToMove": len(messages),
    }
    if destination_arn is not None:
        task["DestinationArn"] = destination_arn
    targets = [
        _queue_by_arn(backend, destination_arn or getattr(message, _DEAD_LETTERED_FROM, None))
        for message in messages
    ]
    if None in targets:
        task.update(
            Status="FAILED",
            ApproximateNumberOfMessagesMoved=0,
            FailureReason=(
                f"{destination_arn} does not exist"
                if destination_arn
                else "a message was not dead-lettered by an SQS queue: name DestinationArn"
            ),
        )
    else:
        for message, target in zip(messages, targets, strict=True):
            source._messages.remove(message)
            backend.send_message(
                target.name, message.body, message_attributes=message.message_attributes or None
            )
        task.update(Status="COMPLETED", ApproximateNumberOfMessagesMoved=len(messages))
    _MOVE_TASKS.setdefault(source_arn, []).insert(0, task)
    return _result({"TaskHandle": handle})


def list_message_move_tasks(response: Any) -> Any:
    source_arn = response._get_param("SourceArn")
    return _result({"Results": _MOVE_TASKS.get(source_arn, [])[:10]})


def _queue_by_arn(backend: Any, arn: str | None) -> Any:
    return next((q for q in backend.queues.values() if q.queue_arn == arn), None)


_FIRST_QUEUE = "_e2e_first_queue_arn"
_DEAD_LETTERED_FROM = "_e2e_dead_lettered_from"


def register_message_move_tasks() -> None:
    from moto.sqs.models import Queue
    from moto.sqs.responses import SQSResponse

    add_message = Queue.add_message

    def add_remembering_the_source(queue: Any, message: Any) -> None:
        """A message moved by the queue's redrive is one that was already on another queue."""
        first = getattr(message, _FIRST_QUEUE, None)
        if first is None:
            setattr(message, _FIRST_QUEUE, queue.queue_arn)
        elif first != queue.queue_arn:
            setattr(message, _DEAD_LETTERED_FROM, first)
        add_message(queue, message)

    Queue.add_message = add_remembering_the_source

    SQSResponse.start_message_move_task = start_message_move_task
    SQSResponse.list_message_move_tasks = list_message_move_tasks


# -- 17. AWS-owned documents --------------------------------------------------------------------

# AWS's own documents the project watches or names (AWS-UpdateSSMAgent above all).
AWS_OWNED_DOCUMENTS = (
    "AWS-UpdateSSMAgent",
    "AWS-RunPatchBaseline",
    "AWS-RunShellScript",
    "AWS-RunPowerShellScript",
    "AWS-ConfigureAWSPackage",
    "AWS-GatherSoftwareInventory",
)


def register_aws_owned_documents() -> None:
    from moto.ssm.responses import SimpleSystemManagerResponse

    original = SimpleSystemManagerResponse.describe_document

    def describe_document(response: Any) -> Any:
        name = response._get_param("Name")
        if name in AWS_OWNED_DOCUMENTS and name not in response.ssm_backend._documents:
            return _result(
                {
                    "Document": {
                        "Name": name,
                        "Owner": "Amazon",
                        "Status": "Active",
                        "DocumentType": "Command",
                        "DocumentFormat": "JSON",
                        "SchemaVersion": "2.2",
                        "DocumentVersion": "1",
                        "LatestVersion": "1",
                        "DefaultVersion": "1",
                    }
                }
            )
        return original(response)

    SimpleSystemManagerResponse.describe_document = describe_document


def register_all() -> None:
    deliver_account_field()
    register_association_runs()
    register_message_move_tasks()
    register_planted_associations()
    forward_whole_events()
    register_aws_owned_documents()


if __name__ == "__main__":
    # Run as a script, this file's folder is first on sys.path: the harness's module names there
    # must not shadow anything moto imports.
    sys.path.remove(str(__import__("pathlib").Path(__file__).resolve().parent))
    register_all()
    from moto.server import main

    main(sys.argv[1:])

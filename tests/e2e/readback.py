"""What the emulator created, read back through each service's API (never the stack status).

facts = inspect(deployment)
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import moto_workarounds
from awscli.customizations.cloudformation.yamlhelper import yaml_parse
from deploy import ARTIFACT_BUCKET, Deployment


def inspect(deployment: Deployment) -> dict[str, Any]:
    """Key properties of what was created, read back from each service (not from CloudFormation)."""
    d = deployment
    s3, iam, ec2 = d.client("s3"), d.client("iam"), d.client("ec2")
    events, sqs, lam = d.client("events"), d.client("sqs"), d.client("lambda")
    logs, sns, kms = d.client("logs"), d.client("sns"), d.client("kms")

    bucket = d.outputs["OutputBucketName"]
    role = d.children["Network"].outputs["InstanceRoleName"]
    rule_name = d.children["Notifications"].outputs["RuleName"]
    function_name = d.outputs["FunctionName"]
    topic_arn = d.outputs["TopicArn"]
    instance_ids = d.outputs["InstanceIds"].split(",")

    function = lam.get_function(FunctionName=function_name)
    code = moto_workarounds.function_code_zip(
        function,
        lambda key: s3.get_object(Bucket=ARTIFACT_BUCKET, Key=key)["Body"].read(),
    )
    log_group = (function["Configuration"].get("LoggingConfig") or {}).get("LogGroup") or (
        d.one("Notifications", "AWS::Logs::LogGroup")
    )
    topic_attributes = sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"]
    alarm_topic_arn = d.outputs["AlarmTopicArn"]
    alarm_topic_attributes = sns.get_topic_attributes(TopicArn=alarm_topic_arn)["Attributes"]
    reservations = ec2.describe_instances(InstanceIds=instance_ids)["Reservations"]
    vpc_id = d.children["Network"].outputs["VpcId"]
    return {
        "bucket": {
            "name": bucket,
            "encryption": s3.get_bucket_encryption(Bucket=bucket)[
                "ServerSideEncryptionConfiguration"
            ]["Rules"],
        },
        "instance_role": {
            "name": role,
            "inline_policies": {
                name: iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
                for name in iam.list_role_policies(RoleName=role)["PolicyNames"]
            },
            "attached_policies": [
                p["PolicyArn"]
                for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
            ],
        },
        "network": {
            "vpc": ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["CidrBlock"],
            "subnets": sorted(
                (s["CidrBlock"], s["AvailabilityZone"])
                for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
                    "Subnets"
                ]
            ),
            "instances": [
                {
                    "id": i["InstanceId"],
                    "state": i["State"]["Name"],
                    "subnet": i.get("SubnetId"),
                    "tags": {t["Key"]: t["Value"] for t in i.get("Tags", [])},
                }
                for r in reservations
                for i in r["Instances"]
            ],
        },
        "rule": {
            "name": rule_name,
            "state": events.describe_rule(Name=rule_name)["State"],
            "pattern": json.loads(events.describe_rule(Name=rule_name)["EventPattern"]),
            "targets": events.list_targets_by_rule(Rule=rule_name)["Targets"],
        },
        "queue": _queue_attributes(sqs, d.outputs["QueueUrl"]),
        "dead_letter_queue": _queue_attributes(sqs, d.outputs["DeadLetterQueueUrl"]),
        "function": {
            "configuration": function["Configuration"],
            "code_files": sorted(zipfile.ZipFile(io.BytesIO(code)).namelist()),
            "code_zip": code,
            "event_source_mappings": [
                mapping
                for mapping in d.event_source_mappings
                if mapping["FunctionArn"] == function["Configuration"]["FunctionArn"]
            ],
        },
        "log_group": next(
            group
            for group in logs.describe_log_groups(logGroupNamePrefix=log_group)["logGroups"]
            if group["logGroupName"] == log_group
        ),
        "topic": {
            "arn": topic_arn,
            "attributes": topic_attributes,
            "subscriptions": sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"],
            "key_rotation": kms.get_key_rotation_status(KeyId=topic_attributes["KmsMasterKeyId"])[
                "KeyRotationEnabled"
            ],
        },
        "alarm_topic": {
            "arn": alarm_topic_arn,
            "attributes": alarm_topic_attributes,
            "key_rotation": kms.get_key_rotation_status(
                KeyId=alarm_topic_attributes["KmsMasterKeyId"]
            )["KeyRotationEnabled"],
        },
        "key_ids": {key["KeyId"]: key["KeyArn"] for key in kms.list_keys()["Keys"]},
    }


def _queue_attributes(sqs: Any, url: str) -> dict[str, Any]:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    if "RedrivePolicy" in attributes:
        attributes["RedrivePolicy"] = json.loads(attributes["RedrivePolicy"])
    return {"url": url, **attributes}


def function_logging_config(deployment: Deployment, function_name: str) -> dict[str, str]:
    """The function's LoggingConfig as deployed: from its stack's template, the log group's Ref
    resolved to the group's name (moto drops LoggingConfig; SKIPPED_BY_MOTO)."""
    for title, child in deployment.children.items():
        template = yaml_parse(Path(child.template_path).read_text())
        for logical_id, resource in template["Resources"].items():
            if resource["Type"] != "AWS::Lambda::Function":
                continue
            if deployment.physical_id(title, logical_id) != function_name:
                continue
            config = dict(resource["Properties"].get("LoggingConfig") or {})
            group = config.get("LogGroup")
            if isinstance(group, dict) and "Ref" in group:
                config["LogGroup"] = deployment.physical_id(title, group["Ref"])
            return {name: str(value) for name, value in config.items()}
    raise LookupError(f"no deployed stack defines the function {function_name}")

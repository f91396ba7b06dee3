"""Notifications stack: rule -> queue -> function -> topic, and the alarms."""

import json

from template_helpers import one_resource, resources_of_type, statements

from templates import names
from templates.notifications import DETAIL_TYPE
from templates.parameters import EMAIL_PATTERN

# Safety-relevant values are pinned as literals, not read from templates/config.py: a test that
# compares the template with the config that produced it passes whatever the value is.

# The stack's pipeline key, or yours when PipelineKmsKeyArn is given (tests/test_own_keys.py).
PIPELINE_KEY_ARN = {
    "Fn::If": ["CreatesPipelineKey", {"Fn::GetAtt": ["Key", "Arn"]}, {"Ref": "PipelineKmsKeyArn"}]
}
PIPELINE_KEY_ID = {"Fn::If": ["CreatesPipelineKey", {"Ref": "Key"}, {"Ref": "PipelineKmsKeyArn"}]}


NO_VALUE = {"Ref": "AWS::NoValue"}


def association_pattern(pattern: dict) -> dict:
    """The rule's pattern with WatchRunCommand and WatchMaintenanceWindows false (the default):
    association runs alone (tests/test_rule_pattern.py evaluates every branch on AWS's samples)."""
    condition, _, otherwise = pattern["Fn::If"]
    assert condition == "WatchesOtherRuns"
    return otherwise


def test_rule_matches_document_by_name_and_watched_statuses(notifications):
    rule = notifications["Resources"]["Rule"]["Properties"]
    assert association_pattern(rule["EventPattern"]) == {
        "source": ["aws.ssm"],
        "detail-type": [DETAIL_TYPE],
        "detail": {
            "status": {"Ref": names.WATCHED_STATUSES},
            "document-name": {"Ref": names.WATCHED_DOCUMENTS},
        },
    }
    assert "resources" not in json.dumps(
        rule["EventPattern"]
    )  # AWS-owned document ARNs lack the account
    parameters = notifications["Parameters"]
    assert parameters[names.WATCHED_STATUSES]["Default"] == "Success,Failed"
    assert parameters[names.WATCHED_DOCUMENTS]["Default"] == "AWS-UpdateSSMAgent"


def test_rule_targets_the_queue_with_retries_and_a_dead_letter_queue(notifications):
    (target,) = notifications["Resources"]["Rule"]["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["Queue", "Arn"]}
    assert target["RetryPolicy"] == {
        "MaximumRetryAttempts": 185,
        "MaximumEventAgeInSeconds": 86400,
    }
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}}


def test_queues_are_encrypted_and_redrive_to_the_dead_letter_queue(notifications):
    queues = resources_of_type(notifications, "AWS::SQS::Queue")
    assert set(queues) == {"Queue", "DeadLetterQueue"}
    for queue in queues.values():
        # The customer-managed key: EventBridge cannot send to a queue under aws/sqs.
        assert queue["Properties"]["KmsMasterKeyId"] == PIPELINE_KEY_ID
        assert "QueueName" not in queue["Properties"]
    queue = queues["Queue"]["Properties"]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]},
        "maxReceiveCount": 5,
    }
    # AWS's guidance: six times the function timeout (60 s) plus the batching window (30 s).
    assert queue["VisibilityTimeout"] == 750  # 6 x the 120 s timeout + the 30 s window
    dead_letters = queues["DeadLetterQueue"]["Properties"]
    assert queue["MessageRetentionPeriod"] == 345_600  # 4 days
    assert dead_letters["MessageRetentionPeriod"] == 1_209_600  # 14 days, the most SQS keeps


def test_only_this_rule_may_send_to_the_queues(notifications):
    policy = one_resource(notifications, "AWS::SQS::QueuePolicy")["Properties"]
    assert policy["Queues"] == [{"Ref": "Queue"}, {"Ref": "DeadLetterQueue"}]
    (allow,) = statements(policy["PolicyDocument"])
    assert allow["Principal"] == {"Service": "events.amazonaws.com"}
    assert allow["Action"] == ["sqs:SendMessage"]
    # The default-bus rule, and under Scope=organization the hub bus's rule too.
    assert allow["Condition"] == {
        "ArnEquals": {
            "aws:SourceArn": [
                {"Fn::GetAtt": ["Rule", "Arn"]},
                {"Fn::If": ["IsOrganization", {"Fn::GetAtt": ["HubRule", "Arn"]}, NO_VALUE]},
            ]
        }
    }


def test_under_organization_scope_a_rule_on_the_hub_bus_feeds_the_same_queue(notifications):
    resources = notifications["Resources"]
    assert notifications["Conditions"]["IsOrganization"] == {
        "Fn::Equals": [{"Ref": "Scope"}, "organization"]
    }
    assert notifications["Parameters"]["Scope"]["Default"] == "account"
    hub_rule = resources["HubRule"]
    assert hub_rule["Condition"] == resources["HubEventBus"]["Condition"] == "IsOrganization"
    rule = resources["Rule"]["Properties"]
    assert hub_rule["Properties"]["EventBusName"] == {"Ref": "HubEventBus"}
    # What the spokes forward (the same watched kinds): the hub bus's rule matches as this one.
    assert hub_rule["Properties"]["EventPattern"] == rule["EventPattern"]
    assert hub_rule["Properties"]["Targets"] == rule["Targets"]
    assert "EventBusName" not in rule  # the default bus: the hub account's own events
    outputs = notifications["Outputs"]
    assert outputs["HubEventBusArn"]["Condition"] == "IsOrganization"
    assert outputs["FunctionRoleArn"]["Value"] == {"Fn::GetAtt": ["FunctionRole", "Arn"]}


def test_under_organization_scope_the_notifier_may_assume_readers_and_name_accounts(
    notifications,
):
    policy = notifications["Resources"]["FunctionReadersPolicy"]
    assert policy["Condition"] == "IsOrganization"
    assert policy["Properties"]["Roles"] == [{"Ref": "FunctionRole"}]
    assume, describe = statements(policy["Properties"]["PolicyDocument"])
    assert assume["Action"] == ["sts:AssumeRole"]
    assert assume["Condition"] == {"StringEquals": {"aws:ResourceOrgID": "${aws:PrincipalOrgID}"}}
    assert describe["Action"] == ["organizations:DescribeAccount"]
    assert describe["Resource"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:organizations::*:account/${!aws:PrincipalOrgID}/*"}
    ]


def test_function_runs_the_handler_package_on_arm64_with_json_logs(notifications):
    function = one_resource(notifications, "AWS::Lambda::Function")["Properties"]
    assert function["Runtime"] == "python3.14"
    assert function["Architectures"] == ["arm64"]
    assert function["Code"] == "../handler"
    assert function["Handler"] == "ssm_notifier.notify.lambda_handler"
    assert function["MemorySize"] == 256
    assert function["Timeout"] == 120  # a 2,000-record batch, every call checked against it
    assert function["Environment"]["Variables"] == {
        "TOPIC_ARN": {"Ref": "Topic"},
        "SCOPE": {"Ref": "Scope"},
        "READER_ROLE_NAME_PREFIX": "ssm-notifier-reader",
        "STATE_TABLE": {"Ref": "StateTable"},
        "REPORT_BUCKET": {"Ref": "ReportBucket"},
        "QUEUE_URL": {"Ref": "Queue"},
        "EMAIL_SPLIT": "none",
        "EMAILS_PER_INVOCATION": "1",
        "STATE_TTL_DAYS": "90",
        "WATCH_RUN_COMMAND": {"Ref": "WatchRunCommand"},
        "WATCH_MAINTENANCE_WINDOWS": {"Ref": "WatchMaintenanceWindows"},
        "DISPLAY_TIME_ZONE": {"Ref": "DisplayTimeZone"},
    }
    assert function["LoggingConfig"]["LogFormat"] == "JSON"
    assert function["LoggingConfig"]["LogGroup"] == {"Ref": "FunctionLogGroup"}
    assert "FunctionName" not in function
    log_group = one_resource(notifications, "AWS::Logs::LogGroup")["Properties"]
    assert log_group["RetentionInDays"] == {"Ref": names.LOG_RETENTION_DAYS}


def test_event_source_mapping_batches_caps_concurrency_and_reports_item_failures(notifications):
    mapping = one_resource(notifications, "AWS::Lambda::EventSourceMapping")["Properties"]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["Queue", "Arn"]}
    assert mapping["FunctionName"] == {"Ref": "Function"}
    assert mapping["BatchSize"] == 2000
    assert mapping["MaximumBatchingWindowInSeconds"] == 30
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": 2}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_function_role_may_do_exactly_its_job(notifications):
    role = notifications["Resources"]["FunctionRole"]["Properties"]  # chat: test_chat_stack
    assert "ManagedPolicyArns" not in role
    # The first policy is its own; the second applies only in a VPC (tests/test_function_vpc.py).
    policy, _in_vpc = role["Policies"]
    granted = {
        (action, str(resource))
        for statement in statements(policy["PolicyDocument"])
        for action in statement["Action"]
        for resource in statement["Resource"]
    }
    queue, topic = str({"Fn::GetAtt": ["Queue", "Arn"]}), str({"Ref": "Topic"})
    table = str({"Fn::GetAtt": ["StateTable", "Arn"]})
    key, logs = (
        str(PIPELINE_KEY_ARN),
        str({"Fn::GetAtt": ["FunctionLogGroup", "Arn"]}),
    )
    associations = str(
        {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:association/*"}
    )
    assert granted == {
        ("sqs:ReceiveMessage", queue),
        ("sqs:DeleteMessage", queue),
        ("sqs:GetQueueAttributes", queue),
        ("sqs:ChangeMessageVisibility", queue),
        ("sns:Publish", topic),
        ("kms:GenerateDataKey", key),
        ("kms:Decrypt", key),
        ("logs:CreateLogStream", logs),
        ("logs:PutLogEvents", logs),
        ("ssm:DescribeAssociationExecutions", associations),
        ("ssm:DescribeAssociationExecutionTargets", associations),
        ("ssm:ListCommandInvocations", "*"),  # no resource-level permissions for this API
        ("ssm:GetCommandInvocation", "*"),  # no resource-level permissions for this API
        # The end of a long output, in the product's own output bucket only.
        ("s3:GetObject", str({"Fn::Sub": "${OutputBucketArn}/*"})),
        # The state table: exactly the calls handler/ssm_notifier/state.py makes.
        ("dynamodb:BatchGetItem", table),
        ("dynamodb:PutItem", table),
        ("dynamodb:UpdateItem", table),
        # Full reports, under reports.py's two prefixes only.
        ("s3:PutObject", str({"Fn::Sub": "${ReportBucket.Arn}/reports/*"})),
        ("s3:PutObject", str({"Fn::Sub": "${ReportBucket.Arn}/digests/*"})),
        # Deferred records back to their own queue (SendMessageBatch is authorised as this).
        ("sqs:SendMessage", queue),
        # Instance names (Name tags, computer names): no resource-level permissions exist.
        ("ec2:DescribeTags", "*"),
        ("ssm:DescribeInstanceInformation", "*"),
    }


def test_state_table_is_on_demand_encrypted_recoverable_expiring_and_retained(notifications):
    table = notifications["Resources"]["StateTable"]
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")
    properties = table["Properties"]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert properties["SSESpecification"] == {
        "SSEEnabled": True,
        "SSEType": "KMS",
        "KMSMasterKeyId": PIPELINE_KEY_ARN,  # the stack's own key, or the one you bring
    }
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["TimeToLiveSpecification"] == {
        "AttributeName": "expires_at",
        "Enabled": True,
    }
    outputs = notifications["Outputs"]
    assert outputs["StateTableArn"]["Value"] == {"Fn::GetAtt": ["StateTable", "Arn"]}
    assert outputs["StateTableName"]["Value"] == {"Ref": "StateTable"}


def test_report_bucket_is_private_encrypted_tls_only_expiring_and_retained(notifications):
    resources = notifications["Resources"]
    bucket = resources["ReportBucket"]
    assert (bucket["DeletionPolicy"], bucket["UpdateReplacePolicy"]) == ("Retain", "Retain")
    properties = bucket["Properties"]
    [rule] = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert set(properties["PublicAccessBlockConfiguration"].values()) == {True}
    assert properties["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    [lifecycle] = properties["LifecycleConfiguration"]["Rules"]
    assert lifecycle["ExpirationInDays"] == 90
    assert lifecycle["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    policy = resources["ReportBucketPolicy"]
    assert policy["DeletionPolicy"] == "Retain"
    [deny] = policy["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_topic_queues_and_logs_share_a_rotating_key_the_services_may_use(notifications):
    topic = notifications["Resources"]["Topic"]["Properties"]
    assert topic["KmsMasterKeyId"] == PIPELINE_KEY_ID
    log_group = one_resource(notifications, "AWS::Logs::LogGroup")["Properties"]
    assert log_group["KmsKeyId"] == PIPELINE_KEY_ARN
    key = notifications["Resources"]["Key"]["Properties"]
    assert key["EnableKeyRotation"] is True
    services = {
        str(statement["Principal"].get("Service")): statement
        for statement in statements(key["KeyPolicy"])
        if "Service" in statement["Principal"]
    }
    # The regional principal with the partition's suffix (amazonaws.com.cn in China).
    logs_service = str({"Fn::Sub": "logs.${AWS::Region}.${AWS::URLSuffix}"})
    # No CloudWatch: the alarms publish to the alarm topic, under its own key.
    assert set(services) == {"events.amazonaws.com", logs_service}
    assert services["events.amazonaws.com"]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    # As AWS documents it: a condition key absent from the KMS call SQS makes on EventBridge's
    # behalf would stop every event.
    assert "Condition" not in services["events.amazonaws.com"]


def test_logs_may_use_the_key_for_the_two_function_log_groups_only(rendered, notifications):
    key = notifications["Resources"]["Key"]["Properties"]
    (logs,) = [
        s for s in statements(key["KeyPolicy"]) if "logs." in str(s["Principal"].get("Service"))
    ]
    arn = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
    named = [
        {"Fn::Sub": f"{arn}/ssm-notifier/${{ParentStackName}}/notifier"},
        {"Fn::Sub": f"{arn}/ssm-notifier/${{ParentStackName}}/sweep"},
    ]
    assert logs["Condition"] == {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": named}}
    # Each log group under the key has exactly one of those names, from the parent's stack name.
    groups = {
        (stack, title): resource["Properties"]
        for stack in ("notifications.yaml", "sweep.yaml")
        for title, resource in rendered[stack]["Resources"].items()
        if resource["Type"] == "AWS::Logs::LogGroup"
    }
    assert {str(g["LogGroupName"]) for g in groups.values()} == {
        str({"Fn::Sub": "/ssm-notifier/${ParentStackName}/notifier"}),
        str({"Fn::Sub": "/ssm-notifier/${ParentStackName}/sweep"}),
    }
    assert groups["sweep.yaml", "SweepLogGroup"]["KmsKeyId"] == {"Ref": names.KEY_ARN}
    for stack in ("Notifications", "Sweep"):
        passed = rendered["parent.yaml"]["Resources"][stack]["Properties"]["Parameters"]
        assert passed[names.PARENT_STACK_NAME] == {"Ref": "AWS::StackName"}


def test_email_subscription_uses_the_validated_parameter(notifications):
    subscriptions = {
        title: subscription
        for title, subscription in resources_of_type(
            notifications, "AWS::SNS::Subscription"
        ).items()
        if "Condition" not in subscription  # the optional routes: tests/test_chat_stack.py
    }
    # The same address on the digest topic and on the alarm topic.
    assert {s["Properties"]["TopicArn"]["Ref"] for s in subscriptions.values()} == {
        "Topic",
        "AlarmTopic",
    }
    for subscription in subscriptions.values():
        assert subscription["Properties"]["Protocol"] == "email"
        assert subscription["Properties"]["Endpoint"] == {"Ref": names.NOTIFICATION_EMAIL}
    assert notifications["Parameters"][names.NOTIFICATION_EMAIL]["AllowedPattern"] == (
        EMAIL_PATTERN
    )


def test_every_loss_path_is_alarmed_on_the_alarm_topic(notifications):
    alarms = resources_of_type(notifications, "AWS::CloudWatch::Alarm")
    metrics = {
        (alarm["Properties"]["Namespace"], alarm["Properties"]["MetricName"])
        for alarm in alarms.values()
    }
    assert metrics == {
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        ("AWS/Lambda", "Errors"),
        ("AWS/Events", "FailedInvocations"),
        ("AWS/Events", "InvocationsFailedToBeSentToDlq"),
        ("AWS/SQS", "ApproximateAgeOfOldestMessage"),
    }
    thresholds = {title: alarm["Properties"]["Threshold"] for title, alarm in alarms.items()}
    # Any dead letter, error or failed delivery; an event an hour old on the queue.
    assert thresholds == {
        "DeadLetterQueueAlarm": 0,
        "FunctionErrorsAlarm": 0,
        "RuleDeliveryAlarm": 0,
        "RuleDeadLetterAlarm": 0,
        "QueueAgeAlarm": 3600,
    }
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}]
        assert alarm["Properties"]["ComparisonOperator"] == "GreaterThanThreshold"
        assert alarm["Properties"]["Period"] == 300
        assert alarm["Properties"]["EvaluationPeriods"] == 1
    # A queue's depth as its maximum (any message waiting), counts as their sum.
    assert {title: alarm["Properties"]["Statistic"] for title, alarm in alarms.items()} == {
        "DeadLetterQueueAlarm": "Maximum",
        "FunctionErrorsAlarm": "Sum",
        "RuleDeliveryAlarm": "Sum",
        "RuleDeadLetterAlarm": "Sum",
        "QueueAgeAlarm": "Maximum",
    }
    dimensions = {t: a["Properties"]["Dimensions"] for t, a in alarms.items()}
    assert dimensions["QueueAgeAlarm"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["Queue", "QueueName"]}}
    ]
    assert dimensions["RuleDeadLetterAlarm"] == [{"Name": "RuleName", "Value": {"Ref": "Rule"}}]

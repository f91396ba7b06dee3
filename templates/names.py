"""Every name that crosses a stack boundary, spelled once.

A value passed from one stack to another is an Output of the producer, a Parameter of the
consumer, and `GetAtt(producer, f"Outputs.{NAME}")` in the parent: all three use the constant
below, so a rename cannot leave one of them behind. A parameter the parent declares for a child
has the same name in both.
"""

# Outputs of the network stack.
INSTANCE_ROLE_NAME = "InstanceRoleName"
INSTANCE_IDS = "InstanceIds"
VPC_ID = "VpcId"

# Outputs of the logging stack.
OUTPUT_BUCKET_NAME = "OutputBucketName"
OUTPUT_BUCKET_ARN = "OutputBucketArn"

# Outputs of the notifications stack. The key encrypts the topic, the queues and the log groups;
# the sweep stack takes it and the topic.
TOPIC_ARN = "TopicArn"
QUEUE_URL = "QueueUrl"
QUEUE_ARN = "QueueArn"
DEAD_LETTER_QUEUE_URL = "DeadLetterQueueUrl"
FUNCTION_NAME = "FunctionName"
RULE_NAME = "RuleName"
KEY_ARN = "KeyArn"
# The alarm topic (its own key): every alarm of every stack publishes to it.
ALARM_TOPIC_ARN = "AlarmTopicArn"
# The notifier's state table (the sweep stack reads it, under a key prefix of its own) and the
# bucket of the full reports the emails link.
STATE_TABLE_ARN = "StateTableArn"
STATE_TABLE_NAME = "StateTableName"
REPORT_BUCKET_NAME = "ReportBucketName"

# Outputs of the association stack.
ASSOCIATION_ID = "AssociationId"

# Outputs of the sweep stack.
SWEEP_FUNCTION_NAME = "SweepFunctionName"

# Parameters of the parent that it passes to more than one child, or to a child by another name.
NOTIFICATION_EMAIL = "NotificationEmail"
INSTANCE_ROLE_NAMES = "InstanceRoleNames"  # the logging stack's, from the network's role or input
WATCHED_DOCUMENTS = "WatchedDocuments"
WATCHED_STATUSES = "WatchedStatuses"
# Run kinds besides association runs (templates/watched_runs.py): the parent's and the
# notifications stack's parameters.
WATCH_RUN_COMMAND = "WatchRunCommand"
WATCH_MAINTENANCE_WINDOWS = "WatchMaintenanceWindows"
LOG_RETENTION_DAYS = "LogRetentionDays"
# The parent's stack name: the functions' log groups are named after it (functions.py), so the
# pipeline key's policy can name them before they exist.
PARENT_STACK_NAME = "ParentStackName"

# Parameters of every stack that creates an IAM role (the parent declares them under the same
# names; templates/common.py's role builder wires them into each role).
PERMISSIONS_BOUNDARY_ARN = "PermissionsBoundaryArn"
ROLE_PATH = "RolePath"

# Your own KMS keys (the parent declares them under the same names): the output bucket's (logging
# and notifications stacks) and the pipeline's (notifications).
OUTPUT_BUCKET_KMS_KEY_ARN = "OutputBucketKmsKeyArn"
PIPELINE_KMS_KEY_ARN = "PipelineKmsKeyArn"

# Parameters of every stack with a function (the parent declares them under the same names):
# when both are set, the functions run in that VPC.
FUNCTION_SUBNET_IDS = "FunctionSubnetIds"
FUNCTION_SECURITY_GROUP_IDS = "FunctionSecurityGroupIds"

# Parameters of the association stack (the parent declares them under the same names).
ASSOCIATION_SCHEDULE = "AssociationSchedule"
ASSOCIATION_MAX_CONCURRENCY = "AssociationMaxConcurrency"
ASSOCIATION_MAX_ERRORS = "AssociationMaxErrors"
ASSOCIATION_TARGETS = "AssociationTargets"
TARGET_TAG_KEY = "TargetTagKey"
TARGET_TAG_VALUE = "TargetTagValue"
ASSOCIATION_APPLY_ONLY_AT_CRON = "AssociationApplyOnlyAtCronInterval"
ASSOCIATION_SCHEDULE_OFFSET = "AssociationScheduleOffset"
ASSOCIATION_CALENDAR_NAMES = "AssociationCalendarNames"
ASSOCIATION_SYNC_COMPLIANCE = "AssociationSyncCompliance"

# The zone the digests show times in beside UTC: the notifications' and the sweep's parameter,
# the parent's passed as it is.
DISPLAY_TIME_ZONE = "DisplayTimeZone"

# Parameters of the sweep stack (the parent declares them under the same names).
SWEEP_SCHEDULE = "SweepSchedule"
SWEEP_REMINDER_DAYS = "SweepReminderDays"
# The notifier's state table, which the sweep shares under its own key prefixes (the parent passes
# the notifications stack's outputs; empty, as when the sweep stack is deployed on its own: it
# makes a table of the same layout).

# The tag that marks the demo instances, so the association can target them by tag: its key, and
# the network stack's parameter for its value (the parent passes its own stack name).
FLEET_TAG_KEY = "ssm-notifier:fleet"
FLEET_TAG_VALUE = "FleetTagValue"

# Scope=organization (templates/hub.py): the parent's, the notifications' and the sweep's Scope;
# the roles the hub stack lets assume the spokes' reader roles; the hub bus, the notifications
# stack's output and the hub stack's parameter.
SCOPE = "Scope"
FUNCTION_ROLE_ARN = "FunctionRoleArn"
SWEEP_ROLE_ARN = "SweepRoleArn"
HUB_EVENT_BUS_ARN = "HubEventBusArn"
HUB_EVENT_BUS_NAME = "HubEventBusName"
# The demo subnets' zones (the parent declares it under the same name; empty: the first two).
DEMO_AVAILABILITY_ZONES = "DemoAvailabilityZones"

# Parameters of the parent passed as they are to the notifications stack: where digests go besides
# the notification email (templates/chat.py).
SLACK_WORKSPACE_ID = "SlackWorkspaceId"
SLACK_CHANNEL_ID = "SlackChannelId"
TEAMS_TEAM_ID = "TeamsTeamId"
TEAMS_TENANT_ID = "TeamsTenantId"
TEAMS_CHANNEL_ID = "TeamsChannelId"
FAILURES_ONLY_EMAIL = "FailuresOnlyEmail"
ACCOUNT_ROUTE_SLOTS = 5
ACCOUNT_ROUTES = tuple(f"AccountRoute{slot}" for slot in range(1, ACCOUNT_ROUTE_SLOTS + 1))

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

# Outputs of the association stack.
ASSOCIATION_ID = "AssociationId"

# Outputs of the sweep stack.
SWEEP_FUNCTION_NAME = "SweepFunctionName"

# Parameters of the parent that it passes to more than one child, or to a child by another name.
NOTIFICATION_EMAIL = "NotificationEmail"
INSTANCE_ROLE_NAMES = "InstanceRoleNames"  # the logging stack's, from the network's role or input
WATCHED_DOCUMENTS = "WatchedDocuments"
WATCHED_STATUSES = "WatchedStatuses"
LOG_RETENTION_DAYS = "LogRetentionDays"
# The parent's stack name: the functions' log groups are named after it (functions.py), so the
# pipeline key's policy can name them before they exist.
PARENT_STACK_NAME = "ParentStackName"

# Parameters of the association stack (the parent declares them under the same names).
ASSOCIATION_SCHEDULE = "AssociationSchedule"
ASSOCIATION_MAX_CONCURRENCY = "AssociationMaxConcurrency"
ASSOCIATION_MAX_ERRORS = "AssociationMaxErrors"
ASSOCIATION_TARGETS = "AssociationTargets"
TARGET_TAG_KEY = "TargetTagKey"
TARGET_TAG_VALUE = "TargetTagValue"

# Parameters of the sweep stack (the parent declares it under the same name).
SWEEP_SCHEDULE = "SweepSchedule"

# The tag that marks the demo instances, so the association can target them by tag: its key, and
# the network stack's parameter for its value (the parent passes its own stack name).
FLEET_TAG_KEY = "ssm-notifier:fleet"
FLEET_TAG_VALUE = "FleetTagValue"
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

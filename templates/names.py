"""Every name that crosses a stack boundary, spelled once.

A value passed from one stack to another is an Output of the producer, a Parameter of the
consumer, and `GetAtt(producer, f"Outputs.{NAME}")` in the parent: all three use the constant
below, so a rename cannot leave one of them behind.
"""

# Outputs of the network stack.
INSTANCE_ROLE_NAME = "InstanceRoleName"
INSTANCE_IDS = "InstanceIds"
VPC_ID = "VpcId"

# Outputs of the logging stack.
OUTPUT_BUCKET_NAME = "OutputBucketName"
OUTPUT_BUCKET_ARN = "OutputBucketArn"

# Outputs of the notifications stack.
TOPIC_ARN = "TopicArn"
QUEUE_URL = "QueueUrl"
QUEUE_ARN = "QueueArn"
DEAD_LETTER_QUEUE_URL = "DeadLetterQueueUrl"
FUNCTION_NAME = "FunctionName"
RULE_NAME = "RuleName"

# Parameters that more than one stack takes.
NOTIFICATION_EMAIL = "NotificationEmail"
INSTANCE_ROLE_NAMES = "InstanceRoleNames"
WATCHED_DOCUMENTS = "WatchedDocuments"
WATCHED_STATUSES = "WatchedStatuses"
LOG_RETENTION_DAYS = "LogRetentionDays"

# Tag that marks the demo instances, so the association can target them by tag.
FLEET_TAG_KEY = "ssm-notifier:fleet"
FLEET_TAG_VALUE = "FleetTagValue"

# Outputs of the association stack.
ASSOCIATION_ID = "AssociationId"
ASSOCIATION_SCHEDULE = "AssociationSchedule"
ASSOCIATION_MAX_CONCURRENCY = "AssociationMaxConcurrency"
ASSOCIATION_MAX_ERRORS = "AssociationMaxErrors"
ASSOCIATION_TARGETS = "AssociationTargets"
TARGET_TAG_KEY = "TargetTagKey"
TARGET_TAG_VALUE = "TargetTagValue"

# Outputs of the notifications stack the sweep stack needs (the key encrypts the topic, the
# queues and the log groups).
KEY_ARN = "KeyArn"
SWEEP_SCHEDULE = "SweepSchedule"
SWEEP_FUNCTION_NAME = "SweepFunctionName"

"""Build-time choices, in one place.

Deploy-time inputs (an email address, an instance type, the watched documents) are CloudFormation
Parameters of the parent stack instead; this object holds what a template author decides once.
`Config()` is the product's default; `validate()` rejects a bad value with a one-line reason.
"""

from __future__ import annotations

from typing import NamedTuple

# The product's version: in every template's Description and Metadata, so a deployed stack says
# which release it runs (describe-stacks, the console). Bump it with a CHANGELOG.md entry.
VERSION = "0.2.0"

# Values CloudWatch Logs accepts for RetentionInDays.
LOG_RETENTION_CHOICES = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

# The final statuses the SSM agent reports for an association run (DESIGN.md).
FINAL_STATUSES = ("Success", "Failed", "TimedOut", "Skipped")


class ConfigError(ValueError):
    """A build-time config value is out of range; the message says which and why."""


# A NamedTuple rather than a frozen dataclass: as immutable, and generate.py starts faster
# (dataclasses imports inspect).
class Config(NamedTuple):
    # Notification function.
    runtime: str = "python3.14"  # newest Python runtime cfn-lint knows and does not flag
    architecture: str = "arm64"
    memory_mb: int = 256
    # Room for a 2,000-record batch: claims, enrichment, reports, a publish, deferrals, each call
    # checked against the time left (handler deadline.py); the queue's visibility follows it.
    timeout_seconds: int = 120
    handler_code_dir: str = "../handler"  # relative to build/, so `package` zips it
    notifier_entry: str = "ssm_notifier.notify.lambda_handler"
    sweep_entry: str = "ssm_notifier.sweep.lambda_handler"
    # The Lambda maximum: one check of a 100,000-target association takes about 400 s of calls.
    sweep_timeout_seconds: int = 900
    default_sweep_schedule: str = "rate(1 day)"
    # The sweep's work queue: one association a message, one message an invocation, a few
    # invocations at once (the SSM Describe* APIs throttle a whole account), three receives.
    sweep_work_concurrency: int = 4
    sweep_work_max_receive_count: int = 3
    # A unit not done within a day belongs to a run the next daily sweep has already closed.
    sweep_work_retention_seconds: int = 86_400
    default_reminder_days: int = 7

    # SQS -> Lambda event source mapping. Chosen so a 10,000-instance run becomes a handful of
    # digests (see README "Fleet scale"): big batches, a window to fill them, two pollers at most.
    batch_size: int = 2000
    batching_window_seconds: int = 30
    maximum_concurrency: int = 2
    # The notifier's emails (handler inbox.py): none = one digest per invocation, or one per
    # account or association; at most `emails_per_invocation`, the overflow merged into the last.
    email_split: str = "none"
    emails_per_invocation: int = 1
    # How long the state table remembers an instance, and the report bucket keeps a report.
    state_ttl_days: int = 90
    report_retention_days: int = 90
    # Receives before a message moves to the dead-letter queue.
    max_receive_count: int = 5
    # 14 days, the most SQS keeps a message: time for an operator to replay.
    dead_letter_retention_seconds: int = 1_209_600

    # EventBridge -> SQS target retries (0-185 attempts, 60 s - 24 h).
    target_retry_attempts: int = 185
    target_max_event_age_seconds: int = 86_400

    # Defaults of deploy-time parameters.
    watched_documents: tuple[str, ...] = ("AWS-UpdateSSMAgent",)
    watched_statuses: tuple[str, ...] = ("Success", "Failed")
    default_log_retention_days: int = 30
    default_output_retention_days: int = 90
    default_instance_type: str = "t3.micro"
    default_vpc_cidr: str = "10.0.0.0/24"
    default_ami_parameter: str = (
        "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    )
    instance_count: int = 2
    # The agent-update association (defaults of its deploy-time parameters).
    # Weekly, Sunday 02:00 UTC: the console's one-click auto-update runs every 14 days, which no
    # association cron can say, and ApplyOnlyAtCronInterval (no run on every stack update)
    # works with cron only. Weekly keeps the agent at least as current (README "When the
    # agent update runs").
    default_association_schedule: str = "cron(0 2 ? * SUN *)"
    default_apply_only_at_cron_interval: bool = True
    default_max_concurrency: str = "10%"
    default_max_errors: str = "10%"
    association_output_prefix: str = "ssm-agent-update/"

    def validate(self) -> Config:
        """Return self, or raise ConfigError naming the first bad value."""
        checks = [
            (self.runtime.startswith("python3."), "runtime must be a python3.x Lambda runtime"),
            (self.architecture in ("arm64", "x86_64"), "architecture must be arm64 or x86_64"),
            (128 <= self.memory_mb <= 10240, "memory_mb must be 128-10240"),
            (1 <= self.timeout_seconds <= 900, "timeout_seconds must be 1-900"),
            (1 <= self.batch_size <= 10000, "batch_size must be 1-10000"),
            (0 <= self.batching_window_seconds <= 300, "batching_window_seconds must be 0-300"),
            (
                self.batch_size <= 10 or self.batching_window_seconds >= 1,
                "batch_size above 10 needs batching_window_seconds >= 1",
            ),
            (2 <= self.maximum_concurrency <= 1000, "maximum_concurrency must be 2-1000"),
            (2 <= self.sweep_work_concurrency <= 1000, "sweep_work_concurrency must be 2-1000"),
            (
                1 <= self.sweep_work_max_receive_count <= 1000,
                "sweep_work_max_receive_count must be 1-1000",
            ),
            (
                self.email_split in ("none", "account", "association"),
                "email_split must be none, account or association",
            ),
            (1 <= self.emails_per_invocation <= 10, "emails_per_invocation must be 1-10"),
            (1 <= self.state_ttl_days <= 3650, "state_ttl_days must be 1-3650"),
            (1 <= self.report_retention_days <= 3650, "report_retention_days must be 1-3650"),
            (1 <= self.max_receive_count <= 1000, "max_receive_count must be 1-1000"),
            (0 <= self.target_retry_attempts <= 185, "target_retry_attempts must be 0-185"),
            (
                60 <= self.target_max_event_age_seconds <= 86400,
                "target_max_event_age_seconds must be 60-86400",
            ),
            (len(self.watched_documents) >= 1, "watched_documents must not be empty"),
            (
                set(self.watched_statuses) <= set(FINAL_STATUSES) and self.watched_statuses,
                f"watched_statuses must be a non-empty subset of {', '.join(FINAL_STATUSES)}",
            ),
            (
                self.default_log_retention_days in LOG_RETENTION_CHOICES,
                "default_log_retention_days must be a CloudWatch Logs retention value",
            ),
            (
                1 <= self.default_output_retention_days <= 3650,
                "default_output_retention_days must be 1-3650",
            ),
            (1 <= self.instance_count <= 10, "instance_count must be 1-10"),
        ]
        for ok, reason in checks:
            if not ok:
                raise ConfigError(reason)
        return self

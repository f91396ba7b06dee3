"""SSM association notifier: SQS batches of State Manager events -> a bounded number of SNS digests
per invocation, and a scheduled sweep that reports the instances an association did not run on.

The notifier: `notify` (Lambda entry point), `pipeline` (a batch through the stages below),
`events` (parse a record), `state` (the DynamoDB state table: claims, latest wins, run counters),
`enrich` (fetch the real failure output; `command_output` the failed step of any document, through
`accounts` in the event's own account and region), `reports` (full reports in S3), `inbox` (the
emails), `neutral` (safe fields), `defer` (re-enqueue what there was no time for), `deadline` (call
budgets).
The sweep: `sweep` (Lambda entry point: plan a run, check one association, collect a run),
`sweep_check` (one association's targets against what ran), `sweep_window` (since when runs count,
from `schedule`, the exact schedule reader), `targets` (what an association targets, instance
states), `missed_memory` (reminders: what was already reported), `sweep_runs` (a run's records in
the state table), `sweep_report` (the merged report, results as records), `coverage` (which
accounts and regions report), `sweep_digest` (its
email).
Shared: `settings` (both functions' environment), `text` (the text and field helpers both emails
are built from), `publish` (paced SNS publish), `clients` (lazy boto3 clients with deadlines),
`paging` (listings streamed, each call only in time), `times` (UTC and API times), `log`
(logging through the runtime).

Import time is cold-start time, and a zip built elsewhere has no usable bytecode: no boto3 until a
client is made, no `dataclasses` (it imports `inspect` and generates each class's methods at
import): immutable values are NamedTuples, the few mutable records plain classes.
"""

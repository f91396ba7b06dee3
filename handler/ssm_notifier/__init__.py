"""SSM association notifier: SQS batches of State Manager events -> one SNS digest per association,
and a scheduled sweep that reports the instances an association did not run on.

The notifier: `notify` (Lambda entry point), `events` (parse a record), `grouping` (one group per
association), `enrich` (fetch the real failure output), `notify_digest` (its email).
The sweep: `sweep` (Lambda entry point), `sweep_check` (targets against what ran), `targets`
(what an association targets, instance states), `periods` (schedule periods), `sweep_digest` (its
email).
Shared: `settings` (both functions' environment), `text` (the text and field helpers both emails
are built from), `publish` (paced SNS publish), `clients` (lazy boto3 clients with deadlines),
`paging` (bounded listings), `times` (UTC and API times), `log` (logging through the runtime).

Import time is cold-start time, and a zip built elsewhere has no usable bytecode: no boto3 until a
client is made, no `dataclasses` (it imports `inspect` and generates each class's methods at
import): immutable values are NamedTuples, the few mutable records plain classes.
"""

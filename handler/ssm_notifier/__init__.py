"""SSM association notifier: SQS batches of State Manager events -> one SNS digest per association.

Modules: `settings` (environment), `events` (parse a record), `digest` (group and format, pure),
`enrich` (fetch the real failure output), `publish` (paced SNS publish), `clients` (lazy boto3),
`log` (JSON log lines), `notify` (the Lambda entry point); the sweep: `sweep` (entry point),
`targets` (what an association targets), `text` (plain-text helpers both digests use).

Import time is cold-start time, and a zip built elsewhere has no usable bytecode: no boto3 until a
client is made, no `dataclasses` (it imports `inspect` and generates each class's methods at
import): immutable values are NamedTuples, the few mutable records plain classes.
"""

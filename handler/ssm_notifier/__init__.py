"""SSM association notifier: SQS batches of State Manager events -> one SNS digest per association.

Modules: `settings` (environment), `events` (parse a record), `digest` (group and format, pure),
`enrich` (fetch the real failure output), `publish` (paced SNS publish), `clients` (lazy boto3),
`log` (JSON log lines), `notify` (the Lambda entry point).
"""

"""CloudFormation templates of the SSM association notifier, built with troposphere.

One module per nested stack (`network`, `logging_bucket`, `notifications`, `association`), the
`parent` that wires them, the build-time `config` and the cross-stack `names` they share.
Each stack module exposes a pure `build(config) -> Template`.
"""

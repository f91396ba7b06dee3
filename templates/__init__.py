"""CloudFormation templates of the SSM association notifier, built with troposphere.

One module per nested stack (`network`, `logging_bucket`, `notifications`, `association`,
`sweep`), each a pure `build(config) -> Template`; the `parent` that wires them; the build-time
`config`, the deploy-time `parameters` and the cross-stack `names` they share; the pieces they
are made of (`functions`, `alarms`, `common`); `cfn_yaml`, which writes them as YAML; and
`readme`, the README's generated sections. README.md's Layout section lists every module.
"""

"""CloudFormation templates of the SSM association notifier, built with troposphere.

One module per nested stack (`network`, `logging_bucket`, `notifications`, `association`,
`sweep`), each a pure `build(config) -> Template`; the `parent` that wires them; the build-time
`config`, the deploy-time `parameters` and the cross-stack `names` they share; the pieces they
are made of (`functions`, `alarms`, `common`); `template_dict` and `cfn_yaml`, which turn them
into dicts and YAML; `readme`, the README's generated sections, and `readme_cache`, which says
when they need rendering again. README.md's Layout section lists every module.
"""

"""The organization pieces as tests read them: the spoke as rendered, and a stand-in hub stack
that carries the hub pieces (the parent does not take them in yet)."""

from __future__ import annotations

from troposphere import GetAtt, Template, iam

from templates import hub, names, spoke
from templates.common import new_template, service_trust_policy
from templates.config import Config
from templates.parameters import watched_documents, watched_statuses

HUB_FILE = "hub.yaml"


def hub_template(config: Config) -> Template:
    """The hub pieces beside two roles standing in for the notifier's and the sweep's, wired as
    the parent is meant to wire them (the watched lists passed on to the spokes)."""
    template = new_template("SSM association notifier: hub pieces under test")
    documents = template.add_parameter(watched_documents(config))
    statuses = template.add_parameter(watched_statuses(config))
    notifier, sweep = (
        template.add_resource(
            iam.Role(title, AssumeRolePolicyDocument=service_trust_policy("lambda.amazonaws.com"))
        )
        for title in ("FunctionRole", "SweepRole")
    )
    pieces = hub.add_hub(
        template,
        config,
        notifier_role_arn=GetAtt(notifier, "Arn"),
        sweep_role_arn=GetAtt(sweep, "Arn"),
        spoke_parameters={
            names.WATCHED_DOCUMENTS: hub.joined(documents),
            names.WATCHED_STATUSES: hub.joined(statuses),
        },
    )
    template.add_output(hub.outputs(pieces))
    return template


def rendered_templates(config: Config) -> dict[str, Template]:
    """spoke.yaml and the stand-in hub.yaml."""
    return spoke.spoke_template(config) | {HUB_FILE: hub_template(config)}


def rendered(config: Config | None = None) -> dict[str, dict]:
    """spoke.yaml and the stand-in hub.yaml, as dicts."""
    templates = rendered_templates(config or Config())
    return {name: template.to_dict() for name, template in templates.items()}

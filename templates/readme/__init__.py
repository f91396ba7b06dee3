"""The README's generated sections, rendered from the templates so they never drift from them.

`render_readme(readme, rendered)` returns README.md with every `<!-- generated:NAME -->` ...
`<!-- /generated:NAME -->` section rewritten from the rendered template dicts: the architecture
picture (`diagram`), the parameter, output, security and retained-resource tables (`tables`),
the settings that keep notifications safe and the Fleet scale paragraph quoting them
(`settings`), which resource types take the stack's tags (`tags`, read from the resource schemas
cfn-lint ships), the statements your own pipeline key needs (`keys`), the templates' sizes against
CloudFormation's quotas (`sizes`), and the sample digest
(`sample_email`, the notifier's own code run offline, again only when its inputs changed: it
reads files to hash them).
"""

from __future__ import annotations

from templates.cfn_yaml import to_yaml
from templates.parent import PARENT_FILE
from templates.readme.chat_preview import sample_chat_section
from templates.readme.diagram import architecture
from templates.readme.keys import pipeline_key_policy
from templates.readme.sample_email import sample_email, sample_email_section
from templates.readme.settings import fleet_scale, settings_table
from templates.readme.sizes import template_sizes
from templates.readme.tables import (
    outputs_table,
    parameters_table,
    retained_table,
    security_table,
)
from templates.readme.tags import tags_table

__all__ = [
    "architecture",
    "outputs_table",
    "parameters_table",
    "pipeline_key_policy",
    "render_readme",
    "retained_table",
    "sample_email",
    "sample_email_section",
    "sections",
    "security_table",
    "settings_table",
    "tags_table",
    "template_sizes",
]


def sections(
    rendered: dict[str, dict],
    diagram: str | None = None,
    readme: str | None = None,
    files: dict[str, str] | None = None,
) -> dict[str, str]:
    """Marker name -> Markdown. `diagram` is `architecture(rendered)` if already drawn; `readme`
    is the README as it is, whose sample-email section is kept if its inputs did not change;
    `files` the YAML of each template (build/ file name -> text), written here if not given."""
    parent = rendered[PARENT_FILE]
    if files is None:
        files = {name: to_yaml(template) for name, template in rendered.items()}
    return {
        "architecture": "```mermaid\n" + (diagram or architecture(rendered)) + "```\n",
        "parameters": parameters_table(parent),
        "outputs": outputs_table(parent),
        "security": security_table(rendered),
        "settings": settings_table(rendered),
        "fleet-scale": fleet_scale(rendered),
        "sample-email": sample_email_section(section(readme or "", "sample-email")),
        "tags": tags_table(rendered),
        "retained": retained_table(rendered),
        "pipeline-key-policy": pipeline_key_policy(rendered),
        "sample-chat": sample_chat_section(section(readme or "", "sample-chat")),
        "template-sizes": template_sizes(files, rendered),
    }


def section(readme: str, name: str) -> str | None:
    """The text of the `name` section of `readme`, None if it has none."""
    opening, closing = f"<!-- generated:{name} -->\n", f"<!-- /generated:{name} -->"
    start = readme.find(opening)
    end = readme.find(closing, start + len(opening)) if start >= 0 else -1
    return readme[start + len(opening) : end] if end >= 0 else None


def render_readme(readme: str, generated: dict[str, str]) -> str:
    """`readme` with each generated section replaced; ValueError naming a missing marker."""
    for name, text in generated.items():
        opening, closing = f"<!-- generated:{name} -->\n", f"<!-- /generated:{name} -->"
        start = readme.find(opening)
        end = readme.find(closing, start + len(opening)) if start >= 0 else -1
        if end < 0:
            raise ValueError(f"README.md has no <!-- generated:{name} --> section")
        readme = readme[: start + len(opening)] + text + readme[end:]
    return readme

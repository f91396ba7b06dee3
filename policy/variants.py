"""Write build/'s templates once per deploy-time variant, for the scanners to check each.

    python -m policy.variants DIR      DIR/<variant>/<template>.yaml for every variant

The templates are one file per stack with conditions: a boundary, a VPC or your own keys (with
roles to grant them to) switch branches of Fn::If on. Each variant is the same template with
those parameters' Defaults set, so checkov (which resolves a Fn::If from the parameters'
defaults) checks the branch a deploy with those values takes; cfn-lint and Guard read every
branch of every variant alike.
"""

from __future__ import annotations

import sys
from pathlib import Path

from policy.guard import ROOT, load_template
from templates.cfn_yaml import to_yaml

# Variant name -> parameter values (a parameter a template does not declare is left out).
VARIANTS: dict[str, dict[str, str]] = {
    "defaults": {},
    "boundary": {
        "PermissionsBoundaryArn": "arn:aws:iam::123456789012:policy/OrgBoundary",
        "RolePath": "/org/ssm-notifier/",
    },
    "vpc": {
        "FunctionSubnetIds": "subnet-0123456789abcdef0,subnet-0fedcba9876543210",
        "FunctionSecurityGroupIds": "sg-0123456789abcdef0",
    },
    "own-keys": {
        "OutputBucketKmsKeyArn": (
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        ),
        "PipelineKmsKeyArn": (
            "arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
        ),
        "ExistingInstanceRoleNames": "WebServerRole",
        "InstanceRoleNames": "WebServerRole",
    },
    "association-safety": {
        "AssociationCalendarNames": "FreezeCalendar",
        "AssociationScheduleOffset": "3",
        "AssociationSyncCompliance": "MANUAL",
    },
}


def variant(template: dict, values: dict[str, str]) -> dict:
    """`template` with the Default of each parameter it declares in `values` set to that value."""
    parameters = {
        name: {**spec, "Default": values[name]} if name in values else spec
        for name, spec in template.get("Parameters", {}).items()
    }
    return {**template, "Parameters": parameters} if parameters else dict(template)


def write_variants(directory: Path, build_dir: Path = ROOT / "build") -> list[Path]:
    written = []
    for name, values in VARIANTS.items():
        target = directory / name
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted(build_dir.glob("*.yaml")):
            out = target / path.name
            out.write_text(to_yaml(variant(load_template(path), values)))
            written.append(out)
    return written


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    written = write_variants(Path(argv[0]))
    print(f"variants: {len(VARIANTS)} x {len(written) // len(VARIANTS)} templates in {argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

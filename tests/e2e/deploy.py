"""Deploy as a user would: generate.py, `aws cloudformation package`, `aws cloudformation deploy`.

    deployment = deploy(moto, workdir)      # children deployed one by one (nested_stacks)
    attempt = deploy_parent_as_is(moto, deployment.tree, workdir)   # the probe of moto's gap

The emulator's workarounds (moto_workarounds, nested_stacks) all happen here, before the caller
shows anything; the as-is parent deploy that moto cannot do is a probe of its own, run by the test
that records it, in a server of its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import moto_workarounds
import nested_stacks
from aws_cli import Cli, CliCall, client
from awscli.customizations.cloudformation.yamlhelper import yaml_parse
from emulator import REGION, MotoServer

ROOT = Path(__file__).resolve().parents[2]
# Deploy another checkout instead of this one (e.g. a scratch copy with a deliberate break).
SOURCE_ENV = "SSM_NOTIFIER_E2E_SOURCE"

STACK_NAME = "ssm-notifier-local"
NOTIFICATION_EMAIL = "ops@example.com"
ARTIFACT_BUCKET = "ssm-notifier-artifacts"
# What README's deploy command passes.
CAPABILITIES = ["--capabilities", "CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
PARAMETER_OVERRIDES = {"NotificationEmail": NOTIFICATION_EMAIL}
GENERATE_TIMEOUT_SECONDS = 120


@dataclass
class Deployment:
    endpoint: str
    workdir: Path
    source: Path
    tree: Path  # the copy of the source that generate.py and package ran in
    generate_output: str
    packaged_parent_path: Path
    packaged_parent: dict[str, Any]
    parent_parameters: dict[str, str]
    children: dict[str, nested_stacks.ChildStack]
    outputs: dict[str, str]  # the parent's Outputs, as CloudFormation would show them
    resources: dict[str, dict[str, dict[str, str]]]  # child title -> logical id -> resource
    cli: Cli
    detached_schedule_targets: list[moto_workarounds.DetachedTargets]
    event_source_mappings: list[dict[str, Any]]  # as deployed, before the harness disabled them

    def client(self, service: str) -> Any:
        return client(service, self.endpoint)

    def physical_id(self, child: str, logical_id: str) -> str:
        return self.resources[child][logical_id]["PhysicalResourceId"]

    def one(self, child: str, resource_type: str) -> str:
        """The physical id of the child's only resource of that type."""
        (found,) = [
            r["PhysicalResourceId"]
            for r in self.resources[child].values()
            if r["ResourceType"] == resource_type
        ]
        return found


def source_root() -> Path:
    return Path(os.environ.get(SOURCE_ENV) or ROOT).resolve()


# Not copied: version control, environments, caches, and build/ (generate.py writes it anew).
NOT_COPIED = {".git", ".venv", ".tox", ".ci-venv", "build", ".local-e2e"}


def copy_source(source: Path, dest: Path) -> Path:
    """The checkout, copied, so that generate.py (which writes build/ and README.md) and package
    run on the copy and leave the shared work tree as it is."""
    caches = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".ruff_cache")

    def ignore(directory: str, names: list[str]) -> set[str]:
        top = Path(directory).resolve() == source.resolve()
        return set(caches(directory, names)) | (NOT_COPIED & set(names) if top else set())

    shutil.copytree(source, dest, ignore=ignore, symlinks=True)
    return dest


def deploy(
    moto: MotoServer, workdir: Path, say: Callable[[str], None] = lambda _: None
) -> Deployment:
    """generate.py and `aws cloudformation package`, then each packaged child deployed with
    `aws cloudformation deploy` as the parent would nest it (moto_workarounds, item 1)."""
    source = source_root()
    tree = copy_source(source, workdir / "src")
    cli = Cli(moto.endpoint, moto.env, tree)
    generated = run_generate(tree, moto.env)
    say(f"$ python generate.py   (source: {source})\n{generated.rstrip()}")
    packaged_path = package(cli, workdir)
    say(f"$ {cli.calls[-1].shown}")
    packaged = yaml_parse(packaged_path.read_text())

    parameters = {
        name: str(spec["Default"])
        for name, spec in packaged.get("Parameters", {}).items()
        if "Default" in spec
    }
    parameters.update(PARAMETER_OVERRIDES)
    cloudformation = client("cloudformation", moto.endpoint)
    s3 = client("s3", moto.endpoint)

    def write_template(name: str, text: str) -> str:
        path = workdir / name
        path.write_text(text)
        return str(path)

    say(
        f"$ aws cloudformation deploy --stack-name {STACK_NAME}-CHILD ... for each nested stack\n"
        "  (moto cannot evaluate a parent's Fn::GetAtt Child.Outputs.X: each packaged child is\n"
        "  deployed as a stack of its own, with the parameters the parent would pass)"
    )
    scope = nested_stacks.ParentScope(packaged, parameters, STACK_NAME)
    children = nested_stacks.deploy_children_one_by_one(
        cli=cli,
        scope=scope,
        read_template=lambda url: _read_s3_url(s3, url),
        write_template=write_template,
        describe_resources=lambda name: cloudformation.describe_stack_resources(StackName=name)[
            "StackResources"
        ],
        get_att=nested_stacks.service_get_att(lambda service: client(service, moto.endpoint)),
        deploy_arguments=CAPABILITIES,
        say=say,
    )
    resources = {
        title: {
            r["LogicalResourceId"]: r
            for r in cloudformation.describe_stack_resources(StackName=child.stack_name)[
                "StackResources"
            ]
            if r.get("LogicalResourceId")
        }
        for title, child in children.items()
    }
    detached = moto_workarounds.detach_scheduled_rule_targets(client("events", moto.endpoint))
    for item in detached:
        say(f"  schedule-only rule {item.rule} ({item.schedule}): targets taken off in moto")
    mappings = moto_workarounds.disable_event_source_mappings(client("lambda", moto.endpoint))
    for mapping in mappings:
        say(f"  event source mapping {mapping['UUID']}: disabled in moto (the harness polls)")
    return Deployment(
        endpoint=moto.endpoint,
        workdir=workdir,
        source=source,
        tree=tree,
        generate_output=generated,
        packaged_parent_path=packaged_path,
        packaged_parent=packaged,
        parent_parameters=parameters,
        children=children,
        outputs=nested_stacks.parent_outputs(scope),
        resources=resources,
        cli=cli,
        detached_schedule_targets=detached,
        event_source_mappings=mappings,
    )


def run_generate(tree: Path, env: dict[str, str]) -> str:
    """`python generate.py` in the copy; its output (summary lines), or RuntimeError."""
    generated = subprocess.run(
        [sys.executable, "generate.py"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=GENERATE_TIMEOUT_SECONDS,
        check=False,
    )
    if generated.returncode != 0:
        raise RuntimeError(f"generate.py failed:\n{generated.stdout}{generated.stderr}")
    return generated.stdout + generated.stderr


def package(cli: Cli, workdir: Path) -> Path:
    """`aws cloudformation package` of build/parent.yaml into the artifacts bucket."""
    cli("s3", "mb", f"s3://{ARTIFACT_BUCKET}")
    packaged_path = workdir / "packaged-parent.yaml"
    cli(
        "cloudformation",
        "package",
        "--template-file",
        "build/parent.yaml",
        "--s3-bucket",
        ARTIFACT_BUCKET,
        "--output-template-file",
        str(packaged_path),
    )
    return packaged_path


@dataclass
class ParentAttempt:
    """`aws cloudformation deploy` of the packaged parent, exactly as README's deploy runs it."""

    call: CliCall
    stack_status: str
    moto_error: str  # the last error line of the server's log, if moto raised one

    @property
    def succeeded(self) -> bool:
        return self.call.returncode == 0


def deploy_parent_as_is(moto: MotoServer, tree: Path, workdir: Path) -> ParentAttempt:
    """The parent deployed as a user would, on a server that holds nothing else.

    moto leaves the children it managed to create behind when the parent fails; on a server of
    its own (`moto`, fresh) they cannot be mistaken for the deployment the checks read.
    """
    cli = Cli(moto.endpoint, moto.env, tree)
    packaged_path = package(cli, workdir)
    overrides = [f"{name}={value}" for name, value in PARAMETER_OVERRIDES.items()]
    call = cli(
        "cloudformation",
        "deploy",
        "--template-file",
        str(packaged_path),
        "--stack-name",
        STACK_NAME,
        *CAPABILITIES,
        "--parameter-overrides",
        *overrides,
        check=False,
    )
    return ParentAttempt(call, _stack_status(moto.endpoint, STACK_NAME), _last_server_error(moto))


def _read_s3_url(s3: Any, url: str) -> str:
    """A TemplateURL that `package` wrote: http://localhost:PORT/BUCKET/KEY (path style)."""
    bucket, key = url.split("://", 1)[1].split("/", 1)[1].split("/", 1)
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()


def _stack_status(endpoint: str, stack_name: str, region: str = REGION) -> str:
    try:
        stacks = client("cloudformation", endpoint, region).describe_stacks(StackName=stack_name)
    except Exception as error:
        return f"not created ({type(error).__name__})"
    return stacks["Stacks"][0]["StackStatus"]


def _last_server_error(moto: MotoServer) -> str:
    if moto.log_path is None or not moto.log_path.exists():
        return ""
    lines = moto.log_path.read_text(errors="replace").splitlines()
    errors = [line for line in lines if line and not line[0].isspace() and "Error" in line]
    return errors[-1] if errors else ""

"""Two stacks in two regions of one account grant the same instance role; deleting one leaves
the other's grant in place (issue 16: IAM is global, the policy name is each stack's own).

Only the logging stack holds the grant, so only it is deployed, twice, with the real AWS CLI on
a moto server of its own: us-east-1 and us-west-2, both naming one pre-created role. The deleted
stack's buckets are retained, and README's "Remove" commands empty and delete them.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from aws_cli import Cli, aws_executable, client
from deploy import ROOT
from emulator import MotoServer

from templates.cfn_yaml import to_yaml
from templates.config import Config
from templates.logging_bucket import OUTPUT_POLICY_PREFIX, build

pytestmark = pytest.mark.e2e

ROLE = "WebServerRole"
REGIONS = ("us-east-1", "us-west-2")
STACK = "ssm-notifier-logging"


@pytest.fixture(scope="module")
def two_regions(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("two-regions")
    template = workdir / "logging.yaml"
    template.write_text(to_yaml(build(Config()).to_dict()))
    with MotoServer(log_path=workdir / "moto.log") as moto:
        cli = Cli(moto.endpoint, moto.env, workdir)
        iam = client("iam", moto.endpoint)
        iam.create_role(
            RoleName=ROLE,
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "ec2.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )
        buckets = {}
        for region in REGIONS:
            cli(
                "cloudformation",
                "deploy",
                "--template-file",
                str(template),
                "--stack-name",
                STACK,
                "--parameter-overrides",
                f"InstanceRoleNames={ROLE}",
                region=region,
            )
            resources = client("cloudformation", moto.endpoint, region).describe_stack_resources(
                StackName=STACK
            )["StackResources"]
            (buckets[region],) = [
                resource["PhysicalResourceId"]
                for resource in resources
                if resource.get("LogicalResourceId") == "OutputBucket"
            ]
        before = grants(iam)
        s3 = client("s3", moto.endpoint, REGIONS[0])
        # The template versions the bucket; moto ignores VersioningConfiguration (SKIPPED_BY_MOTO),
        # so the harness turns it on, as AWS would have.
        s3.put_bucket_versioning(
            Bucket=buckets[REGIONS[0]], VersioningConfiguration={"Status": "Enabled"}
        )
        for body in (b"first run", b"second run"):  # two versions of one object
            s3.put_object(Bucket=buckets[REGIONS[0]], Key="ssm-agent-update/i-1/stdout", Body=body)
        s3.delete_object(Bucket=buckets[REGIONS[0]], Key="ssm-agent-update/i-1/stdout")  # marker
        cli("cloudformation", "delete-stack", "--stack-name", STACK, region=REGIONS[0])
        cli(
            "cloudformation",
            "wait",
            "stack-delete-complete",
            "--stack-name",
            STACK,
            region=REGIONS[0],
        )
        retained = {bucket["Name"] for bucket in s3.list_buckets()["Buckets"]}
        listed = s3.list_object_versions(Bucket=buckets[REGIONS[0]])
        versions = len(listed.get("Versions", [])) + len(listed.get("DeleteMarkers", []))
        removal = remove_bucket_as_readme_says(moto, buckets[REGIONS[0]])
        left = {bucket["Name"] for bucket in s3.list_buckets()["Buckets"]}
        yield {
            "buckets": buckets,
            "before": before,
            "after": grants(iam),
            "retained": retained,
            "versions": versions,
            "removal": removal,
            "left": left,
        }


def remove_bucket_as_readme_says(moto: MotoServer, bucket: str) -> subprocess.CompletedProcess:
    """README's `empty_and_delete_bucket`, as written there, run by bash with the real AWS CLI."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### Remove") :]
    (function,) = re.findall(r"^(empty_and_delete_bucket\(\) \{.*?^\})$", section, re.M | re.S)
    script = f'aws() {{ "$AWS_CLI" "$@"; }}\n{function}\nempty_and_delete_bucket "$1"\n'
    return subprocess.run(
        ["bash", "-c", script, "remove", bucket],
        env={**moto.env, "AWS_CLI": aws_executable(), "AWS_DEFAULT_REGION": REGIONS[0]},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def grants(iam) -> dict[str, set[str]]:
    """Policy name -> the buckets its statements grant, read from IAM (list/get-role-policy)."""
    found = {}
    for name in iam.list_role_policies(RoleName=ROLE)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=ROLE, PolicyName=name)["PolicyDocument"]
        if isinstance(document, str):
            document = json.loads(document)
        found[name] = {
            resource.removeprefix("arn:aws:s3:::").removesuffix("/*")
            for statement in document["Statement"]
            for resource in statement["Resource"]
        }
    return found


def test_each_region_grants_the_shared_role_under_a_name_of_its_own(two_regions):
    before, buckets = two_regions["before"], two_regions["buckets"]
    assert len(before) == 2, before
    for region in REGIONS:
        (name,) = [n for n in before if n.startswith(f"{OUTPUT_POLICY_PREFIX}-{region}-")]
        assert before[name] == {buckets[region]}
        assert len(name) <= 128


def test_deleting_one_regions_stack_leaves_the_other_regions_grant(two_regions):
    after, buckets = two_regions["after"], two_regions["buckets"]
    (name,) = after
    assert name.startswith(f"{OUTPUT_POLICY_PREFIX}-{REGIONS[1]}-")
    assert after[name] == {buckets[REGIONS[1]]}
    assert after[name] == two_regions["before"][name]


def test_the_deleted_stacks_buckets_are_retained(two_regions):
    assert two_regions["buckets"][REGIONS[0]] in two_regions["retained"]
    assert two_regions["versions"] == 3  # two versions and a delete marker, kept with it


def test_readme_empties_every_version_and_deletes_a_retained_bucket(two_regions):
    removal = two_regions["removal"]
    assert removal.returncode == 0, removal.stdout + removal.stderr
    assert two_regions["buckets"][REGIONS[0]] not in two_regions["left"]
    assert two_regions["buckets"][REGIONS[1]] in two_regions["left"]

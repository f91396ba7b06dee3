"""The local demo's sweep part: the deployed sweep run on the emulator, its digest shown, and the
misspelled watched document the demo deploys with named in it.

The demo deploys with `WatchedDocuments` = the real document and a misspelled one
(`MISSPELLED`). moto creates no State Manager association (`AWS::SSM::Association` is skipped),
so the real document's association is planted (emulator_extensions, item 12) on the demo's two
instances and run on both (item 9): nothing is missed, and the real document, which an
association uses, is never looked up. The misspelled one has no association, so the sweep looks
it up with DescribeDocument, and the emulator answers InvalidDocument as AWS does for a name that
does not exist.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import UTC, datetime

from deploy import Deployment
from org_demo import SWEEP_DIGEST, DeployedSweep
from pipeline import DOCUMENT, Pipeline, emulator_call

MISSPELLED = "AWS-UpdateSSMAgnet"
# The parent's parameter as the demo deploys it: the real document and the misspelled one.
WATCHED_DOCUMENTS = f"{DOCUMENT},{MISSPELLED}"
MISSING_SECTION = "Watched documents that do not exist:"


def run_sweep(
    deployment: Deployment,
    heading: Callable[[str], None],
    check: Callable[[bool, str], None],
    indent: str = "  | ",
) -> str:
    """Plant and run the real document's association, run the deployed sweep (its schedule's
    event, then each unit of work on its queue), print its digest and check that it names the
    misspelled document as not existing, and the real one not. Returns the digest's body."""
    heading(f"The daily sweep, with {MISSPELLED!r} (misspelled) among WatchedDocuments")
    pipeline = Pipeline(deployment)
    inbox = pipeline.subscribe_inbox("demo-sweep-inbox")
    first, second = deployment.outputs["InstanceIds"].split(",")
    planted = emulator_call(
        deployment.endpoint,
        "ssm",
        "AmazonSSM.PlantAssociation",
        {
            "Name": DOCUMENT,
            "Targets": [{"Key": "InstanceIds", "Values": [first, second]}],
            "ScheduleExpression": "rate(1 day)",
            "ManagedNodes": [
                {"InstanceId": first, "PingStatus": "Online"},
                {"InstanceId": second, "PingStatus": "Online"},
            ],
        },
    )
    pipeline.simulate_association_run(
        planted["AssociationId"],
        DOCUMENT,
        [{"InstanceId": first, "Status": "Success"}, {"InstanceId": second, "Status": "Success"}],
    )
    print(
        f"  planted in the emulator: association {planted['AssociationId']} of {DOCUMENT} on\n"
        f"  {first} and {second}, and a run of it on both (moto creates no association)"
    )
    sweep = DeployedSweep(deployment)
    variables = sweep.variables
    print(f"  sweep function environment: WATCHED_DOCUMENTS={variables['WATCHED_DOCUMENTS']}")
    check(
        variables["WATCHED_DOCUMENTS"] == WATCHED_DOCUMENTS,
        "the sweep watches the documents the stack was deployed with",
    )
    planned = sweep.scheduled(datetime.now(UTC))
    work = sweep.drain()
    print(f"  plan: {planned}; then {len(work)} unit(s) of work: {[m['kind'] for m in work]}")
    check(sweep.failed == [], "no work message handed back")
    digests = [email for email in inbox.emails() if email.body.startswith(SWEEP_DIGEST)]
    check(len(digests) == 1, "one sweep digest")
    [digest] = digests
    print(f"\n  Subject: {digest.subject}")
    print(textwrap.indent(digest.body.rstrip(), indent, lambda _: True))
    missing = _section(digest.body, MISSING_SECTION)
    check(
        f"  {MISSPELLED}: does not exist" in missing,
        f"the digest names {MISSPELLED} as a watched document that does not exist",
    )
    check(DOCUMENT + ":" not in missing, f"and not {DOCUMENT}, which an association uses")
    check("0 instances missed" in digest.body, "nothing missed: the association ran on both")
    return digest.body


def _section(body: str, title: str) -> str:
    """The lines of the digest's section `title` (to the next blank line), or ""."""
    if title not in body:
        return ""
    rest = body[body.index(title) :]
    return rest.split("\n\n", 1)[0]

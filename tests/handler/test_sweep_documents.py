"""sweep_documents: what a DescribeDocument answer means (exists, does not exist, not looked up:
never "does not exist" unless SSM said so), and which watched documents are unused."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber
from ssm_notifier import sweep_documents
from ssm_notifier.paging import Pager
from ssm_notifier.sweep_check import AssociationResult

DOCUMENT = "AWS-UpdateSSMAgent"


@pytest.fixture
def ssm():
    client = boto3.client(
        "ssm", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def test_a_document_ssm_describes_exists(ssm) -> None:
    client, stub = ssm
    stub.add_response("describe_document", {"Document": {"Name": DOCUMENT}}, {"Name": DOCUMENT})
    assert sweep_documents.look_up(client, Pager(lambda: 100.0, 0.0), DOCUMENT) == ""


@pytest.mark.parametrize(
    ("code", "answer"),
    [
        ("InvalidDocument", "not found"),
        ("AccessDeniedException", "not looked up: AccessDeniedException (DescribeDocument)"),
        ("ThrottlingException", "not looked up: ThrottlingException (DescribeDocument)"),
    ],
)
def test_only_invalid_document_means_it_does_not_exist(ssm, code, answer) -> None:
    client, stub = ssm
    stub.add_client_error("describe_document", code, "no", expected_params={"Name": DOCUMENT})
    assert sweep_documents.look_up(client, Pager(lambda: 100.0, 0.0), DOCUMENT) == answer


def test_a_lookup_without_time_left_is_not_made_and_says_so(ssm) -> None:
    client, _ = ssm  # no call stubbed: none may be made
    answer = sweep_documents.look_up(client, Pager(lambda: 10.0, 5.0, 24.0), DOCUMENT)
    assert answer.startswith("not looked up: OutOfTimeError: out of time after 0 calls")


def test_unused_documents_are_those_no_planned_association_uses() -> None:
    planned = {
        "assoc-1": DOCUMENT,
        "document:AWS-Missing": "AWS-Missing",
        "place:123456789012:us-east-1": "",
    }
    documents = (DOCUMENT, "AWS-Missing", "AWS-RunPatchBaseline")
    said = {"AWS-Missing"}  # its own finding
    assert sweep_documents.unused(documents, planned, said, all_listed=True) == [
        "AWS-RunPatchBaseline"
    ]
    # A place not listed may hold its associations: nothing is said.
    assert sweep_documents.unused(documents, planned, said, all_listed=False) == []


def test_not_found_where_associations_elsewhere_use_it_becomes_a_note() -> None:
    here = AssociationResult(DOCUMENT, account="111111111111", region="eu-west-1")
    here.document_lookup = "not found"
    nowhere = AssociationResult("AWS-Typo", account="111111111111", region="eu-west-1")
    nowhere.document_lookup = "not found"
    sweep_documents.used_elsewhere_is_no_finding(
        [here, nowhere], {"222222222222:us-east-1:assoc-1": DOCUMENT}
    )
    assert (here.document_lookup, here.notes) == ("", [sweep_documents.USED_ELSEWHERE])
    assert (nowhere.document_lookup, nowhere.notes) == ("not found", [])

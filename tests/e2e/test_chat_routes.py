"""On the deployed topic: every digest carries a valid chat payload, and filter policies route."""

from __future__ import annotations

import json
import uuid

import pytest
from chat_routes import (
    FAILURES_ONLY,
    OTHER_ACCOUNT,
    Modules,
    digest_of,
    links_for,
    planned,
    publish,
    received,
    subscribe_filtered,
)
from chat_schema import validator

pytestmark = pytest.mark.e2e


def test_filtered_subscriptions_on_the_deployed_topic_receive_only_what_they_admit(local_aws):
    pipeline = local_aws.pipeline
    modules = Modules(pipeline)
    inbox = pipeline.subscribe_inbox("e2e-route-inbox")

    first, second = local_aws.deployment.outputs["InstanceIds"].split(",")
    association = str(uuid.uuid4())
    run = pipeline.update_agent_run(association, succeeded=first, failed=second)
    pipeline.put_events(run)
    records = pipeline.receive_batch()
    assert pipeline.invoke(records).response == {"batchItemFailures": []}
    (email,) = inbox.emails()  # what today's notifier published
    events = [json.loads(record["body"]) for record in records]
    links = links_for(events, modules)
    everything = subscribe_filtered(pipeline, "e2e-route-all", None)
    failures = subscribe_filtered(pipeline, "e2e-route-failures", FAILURES_ONLY)
    other = subscribe_filtered(pipeline, "e2e-route-other", {"accounts": [OTHER_ACCOUNT]})

    failed_here = publish(pipeline, modules, "failed", digest_of(events, email, modules), links)
    ok_elsewhere = planned(
        digest_of(events, email, modules, status="Success", account=OTHER_ACCOUNT), links, modules
    )
    fine_there = publish(pipeline, modules, "ok-other-account", ok_elsewhere, links)
    published = [failed_here, fine_there]

    chat_validator = validator()
    for item in published:
        errors = [error.message for error in chat_validator.iter_errors(json.loads(item.chat))]
        assert not errors, (item.name, errors)
    assert failed_here.default == email.body  # email subscribers get the email text unchanged
    assert json.loads(failed_here.chat)["content"]["title"] == email.subject

    assert received(pipeline, everything, published) == ["failed", "ok-other-account"]
    assert received(pipeline, failures, published) == ["failed"]
    assert received(pipeline, other, published) == ["ok-other-account"]
    # An sqs subscriber without raw delivery gets the default too, in SNS's envelope.
    assert [e.body for e in inbox.emails()] == [failed_here.default, fine_there.default]

    # A publish without attributes (today's notifier, the sweep) reaches no filtered subscriber.
    pipeline.sns.publish(TopicArn=pipeline.topic_arn, Subject=email.subject, Message=email.body)
    assert received(pipeline, everything, published) == ["failed"]
    assert received(pipeline, failures, published) == []
    assert received(pipeline, other, published) == []

"""templates/template_dict: the dict troposphere's Template.to_dict() gives, validation included."""

from __future__ import annotations

import json

import pytest
from troposphere import GetAtt, Ref, Tags, Template, awslambda, sqs

from templates.config import Config
from templates.parent import build_all
from templates.template_dict import template_dict


@pytest.mark.parametrize(
    "config", [Config(), Config(email_split="account", batch_size=10)], ids=["default", "other"]
)
def test_every_template_is_what_to_dict_gives_key_order_included(config):
    for name, template in build_all(config).items():
        expected = template.to_dict()
        assert template_dict(template) == expected, name
        # The same order too: README tables follow the dict's order.
        assert json.dumps(template_dict(template)) == json.dumps(expected), name


def test_objects_with_their_own_to_dict_and_helpers_and_lists_are_encoded_as_troposphere_does():
    template = Template(Description="d")
    queue = template.add_resource(
        sqs.Queue("Queue", Tags=Tags(Team="x"), RedrivePolicy=sqs.RedrivePolicy(maxReceiveCount=3))
    )
    template.add_resource(
        sqs.QueuePolicy(
            "Policy",
            Queues=[Ref(queue), GetAtt(queue, "Arn")],
            PolicyDocument={"Statement": [{"Resource": (GetAtt(queue, "Arn"),)}]},
            DependsOn=[queue],
        )
    )
    template.add_resource(sqs.Queue("Bare"))  # no properties: Type alone
    assert template_dict(template) == template.to_dict()


def test_a_missing_required_property_fails_as_to_dict_does():
    template = Template()
    template.add_resource(awslambda.Permission("Permission", Action="lambda:InvokeFunction"))
    with pytest.raises(ValueError, match="Resource FunctionName required") as expected:
        template.to_dict()
    with pytest.raises(ValueError) as found:
        template_dict(template)
    assert str(found.value) == str(expected.value)


def test_an_object_built_without_validation_is_not_validated():
    template = Template()
    template.add_resource(
        awslambda.Permission("Permission", Action="lambda:InvokeFunction", validation=False)
    )
    assert template_dict(template) == template.to_dict()

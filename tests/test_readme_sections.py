"""The README's generated sections describe the templates they are generated from."""

import copy

from templates.readme import (
    architecture,
    outputs_table,
    parameters_table,
    security_table,
    settings_table,
)
from templates.readme.settings import fleet_scale


def test_the_diagram_shows_the_event_flow_from_agent_to_inbox(rendered):
    diagram = architecture(rendered)
    for edge in [
        "agent -- association state change --> bus",
        "bus --> notifications_Rule",
        "notifications_Rule -- target --> notifications_Queue",
        "notifications_Queue -- batches --> notifications_Function",
        "notifications_Function -- publish --> notifications_Topic",
        "notifications_Topic --> notifications_EmailSubscription",
        "notifications_EmailSubscription -- email --> inbox",
        "notifications_Queue -. redrive .-> notifications_DeadLetterQueue",
        "association_AgentUpdateAssociation -- runs --> agent",
        "agent -- output --> logging_OutputBucket",
        "sweep_SweepRule -- target --> sweep_SweepFunction",
        "sweep_SweepFunction -- publish --> notifications_Topic",
    ]:
        assert f"  {edge}\n" in diagram, edge


def test_every_alarm_is_drawn_publishing_to_the_alarm_topic(rendered):
    diagram = architecture(rendered)
    for file_name in ("notifications.yaml", "sweep.yaml"):
        stack = file_name.removesuffix(".yaml")
        for title, resource in rendered[file_name]["Resources"].items():
            if resource["Type"] == "AWS::CloudWatch::Alarm":
                assert f"{stack}_{title} -- alarm --> notifications_AlarmTopic" in diagram
    assert "-- alarm --> notifications_Topic\n" not in diagram


def test_conditional_stacks_are_labelled_with_their_condition(rendered):
    diagram = architecture(rendered)
    assert 'subgraph network["network stack (if IsDemoFleet)"]' in diagram
    assert 'subgraph association["association stack (if CreateAssociation)"]' in diagram


def test_every_role_and_every_allowed_action_is_in_the_security_table(rendered):
    table = security_table(rendered)
    for template in rendered.values():
        for title, resource in template["Resources"].items():
            if resource["Type"] != "AWS::IAM::Role":
                continue
            assert f"`{title}`" in table
            for policy in resource["Properties"].get("Policies", []):
                if "Fn::If" in policy:  # a policy under a condition, shown with it
                    condition, policy, _ = policy["Fn::If"]
                    assert f"`{title} (if {condition})`" in table
                for statement in policy["PolicyDocument"]["Statement"]:
                    for action in statement["Action"]:
                        assert f"`{action}`" in table


def test_tables_have_a_row_per_parent_parameter_and_output(parent):
    parameters, outputs = parameters_table(parent), outputs_table(parent)
    for name in parent["Parameters"]:
        assert f"| `{name}` |" in parameters
    for name in parent["Outputs"]:
        assert f"| `{name}` |" in outputs
    assert "| `NotificationEmail` | String | (required) |" in parameters


def test_the_settings_table_and_fleet_paragraph_quote_the_templates_values(rendered):
    table = settings_table(rendered)
    assert "| receives before an event is dead-lettered | 5 |" in table
    assert "| batch size | 2,000 events |" in table
    assert "| maximum concurrency | 2 invocations |" in table
    assert "| rule target retry attempts | 185 |" in table
    paragraph = fleet_scale(rendered)
    assert "up to 2,000 events at a time with a 30-second batching" in paragraph
    assert "about 5 emails, never more than 2 in any second" in paragraph
    assert all(len(line) <= 100 for line in paragraph.splitlines())


def test_the_settings_table_reads_the_template_not_the_config(rendered):
    changed = copy.deepcopy(rendered)
    queue = changed["notifications.yaml"]["Resources"]["Queue"]["Properties"]
    queue["RedrivePolicy"]["maxReceiveCount"] = 1
    assert "| receives before an event is dead-lettered | 1 |" in settings_table(changed)


def test_the_template_sizes_are_the_bytes_of_build_and_of_the_spoke_body(rendered):
    from template_helpers import BUILD_DIR

    from templates.config import Config
    from templates.hub import spoke_template_body
    from templates.readme.sizes import template_sizes

    files = {path.name: path.read_text() for path in sorted(BUILD_DIR.glob("*"))}
    text = template_sizes(files, rendered)
    sizes = {name: len(body.encode()) for name, body in files.items() if name.endswith(".yaml")}
    largest = max(sizes, key=sizes.get)
    assert f"largest {sizes[largest]:,} bytes, {largest} (" in text
    assert (
        f"parent.yaml, which `deploy` sends as the request body, is {sizes['parent.yaml']:,}"
        in text
    )
    body = len(spoke_template_body(Config()).encode())
    assert f"the spoke inside hub.yaml is {body:,} bytes of the StackSet's 51,200-byte" in text
    # The figure moves with the file: a grown template shows its new size.
    grown = files | {largest: files[largest] + "#" * 1000}
    assert f"largest {sizes[largest] + 1000:,} bytes" in template_sizes(grown, rendered)

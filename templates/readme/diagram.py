"""The architecture picture: a Mermaid flowchart drawn from the rendered templates."""

from __future__ import annotations

from templates.parent import CHILDREN, PARENT_FILE
from templates.readme.intrinsics import parameter_sources, references, show

# Resource types worth a box in the picture, with the label shown under the logical id.
PICTURED = {
    "AWS::EC2::Instance": "EC2 instance",
    "AWS::SSM::Association": "State Manager association",
    "AWS::S3::Bucket": "S3 bucket",
    "AWS::Events::Rule": "EventBridge rule",
    "AWS::SQS::Queue": "SQS queue",
    "AWS::Lambda::Function": "Lambda function",
    "AWS::SNS::Topic": "SNS topic",
    "AWS::SNS::Subscription": "email subscription",
    "AWS::CloudWatch::Alarm": "CloudWatch alarm",
    "AWS::Chatbot::SlackChannelConfiguration": "Slack channel configuration",
    "AWS::Chatbot::MicrosoftTeamsChannelConfiguration": "Teams channel configuration",
}
CHAT_CONFIGURATIONS = {
    "AWS::Chatbot::SlackChannelConfiguration",
    "AWS::Chatbot::MicrosoftTeamsChannelConfiguration",
}
# Outside the stacks: where the events come from and where the email and chat messages go.
AGENT, BUS, INBOX, CHAT = "agent", "bus", "inbox", "chat"


def architecture(rendered: dict[str, dict]) -> str:
    """A Mermaid flowchart: nested stacks as groups, the resources that matter, and the arrows
    between them found from the templates' own references (across stacks through the parent)."""
    parent = rendered[PARENT_FILE]
    sources = parameter_sources(rendered)
    lines = ["flowchart LR"]
    lines.append(f'  {AGENT}(["SSM Agent on each instance"])')
    lines.append(f'  {BUS}(["EventBridge default bus"])')
    lines.append(f'  {INBOX}(["operator inbox"])')
    lines.append(f'  {CHAT}(["Slack or Teams channel"])')
    edges: list[str] = [f"  {AGENT} -- association state change --> {BUS}"]
    for title, (_, file_name) in CHILDREN.items():
        template = rendered[file_name]
        stack = file_name.removesuffix(".yaml")
        condition = parent["Resources"][title].get("Condition")
        heading = f"{stack} stack" + (f" (if {condition})" if condition else "")
        lines.append(f'  subgraph {stack}["{heading}"]')
        for name, resource in template["Resources"].items():
            if resource["Type"] in PICTURED:
                label = PICTURED[resource["Type"]]
                if "Condition" in resource:
                    label += ", optional"
                lines.append(f'    {_node(stack, name)}["{name}<br/>{label}"]')
        lines.append("  end")
        edges += _edges(stack, template, sources)
    return "\n".join(lines + sorted(set(edges), key=edges.index)) + "\n"


def _node(stack: str, name: str) -> str:
    return f"{stack}_{name}"


def _edges(stack: str, template: dict, sources: dict) -> list[str]:
    resources = template["Resources"]

    def target(name: str) -> str | None:
        """The pictured node a reference leads to, following parameters across stacks."""
        if name in resources and resources[name]["Type"] in PICTURED:
            return _node(stack, name)
        if (stack, name) in sources:
            producer, resource = sources[(stack, name)]
            return _node(producer, resource)
        return None

    edges = []
    for name, resource in resources.items():
        kind, properties = resource["Type"], resource.get("Properties", {})
        me = _node(stack, name)
        if kind == "AWS::Lambda::EventSourceMapping":
            queue, function = (
                target(show(properties["EventSourceArn"]).split(".")[0]),
                target(properties["FunctionName"]["Ref"]),
            )
            edges.append(f"  {queue} -- batches --> {function}")
        elif kind == "AWS::SNS::Subscription":
            edges.append(f"  {target(properties['TopicArn']['Ref'])} --> {me}")
            edges.append(f"  {me} -- email --> {INBOX}")
        elif kind in CHAT_CONFIGURATIONS:
            for topic in properties["SnsTopicArns"]:
                edges.append(f"  {target(topic['Ref'])} --> {me}")
            edges.append(f"  {me} -- chat --> {CHAT}")
        elif kind == "AWS::CloudWatch::Alarm":
            for watched in references(properties.get("Dimensions", [])):
                if target(watched):
                    edges.append(f"  {target(watched)} -. metric .-> {me}")
            for action in references(properties.get("AlarmActions", [])):
                if target(action):
                    edges.append(f"  {me} -- alarm --> {target(action)}")
        elif kind == "AWS::Events::Rule":
            if "EventPattern" in properties:
                edges.append(f"  {BUS} --> {me}")
            for rule_target in properties.get("Targets", []):
                edges.append(
                    f"  {me} -- target --> {target(show(rule_target['Arn']).split('.')[0])}"
                )
                if "DeadLetterConfig" in rule_target:
                    dead = target(show(rule_target["DeadLetterConfig"]["Arn"]).split(".")[0])
                    edges.append(f"  {me} -. undeliverable .-> {dead}")
        elif kind == "AWS::SSM::Association":
            edges.append(f"  {me} -- runs --> {AGENT}")
            for reference in references(properties.get("OutputLocation", {})):
                if target(reference):
                    edges.append(f"  {AGENT} -- output --> {target(reference)}")
        elif kind == "AWS::EC2::Instance":
            edges.append(f"  {me} --- {AGENT}")
        elif kind == "AWS::SQS::Queue" and "RedrivePolicy" in properties:
            dead = target(show(properties["RedrivePolicy"]["deadLetterTargetArn"]).split(".")[0])
            edges.append(f"  {me} -. redrive .-> {dead}")
        elif kind == "AWS::Lambda::Function":
            for reference in references(properties.get("Environment", {})):
                if target(reference) and target(reference) != me:
                    edges.append(f"  {me} -- publish --> {target(reference)}")
            if "DeadLetterConfig" in properties:
                dead = target(show(properties["DeadLetterConfig"]["TargetArn"]).split(".")[0])
                edges.append(f"  {me} -. failed runs .-> {dead}")
        elif kind == "AWS::S3::Bucket" and "LoggingConfiguration" in properties:
            log_bucket = target(properties["LoggingConfiguration"]["DestinationBucketName"]["Ref"])
            edges.append(f"  {me} -. access log .-> {log_bucket}")
    return edges

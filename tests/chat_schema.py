"""The chat payload schema of tests/events/chat (AWS's documented format and our bounds), shared
by the handler, template, README and end-to-end tests."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from referencing import Registry, Resource

CHAT_EVENTS = Path(__file__).resolve().parent / "events" / "chat"
AWS_SCHEMA = "custom_notification.schema.json"
OURS_SCHEMA = "ours.schema.json"


def schema(name: str) -> dict:
    return json.loads((CHAT_EVENTS / name).read_text())


def validator() -> jsonschema.Draft202012Validator:
    """Our schema, which requires AWS's ($ref by file name)."""
    registry = Registry().with_resources(
        (name, Resource.from_contents(schema(name))) for name in (AWS_SCHEMA, OURS_SCHEMA)
    )
    return jsonschema.Draft202012Validator(schema(OURS_SCHEMA), registry=registry)


def errors(payload: dict) -> list[str]:
    return [
        f"{list(error.path)}: {error.message}"
        for error in sorted(validator().iter_errors(payload), key=str)
    ]


def validate(payload: dict) -> None:
    found = errors(payload)
    assert not found, found

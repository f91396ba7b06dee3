"""The README's chat picture: drawn from the handler's own payload, deterministic, escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from chat_schema import validate

from templates.readme.chat_preview import chat_preview_svg, sample_chat_payload
from templates.readme.sample_email import FAILED_OUTPUT


def test_the_sample_payload_is_valid_and_the_same_every_time() -> None:
    payload = sample_chat_payload()
    validate(payload)
    assert payload == sample_chat_payload()
    assert chat_preview_svg(payload) == chat_preview_svg(sample_chat_payload())
    assert "i-0f3c5a1d2e4b6f789" in payload["content"]["description"]
    assert FAILED_OUTPUT.splitlines()[0] not in payload["content"]["description"]  # the report's


def test_the_picture_is_well_formed_svg_showing_every_part_of_the_payload() -> None:
    payload = sample_chat_payload()
    root = ElementTree.fromstring(chat_preview_svg(payload))
    text = " ".join(
        "".join(node.itertext()) for node in root.iter("{http://www.w3.org/2000/svg}text")
    )
    assert payload["content"]["title"] in text
    for keyword in payload["content"]["keywords"]:
        assert keyword in text
    assert "Next steps" in text and "Fleet Manager" in text


def test_markup_in_text_is_escaped_not_interpreted() -> None:
    payload = sample_chat_payload()
    payload["content"]["title"] = "<script>&"
    payload["content"]["description"] = "*bold* `code` <b>&amp;"
    svg = chat_preview_svg(payload)
    ElementTree.fromstring(svg)  # still well formed
    assert "<script>" not in svg and "&lt;script&gt;&amp;" in svg
    assert '<tspan font-weight="bold">bold</tspan>' in svg

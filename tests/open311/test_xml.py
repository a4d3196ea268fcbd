"""The XML writer: the standard's element names, and only characters XML 1.0 can carry."""

from __future__ import annotations

from xml.etree import ElementTree

from eservice.open311.schemas import Error
from eservice.open311.xml import render_list


def test_text_with_control_characters_still_parses() -> None:
    xml = render_list("errors", "error", [Error(code=400, description="a\x01b\x0bc <&> d")])
    parsed = ElementTree.fromstring(xml)
    assert parsed.tag == "errors"
    assert parsed[0].tag == "error"
    assert parsed[0].find("description").text == "a\ufffdb\ufffdc <&> d"  # type: ignore[union-attr]
    assert parsed[0].find("code").text == "400"  # type: ignore[union-attr]

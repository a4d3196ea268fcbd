"""GeoReport v2 XML, element for element as the standard's examples write it.

Roots and list items: ``services/service``, ``service_definition`` with
``attributes/attribute`` and ``values/value``, ``service_requests/request`` (also for a created
request and a token), ``errors/error``, ``discovery`` with ``endpoints/endpoint`` and
``formats/format``; the extension ``notes/note``. No namespaces. ``None`` is an empty element.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

import msgspec

XML_MEDIA_TYPE = "text/xml"
# Element name of the items of each list field.
_ITEMS = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
}


# Characters XML 1.0 cannot carry at all (not even escaped); a citizen's text may hold them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("\ufffd", str(value))


def _fill(parent: Element, content: Any) -> None:
    for name, value in content.items():
        if isinstance(value, list):
            holder = SubElement(parent, name)
            for item in value:
                child = SubElement(holder, _ITEMS[name])
                if isinstance(item, dict):
                    _fill(child, item)
                else:
                    child.text = _text(item)
        elif isinstance(value, dict):
            _fill(SubElement(parent, name), value)
        else:
            child = SubElement(parent, name)
            if value is not None:
                child.text = _text(value)


def _document(root: Element) -> bytes:
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(root, encoding="unicode").encode()


def render_list(root: str, item: str, documents: Sequence[msgspec.Struct]) -> bytes:
    """``<root><item>...</item>...</root>`` (services, service_requests, errors)."""
    element = Element(root)
    for document in documents:
        _fill(SubElement(element, item), msgspec.to_builtins(document))
    return _document(element)


def render_one(root: str, document: msgspec.Struct) -> bytes:
    """``<root>...</root>`` (service_definition, discovery)."""
    element = Element(root)
    _fill(element, msgspec.to_builtins(document))
    return _document(element)

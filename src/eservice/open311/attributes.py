"""Service definitions derived from a form's JSON Schema, and posted attributes back to form data.

Each top-level form field is one attribute (except the field that takes Open311's own
``description``): enums are ``singlevaluelist``, arrays of enums ``multivaluelist``, booleans a
``singlevaluelist`` of ``true``/``false``, numbers ``number``, ``date``/``date-time`` strings
``datetime``, strings longer than a line (without a ``format``) ``text``, other strings
``string``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from eservice.catalog.forms import enum_titles
from eservice.open311.schemas import Attribute, AttributeValue

# A string field allowing more than this many characters is a multi-line ``text``.
LINE_LENGTH = 250
_DATATYPE_HINTS = {
    "number": ("Eine Zahl", "A number"),
    "datetime": (
        "Datum und Uhrzeit nach ISO 8601 mit Zeitzone, z. B. 2026-02-03T10:00:00+01:00",
        "Date and time in ISO 8601 with an offset, e.g. 2026-02-03T10:00:00+01:00",
    ),
}
_BOOLEAN_NAMES = {"true": ("Ja", "Yes"), "false": ("Nein", "No")}


class BadAttribute(ValueError):
    """A posted attribute value does not fit its field; ``code`` names the attribute."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _title(node: Mapping[str, Any], lang: str, fallback: str) -> str:
    title = node.get("x-title-en") if lang == "en" else None
    return str(title or node.get("title") or fallback)


def _choices(node: Mapping[str, Any], lang: str) -> list[AttributeValue] | None:
    if isinstance(node.get("enum"), list):
        titles = enum_titles(node, lang) or [
            str(v).replace("_", " ").capitalize() for v in node["enum"]
        ]
        return [
            AttributeValue(key=str(v), name=title)
            for v, title in zip(node["enum"], titles, strict=True)
        ]
    options = node.get("oneOf")
    if isinstance(options, list) and all(isinstance(o, dict) and "const" in o for o in options):
        return [
            AttributeValue(key=str(o["const"]), name=_title(o, lang, str(o["const"])))
            for o in options
        ]
    return None


def datatype_of(node: Mapping[str, Any], lang: str) -> tuple[str, list[AttributeValue] | None]:
    """The Open311 datatype of a form field, with its values for lists."""
    kind = node.get("type")
    if kind == "boolean":
        index = 1 if lang == "en" else 0
        return "singlevaluelist", [
            AttributeValue(key=key, name=names[index]) for key, names in _BOOLEAN_NAMES.items()
        ]
    if kind == "array" and isinstance(node.get("items"), dict):
        values = _choices(node["items"], lang)
        if values is not None:
            return "multivaluelist", values
    values = _choices(node, lang)
    if values is not None:
        return "singlevaluelist", values
    if kind in ("number", "integer"):
        return "number", None
    if kind == "string" and node.get("format") in ("date", "date-time"):
        return "datetime", None
    long = int(node.get("maxLength", LINE_LENGTH + 1)) > LINE_LENGTH
    if kind == "string" and long and "format" not in node:  # an email or URL is one line
        return "text", None
    return "string", None


def attributes_of(form: Mapping[str, Any], lang: str, skip: str | None) -> list[Attribute]:
    """The attributes of a service: one per form field, in the form's order, from 1."""
    properties = form.get("properties") or {}
    required = set(form.get("required") or [])
    attributes: list[Attribute] = []
    for code, node in properties.items():
        if code == skip or not isinstance(node, dict):
            continue
        datatype, values = datatype_of(node, lang)
        hint = _DATATYPE_HINTS.get(datatype)
        attribute = Attribute(
            variable=True,
            code=code,
            datatype=datatype,
            required=code in required,
            datatype_description=None if hint is None else hint[1 if lang == "en" else 0],
            order=len(attributes) + 1,
            description=_title(node, lang, code),
        )
        if values is not None:
            attribute.values = values
        attributes.append(attribute)
    return attributes


def _number(code: str, node: Mapping[str, Any], raw: str) -> int | float:
    try:
        return int(raw) if node.get("type") == "integer" else float(raw)
    except ValueError:
        raise BadAttribute(code, f"attribute[{code}] must be a number") from None


def _instant(code: str, node: Mapping[str, Any], raw: str, zone: ZoneInfo) -> str:
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise BadAttribute(
            code, f"attribute[{code}] must be an ISO 8601 date and time with an offset"
        )
    if node.get("format") == "date":
        # A date-only field takes the date of the posted instant in the city's time zone.
        return moment.astimezone(zone).date().isoformat()
    return moment.isoformat()


def data_from_attributes(
    form: Mapping[str, Any], posted: Mapping[str, list[str]], zone: ZoneInfo
) -> dict[str, Any]:
    """Form data from ``attribute[code]`` (and ``attribute[code][]``) values, typed by the form.

    Unknown codes are passed on as they are, so that the form's own validation names them.
    """
    properties = form.get("properties") or {}
    data: dict[str, Any] = {}
    for code, values in posted.items():
        node = properties.get(code)
        if not isinstance(node, dict):
            data[code] = values[-1]
            continue
        datatype, _ = datatype_of(node, "de")
        if datatype == "multivaluelist":
            data[code] = list(values)
            continue
        raw = values[-1]
        if node.get("type") == "boolean":
            if raw not in ("true", "false"):
                raise BadAttribute(code, f"attribute[{code}] must be true or false")
            data[code] = raw == "true"
        elif datatype == "number":
            data[code] = _number(code, node, raw)
        elif datatype == "datetime":
            data[code] = _instant(code, node, raw, zone)
        else:
            data[code] = raw
    return data

"""Forms from a service's JSON Schema: fields to render, submitted values back to ``data``.

The schema stays the only rule: what the citizen typed is turned into ``data`` as literally
as possible (a number that is no number stays text) and validated by the same function the
API uses; this module only words the resulting errors for people, in German and English.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eservice.catalog.forms import enum_titles
from eservice.core.errors import FieldError
from eservice.core.pointers import json_pointer
from eservice.web.i18n import Translator

DATA_POINTER = "/data"
FIELD_PREFIX = "d."
RADIO_LIMIT = 5  # up to this many options are radio buttons, more a select
LONG_TEXT = 300  # strings allowed to be longer than this get a text area


class FormValues:
    """Submitted form fields (name → list of values), as any multi-dict provides them."""

    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in pairs:
            self._values.setdefault(name, []).append(value)

    def get(self, name: str) -> str:
        values = self._values.get(name)
        return values[0] if values else ""

    def getall(self, name: str) -> list[str]:
        return list(self._values.get(name, []))

    def has(self, name: str) -> bool:
        return name in self._values


@dataclass
class Option:
    value: str
    label: str
    checked: bool = False


@dataclass
class FormField:
    """One control (or a fieldset of controls) as the templates render it."""

    id: str
    name: str
    pointer: str
    kind: str  # text email date integer number textarea radio select checkboxes boolean fieldset
    label: str
    hint: str | None
    required: bool
    value: str = ""
    options: list[Option] = field(default_factory=list)
    children: list[FormField] = field(default_factory=list)
    error: str | None = None
    max_length: int | None = None

    @property
    def describedby(self) -> str:
        ids = [f"{self.id}-hint"] if self.hint else []
        if self.error:
            ids.append(f"{self.id}-error")
        return " ".join(ids)

    @property
    def first_control_id(self) -> str:
        if self.kind in ("radio", "checkboxes", "boolean"):
            return f"{self.id}-0"
        if self.kind == "fieldset" and self.children:
            return self.children[0].first_control_id
        return self.id


def _text(node: Mapping[str, Any], key: str, lang: str) -> str | None:
    english = node.get("x-" + key + "-en")
    value = english if lang == "en" and isinstance(english, str) else node.get(key)
    return value if isinstance(value, str) else None


def _option_labels(node: Mapping[str, Any], values: list[Any], lang: str) -> list[str]:
    """The people's titles of an enum's values (``x-enum-titles``, checked at catalogue load)."""
    titles = enum_titles(node, lang)
    if titles is not None:
        return titles
    # A schema the catalogue did not check (none published): the code, made readable.
    return [str(value).replace("_", " ") for value in values]


def _kind(node: Mapping[str, Any]) -> str:
    kind = node.get("type")
    if kind == "object":
        return "fieldset"
    if kind == "boolean":
        return "boolean"
    if kind == "array" and isinstance(node.get("items"), dict) and "enum" in node["items"]:
        return "checkboxes"
    if isinstance(node.get("enum"), list):
        return "radio" if len(node["enum"]) <= RADIO_LIMIT else "select"
    if kind in ("integer", "number"):
        return str(kind)
    if node.get("format") in ("date", "email"):
        return str(node["format"])
    max_length = node.get("maxLength")
    if isinstance(max_length, int) and max_length > LONG_TEXT:
        return "textarea"
    return "text"


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def build_fields(
    schema: Mapping[str, Any],
    lang: str,
    data: Mapping[str, Any] | None,
    errors: Mapping[str, str] | None = None,
    path: tuple[str, ...] = (),
) -> list[FormField]:
    """The form's fields in schema order, filled with ``data`` (or defaults) and errors."""
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or ())
    errors = errors or {}
    fields: list[FormField] = []
    for key, node in properties.items():
        if not isinstance(node, dict):
            continue
        here = (*path, key)
        pointer = json_pointer(list(here), DATA_POINTER)
        kind = _kind(node)
        # A new form (no data yet) shows the schema's defaults; filled-in data never gets them.
        value = node.get("default") if data is None else data.get(key)
        item = FormField(
            id="f-" + "-".join(here),
            name=FIELD_PREFIX + ".".join(here),
            pointer=pointer,
            kind=kind,
            label=_text(node, "title", lang) or key,
            hint=_text(node, "description", lang),
            required=key in required,
            error=errors.get(pointer),
            max_length=node.get("maxLength") if isinstance(node.get("maxLength"), int) else None,
        )
        if kind == "fieldset":
            child_data = value if isinstance(value, dict) else (None if data is None else {})
            item.children = build_fields(node, lang, child_data, errors, here)
        elif kind == "boolean":
            item.options = [
                Option("true", "", value is True),
                Option("false", "", value is False),
            ]
        elif kind in ("radio", "select"):
            values = list(node["enum"])
            labels = _option_labels(node, values, lang)
            item.options = [
                Option(_as_text(v), label, value is not None and v == value)
                for v, label in zip(values, labels, strict=True)
            ]
        elif kind == "checkboxes":
            values = list(node["items"]["enum"])
            labels = _option_labels(node["items"], values, lang)
            chosen = value if isinstance(value, list) else []
            item.options = [
                Option(_as_text(v), label, v in chosen)
                for v, label in zip(values, labels, strict=True)
            ]
        else:
            item.value = _as_text(value)
        fields.append(item)
    return fields


def _typed_option(raw: str, options: list[Any]) -> Any:
    for option in options:
        if _as_text(option) == raw:
            return option
    return raw  # not an option: the schema's validation says so


def _number(raw: str, integer: bool) -> Any:
    text = raw.replace(",", ".") if not integer else raw
    try:
        if integer or re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        number = float(text)
    except ValueError:
        return raw  # stays text, so the schema's type check names the field
    return number if math.isfinite(number) else raw


def parse_form(
    schema: Mapping[str, Any], form: FormValues, path: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The submitted values as form ``data``: empty fields are left out."""
    data: dict[str, Any] = {}
    for key, node in (schema.get("properties") or {}).items():
        if not isinstance(node, dict):
            continue
        here = (*path, key)
        name = FIELD_PREFIX + ".".join(here)
        kind = _kind(node)
        if kind == "fieldset":
            nested = parse_form(node, form, here)
            if nested:
                data[key] = nested
            continue
        if kind == "checkboxes":
            chosen = [_typed_option(v, node["items"]["enum"]) for v in form.getall(name)]
            if chosen:
                data[key] = chosen
            continue
        raw = form.get(name).strip()
        if raw == "":
            continue
        if kind == "boolean":
            data[key] = {"true": True, "false": False}.get(raw, raw)
        elif kind in ("radio", "select"):
            data[key] = _typed_option(raw, node["enum"])
        elif kind in ("integer", "number"):
            data[key] = _number(raw, kind == "integer")
        else:
            data[key] = raw
    return data


def _node_at(schema: Mapping[str, Any], pointer: str) -> Mapping[str, Any] | None:
    if not pointer.startswith(DATA_POINTER + "/"):
        return None
    node: Any = schema
    for part in pointer[len(DATA_POINTER) + 1 :].split("/"):
        name = part.replace("~1", "/").replace("~0", "~")
        properties = node.get("properties") if isinstance(node, dict) else None
        if not isinstance(properties, dict) or name not in properties:
            return None
        node = properties[name]
    return node if isinstance(node, dict) else None


def _message(node: Mapping[str, Any], raw: str, t: Translator, lang: str) -> str:
    kind = _kind(node)
    choice = kind in ("radio", "select", "checkboxes", "boolean")
    if raw == "is required":
        return t("v.choose") if choice else t("v.required")
    if choice:
        return t("v.choose")
    if kind == "date":
        return t("v.date")
    if kind == "email":
        return t("v.email")
    if kind in ("integer", "number"):
        if "is not of type" in raw:
            return t("v.integer") if kind == "integer" else t("v.number")
        low = node.get("minimum", node.get("exclusiveMinimum"))
        high = node.get("maximum", node.get("exclusiveMaximum"))
        if low is not None and high is not None:
            return t("v.range", min=low, max=high)
        if low is not None:
            return t("v.min", min=low)
        return t("v.number")
    if "does not match" in raw:
        return t("v.format", hint=_text(node, "description", lang) or "")
    if "shorter than" in raw or "longer than" in raw:
        low, high = node.get("minLength"), node.get("maxLength")
        if low is not None and high is not None:
            return t("v.length", min=low, max=high)
        if high is not None:
            return t("v.too_long", max=high)
        return t("v.too_short", min=low)
    return t("v.invalid")


def field_messages(
    schema: Mapping[str, Any], errors: Sequence[FieldError], t: Translator, lang: str
) -> dict[str, str]:
    """Pointer → a message for people, one per field (the first problem found)."""
    messages: dict[str, str] = {}
    for error in errors:
        if error.pointer in messages:
            continue
        node = _node_at(schema, error.pointer)
        if node is None:
            messages[error.pointer] = t("v.invalid")
            continue
        message = _message(node, error.message, t, lang)
        messages[error.pointer] = message.strip()
    return messages


@dataclass
class ShownValue:
    """One answer of a filed form, readable: the field's title and the value as text."""

    label: str
    text: str
    children: list[ShownValue] = field(default_factory=list)


def _shown_text(node: Mapping[str, Any], value: Any, t: Translator, lang: str) -> str:
    if isinstance(value, bool):
        return t("yes") if value else t("no")
    kind = _kind(node)
    if kind in ("radio", "select") and value in node["enum"]:
        values = list(node["enum"])
        return _option_labels(node, values, lang)[values.index(value)]
    if kind == "checkboxes" and isinstance(value, list):
        values = list(node["items"]["enum"])
        labels = _option_labels(node["items"], values, lang)
        return ", ".join(labels[values.index(v)] if v in values else str(v) for v in value)
    if kind == "date" and isinstance(value, str) and lang == "de":
        match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value)
        if match:
            return f"{match.group(3)}.{match.group(2)}.{match.group(1)}"
    if isinstance(value, float) and lang == "de":
        return str(value).replace(".", ",")
    return str(value)


def readable(
    schema: Mapping[str, Any], data: Mapping[str, Any], t: Translator, lang: str
) -> list[ShownValue]:
    """The data as people read it: titles from the schema in the page's language."""
    properties = schema.get("properties") or {}
    shown: list[ShownValue] = []
    # The form's order (as the citizen filled it in), then anything the schema does not name.
    ordered = [k for k in properties if k in data] + [k for k in data if k not in properties]
    for key in ordered:
        value = data[key]
        node = properties.get(key)
        if not isinstance(node, dict):
            shown.append(ShownValue(key, str(value)))
            continue
        label = _text(node, "title", lang) or key
        if isinstance(value, dict):
            shown.append(ShownValue(label, "", readable(node, value, t, lang)))
        else:
            shown.append(ShownValue(label, _shown_text(node, value, t, lang)))
    return shown

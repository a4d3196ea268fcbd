"""Forms from every shipped service's JSON Schema: each example renders and round-trips."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jinja2
import pytest
from markupsafe import escape

from eservice.catalog.forms import compile_form, data_errors
from eservice.core.errors import FieldError
from eservice.web.i18n import translator
from eservice.web.schema_forms import (
    FormValues,
    build_fields,
    field_messages,
    parse_form,
    readable,
)
from eservice.web.templating import TEMPLATE_DIR
from tests.web.html_forms import submitted

SERVICES = Path(__file__).resolve().parents[2] / "services"
FORMS = sorted(SERVICES.glob("*.form.json"))
EXAMPLES = [
    pytest.param(path, i, id=f"{path.name.split('.')[0]}-{i}")
    for path in FORMS
    for i in range(len(json.loads(path.read_text())["examples"]))
]
ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIR), autoescape=True)
PAGE = ENV.from_string(
    '{% from "form_fields.html" import render_field with context %}'
    "{% for f in fields %}{{ render_field(f) }}{% endfor %}"
)


def render(schema: dict[str, Any], lang: str, data: Any, errors: Any = None) -> str:
    return PAGE.render(fields=build_fields(schema, lang, data, errors), t=translator(lang))


def comparable(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Sets for arrays of unique choices: their order is not meaningful (rendered as boxes)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        node = schema["properties"][key]
        out[key] = frozenset(value) if node.get("uniqueItems") else value
    return out


def test_every_shipped_service_has_a_form() -> None:
    assert len(FORMS) >= 5


@pytest.mark.parametrize(("path", "index"), EXAMPLES)
@pytest.mark.parametrize("lang", ["de", "en"])
def test_each_example_renders_and_round_trips_to_the_same_valid_data(
    path: Path, index: int, lang: str
) -> None:
    schema = json.loads(path.read_text())
    example = schema["examples"][index]
    html = render(schema, lang, example)
    data = parse_form(schema, FormValues(submitted(html)))
    assert comparable(schema, data) == comparable(schema, example)
    assert data_errors(compile_form(schema), data) == []


@pytest.mark.parametrize("path", FORMS, ids=lambda p: p.name.split(".")[0])
def test_every_control_has_a_label_and_optional_ones_are_marked(path: Path) -> None:
    schema = json.loads(path.read_text())
    html = render(schema, "de", None)
    controls = re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html)
    labelled = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', html))
    assert controls
    assert set(controls) <= labelled
    optional = set(schema["properties"]) - set(schema["required"])
    assert html.count("kern-label__optional") == len(optional)


def enums(node: Any) -> list[dict[str, Any]]:
    """Every node of a schema that has an enum (properties, items, nested objects)."""
    found = [node] if isinstance(node, dict) and "enum" in node else []
    if isinstance(node, dict):
        for key, value in node.items():
            if key not in ("examples", "enum", "x-enum-titles", "default"):
                found.extend(enums(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(enums(value))
    return found


@pytest.mark.parametrize("path", FORMS, ids=lambda p: p.name.split(".")[0])
@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_choice_is_shown_with_its_title_not_its_code(path: Path, lang: str) -> None:
    schema = json.loads(path.read_text())
    html = render(schema, lang, None)
    labels = re.findall(r'<label class="kern-label" for="[^"]+">([^<]+)</label>', html)
    labels += re.findall(r'<option value="[^"]+"[^>]*>([^<]+)</option>', html)
    nodes = enums(schema)
    assert nodes
    for node in nodes:
        for value in node["enum"]:
            title = node["x-enum-titles"][lang][str(value)]
            assert html.count(f">{escape(title)}<") >= 1, title
        raw = {str(v) for v in node["enum"]} - set(node["x-enum-titles"][lang].values())
        assert raw.isdisjoint(labels)


@pytest.mark.parametrize(("path", "index"), EXAMPLES)
def test_filed_choices_read_as_their_titles(path: Path, index: int) -> None:
    schema = json.loads(path.read_text())
    example = schema["examples"][index]
    for lang in ("de", "en"):
        shown = {s.label: s.text for s in readable(schema, example, translator(lang), lang)}
        for key, node in schema["properties"].items():
            choices = node.get("items", node)
            if key not in example or "enum" not in choices:
                continue
            titles = choices["x-enum-titles"][lang]
            values = example[key] if isinstance(example[key], list) else [example[key]]
            label = node["x-title-en"] if lang == "en" else node["title"]
            assert shown[label] == ", ".join(titles[str(v)] for v in values)


def test_an_empty_form_gets_messages_at_every_required_field_in_both_languages() -> None:
    schema = json.loads((SERVICES / "hundeanmeldung.v1.form.json").read_text())
    errors = data_errors(compile_form(schema), {})
    for lang, required_text in (("de", "Bitte füllen Sie"), ("en", "Please fill in")):
        messages = field_messages(schema, errors, translator(lang), lang)
        assert set(messages) == {f"/data/{name}" for name in schema["required"]}
        html = render(schema, lang, {}, messages)
        assert html.count('aria-invalid="true"') >= len(schema["required"])
        assert required_text in html
        assert 'aria-describedby="f-vorname-error"' in html


def test_wrong_types_stay_text_and_are_worded_for_people() -> None:
    schema = json.loads((SERVICES / "hundeanmeldung.v1.form.json").read_text())
    form = FormValues(
        [("d.weitere_hunde", "zwei"), ("d.chipnummer", "123"), ("d.wurfdatum", "gestern")]
    )
    data = parse_form(schema, form)
    assert data["weitere_hunde"] == "zwei"
    errors = data_errors(compile_form(schema), data)
    messages = field_messages(schema, errors, translator("de"), "de")
    assert messages["/data/weitere_hunde"] == "Bitte geben Sie eine ganze Zahl an."
    assert "15-stellige Nummer" in messages["/data/chipnummer"]
    assert "Datum" in messages["/data/wurfdatum"]


def test_nested_objects_become_fieldsets_and_round_trip() -> None:
    schema = {
        "type": "object",
        "properties": {
            "adresse": {
                "type": "object",
                "title": "Adresse",
                "x-title-en": "Address",
                "required": ["strasse"],
                "properties": {"strasse": {"type": "string", "title": "Straße"}},
            }
        },
    }
    html = render(schema, "de", {"adresse": {"strasse": "Mengstraße"}})
    assert "<legend" in html
    assert "Adresse" in html
    assert 'name="d.adresse.strasse"' in html
    assert parse_form(schema, FormValues(submitted(html))) == {"adresse": {"strasse": "Mengstraße"}}
    messages = field_messages(
        schema, [FieldError("/data/adresse/strasse", "is required")], translator("en"), "en"
    )
    assert messages == {"/data/adresse/strasse": "Please fill in this field."}

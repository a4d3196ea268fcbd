"""Forms as JSON Schema 2020-12: checking a form itself and validating filed data against it."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import jsonschema_rs

from eservice.core.errors import FieldError
from eservice.core.pointers import json_pointer

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"

FormProblem = tuple[str, str]
# German texts are "title" and "description"; their English versions sit next to them.
TRANSLATED = {"title": "x-title-en", "description": "x-description-en"}
# The titles people read for an enum's values: {"de": {code: title}, "en": {code: title}}
# next to the "enum" they name. JSON Schema ignores unknown keywords, so validation does too.
ENUM_TITLES = "x-enum-titles"
TITLE_LANGUAGES = ("de", "en")
# Keywords whose values are data, not schema: never translated.
_DATA_KEYWORDS = frozenset({"examples", "enum", "const", "default", ENUM_TITLES})


def compile_form(schema: dict[str, Any]) -> jsonschema_rs.Draft202012Validator:
    """A validator for ``schema``: formats checked, remote references never fetched."""
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True, offline=True)


def data_errors(
    validator: jsonschema_rs.Draft202012Validator, data: object, prefix: str = "/data"
) -> list[FieldError]:
    """Every way ``data`` violates the form, with pointers under ``prefix``."""
    errors: list[FieldError] = []
    for error in validator.iter_errors(data):
        path = list(error.instance_path)
        kind = error.kind
        if isinstance(kind, jsonschema_rs.ValidationErrorKind.Required):
            path.append(str(kind.property))
            errors.append(FieldError(pointer=json_pointer(path, prefix), message="is required"))
        elif isinstance(kind, jsonschema_rs.ValidationErrorKind.AdditionalProperties):
            errors.extend(
                FieldError(
                    pointer=json_pointer([*path, name], prefix),
                    message="is not a field of this form",
                )
                for name in kind.unexpected
            )
        else:
            errors.append(FieldError(pointer=json_pointer(path, prefix), message=error.message))
    return errors


def form_problems(schema: object) -> list[FormProblem]:
    """Every problem of a form schema as (JSON pointer into the schema, message)."""
    if not isinstance(schema, dict):
        return [("", "the form must be a JSON object (a JSON Schema)")]
    problems: list[FormProblem] = []
    if schema.get("$schema") != DRAFT_2020_12:
        problems.append(("/$schema", f'the form must declare "$schema": "{DRAFT_2020_12}"'))
    if schema.get("type") != "object":
        problems.append(("/type", 'a form must have "type": "object"'))
    if schema.get("additionalProperties") is not False:
        problems.append(("/additionalProperties", 'a form must set "additionalProperties": false'))
    problems.extend(
        (where, f"only local references (#/...) are allowed, not {ref!r}")
        for where, ref in _references(schema, "")
        if not ref.startswith("#")
    )
    if problems:
        return problems
    try:
        jsonschema_rs.meta.validate(schema)
        validator = compile_form(schema)
    except jsonschema_rs.ValidationError as exc:
        where = json_pointer(exc.instance_path)
        return [(where, f"not a valid JSON Schema: {exc.message}")]
    except (ValueError, jsonschema_rs.ReferencingError) as exc:
        return [("", f"not a valid JSON Schema: {exc}")]
    problems.extend(
        (where, f"{key!r} needs an English version in {TRANSLATED[key]!r}")
        for where, key in _untranslated(schema, "")
    )
    problems.extend(_enum_title_problems(schema, ""))
    examples = schema.get("examples")
    if not isinstance(examples, list) or not examples:
        problems.append(("/examples", 'the form needs "examples" with at least one valid filing'))
        return problems
    for i, example in enumerate(examples):
        problems.extend(
            (err.pointer, f"example {i} does not validate against the form: {err.message}")
            for err in data_errors(validator, example, prefix=f"/examples/{i}")
        )
    return problems


def localise(node: Any, lang: str) -> Any:
    """A copy of a form with titles and descriptions in ``lang`` and no translation keys."""
    if isinstance(node, list):
        return [localise(item, lang) for item in node]
    if not isinstance(node, dict):
        return node
    english = set(TRANSLATED.values())
    out = {
        key: value if key in _DATA_KEYWORDS else localise(value, lang)
        for key, value in node.items()
        if key not in english
    }
    if lang == "en":
        for key, translation in TRANSLATED.items():
            if isinstance(node.get(translation), str):
                out[key] = node[translation]
    return out


def enum_code(value: object) -> str:
    """An enum value as a key of ``x-enum-titles``: a string itself, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def enum_titles(node: Mapping[str, Any], lang: str) -> list[str] | None:
    """The titles of ``node``'s enum values in ``lang``, in enum order; None without titles.

    A checked form has a title for every value in both languages; a value missing from an
    unchecked schema falls back to its code.
    """
    values = node.get("enum")
    titles = node.get(ENUM_TITLES)
    if not isinstance(values, list) or not isinstance(titles, dict):
        return None
    picked = titles.get(lang if lang in TITLE_LANGUAGES else TITLE_LANGUAGES[0])
    if not isinstance(picked, dict):
        return None
    return [str(picked.get(enum_code(value), enum_code(value))) for value in values]


def form_fields(schema: dict[str, Any]) -> set[str]:
    """The top-level field names a form declares."""
    properties = schema.get("properties")
    return set(properties) if isinstance(properties, dict) else set()


def _references(node: object, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield json_pointer([key], where), value
            else:
                yield from _references(value, json_pointer([key], where))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _references(value, json_pointer([i], where))


def _untranslated(node: object, where: str) -> Iterator[tuple[str, str]]:
    """Places where a German title or description has no English version."""
    if isinstance(node, dict):
        for key, translation in TRANSLATED.items():
            if isinstance(node.get(key), str) and not isinstance(node.get(translation), str):
                yield json_pointer([key], where), key
        for key, value in node.items():
            if key not in _DATA_KEYWORDS:
                yield from _untranslated(value, json_pointer([key], where))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _untranslated(value, json_pointer([i], where))


def _enum_title_problems(node: object, where: str) -> Iterator[FormProblem]:
    """Every enum needs a title for each value in German and English, and no other titles."""
    if isinstance(node, list):
        for i, value in enumerate(node):
            yield from _enum_title_problems(value, json_pointer([i], where))
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key not in _DATA_KEYWORDS:
            yield from _enum_title_problems(value, json_pointer([key], where))
    values, titles = node.get("enum"), node.get(ENUM_TITLES)
    here = json_pointer([ENUM_TITLES], where)
    if not isinstance(values, list):
        if ENUM_TITLES in node:
            yield here, f"{ENUM_TITLES!r} belongs next to an 'enum'"
        return
    if not isinstance(titles, dict):
        yield (
            json_pointer(["enum"], where),
            f"an enum needs {ENUM_TITLES!r}: "
            '{"de": {value: title, ...}, "en": {value: title, ...}}',
        )
        return
    yield from (
        (json_pointer([lang], here), f"unknown language {lang!r} (use 'de' and 'en')")
        for lang in titles
        if lang not in TITLE_LANGUAGES
    )
    codes = [enum_code(value) for value in values]
    for lang in TITLE_LANGUAGES:
        named = titles.get(lang)
        if not isinstance(named, dict):
            yield json_pointer([lang], here), f"needs the {lang!r} titles as an object"
            continue
        for code in codes:
            title = named.get(code)
            if not isinstance(title, str) or not title.strip():
                yield json_pointer([lang], here), f"enum value {code!r} has no {lang!r} title"
        for code in named:
            if code not in codes:
                yield (
                    json_pointer([lang, code], here),
                    f"{code!r} is not a value of the enum ({', '.join(codes)})",
                )

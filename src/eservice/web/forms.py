"""Reading a posted HTML form, bounded, and turning domain errors into messages at fields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from eservice.core.errors import FieldError, ValidationFailed
from eservice.core.pointers import msgspec_error
from eservice.web.context import Web
from eservice.web.i18n import Translator
from eservice.web.schema_forms import FormValues

MAX_FIELDS = 300
MAX_VALUE = 10_000
CSRF_FIELD = "_csrf_token"


async def read_pairs(web: Web) -> list[tuple[str, str]]:
    """The posted text fields in order (the CSRF middleware checked the token; files are left
    out); oversized ones are cut."""
    form = await web.request.form()
    pairs: list[tuple[str, str]] = []
    for name, value in form.multi_items():
        if name == CSRF_FIELD or not isinstance(value, str):
            continue
        pairs.append((name[:200], value[:MAX_VALUE]))
        if len(pairs) >= MAX_FIELDS:
            break
    return pairs


async def read_form(web: Web) -> FormValues:
    """The posted fields, bounded as ``read_pairs`` says."""
    return FormValues(await read_pairs(web))


def posted_version(form: FormValues) -> int | None:
    """The request version a page was rendered at (its If-Match); None unless plain digits
    (ASCII only, short: ``int()`` of thousands of digits raises instead of answering)."""
    value = form.get("version")
    if len(value) > 18 or not value.isascii() or not value.isdigit():
        return None
    return int(value)


def convert(value: Mapping[str, Any], kind: type[Any]) -> Any:
    """A Struct from form values; its constraints fail as ValidationFailed, like the API's."""
    try:
        return msgspec.convert(value, kind)
    except msgspec.ValidationError as exc:
        error = msgspec_error(str(exc))
        raise ValidationFailed(error.message, errors=[error]) from None


def messages_by_field(
    errors: Sequence[FieldError], wording: Mapping[str, str], t: Translator
) -> dict[str, str]:
    """Field name → message, worded per field (``wording`` maps a field to a text key)."""
    found: dict[str, str] = {}
    for error in errors:
        name = error.pointer.strip("/").split("/")[0] or "form"
        if name not in found:
            found[name] = t(wording.get(name, "v.invalid"))
    return found


def summary(
    errors: Mapping[str, str], labels: Mapping[str, str], ids: Mapping[str, str] | None = None
) -> list[tuple[str, str, str]]:
    """(anchor id, field label, message) for the error summary at the top of a page."""
    ids = ids or {}
    return [
        (ids.get(name, name), labels.get(name, name), message) for name, message in errors.items()
    ]

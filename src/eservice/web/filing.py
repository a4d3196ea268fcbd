"""The filing form's translation: location fields, the form model, errors at fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eservice.catalog.service import PublishedService
from eservice.core.errors import FieldError
from eservice.requests.schemas import LocationIn
from eservice.web.i18n import Translator
from eservice.web.schema_forms import FormField, FormValues, build_fields, field_messages

LOCATION_FIELDS = ("lat", "lon", "address")


@dataclass
class LocationForm:
    """The location controls: coordinates and an address, usable without any map."""

    rule: str  # required | optional | none
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class FilingForm:
    fields: list[FormField]
    location: LocationForm
    summary: list[tuple[str, str, str]]


def parse_location(form: FormValues) -> tuple[dict[str, str], LocationIn | None, dict[str, str]]:
    """The typed values, the location (None when no coordinates) and coordinate errors."""
    raw = {name: form.get(f"loc.{name}").strip() for name in LOCATION_FIELDS}
    errors: dict[str, str] = {}
    if not raw["lat"] and not raw["lon"]:
        return raw, None, errors
    numbers: dict[str, float] = {}
    bounds = {"lat": 90.0, "lon": 180.0}
    for name in ("lat", "lon"):
        try:
            number = float(raw[name].replace(",", "."))
        except ValueError:
            errors[name] = "v.coordinate"
            continue
        if not -bounds[name] <= number <= bounds[name]:
            errors[name] = "v.coordinate"
        numbers[name] = number
    if errors:
        return raw, None, errors
    address = raw["address"][:500] or None
    return raw, LocationIn(lat=numbers["lat"], lon=numbers["lon"], address=address), errors


def location_values(location: dict[str, Any] | None) -> dict[str, str]:
    if not location:
        return {}
    return {k: "" if location.get(k) is None else str(location[k]) for k in LOCATION_FIELDS}


def _flatten(fields: list[FormField]) -> list[FormField]:
    flat: list[FormField] = []
    for item in fields:
        flat.extend(_flatten(item.children) if item.kind == "fieldset" else [item])
    return flat


def filing_form(
    service: PublishedService,
    *,
    lang: str,
    t: Translator,
    data: dict[str, Any] | None,
    location: LocationForm,
    errors: list[FieldError] | None = None,
) -> FilingForm:
    """The form filled with ``data``; domain errors become messages at their fields."""
    schema = service.definition.form
    messages = field_messages(schema, errors or [], t, lang)
    for error in errors or []:
        if error.pointer.startswith("/location") and "lat" not in location.errors:
            location.errors["lat"] = "v.location_required"
    fields = build_fields(schema, lang, data, messages)
    summary = [(f.first_control_id, f.label, f.error) for f in _flatten(fields) if f.error]
    labels = {"lat": t("apply.lat"), "lon": t("apply.lon")}
    summary += [(f"loc-{k}", labels[k], t(v)) for k, v in location.errors.items() if k in labels]
    known = {f.pointer for f in _flatten(fields)}
    summary += [
        ("form", t("apply.title", service=""), messages[p])
        for p in messages
        if p not in known and not p.startswith("/location")
    ]
    return FilingForm(fields=fields, location=location, summary=summary)

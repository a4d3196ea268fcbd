"""Email templates: every template in both languages, escaping, service-specific overrides."""

from __future__ import annotations

import msgspec
import pytest

from eservice.catalog.files import read_catalog
from eservice.events.schemas import EVENT_TYPES
from eservice.notifications.emails import (
    TemplateText,
    language,
    render_email,
    service_overrides,
    template_names,
)

CONTEXT = {
    "display_name": "Erika <b>M</b>",
    "reference": "HL-2026-7K3M9QXD",
    "service_title": "Hundeanmeldung",
    "state_label": "Genehmigt",
    "from_state_label": "In Prüfung",
    "transition_label": "Genehmigen",
    "request_url": "https://eservice.example/api/v1/requests/1",
    "occurred_at": "2026-11-26 08:00 UTC",
    "token": "abc.def",
    "public_url": "https://eservice.example",
}


def test_every_event_type_and_account_mail_has_a_template_in_both_languages() -> None:
    assert set(EVENT_TYPES) | {"verify_email", "password_reset"} <= template_names()


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("template", sorted(set(EVENT_TYPES) | {"verify_email", "password_reset"}))
def test_each_template_renders_text_and_escaped_html(template: str, lang: str) -> None:
    mail = render_email(template, lang, CONTEXT)
    assert mail.subject
    assert "\n" not in mail.subject
    assert "$" not in mail.text
    assert "<b>M</b>" not in mail.html
    assert f'<html lang="{lang}">' in mail.html


def test_unknown_locale_falls_back_to_german() -> None:
    assert language("fr-FR") == "de"
    assert language("en-GB") == "en"
    assert "Guten Tag" in render_email("request.submitted", "fr", CONTEXT).text


class _Service(msgspec.Struct):
    notifications: dict[str, dict[str, dict[str, str]]]


def test_service_override_replaces_the_text_for_its_event_and_language() -> None:
    service = _Service(
        notifications={
            "request.transitioned": {
                "de": {"subject": "Ihr Hund $reference", "body": "Wuff, $display_name!"}
            }
        }
    )
    override = service_overrides(service, "request.transitioned", "de")
    assert override == TemplateText(subject="Ihr Hund $reference", body="Wuff, $display_name!")
    mail = render_email("request.transitioned", "de", CONTEXT, override)
    assert mail.subject == "Ihr Hund HL-2026-7K3M9QXD"
    assert mail.text.startswith("Wuff, Erika <b>M</b>!")
    assert service_overrides(service, "request.transitioned", "en") is None
    assert service_overrides(object(), "request.transitioned", "de") is None


def test_broken_override_falls_back_to_the_built_in_text() -> None:
    broken = TemplateText(subject="$unknown_placeholder", body="x")
    mail = render_email("request.transitioned", "en", CONTEXT, broken)
    assert mail.subject == "Request HL-2026-7K3M9QXD: Genehmigt"


def test_a_shipped_service_overrides_the_submitted_email_in_both_languages() -> None:
    definitions = {service.code: service for service in read_catalog().services}
    report = definitions["strassenschaden"]
    german = service_overrides(report, "request.submitted", "de")
    english = service_overrides(report, "request.submitted", "en-GB")
    assert german is not None
    assert german.subject == "Danke für Ihre Meldung $reference"
    assert english is not None
    assert "civil engineering office" in english.body
    rendered = render_email(
        "request.submitted",
        "de",
        {"reference": "HL-2026-ABCDEFGH", "display_name": "Erika", "request_url": "u"},
        override=german,
    )
    assert rendered.subject == "Danke für Ihre Meldung HL-2026-ABCDEFGH"
    # Services without their own text keep the built-in one.
    assert service_overrides(definitions["hundeanmeldung"], "request.submitted", "de") is None

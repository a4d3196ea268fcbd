"""catalog: titles for the enum values of the shipped forms (``x-enum-titles``)

Every enum of a form now needs a German and English title per value (catalog.forms). Published
definitions are immutable, so the stored versions of the shipped services get exactly the
titles their files now carry, with the digest of the file: a load after this migration finds
them unchanged. Nothing else of a definition changes; validation ignores the keyword.

Revision ID: 0011
Revises: 0010
"""

import hashlib
from collections.abc import Sequence
from typing import Any

import msgspec
import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYWORD = "x-enum-titles"
VERSION = 1  # the titles of the shipped version 1 forms, as their files say (frozen here)
TITLES: dict[str, dict[str, dict[str, dict[str, str]]]] = {
    "bewohnerparkausweis": {
        "properties/parkzone": {
            "de": {
                "A1": "Zone A1",
                "A2": "Zone A2",
                "B1": "Zone B1",
                "B2": "Zone B2",
                "C1": "Zone C1",
                "D1": "Zone D1",
            },
            "en": {
                "A1": "Zone A1",
                "A2": "Zone A2",
                "B1": "Zone B1",
                "B2": "Zone B2",
                "C1": "Zone C1",
                "D1": "Zone D1",
            },
        },
        "properties/haltereigenschaft": {
            "de": {
                "halter": "Halterin oder Halter",
                "firmenwagen": "Firmenwagen (auch privat genutzt)",
                "leasing": "Leasingfahrzeug",
                "dauerhaft_ueberlassen": "Dauerhaft überlassenes Fahrzeug",
            },
            "en": {
                "halter": "Registered keeper",
                "firmenwagen": "Company car (also used privately)",
                "leasing": "Leased vehicle",
                "dauerhaft_ueberlassen": "Vehicle provided permanently",
            },
        },
        "properties/laufzeit_monate": {
            "de": {
                "6": "6 Monate",
                "12": "12 Monate",
                "24": "24 Monate",
            },
            "en": {
                "6": "6 months",
                "12": "12 months",
                "24": "24 months",
            },
        },
    },
    "hundeanmeldung": {
        "properties/geschlecht": {
            "de": {
                "ruede": "Rüde",
                "huendin": "Hündin",
            },
            "en": {
                "ruede": "Male",
                "huendin": "Female",
            },
        },
        "properties/ermaessigung": {
            "de": {
                "keine": "Keine",
                "blindenfuehrhund": "Blindenführhund",
                "assistenzhund": "Assistenzhund",
                "rettungshund": "Geprüfter Rettungshund",
                "sozialleistung": "Ermäßigung wegen Bezugs von Sozialleistungen",
            },
            "en": {
                "keine": "None",
                "blindenfuehrhund": "Guide dog for the blind",
                "assistenzhund": "Assistance dog",
                "rettungshund": "Certified rescue dog",
                "sozialleistung": "Reduction for recipients of social benefits",
            },
        },
    },
    "meldebescheinigung": {
        "properties/art": {
            "de": {
                "einfach": "Einfache Meldebescheinigung",
                "erweitert": "Erweiterte Meldebescheinigung",
            },
            "en": {
                "einfach": "Simple certificate",
                "erweitert": "Extended certificate",
            },
        },
        "properties/zweck": {
            "de": {
                "arbeitgeber": "Für den Arbeitgeber",
                "bank": "Für eine Bank oder Sparkasse",
                "behoerde": "Für eine Behörde",
                "vermieter": "Für die Vermieterin oder den Vermieter",
                "schule_hochschule": "Für eine Schule oder Hochschule",
                "sonstiges": "Sonstiger Zweck",
            },
            "en": {
                "arbeitgeber": "For an employer",
                "bank": "For a bank",
                "behoerde": "For a public authority",
                "vermieter": "For a landlord",
                "schule_hochschule": "For a school or university",
                "sonstiges": "Other purpose",
            },
        },
        "properties/zustellung": {
            "de": {
                "post": "Per Post",
                "abholung": "Abholung im Bürgerservice",
            },
            "en": {
                "post": "By post",
                "abholung": "Collect at the citizens' office",
            },
        },
    },
    "sondernutzung": {
        "properties/art": {
            "de": {
                "geruest": "Gerüst",
                "container": "Container",
                "baustelleneinrichtung": "Baustelleneinrichtung",
                "verkaufsstand": "Verkaufsstand",
                "strassenfest": "Straßenfest",
                "aussengastronomie": "Außengastronomie",
                "sonstiges": "Sonstiges",
            },
            "en": {
                "geruest": "Scaffolding",
                "container": "Skip or container",
                "baustelleneinrichtung": "Construction site equipment",
                "verkaufsstand": "Sales stand",
                "strassenfest": "Street party",
                "aussengastronomie": "Outdoor seating of a restaurant or café",
                "sonstiges": "Other",
            },
        },
        "properties/verkehrsflaeche/items": {
            "de": {
                "gehweg": "Gehweg",
                "radweg": "Radweg",
                "fahrbahn": "Fahrbahn",
                "parkstreifen": "Parkstreifen",
                "platz": "Platz",
                "gruenflaeche": "Grünfläche",
            },
            "en": {
                "gehweg": "Pavement",
                "radweg": "Cycle path",
                "fahrbahn": "Carriageway",
                "parkstreifen": "Parking lane",
                "platz": "Square",
                "gruenflaeche": "Green space",
            },
        },
    },
    "strassenschaden": {
        "properties/kategorie": {
            "de": {
                "schlagloch": "Schlagloch",
                "fahrbahnschaden": "Fahrbahnschaden",
                "gehweg": "Gehweg beschädigt",
                "radweg": "Radweg beschädigt",
                "strassenbeleuchtung": "Straßenbeleuchtung defekt",
                "verkehrszeichen": "Verkehrszeichen beschädigt",
                "ampel": "Ampel gestört",
                "gully": "Gully verstopft oder beschädigt",
                "sonstiges": "Sonstiges",
            },
            "en": {
                "schlagloch": "Pothole",
                "fahrbahnschaden": "Damaged road surface",
                "gehweg": "Damaged pavement",
                "radweg": "Damaged cycle path",
                "strassenbeleuchtung": "Street light out of order",
                "verkehrszeichen": "Damaged traffic sign",
                "ampel": "Traffic light fault",
                "gully": "Blocked or damaged drain",
                "sonstiges": "Other",
            },
        },
    },
}


def upgrade() -> None:
    _rewrite(_add)


def downgrade() -> None:
    _rewrite(_remove)


def _add(node: dict[str, Any], titles: dict[str, dict[str, str]]) -> None:
    codes = {v if isinstance(v, str) else msgspec.json.encode(v).decode() for v in node["enum"]}
    if KEYWORD not in node and codes == set(titles["de"]) == set(titles["en"]):
        node[KEYWORD] = titles


def _remove(node: dict[str, Any], titles: dict[str, dict[str, str]]) -> None:
    if node.get(KEYWORD) == titles:
        del node[KEYWORD]


def _rewrite(change: Any) -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT code, definition FROM service_versions WHERE version = :version"),
        {"version": VERSION},
    ).all()
    for code, definition in rows:
        if code not in TITLES or not isinstance(definition.get("form"), dict):
            continue
        for path, titles in TITLES[code].items():
            node: Any = definition["form"]
            for part in path.split("/"):
                node = node.get(part) if isinstance(node, dict) else None
            if isinstance(node, dict) and isinstance(node.get("enum"), list):
                change(node, titles)
        # The digest of catalog.publishing.definition_digest, written out (migrations are frozen).
        digest = hashlib.sha256(msgspec.json.encode(definition, order="sorted")).hexdigest()
        bind.execute(
            sa.text(
                "UPDATE service_versions SET definition = CAST(:body AS json), digest = :digest "
                "WHERE code = :code AND version = :version"
            ),
            {
                "body": msgspec.json.encode(definition).decode(),
                "digest": digest,
                "code": code,
                "version": VERSION,
            },
        )

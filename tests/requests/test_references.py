"""Request references: readable, prefixed with the city's code and the year, unguessable."""

from __future__ import annotations

from datetime import UTC, datetime

from eservice.requests.references import ALPHABET, REFERENCE_RE, new_reference


def test_reference_has_prefix_year_and_eight_readable_characters() -> None:
    reference = new_reference("HL", datetime(2026, 3, 1, tzinfo=UTC))
    assert REFERENCE_RE.match(reference)
    assert reference.startswith("HL-2026-")
    assert all(ch in ALPHABET for ch in reference[-8:])
    assert not set("01OIL") & set(reference[-8:])


def test_references_do_not_repeat() -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    references = {new_reference("HL", now) for _ in range(5000)}
    assert len(references) == 5000

"""Client file names become harmless display names and exact download names."""

from __future__ import annotations

import pytest

from eservice.attachments.filenames import content_disposition, sanitise_filename


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\anna\\Fahrzeugschein.pdf", "Fahrzeugschein.pdf"),
        (".htaccess", "htaccess"),
        ("rechnung\u202efdp.exe", "rechnungfdp.exe"),
        ("a\x00b\r\nc.pdf", "abc.pdf"),
        ('scan<1>:"2"|?*.pdf', "scan_1___2____.pdf"),
        ("   ", "attachment.pdf"),
        (None, "attachment.pdf"),
        ("Straße Übersicht.pdf", "Straße Übersicht.pdf"),
    ],
)
def test_file_names_are_sanitised(raw: str | None, expected: str) -> None:
    assert sanitise_filename(raw, ".pdf") == expected


def test_long_names_are_cut_but_keep_their_extension() -> None:
    name = sanitise_filename("x" * 400 + ".pdf")
    assert len(name) == 150
    assert name.endswith(".pdf")


def test_content_disposition_has_an_ascii_fallback_and_the_exact_utf8_name() -> None:
    header = content_disposition('Bescheid "Müller".pdf')
    assert header == (
        'attachment; filename="Bescheid _Muller_.pdf"; '
        "filename*=UTF-8''Bescheid%20%22M%C3%BCller%22.pdf"
    )

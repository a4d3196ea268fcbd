"""The open-data benchmark runs end to end at a small size and finds the spatial index used."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import pytest
from bench.opendata import main


def test_open_data_bench_measures_every_query_and_uses_the_gist_index(
    admin_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "opendata.json"
    name = f"eservice_bench_od_{os.getpid()}_{secrets.token_hex(3)}"
    code = main(
        [
            "--database-url",
            admin_url,
            "--database-name",
            name,
            "--rows",
            "3000",
            "--repeat",
            "1",
            "--output",
            str(output),
        ]
    )
    assert code == 0
    result = json.loads(output.read_text(encoding="utf-8"))
    assert "ix_requests_location" in result["plan"]
    assert set(result["results"]) >= {"bbox 200 m", "bbox whole city", "statistics refresh (once)"}
    assert result["results"]["bbox whole city"]["matched"] == 1800
    assert "| bbox 2 km" in capsys.readouterr().out

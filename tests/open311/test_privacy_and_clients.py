"""Nothing personal in any public answer; an independent Open311 client reads a live server;
the anonymous-filing limit holds across two API processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from georeport import GeoReport
from litestar import Litestar

from tests.conftest import REPO
from tests.open311.helpers import BASE, Client, post_report
from tests.public.helpers import (
    SECRET_EMAIL,
    SECRET_NAME,
    SECRET_PHONE,
    file_anonymously,
    report,
    request_id_of,
)
from tests.requests.helpers import fire
from tests.support.auth import MakeApiClient, MakeStaff
from tests.support.live_server import free_port, serve_in_thread


async def test_names_emails_and_phones_appear_in_no_public_answer(
    client: Client, make_api_client: MakeApiClient, make_staff: MakeStaff, raw_connection: Any
) -> None:
    first, last = SECRET_NAME.split(" ")
    app = await make_api_client(["requests:write"])
    created = await post_report(
        client, app, first_name=first, last_name=last, email=SECRET_EMAIL, phone=SECRET_PHONE
    )
    reference = created[0]["service_request_id"]
    anonymous = await file_anonymously(
        client, contact={"email": SECRET_EMAIL, "name": SECRET_NAME, "phone": SECRET_PHONE}
    )
    clerk = await make_staff(departments=("tiefbau",))
    request_id = await request_id_of(raw_connection, reference)
    await client.post(
        f"/api/v1/requests/{request_id}/comments",
        json={"body": "Intern: Melder ist Anwohner", "visibility": "internal"},
        headers=clerk.headers,
    )
    current = (await client.get(f"/api/v1/requests/{request_id}", headers=clerk.headers)).json()
    await fire(client, clerk, current, "start_work")
    stored = await raw_connection.fetchrow(
        "SELECT name, email, phone FROM request_contacts c JOIN requests r ON r.id = c.request_id "
        "WHERE r.reference = $1",
        reference,
    )
    assert dict(stored) == {"name": SECRET_NAME, "email": SECRET_EMAIL, "phone": SECRET_PHONE}
    paths = [
        f"{BASE}/requests.json?extensions=true",
        f"{BASE}/requests.xml?extensions=true",
        f"{BASE}/requests/{reference}.json?extensions=true",
        f"{BASE}/requests/{reference}.xml",
        f"{BASE}/requests/{anonymous['reference']}.json?extensions=true",
        f"{BASE}/tokens/{anonymous['tracking_token']}.xml",
        f"/api/v1/tracking/{anonymous['tracking_token']}",
    ]
    secrets = [SECRET_EMAIL, SECRET_PHONE, first, last, "Intern: Melder", str(app.id), request_id]
    for path in paths:
        response = await client.get(path)
        assert response.status_code == 200, path
        for secret in secrets:
            assert secret not in response.text, (path, secret)
            assert secret.replace("+", "%2B") not in response.text


async def test_independent_open311_client_reads_a_live_server(
    app: Litestar, make_api_client: MakeApiClient, client: Client
) -> None:
    writer = await make_api_client(["requests:write"])
    reference = (await post_report(client, writer))[0]["service_request_id"]
    with serve_in_thread(app) as base_url:
        for fmt in ("json", "xml"):
            georeport = GeoReport(root_address=base_url + BASE, output_format=fmt)
            services = await asyncio.to_thread(georeport.get_service_list)
            codes = (
                [services["service_code"]]
                if isinstance(services, dict)
                else [s["service_code"] for s in services]
            )
            assert codes == ["strassenschaden"], fmt
            definition = await asyncio.to_thread(
                georeport.get_service_definition, "strassenschaden"
            )
            assert definition["service_code"] == "strassenschaden"
            listed = await asyncio.to_thread(
                georeport.get_service_requests, service_code="strassenschaden", status="open"
            )
            items = [listed] if isinstance(listed, dict) else list(listed)
            assert [r["service_request_id"] for r in items] == [reference], fmt
            one = await asyncio.to_thread(georeport.get_service_request, reference)
            first = one[0] if isinstance(one, list) else one
            assert first["status"] == "open"
            assert str(first["service_code"]) == "strassenschaden"


@contextlib.contextmanager
def _api_process(database_url: str, data_dir: Path, **env: str) -> Iterator[str]:
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ESERVICE_")}
    clean.update(
        ESERVICE_ENV="test",
        ESERVICE_DATA_DIR=str(data_dir),
        ESERVICE_DATABASE_URL=database_url,
        ESERVICE_LOG_LEVEL="WARNING",
        ESERVICE_ACCESS_LOG="false",
        **env,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "eservice.cli.main", "serve", "--no-prepare", "--port", str(port)],
        env=clean,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, "the API process ended"
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base_url + "/health/ready", timeout=2).status_code == 200:
                    break
            assert time.monotonic() < deadline, "the API process did not become ready"
            time.sleep(0.2)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_anonymous_limit_holds_across_two_api_processes(database_url: str, tmp_path: Path) -> None:
    limit = {"ESERVICE_PUBLIC_REPORTS_PER_WINDOW": "3"}
    with (
        _api_process(database_url, tmp_path / "a", **limit) as first,
        _api_process(database_url, tmp_path / "b", **limit) as second,
    ):
        answers = [
            httpx.post(base + "/api/v1/requests", json=report(), timeout=30).status_code
            for base in (first, second, first, second, first)
        ]
        assert answers == [201, 201, 201, 429, 429]

"""Operations endpoints: health, readiness, metrics, OpenAPI, problem details for routing errors."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient
from prometheus_client import REGISTRY

from eservice.core.migrate import head_revision

Client = AsyncTestClient[Litestar]


async def test_live_answers_ok(client: Client) -> None:
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_reports_database_at_head(client: Client) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["migration"] == head_revision()


async def test_ready_is_503_when_database_unreachable(client_with: object) -> None:
    from eservice.app import create_app
    from tests.conftest import make_settings

    settings = make_settings(__import__("pathlib").Path("/tmp"))
    app = create_app(settings, "postgresql://nobody@127.0.0.1:1/nowhere")
    labels = {
        "method": "GET",
        "path": "/health/ready",
        "status_code": "503",
        "app_name": "eservice",
    }
    errors_before = REGISTRY.get_sample_value("eservice_requests_error_total", labels) or 0.0
    async with AsyncTestClient(app=app) as c:
        response = await c.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
    # Server-side failures are counted apart, as Litestar's Prometheus plugin did.
    assert REGISTRY.get_sample_value("eservice_requests_error_total", labels) == errors_before + 1


async def test_unknown_path_is_404_problem(client: Client) -> None:
    response = await client.get("/api/v1/does-not-exist")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 404
    assert body["type"].endswith("not-found")
    assert {"type", "title", "status", "detail"} <= body.keys()


async def test_wrong_method_is_405_problem(client: Client) -> None:
    response = await client.delete("/health/live")
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 405


async def test_every_response_carries_a_request_id(client: Client) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    assert response.headers.get_list("x-request-id") == ["abc-123"]  # one, never doubled
    generated = await client.get("/health/live", headers={"X-Request-ID": "bad id\n"})
    assert generated.headers["x-request-id"] != "bad id\n"
    assert len(generated.headers["x-request-id"]) == 32


def _sample(text: str, name: str, path: str, status: int) -> float:
    """One series' value from Prometheus text (0 when absent)."""
    labels = f'app_name="eservice",method="GET",path="{path}",status_code="{status}"'
    for line in text.splitlines():
        if line.startswith(f"{name}{{{labels}}} "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_metrics_count_requests_by_route_template_and_status(client: Client) -> None:
    before = (await client.get("/metrics")).text
    await client.get("/health/live")
    await client.get("/api/v1/services/no-such-service")
    response = await client.get("/metrics")
    assert response.status_code == 200
    after = response.text
    for name, path, status in (
        ("eservice_requests_total", "/health/live", 200),
        ("eservice_request_duration_seconds_count", "/health/live", 200),
        ("eservice_requests_total", "/api/v1/services/{code}", 404),
    ):
        assert _sample(after, name, path, status) == _sample(before, name, path, status) + 1
    assert 'path="/metrics"' not in after  # the scrape itself is not measured
    assert "eservice_requests_in_progress" in after


async def test_openapi_document_is_served(client: Client) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.")
    assert "/health/ready" in doc["paths"]
    docs_page = await client.get("/schema")
    assert docs_page.status_code == 200
    assert "<html" in docs_page.text.lower()

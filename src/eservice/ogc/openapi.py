"""The OpenAPI 3.0 definition of /ogc (the oas30 conformance class): its own document,
separate from the JSON API's, with the parameters the standard names."""

from __future__ import annotations

from typing import Any

from eservice.ogc.documents import COLLECTION_ID, GEOJSON, HTML, JSON
from eservice.ogc.params import DEFAULT_LIMIT, MAX_LIMIT

_F = {
    "name": "f",
    "in": "query",
    "required": False,
    "description": "The format of the answer (json or html).",
    "schema": {"type": "string", "enum": ["json", "html"]},
}
_PROBLEM = {
    "description": "A bad parameter (RFC 9457 problem with the OGC exception's code and "
    "description).",
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/exception"}}},
}
_NOT_FOUND = {
    "description": "No such resource.",
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/exception"}}},
}


def _ok(description: str, media_type: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            media_type: {"schema": {"type": "object"}},
            HTML: {"schema": {"type": "string"}},
        },
    }


def _get(summary: str, operation_id: str, response: dict[str, Any], **extra: Any) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "operationId": operation_id,
        "tags": ["OGC API - Features"],
        "parameters": [_F, *extra.pop("parameters", [])],
        "responses": {"200": response, "400": _PROBLEM, **extra.pop("responses", {})},
    }
    return {"get": operation}


def definition(base: str) -> dict[str, Any]:
    """The OpenAPI 3.0 document of the OGC API under ``base``/ogc."""
    items = f"/collections/{COLLECTION_ID}/items"
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "eservice - OGC API - Features",
            "version": "1.0.0",
            "description": "Public reports as features (OGC API - Features - Part 1: Core).",
        },
        "servers": [{"url": f"{base}/ogc"}],
        "paths": {
            "/": _get("Landing page", "getLandingPage", _ok("the landing page", JSON)),
            "/conformance": _get(
                "Conformance classes", "getConformanceDeclaration", _ok("conformsTo", JSON)
            ),
            "/api": _get("This API definition", "getAPIDefinition", _ok("OpenAPI 3.0", JSON)),
            "/collections": _get("Feature collections", "getCollections", _ok("collections", JSON)),
            f"/collections/{COLLECTION_ID}": _get(
                "The public reports collection", "describeCollection", _ok("collection", JSON)
            ),
            items: _get(
                "Public reports (GeoJSON FeatureCollection)",
                "getFeatures",
                _ok("a page of features", GEOJSON),
                parameters=[
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "style": "form",
                        "explode": False,
                        "description": f"Features per page; above {MAX_LIMIT} the maximum is "
                        "served.",
                        "schema": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": MAX_LIMIT,
                            "default": DEFAULT_LIMIT,
                        },
                    },
                    {
                        "name": "bbox",
                        "in": "query",
                        "required": False,
                        "style": "form",
                        "explode": False,
                        "description": "west,south,east,north in CRS84 (longitude, latitude).",
                        "schema": {
                            "type": "array",
                            "minItems": 4,
                            "maxItems": 6,
                            "items": {"type": "number"},
                        },
                    },
                    {
                        "name": "datetime",
                        "in": "query",
                        "required": False,
                        "style": "form",
                        "explode": False,
                        "description": "Filing time: an RFC 3339 instant or an interval "
                        "start/end, '..' for an open end.",
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "service",
                        "in": "query",
                        "required": False,
                        "description": "Only features of this service (code).",
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "status",
                        "in": "query",
                        "required": False,
                        "description": "Only open or only closed reports (Open311 status).",
                        "schema": {"type": "string", "enum": ["open", "closed"]},
                    },
                    {
                        "name": "cursor",
                        "in": "query",
                        "required": False,
                        "description": "Opaque position from a next or prev link.",
                        "schema": {"type": "string"},
                    },
                ],
            ),
            f"{items}/{{featureId}}": _get(
                "One public report (GeoJSON Feature)",
                "getFeature",
                _ok("a feature", GEOJSON),
                parameters=[
                    {
                        "name": "featureId",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                responses={"404": _NOT_FOUND},
            ),
        },
        "components": {
            "schemas": {
                "exception": {
                    "type": "object",
                    "required": ["code"],
                    "properties": {
                        "code": {"type": "string"},
                        "description": {"type": "string"},
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                    },
                }
            }
        },
    }

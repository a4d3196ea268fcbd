"""OpenAPI descriptions of the OAuth endpoints, whose form bodies are read by hand."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi.spec import (
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Reference,
    RequestBody,
    Schema,
)
from litestar.openapi.spec.enums import OpenAPIType

from eservice.identity.oauth_http import FORM_TYPE


def _text(description: str, enum: list[str] | None = None) -> Schema:
    return Schema(type=OpenAPIType.STRING, description=description, enum=enum)


def _form_body(properties: dict[str, Schema | Reference], required: list[str]) -> RequestBody:
    schema = Schema(type=OpenAPIType.OBJECT, properties=properties, required=required)
    return RequestBody(required=True, content={FORM_TYPE: OpenAPIMediaType(schema=schema)})


_OAUTH_ERROR = OpenAPIResponse(
    description="RFC 6749 §5.2 error (`error`, `error_description`)",
    content={
        "application/json": OpenAPIMediaType(
            schema=Schema(
                type=OpenAPIType.OBJECT,
                required=["error"],
                properties={
                    "error": _text("invalid_request, invalid_grant, invalid_client, ..."),
                    "error_description": _text("what went wrong"),
                },
            )
        )
    },
)


@dataclass
class TokenOperation(Operation):
    """``POST /api/v1/auth/token``: the three grants of RFC 6749 as one url-encoded form."""

    def __post_init__(self) -> None:
        grants = ["password", "refresh_token", "client_credentials"]
        self.request_body = _form_body(
            {
                "grant_type": _text("the grant", grants),
                "username": _text("email (grant_type=password)"),
                "password": _text("password (grant_type=password)"),
                "refresh_token": _text("refresh token (grant_type=refresh_token)"),
                "client_id": _text("client id (grant_type=client_credentials)"),
                "client_secret": _text("client secret (grant_type=client_credentials)"),
                "scope": _text("space-separated scopes (optional)"),
            },
            ["grant_type"],
        )
        if self.responses is not None:
            self.responses["400"] = _OAUTH_ERROR
            self.responses["401"] = _OAUTH_ERROR


@dataclass
class RevokeOperation(Operation):
    """``POST /api/v1/auth/revoke``: RFC 7009 with the refresh token in a url-encoded form."""

    def __post_init__(self) -> None:
        self.request_body = _form_body(
            {
                "token": _text("the refresh token to revoke"),
                "token_type_hint": _text("optional", ["refresh_token"]),
            },
            ["token"],
        )

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

from eservice.identity.grants import MAX_FIELD_LENGTH
from eservice.identity.oauth_http import FORM_TYPE


def _text(description: str, enum: list[str] | None = None) -> Schema:
    return Schema(type=OpenAPIType.STRING, description=description, enum=enum)


def _field(description: str) -> Schema:
    """A form field as ``read_token_form`` takes it: one non-empty value, at most 2048 chars."""
    return Schema(
        type=OpenAPIType.STRING,
        description=description,
        min_length=1,
        max_length=MAX_FIELD_LENGTH,
    )


def _form(properties: dict[str, Schema | Reference], required: list[str]) -> Schema:
    # Repeated or extra fields are refused (400 invalid_request), so the form is closed.
    return Schema(
        type=OpenAPIType.OBJECT,
        properties=properties,
        required=required,
        additional_properties=False,
    )


def _form_body(schema: Schema) -> RequestBody:
    return RequestBody(required=True, content={FORM_TYPE: OpenAPIMediaType(schema=schema)})


def _grant(name: str, fields: dict[str, str]) -> Schema:
    """One grant of the token endpoint: its ``grant_type`` and the fields it needs."""
    properties: dict[str, Schema | Reference] = {
        "grant_type": Schema(type=OpenAPIType.STRING, const=name, description="the grant"),
        **{field: _field(description) for field, description in fields.items()},
        "scope": _field("space-separated scopes (optional)"),
    }
    return _form(properties, ["grant_type", *fields])


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
        self.request_body = _form_body(
            Schema(
                one_of=[
                    _grant("password", {"username": "email", "password": "password"}),
                    _grant("refresh_token", {"refresh_token": "the refresh token"}),
                    _grant(
                        "client_credentials",
                        {
                            "client_id": "client id (or HTTP Basic authentication)",
                            "client_secret": "client secret (or HTTP Basic authentication)",
                        },
                    ),
                ],
                description=(
                    "Wrong credentials answer 400 `invalid_grant` (password, refresh token) or "
                    "401 `invalid_client`; a scope beyond the client's answers 400 "
                    "`invalid_scope` (RFC 6749 §5.2)."
                ),
            )
        )
        if self.responses is not None:
            self.responses["400"] = _OAUTH_ERROR
            self.responses["401"] = _OAUTH_ERROR


@dataclass
class RevokeOperation(Operation):
    """``POST /api/v1/auth/revoke``: RFC 7009 with the refresh token in a url-encoded form."""

    def __post_init__(self) -> None:
        self.request_body = _form_body(
            _form(
                {
                    "token": Schema(
                        type=OpenAPIType.STRING,
                        max_length=MAX_FIELD_LENGTH,
                        description="the refresh token to revoke (unknown ones are ignored)",
                    ),
                    "token_type_hint": _text("optional", ["refresh_token"]),
                },
                ["token"],
            )
        )

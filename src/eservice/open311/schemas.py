"""The GeoReport v2 documents, in the standard's names and field order."""

from __future__ import annotations

import msgspec

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"


class Endpoint(msgspec.Struct, kw_only=True):
    specification: str
    url: str
    changeset: str
    type: str
    formats: list[str]


class Discovery(msgspec.Struct, kw_only=True):
    changeset: str
    contact: str
    key_service: str
    endpoints: list[Endpoint]


class Service(msgspec.Struct, kw_only=True):
    service_code: str
    service_name: str
    description: str | None
    metadata: bool
    type: str
    keywords: str | None
    group: str | None


class AttributeValue(msgspec.Struct, kw_only=True):
    key: str
    name: str


class Attribute(msgspec.Struct, kw_only=True):
    variable: bool
    code: str
    datatype: str
    required: bool
    datatype_description: str | None
    order: int
    description: str
    values: list[AttributeValue] | msgspec.UnsetType = msgspec.UNSET


class ServiceDefinition(msgspec.Struct, kw_only=True):
    service_code: str
    attributes: list[Attribute]


class CreatedRequest(msgspec.Struct, kw_only=True):
    service_request_id: str
    service_notice: str | None
    account_id: str | None


class TokenAnswer(msgspec.Struct, kw_only=True):
    service_request_id: str
    token: str


class Note(msgspec.Struct, kw_only=True):
    """Extension (``extensions=true``): one status change or public reply."""

    datetime: str
    description: str


class ServiceRequest(msgspec.Struct, kw_only=True):
    service_request_id: str
    status: str
    status_notes: str | None
    service_name: str | None
    service_code: str
    description: str | None
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: str
    updated_datetime: str | None
    expected_datetime: str | None
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None
    notes: list[Note] | msgspec.UnsetType = msgspec.UNSET


class Error(msgspec.Struct, kw_only=True):
    code: int
    description: str

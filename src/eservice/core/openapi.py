"""The OpenAPI document tells the truth: bodies as msgspec decodes them, errors as problems."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Protocol

import msgspec
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Reference, Schema
from litestar.plugins import OpenAPISchemaPlugin
from litestar.routes import HTTPRoute
from litestar.typing import FieldDefinition

from eservice.core.errors import FieldError
from eservice.core.problems import PROBLEM_JSON


class SchemaCreator(Protocol):
    """What a schema plugin uses of the schema creator Litestar hands it."""

    def create_component_schema(
        self,
        type_: FieldDefinition,
        /,
        required: list[str],
        property_fields: Mapping[str, FieldDefinition],
    ) -> Schema: ...

    def for_field_definition(self, field_definition: FieldDefinition) -> Schema | Reference: ...


class ProblemOut(msgspec.Struct, kw_only=True):
    """An RFC 9457 problem; ``errors`` only for validation failures."""

    type: str
    title: str
    status: int
    detail: str
    request_id: str | msgspec.UnsetType = msgspec.UNSET
    errors: list[FieldError] | msgspec.UnsetType = msgspec.UNSET


def _problem(description: str) -> ResponseSpec:
    return ResponseSpec(
        ProblemOut, media_type=PROBLEM_JSON, description=description, generate_examples=False
    )


BAD_REQUEST = _problem("invalid parameters (problem+json; `errors[].pointer` names each one)")
INVALID_BODY = _problem("invalid body (problem+json; `errors[].pointer` is a JSON pointer)")


def document_problem_responses(app: Litestar) -> None:
    """Replace Litestar's default 400 description by the problem body, on every handler.

    Litestar documents its own validation error shape for 400 and offers no app-wide
    override, so each registered handler gets ``responses`` entries it did not set itself.
    """
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not isinstance(handler, HTTPRouteHandler) or not handler.resolve_include_in_schema():
                continue
            added = {400: BAD_REQUEST}
            if "data" in handler.parsed_fn_signature.parameters:
                added[422] = INVALID_BODY
            handler.responses = {**added, **(handler.responses or {})}


# JSON Schema keywords as msgspec writes them -> the attribute of Litestar's ``Schema`` that
# carries them (an alias where Litestar has one, else the camelCase it renders).
def _keyword(field: dataclasses.Field[Any]) -> str:
    alias = field.metadata.get("alias")
    if isinstance(alias, str):
        return alias
    head, *rest = field.name.split("_")
    return head + "".join(part.title() for part in rest)


_SCHEMA_ATTRIBUTES = {_keyword(field): field.name for field in dataclasses.fields(Schema)}
_SUBSCHEMA_LISTS = {"anyOf", "oneOf", "allOf", "prefixItems"}
_SUBSCHEMA_MAPS = {"properties", "patternProperties"}
_SUBSCHEMAS = {
    "items",
    "not",
    "additionalProperties",
    "contains",
    "propertyNames",
    "if",
    "then",
    "else",
}


def _structs_in(struct: type[msgspec.Struct]) -> dict[str, type[msgspec.Struct]]:
    """Every Struct a body type contains, by the name msgspec gives its schema."""
    found: dict[str, type[msgspec.Struct]] = {}
    pending: list[msgspec.inspect.Type] = [msgspec.inspect.type_info(struct)]
    while pending:
        info = pending.pop()
        if isinstance(info, msgspec.inspect.StructType):
            if info.cls.__name__ in found:
                continue
            found[info.cls.__name__] = info.cls
            pending.extend(field.type for field in info.fields)
        elif isinstance(info, msgspec.inspect.Metadata):
            pending.append(info.type)
        elif isinstance(info, msgspec.inspect.UnionType):
            pending.extend(info.types)
        elif isinstance(info, msgspec.inspect.CollectionType | msgspec.inspect.DictType):
            pending.append(info.item_type if hasattr(info, "item_type") else info.value_type)
    return found


class InputStructSchemas(OpenAPISchemaPlugin):
    """Request bodies documented by msgspec's own JSON Schema of the Struct that decodes them.

    Litestar's built-in Struct schemas drop what msgspec enforces on decoding: unknown fields
    (``forbid_unknown_fields``), constraints on list items and dict sizes, ``extra_json_schema``
    (the rules a service checks by hand, described where the field is declared). An input Struct
    (one that forbids unknown fields) is therefore described by msgspec, from the very
    declaration that validates the body, and registered as a component through the
    ``schema_creator`` Litestar hands to schema plugins.
    """

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return (
            not field_definition.is_union
            and field_definition.is_subclass_of(msgspec.Struct)
            and bool(field_definition.type_.__struct_config__.forbid_unknown_fields)
        )

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        struct = field_definition.type_
        (ref,), definitions = msgspec.json.schema_components([struct], ref_template="{name}")
        described: dict[str, Any] = definitions[ref["$ref"]]
        schema = schema_creator.create_component_schema(
            field_definition, required=list(described.get("required", [])), property_fields={}
        )
        nested = _structs_in(struct)
        converted = self._convert(described, nested, schema_creator)
        for name in ("properties", "additional_properties", "description", "title"):
            setattr(schema, name, getattr(converted, name))
        return schema

    def _convert(
        self,
        described: dict[str, Any],
        nested: dict[str, type[msgspec.Struct]],
        schema_creator: SchemaCreator,
    ) -> Schema | Reference:
        if "$ref" in described:
            # A nested Struct: its own component, made (once) through this plugin again.
            target = FieldDefinition.from_annotation(nested[described["$ref"]])
            reference = schema_creator.for_field_definition(target)
            assert isinstance(reference, Reference)
            return reference
        values = {
            _SCHEMA_ATTRIBUTES[keyword]: self._convert_value(keyword, value, nested, schema_creator)
            for keyword, value in described.items()
        }
        return Schema(**values)

    def _convert_value(
        self,
        keyword: str,
        value: Any,
        nested: dict[str, type[msgspec.Struct]],
        schema_creator: SchemaCreator,
    ) -> Any:
        if keyword in _SUBSCHEMA_LISTS:
            return [self._convert(item, nested, schema_creator) for item in value]
        if keyword in _SUBSCHEMA_MAPS:
            return {k: self._convert(v, nested, schema_creator) for k, v in value.items()}
        if keyword in _SUBSCHEMAS and isinstance(value, dict):
            return self._convert(value, nested, schema_creator)
        return value

"""The OpenAPI document tells the truth: bodies as msgspec decodes them, errors as problems."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any, Protocol

import msgspec
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Operation, Parameter, Reference, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.plugins import OpenAPISchemaPlugin
from litestar.routes import HTTPRoute
from litestar.typing import FieldDefinition

from eservice.core.errors import FieldError
from eservice.core.problems import PROBLEM_JSON

NULL = OpenAPIType.NULL
NO_NUL_PATTERN = r"^[^\u0000]*$"


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


def _documented_handlers(app: Litestar) -> Iterator[HTTPRouteHandler]:
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if isinstance(handler, HTTPRouteHandler) and handler.resolve_include_in_schema():
                yield handler


def document_problem_responses(app: Litestar) -> None:
    """Replace Litestar's default 400 description by the problem body, on every handler.

    Litestar documents its own validation error shape for 400 and offers no app-wide
    override, so each registered handler gets ``responses`` entries it did not set itself.
    """
    for handler in _documented_handlers(app):
        added = {400: BAD_REQUEST}
        if "data" in handler.parsed_fn_signature.parameters:
            added[422] = INVALID_BODY
        handler.responses = {**added, **(handler.responses or {})}


def _never_null(schema: Schema) -> Schema:
    """The schema of an optional parameter without its ``null``: absent is how HTTP omits one."""
    if schema.one_of:
        kept = [s for s in schema.one_of if not (isinstance(s, Schema) and s.type == NULL)]
        if len(kept) == 1 and isinstance(kept[0], Schema):
            outer = {
                field.name: getattr(schema, field.name)
                for field in dataclasses.fields(Schema)
                if field.name != "one_of" and getattr(schema, field.name) is not None
            }
            return dataclasses.replace(kept[0], **outer)
    if isinstance(schema.type, list | tuple) and NULL in schema.type:
        types = [t for t in schema.type if t != NULL]
        enum = None if schema.enum is None else [v for v in schema.enum if v is not None]
        return dataclasses.replace(schema, type=types[0] if len(types) == 1 else types, enum=enum)
    return schema


_AS_SENT: dict[type[Operation], type[Operation]] = {}


def _parameters_as_sent(operation_class: type[Operation]) -> type[Operation]:
    """``operation_class``, documenting its parameters without ``null`` (made once per class)."""
    if operation_class in _AS_SENT.values():  # handlers are shared by every app built
        return operation_class
    if operation_class not in _AS_SENT:
        base_post_init = getattr(operation_class, "__post_init__", None)

        def __post_init__(self: Operation) -> None:
            if base_post_init is not None:
                base_post_init(self)
            for parameter in self.parameters or []:
                if isinstance(parameter, Parameter) and isinstance(parameter.schema, Schema):
                    parameter.schema = _never_null(parameter.schema)

        subclass = type(
            operation_class.__name__, (operation_class,), {"__post_init__": __post_init__}
        )
        _AS_SENT[operation_class] = dataclasses.dataclass(subclass)
    return _AS_SENT[operation_class]


def document_parameters_as_sent(app: Litestar) -> None:
    """Optional query and header parameters are documented as strings, never as ``null``.

    Litestar writes ``str | None`` as ``oneOf: [string, null]``, and a client generator or a
    fuzzer then sends the text ``null``, which a pattern or an enum rightly refuses. Each
    handler's ``operation_class`` (Litestar's hook for adjusting an operation's document)
    is extended to drop that ``null``.
    """
    for handler in _documented_handlers(app):
        handler.operation_class = _parameters_as_sent(handler.operation_class)


# JSON Schema keywords as msgspec writes them -> the attribute of Litestar's ``Schema`` that
# carries them (an alias where Litestar has one, else the camelCase it renders).
def _keyword(field: dataclasses.Field[Any]) -> str:
    alias = field.metadata.get("alias")
    if isinstance(alias, str):
        return alias
    head, *rest = field.name.split("_")
    return head + "".join(part.title() for part in rest)


_SHAPED = {"pattern", "enum", "const", "format"}
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
    ``schema_creator`` Litestar hands to schema plugins. A Struct may add a rule across its
    fields as a ``json_schema_extra`` class variable (``if``/``then``), next to the fields.
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
        # A rule across fields, which msgspec cannot derive from the fields (``if``/``then``).
        described = {**described, **getattr(struct, "json_schema_extra", {})}
        nested = _structs_in(struct)
        converted = self._convert(described, nested, schema_creator)
        for name in ("properties", "additional_properties", "description", "title"):
            setattr(schema, name, getattr(converted, name))
        for name in ("schema_if", "then", "schema_else"):
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
        if described.get("type") == "string" and not _SHAPED.intersection(described):
            # PostgreSQL stores no NUL character: such text is refused (422, core/bounds.py).
            values["pattern"] = NO_NUL_PATTERN
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

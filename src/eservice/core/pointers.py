"""JSON pointers (RFC 6901) and where msgspec says a validation error is: the one place that
escapes a pointer token and reads msgspec's error messages."""

from __future__ import annotations

import re
from collections.abc import Iterable

from eservice.core.errors import FieldError

# msgspec ends a validation message with its location: `` - at `$.data.items[2]` ``; a key
# of a dict it does not name (``[...]``), so the pointer stops at the dict.
_PATH_RE = re.compile(r" - at `\$((?:\.[^.`\[]+|\[\d+\]|\[\.\.\.\])*)`")
_PATH_PART_RE = re.compile(r"\.([^.`\[]+)|\[(\d+)\]")
# Errors about one field of an object: the pointer names the field, not the object.
_FIELD_OF_OBJECT_RE = re.compile(r"^Object (?:contains unknown|missing required) field `([^`]*)`")


def escape(token: str | int) -> str:
    """One reference token: ``~`` becomes ``~0`` and ``/`` becomes ``~1``."""
    return str(token).replace("~", "~0").replace("/", "~1")


def json_pointer(parts: Iterable[str | int], prefix: str = "") -> str:
    """The pointer to ``parts`` (object keys and array indexes) below ``prefix``."""
    return prefix + "".join("/" + escape(part) for part in parts)


def msgspec_path_to_pointer(path: str) -> str:
    """msgspec's ``$.data.items[2]`` location (without the ``$``) as ``/data/items/2``."""
    known = path.split("[...]", 1)[0]
    return json_pointer(name or index for name, index in _PATH_PART_RE.findall(known))


def msgspec_error(message: str, prefix: str = "") -> FieldError:
    """A msgspec validation message as a pointer (below ``prefix``) and the message without
    its location. An unknown or missing field is pointed at itself, not at its object."""
    match = _PATH_RE.search(message)
    pointer = msgspec_path_to_pointer(match.group(1)) if match else ""
    text = _PATH_RE.sub("", message)
    field = _FIELD_OF_OBJECT_RE.match(text)
    if field:
        pointer += "/" + escape(field.group(1))
    return FieldError(pointer=prefix + pointer, message=text)

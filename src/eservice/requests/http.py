"""HTTP details of the requests API: header and query parameters, ETags."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from litestar.openapi.spec import Operation, Parameter
from litestar.params import HeaderParameter

# The ETag of a request is its version in quotes; ``W/`` and missing quotes are forgiven.
# ``*`` is well-formed too, but never names a version: a compare-and-set needs one (412).
ETAG_PATTERN = r'^(?:\*|(?:W/)?"?([0-9]{1,9})"?)$'
IfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        max_length=100,
        pattern=ETAG_PATTERN,
        required=False,
        description=(
            'The ETag of the version you read, e.g. "3". Required by this operation: without '
            "it the answer is 428, with another version than the current one (or *) 412."
        ),
    ),
]


@dataclass
class IfMatchRequired(Operation):
    """An operation that needs ``If-Match``: the document marks the header required.

    The declaration itself stays optional, because a missing ``If-Match`` is answered 428
    Precondition Required (RFC 6585) by the service, not 400 by Litestar's parameter check.
    """

    def __post_init__(self) -> None:
        for parameter in self.parameters or []:
            if isinstance(parameter, Parameter) and parameter.name == "If-Match":
                parameter.required = True


_ETAG_RE = re.compile(ETAG_PATTERN)


def etag(version: int) -> str:
    return f'"{version}"'


def parse_if_match(value: str | None) -> int | None:
    """The version named by ``If-Match`` (None when absent; -1, never current, when garbled)."""
    if value is None:
        return None
    match = _ETAG_RE.match(value)
    return int(match.group(1)) if match and match.group(1) else -1

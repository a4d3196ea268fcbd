"""Bounds on free-form JSON before it reaches PostgreSQL, and the net for what slips past.

PostgreSQL refuses NUL characters in ``text`` and ``jsonb`` values; deep or sprawling JSON costs
memory and time in every later reader. ``storable_errors`` finds both in caller-supplied JSON so
the service can answer 422 with pointers; ``problem_for_unstorable`` turns the few errors that can
still come from hostile input (too deep to decode, not UTF-8, NUL reaching the database) into a
4xx instead of a 500.
"""

from __future__ import annotations

import traceback
from typing import Any

from eservice.core.errors import BadRequest, DomainError, FieldError, ValidationFailed
from eservice.core.pointers import json_pointer

MAX_DEPTH = 16
MAX_NODES = 5_000
MAX_STRING = 20_000
NUL = "\x00"
# SQLSTATEs PostgreSQL raises for text it cannot store: character_not_in_repertoire
# (a NUL byte in text) and untranslatable_character (``\u0000`` in jsonb).
_UNSTORABLE_SQLSTATES = frozenset({"22021", "22P05"})


def storable_errors(value: Any, pointer: str = "") -> list[FieldError]:
    """Problems that keep ``value`` from being stored: NUL characters, depth, size, length."""
    errors: list[FieldError] = []
    budget = [MAX_NODES]
    _walk(value, pointer, 0, errors, budget)
    return errors


def _walk(
    value: Any, pointer: str, depth: int, errors: list[FieldError], budget: list[int]
) -> None:
    budget[0] -= 1
    if budget[0] == -1:
        errors.append(FieldError(pointer=pointer, message=f"more than {MAX_NODES} values"))
    if budget[0] < 0 or len(errors) >= 20:
        return
    if depth > MAX_DEPTH:
        errors.append(FieldError(pointer=pointer, message=f"nested deeper than {MAX_DEPTH}"))
        return
    if isinstance(value, str):
        if NUL in value:
            errors.append(FieldError(pointer=pointer, message="must not contain NUL characters"))
        if len(value) > MAX_STRING:
            errors.append(FieldError(pointer=pointer, message=f"longer than {MAX_STRING}"))
    elif isinstance(value, dict):
        for key, item in value.items():
            where = json_pointer([str(key)], pointer)
            if NUL in str(key):
                errors.append(
                    FieldError(pointer=where, message="key must not contain NUL characters")
                )
            _walk(item, where, depth + 1, errors, budget)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, json_pointer([index], pointer), depth + 1, errors, budget)


def check_storable(value: Any, pointer: str = "") -> None:
    """Raise 422 when ``value`` cannot or should not be stored (see ``storable_errors``)."""
    errors = storable_errors(value, pointer)
    if errors:
        raise ValidationFailed(
            "The request body is not valid: "
            + "; ".join(f"{e.pointer or '/'}: {e.message}" for e in errors),
            errors=errors,
        )


def problem_for_unstorable(exc: BaseException) -> DomainError | None:
    """The 4xx for an error caused by hostile input, or None when it is a real fault."""
    if isinstance(exc, RecursionError):
        return BadRequest("The body is nested too deeply.")
    if isinstance(exc, UnicodeDecodeError):
        return BadRequest("The body is not valid UTF-8.")
    cause: BaseException | None = exc
    for _ in range(4):
        if cause is None:
            break
        if getattr(cause, "sqlstate", None) in _UNSTORABLE_SQLSTATES:
            return ValidationFailed("Text must not contain NUL characters.")
        cause = getattr(cause, "orig", None) or cause.__cause__
    return None


__all__ = [
    "MAX_DEPTH",
    "MAX_NODES",
    "MAX_STRING",
    "check_storable",
    "loggable_error",
    "problem_for_unstorable",
    "storable_errors",
]


def loggable_error(exc: BaseException) -> tuple[BaseException | None, dict[str, object]]:
    """``exc_info`` and extra fields to log an unexpected error without the personal data its
    message may carry.

    PostgreSQL echoes offending values in its messages (``Key (email)=(...) already exists``,
    ``invalid input syntax for type uuid: "..."``); for database errors only the type, the
    SQLSTATE and the traceback's frames are kept. Other errors are logged in full.
    """
    sqlstate = None
    cause: BaseException | None = exc
    for _ in range(4):
        if cause is None or sqlstate is not None:
            break
        sqlstate = getattr(cause, "sqlstate", None)
        cause = getattr(cause, "orig", None) or cause.__cause__
    if sqlstate is None and type(exc).__module__.split(".")[0] not in ("sqlalchemy", "asyncpg"):
        return exc, {}
    frames = "".join(traceback.format_tb(exc.__traceback__))
    return None, {"error": type(exc).__name__, "sqlstate": sqlstate, "traceback": frames}

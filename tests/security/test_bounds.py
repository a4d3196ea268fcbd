"""The bounds on free-form JSON checked before anything reaches PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from eservice.core.bounds import MAX_DEPTH, MAX_NODES, MAX_STRING, check_storable, storable_errors
from eservice.core.errors import ValidationFailed


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = {"a": value}
    return value


def test_ordinary_form_data_passes() -> None:
    data = {"name": "Erika", "tags": ["a", "b"], "address": {"street": "Breite Straße 62"}}
    assert storable_errors(data, "/data") == []
    check_storable(data, "/data")


def test_nesting_up_to_the_limit_passes_and_one_deeper_is_refused() -> None:
    assert storable_errors(_nested(MAX_DEPTH)) == []
    errors = storable_errors(_nested(MAX_DEPTH + 1), "/data")
    assert [e.pointer for e in errors] == ["/data" + "/a" * (MAX_DEPTH + 1)]
    assert "nested deeper" in errors[0].message


def test_nul_characters_in_values_and_keys_are_located() -> None:
    errors = storable_errors({"ok": "fine", "bad": ["x", "a\x00b"], "k\x00/~": 1}, "/data")
    assert [e.pointer for e in errors] == ["/data/bad/1", "/data/k\x00~1~0"]


def test_too_many_values_and_too_long_strings_are_refused() -> None:
    assert storable_errors(list(range(MAX_NODES - 1))) == []
    assert "more than" in storable_errors(list(range(MAX_NODES)))[0].message
    assert storable_errors("x" * MAX_STRING) == []
    assert storable_errors("x" * (MAX_STRING + 1))[0].message == f"longer than {MAX_STRING}"


def test_check_storable_raises_a_422_with_pointers() -> None:
    with pytest.raises(ValidationFailed) as raised:
        check_storable({"x": "\x00"}, "/data")
    assert raised.value.status == 422
    assert [e.pointer for e in raised.value.errors] == ["/data/x"]

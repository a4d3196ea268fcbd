"""The one JSON-pointer helper and the one reader of msgspec's error messages."""

from __future__ import annotations

import msgspec

from eservice.core.pointers import escape, json_pointer, msgspec_error


class Inner(msgspec.Struct, forbid_unknown_fields=True):
    n: int


class Outer(msgspec.Struct, forbid_unknown_fields=True):
    items: list[Inner]
    names: dict[str, Inner]


def _error_of(raw: object) -> str:
    try:
        msgspec.convert(raw, Outer)
    except msgspec.ValidationError as exc:
        return str(exc)
    raise AssertionError("no error")


def test_tokens_are_escaped_tilde_first() -> None:
    assert escape("a/b~c") == "a~1b~0c"
    assert escape("~1") == "~01"
    assert escape(3) == "3"
    assert json_pointer(["data", "a/b", 0]) == "/data/a~1b/0"
    assert json_pointer([], "/data") == "/data"


def test_msgspec_locations_become_pointers() -> None:
    error = msgspec_error(_error_of({"items": [{"n": 1}, {"n": "x"}], "names": {}}))
    assert error.pointer == "/items/1/n"
    assert error.message == "Expected `int`, got `str`"


def test_unknown_and_missing_fields_point_at_the_field() -> None:
    unknown = msgspec_error(_error_of({"items": [{"n": 1, "extra": 2}], "names": {}}))
    assert unknown.pointer == "/items/0/extra"
    missing = msgspec_error(_error_of({"items": [{}], "names": {}}))
    assert missing.pointer == "/items/0/n"


def test_a_prefix_and_a_message_without_location() -> None:
    assert msgspec_error("Expected `int`, got `str`", "/data").pointer == "/data"
    # msgspec does not say which key of a dict: the pointer names the dict.
    in_dict = msgspec_error(_error_of({"items": [], "names": {"k": {"n": None}}}), "/x")
    assert (in_dict.pointer, in_dict.message) == ("/x/names", "Expected `int`, got `null`")

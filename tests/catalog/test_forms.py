"""Form validation against a published service: RFC 9457 field errors with pointers into data."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from eservice.catalog.service import (
    get_published_service,
    list_current_services,
    validate_form_data,
)
from eservice.core.errors import FieldError


async def test_every_shipped_example_is_valid_data(rollback_session: AsyncSession) -> None:
    services = await list_current_services(rollback_session, after=None, limit=100)
    assert len(services) == 5
    for service in services:
        for example in service.definition.form["examples"]:
            assert validate_form_data(service, example) == [], service.code


async def test_missing_fields_point_at_the_field(rollback_session: AsyncSession) -> None:
    service = await get_published_service(rollback_session, "meldebescheinigung")
    example = dict(service.definition.form["examples"][0])
    del example["zustellung"]
    assert validate_form_data(service, example) == [FieldError("/data/zustellung", "is required")]


async def test_patterns_enums_and_dates_are_enforced(rollback_session: AsyncSession) -> None:
    service = await get_published_service(rollback_session, "hundeanmeldung")
    data = dict(service.definition.form["examples"][0])
    data.update(chipnummer="27609810654321", geschlecht="kater", wurfdatum="2024-02-30", plz="2355")
    pointers = sorted(e.pointer for e in validate_form_data(service, data))
    assert pointers == ["/data/chipnummer", "/data/geschlecht", "/data/plz", "/data/wurfdatum"]


async def test_licence_plates_are_checked(rollback_session: AsyncSession) -> None:
    service = await get_published_service(rollback_session, "bewohnerparkausweis")
    data = dict(service.definition.form["examples"][0])
    for plate, valid in [
        ("HL-AB 123", True),
        ("OD-X 9999E", True),
        ("HL AB 123", False),
        ("hl-ab 1", False),
        ("HL-AB 0", False),
    ]:
        data["kennzeichen"] = plate
        errors = validate_form_data(service, data)
        assert (errors == []) is valid, plate
        if not valid:
            assert [e.pointer for e in errors] == ["/data/kennzeichen"]


async def test_unknown_fields_and_non_objects_are_refused(rollback_session: AsyncSession) -> None:
    service = await get_published_service(rollback_session, "strassenschaden")
    data = {**service.definition.form["examples"][0], "state": "fixed"}
    assert validate_form_data(service, data) == [
        FieldError("/data/state", "is not a field of this form")
    ]
    errors = validate_form_data(service, ["not", "an", "object"])
    assert [e.pointer for e in errors] == ["/data"]


async def test_nested_errors_point_into_arrays(rollback_session: AsyncSession) -> None:
    service = await get_published_service(rollback_session, "sondernutzung")
    data = {**service.definition.form["examples"][0], "verkehrsflaeche": ["gehweg", "dach"]}
    assert [e.pointer for e in validate_form_data(service, data)] == ["/data/verkehrsflaeche/1"]

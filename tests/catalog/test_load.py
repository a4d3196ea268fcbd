"""Publishing: one transaction, immutable versions, new versions become current, old ones stay."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.catalog.files import CatalogInvalid
from eservice.catalog.publishing import PublishedVersionChanged, load_catalog
from eservice.catalog.service import get_published_service, list_current_services
from eservice.cli.main import main
from eservice.core.errors import NotFound
from tests.catalog.conftest import CatalogCopy
from tests.conftest import REPO

PARKING = "services/bewohnerparkausweis.v1.toml"


async def count(session: AsyncSession, table: str) -> int:
    return int((await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


def add_version_2(copy: CatalogCopy) -> None:
    """A second version of the parking permit with a higher fee and its own form file."""
    text_v1 = copy.read(PARKING)
    copy.write(
        "services/bewohnerparkausweis.v2.toml",
        text_v1.replace("version = 1", "version = 2", 1)
        .replace("amount_cents = 3060", "amount_cents = 4000")
        .replace("bewohnerparkausweis.v1.form.json", "bewohnerparkausweis.v2.form.json"),
    )
    copy.write(
        "services/bewohnerparkausweis.v2.form.json",
        copy.read("services/bewohnerparkausweis.v1.form.json"),
    )


async def test_loading_the_published_catalogue_again_changes_nothing(
    rollback_session: AsyncSession,
) -> None:
    before = await count(rollback_session, "service_versions")
    report = await load_catalog(rollback_session, REPO)
    assert report.published == []
    assert "service bewohnerparkausweis v1" in report.unchanged
    assert "workflow permit v1" in report.unchanged
    assert await count(rollback_session, "service_versions") == before == 6
    assert await count(rollback_session, "workflow_versions") == 5
    assert await count(rollback_session, "departments") == 4


async def test_changed_content_under_a_published_version_is_refused_naming_code_and_version(
    rollback_session: AsyncSession, catalog_copy: CatalogCopy
) -> None:
    catalog_copy.replace(PARKING, "amount_cents = 3060", "amount_cents = 9999")
    add_version_2(catalog_copy)  # a legitimate new version in the same load is not written either
    with pytest.raises(PublishedVersionChanged) as refused:
        await load_catalog(rollback_session, catalog_copy.root)
    assert refused.value.changed == [
        "service 'bewohnerparkausweis' version 1 differs from the published one"
    ]
    assert "immutable" in refused.value.detail
    assert await count(rollback_session, "service_versions") == 6


async def test_reformatted_files_with_the_same_content_are_not_a_change(
    rollback_session: AsyncSession, catalog_copy: CatalogCopy
) -> None:
    form = "services/bewohnerparkausweis.v1.form.json"
    catalog_copy.edit_json(form, lambda schema: None)  # re-serialised: other spacing, same content
    catalog_copy.replace(PARKING, "public = false\n", "")  # the default, written or not
    report = await load_catalog(rollback_session, catalog_copy.root)
    assert report.published == []


async def test_a_changed_workflow_version_is_refused(
    rollback_session: AsyncSession, catalog_copy: CatalogCopy
) -> None:
    catalog_copy.replace("workflows/permit.v1.toml", 'after = "30d"', 'after = "20d"')
    with pytest.raises(PublishedVersionChanged) as refused:
        await load_catalog(rollback_session, catalog_copy.root)
    assert refused.value.changed == ["workflow 'permit' version 1 differs from the published one"]


async def test_new_version_becomes_current_and_the_old_one_stays_available(
    rollback_session: AsyncSession, catalog_copy: CatalogCopy
) -> None:
    add_version_2(catalog_copy)
    report = await load_catalog(rollback_session, catalog_copy.root)
    assert report.published == ["service bewohnerparkausweis v2"]
    current = await get_published_service(rollback_session, "bewohnerparkausweis")
    assert (current.version, current.definition.fee and current.definition.fee.amount_cents) == (
        2,
        4000,
    )
    pinned = await get_published_service(rollback_session, "bewohnerparkausweis", 1)
    assert (pinned.version, pinned.definition.fee and pinned.definition.fee.amount_cents) == (
        1,
        3060,
    )
    listed = await list_current_services(rollback_session, after=None, limit=10)
    assert (listed[0].code, listed[0].version) == ("bewohnerparkausweis", 2)
    family = (
        await rollback_session.execute(
            text("SELECT current_version FROM services WHERE code = 'bewohnerparkausweis'")
        )
    ).scalar_one()
    assert family == 2


async def test_an_invalid_catalogue_publishes_nothing(
    rollback_session: AsyncSession, catalog_copy: CatalogCopy
) -> None:
    add_version_2(catalog_copy)
    catalog_copy.replace("workflows/permit.v1.toml", 'to = "approved"', 'to = "aproved"')
    with pytest.raises(CatalogInvalid) as invalid:
        await load_catalog(rollback_session, catalog_copy.root)
    assert any("aproved" in p.message for p in invalid.value.problems)
    assert await count(rollback_session, "service_versions") == 6


async def test_a_form_with_an_untitled_enum_value_is_not_loaded(
    rollback_session: AsyncSession, catalog_copy: CatalogCopy
) -> None:
    add_version_2(catalog_copy)
    catalog_copy.replace(
        "services/bewohnerparkausweis.v2.form.json", '"halter": "Halterin oder Halter", ', ""
    )
    with pytest.raises(CatalogInvalid) as invalid:
        await load_catalog(rollback_session, catalog_copy.root)
    assert [(p.location, p.message) for p in invalid.value.problems] == [
        ("/properties/haltereigenschaft/x-enum-titles/de", "enum value 'halter' has no 'de' title")
    ]
    assert await count(rollback_session, "service_versions") == 6


async def test_unknown_service_code_or_version_is_not_found(rollback_session: AsyncSession) -> None:
    with pytest.raises(NotFound, match="no service 'fischereischein'"):
        await get_published_service(rollback_session, "fischereischein")
    with pytest.raises(NotFound, match="no version 7 of service 'hundeanmeldung'"):
        await get_published_service(rollback_session, "hundeanmeldung", 7)


async def test_published_definitions_are_parsed_once_per_version(
    rollback_session: AsyncSession,
) -> None:
    first = await get_published_service(rollback_session, "meldebescheinigung")
    second = await get_published_service(rollback_session, "meldebescheinigung", 1)
    assert first.definition is second.definition
    assert first.workflow is second.workflow
    assert first.workflow.name == "certificate"


def test_cli_load_reports_unchanged_versions(
    cli_env: pytest.MonkeyPatch, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cli_env.setenv("ESERVICE_DATABASE_URL", database_url)
    assert main(["catalog", "load"]) == 0
    err = capsys.readouterr().err
    assert "eservice: unchanged service strassenschaden v1" in err
    assert "0 published, 11 unchanged, 4 departments" in err


def test_cli_load_refuses_changed_content_with_a_clear_message(
    cli_env: pytest.MonkeyPatch,
    database_url: str,
    catalog_copy: CatalogCopy,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cli_env.setenv("ESERVICE_DATABASE_URL", database_url)
    catalog_copy.replace(
        "services/hundeanmeldung.v1.toml", "business_days = 10", "business_days = 12"
    )
    with pytest.raises(SystemExit) as exited:
        main(["catalog", "load", "--root", str(catalog_copy.root)])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "refused: service 'hundeanmeldung' version 1 differs from the published one" in err
    assert "nothing was published" in err


async def test_concurrent_loads_wait_for_each_other(
    sessionmaker: async_sessionmaker[AsyncSession], catalog_copy: CatalogCopy
) -> None:
    add_version_2(catalog_copy)
    async with sessionmaker() as first, sessionmaker() as second:
        await first.begin()
        await second.begin()
        try:
            assert (await load_catalog(first, catalog_copy.root)).published == [
                "service bewohnerparkausweis v2"
            ]
            waiting = asyncio.create_task(load_catalog(second, catalog_copy.root))
            await asyncio.sleep(0.5)
            assert not waiting.done()  # blocked on the load lock, not racing into a duplicate
            await first.rollback()
            report = await asyncio.wait_for(waiting, timeout=10)
            assert report.published == ["service bewohnerparkausweis v2"]
        finally:
            await first.rollback()
            await second.rollback()

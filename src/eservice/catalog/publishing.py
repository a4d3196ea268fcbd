"""Publishing the catalogue files into PostgreSQL, in the caller's one transaction.

A published (code, version) is immutable: the same content again is a no-op, different
content under a published version is refused (nothing is written), a new version is added
and becomes current when it is the highest.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.catalog import repository
from eservice.catalog.files import read_catalog
from eservice.core.config import Settings
from eservice.core.db import create_engine, create_sessionmaker
from eservice.core.errors import Conflict
from eservice.core.transaction import transaction


class LoadReport(msgspec.Struct):
    """What a load did: versions newly published and versions already there unchanged."""

    published: list[str] = msgspec.field(default_factory=list)
    unchanged: list[str] = msgspec.field(default_factory=list)
    departments: int = 0

    def lines(self) -> list[str]:
        """Human progress lines, one per definition."""
        return [f"published {item}" for item in self.published] + [
            f"unchanged {item}" for item in self.unchanged
        ]


class PublishedVersionChanged(Conflict):
    """Files hold different content under a version that is already published."""

    slug = "published-version-changed"
    title = "Published version changed"

    def __init__(self, changed: list[str]) -> None:
        super().__init__(
            "Published versions are immutable; give the changed definition a new version: "
            + "; ".join(changed)
        )
        self.changed = changed


def definition_digest(builtins: dict[str, Any]) -> str:
    """A digest of a definition that ignores key order and formatting of the source files."""
    return hashlib.sha256(msgspec.json.encode(builtins, order="sorted")).hexdigest()


async def load_catalog(session: AsyncSession, root: Path | None = None) -> LoadReport:
    """Publish the catalogue under ``root`` (default: the repository) in the caller's transaction.

    Raises CatalogInvalid when the files have problems and PublishedVersionChanged when a
    published version's content differs; in both cases nothing has been written.
    """
    catalog = read_catalog(root)
    await repository.lock_for_load(session)
    report = LoadReport()
    workflows = [(w.name, w.version, _builtins(w)) for w in catalog.workflows]
    services = [(s, _builtins(s)) for s in catalog.services]
    known_workflows = await repository.workflow_digests(session)
    known_services = await repository.service_digests(session)
    changed = [
        f"workflow {name!r} version {version} differs from the published one"
        for name, version, body in workflows
        if known_workflows.get((name, version), definition_digest(body)) != definition_digest(body)
    ] + [
        f"service {s.code!r} version {s.version} differs from the published one"
        for s, body in services
        if known_services.get((s.code, s.version), definition_digest(body))
        != definition_digest(body)
    ]
    if changed:
        raise PublishedVersionChanged(changed)
    for department in catalog.departments:
        await repository.upsert_department(
            session, department.code, department.name.de, department.name.en
        )
        report.departments += 1
    for name, version, body in sorted(workflows, key=lambda w: (w[0], w[1])):
        label = f"workflow {name} v{version}"
        if (name, version) in known_workflows:
            report.unchanged.append(label)
            continue
        await repository.insert_workflow_version(
            session, name, version, body, definition_digest(body)
        )
        report.published.append(label)
    for service, body in sorted(services, key=lambda s: (s[0].code, s[0].version)):
        label = f"service {service.code} v{service.version}"
        if (service.code, service.version) in known_services:
            report.unchanged.append(label)
            continue
        await repository.insert_service_version(
            session,
            code=service.code,
            version=service.version,
            department=service.department,
            public=service.public,
            workflow=(service.workflow.name, service.workflow.version),
            definition=body,
            digest=definition_digest(body),
        )
        report.published.append(label)
    return report


def _builtins(definition: msgspec.Struct) -> dict[str, Any]:
    builtins: dict[str, Any] = msgspec.to_builtins(definition)
    return builtins


async def publish_catalog(
    database_url: str, settings: Settings, root: Path | None = None
) -> LoadReport:
    """Publish the catalogue into the database at ``database_url`` in one transaction."""
    engine = create_engine(database_url, settings)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            return await load_catalog(session, root)
    finally:
        await engine.dispose()


def catalog_root(settings: Settings) -> Path | None:
    """The directory holding ``services/`` and ``workflows/`` (``ESERVICE_CATALOG_DIR``)."""
    return Path(settings.catalog_dir).resolve() if settings.catalog_dir else None

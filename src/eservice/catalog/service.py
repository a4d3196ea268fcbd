"""The catalogue's rules: published services and workflows, form validation, publishing.

Published versions are immutable, so parsed definitions and compiled form validators are
cached in the process, keyed by (code, version, digest); a lookup costs one small query.
"""

from __future__ import annotations

from typing import Any, TypeVar

import jsonschema_rs
import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.catalog import repository
from eservice.catalog.definitions import ServiceDefinition
from eservice.catalog.forms import compile_form, data_errors
from eservice.catalog.publishing import LoadReport, load_catalog
from eservice.core.db import immutable_cache
from eservice.core.errors import FieldError, NotFound
from eservice.workflow.definitions import Workflow

__all__ = [
    "LoadReport",
    "PublishedService",
    "current_service",
    "get_published_service",
    "get_published_workflow",
    "list_current_services",
    "load_catalog",
    "validate_form_data",
]


_T = TypeVar("_T")


class PublishedService(msgspec.Struct, frozen=True):
    """A published service version with the workflow version it follows."""

    code: str
    version: int
    definition: ServiceDefinition
    workflow: Workflow
    digest: str = ""


_services: dict[tuple[str, int, str], ServiceDefinition] = {}
_workflows: dict[tuple[str, int, str], Workflow] = {}
_validators: dict[tuple[str, int, str], jsonschema_rs.Draft202012Validator] = {}


async def get_published_service(
    session: AsyncSession, code: str, version: int | None = None
) -> PublishedService:
    """A published service version (the current one when ``version`` is None), or NotFound.

    A pinned version is read once per process when the session shares an immutable cache
    (the API's and the worker's do): every request response names its pinned version, and
    querying it each time was a measurable share of a request's CPU (bench/README.md).
    """
    cache = immutable_cache(session)
    if cache is not None and version is None:
        # Filing asks for the current version: one indexed read of its number through the
        # driver, then the pinned version from the cache (an ORM join cost more, bench/README.md).
        version = await repository.current_version_number(session, code)
        if version is None:
            raise NotFound(f"There is no service {code!r}.")
    cache_key = ("service_version", code, version)
    if cache is not None and cache_key in cache:
        cached: PublishedService = cache[cache_key]
        return cached
    ref = await repository.find_service_version(session, code, version)
    if ref is None:
        if version is None:
            raise NotFound(f"There is no service {code!r}.")
        raise NotFound(f"There is no version {version} of service {code!r}.")
    published = (await _assemble(session, [(code, ref)]))[0]
    if cache is not None:
        cache[cache_key] = published
    return published


async def current_service(
    session: AsyncSession, code: str, *, fresh: bool = False
) -> PublishedService:
    """The current version of a service, or NotFound.

    With an immutable cache (the API's and the worker's sessions) the version last found
    current is remembered without ``fresh``: a hint, not a fact, because publishing makes a
    newer version current. Whoever writes under it checks in its own statement that it is
    still current and, when not, asks again with ``fresh`` (requests.service.file_request).
    """
    cache = immutable_cache(session)
    key = ("current_service", code)
    if cache is not None and not fresh and key in cache:
        remembered: PublishedService = cache[key]
        return remembered
    service = await get_published_service(session, code)
    if cache is not None:
        cache[key] = service
    return service


async def list_current_services(
    session: AsyncSession, *, after: str | None, limit: int, public_only: bool = False
) -> list[PublishedService]:
    """The current version of each service, by code, starting after the code ``after``."""
    refs = await repository.current_service_versions(
        session, after=after, limit=limit, public_only=public_only
    )
    return await _assemble(session, refs)


async def get_published_workflow(
    session: AsyncSession, name: str, version: int | None = None
) -> Workflow:
    """A published workflow version (the newest when ``version`` is None), or NotFound."""
    found = await repository.find_workflow_version(session, name, version)
    if found is None:
        if version is None:
            raise NotFound(f"There is no workflow {name!r}.")
        raise NotFound(f"There is no version {version} of workflow {name!r}.")
    number, digest = found
    key = (name, number, digest)
    if key not in _workflows:
        stored = await repository.workflow_definitions(session, [(name, number)])
        _workflows[key] = msgspec.convert(stored[(name, number)], Workflow)
    return _workflows[key]


def validate_form_data(service: PublishedService, data: object) -> list[FieldError]:
    """Every way ``data`` violates the service's form, with pointers under ``/data``."""
    key = (service.code, service.version, service.digest)
    validator = _validators.get(key)
    if validator is None:
        validator = compile_form(service.definition.form)
        _validators[key] = validator
    return data_errors(validator, data, prefix="/data")


async def department_names(session: AsyncSession) -> dict[str, tuple[str, str]]:
    """Every department: code → (German name, English name)."""
    return await repository.department_names(session)


async def _assemble(
    session: AsyncSession, refs: list[tuple[str, repository.VersionRef]]
) -> list[PublishedService]:
    """PublishedService objects for the refs, reading only definitions not yet cached."""
    missing_services = [
        (code, ref.version)
        for code, ref in refs
        if (code, ref.version, ref.digest) not in _services
    ]
    missing_workflows = sorted(
        {
            (ref.workflow_name, ref.workflow_version)
            for _, ref in refs
            if (ref.workflow_name, ref.workflow_version, ref.workflow_digest) not in _workflows
        }
    )
    stored_services = await repository.service_definitions(session, missing_services)
    stored_workflows = await repository.workflow_definitions(session, missing_workflows)
    result: list[PublishedService] = []
    for code, ref in refs:
        service_key = (code, ref.version, ref.digest)
        if service_key not in _services:
            _services[service_key] = _decode(
                stored_services[(code, ref.version)], ServiceDefinition
            )
        workflow_key = (ref.workflow_name, ref.workflow_version, ref.workflow_digest)
        if workflow_key not in _workflows:
            stored = stored_workflows[(ref.workflow_name, ref.workflow_version)]
            _workflows[workflow_key] = _decode(stored, Workflow)
        result.append(
            PublishedService(
                code=code,
                version=ref.version,
                definition=_services[service_key],
                workflow=_workflows[workflow_key],
                digest=ref.digest,
            )
        )
    return result


def _decode(stored: dict[str, Any], kind: type[_T]) -> _T:
    return msgspec.convert(stored, kind)

"""Reading the catalogue from ``services/`` and ``workflows/`` and finding every problem in it.

Layout (all UTF-8):
- ``workflows/<name>.v<version>.toml`` — one workflow version each;
- ``services/<code>.v<version>.toml`` — one service version each; ``form`` names a sibling
  JSON Schema file (``<code>.v<version>.form.json``) or holds the schema inline;
- ``services/departments.toml`` — the departments services may name.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from eservice.catalog.definitions import Department, DepartmentsFile, ServiceDefinition
from eservice.catalog.forms import form_fields, form_problems
from eservice.core.pointers import msgspec_error
from eservice.workflow.checks import check_workflow, unknown_actors
from eservice.workflow.definitions import Workflow

REPO_ROOT = Path(__file__).resolve().parents[3]
DEPARTMENTS_FILE = "departments.toml"
_FILE_RE = re.compile(r"^(?P<name>[a-z][a-z0-9_-]*)\.v(?P<version>[1-9][0-9]*)\.toml$")
T = TypeVar("T")


class Problem(msgspec.Struct, frozen=True):
    """One problem in the catalogue: the file (relative to the root), where in it, and what."""

    file: str
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.location or '-'}: {self.message}"


class Catalog(msgspec.Struct, frozen=True):
    """Every definition in the catalogue files, checked."""

    departments: list[Department]
    workflows: list[Workflow]
    services: list[ServiceDefinition]

    def workflow(self, name: str, version: int) -> Workflow | None:
        for workflow in self.workflows:
            if workflow.name == name and workflow.version == version:
                return workflow
        return None


class CatalogInvalid(Exception):
    """The catalogue files have problems; nothing of them may be published."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"the catalogue has {len(problems)} problem(s)")
        self.problems = problems


def default_root() -> Path:
    """The repository root, which holds ``services/`` and ``workflows/``."""
    return REPO_ROOT


def check_catalog(root: Path | None = None) -> list[Problem]:
    """Every problem in the catalogue under ``root``; empty when it can be published."""
    return _Reader(root or default_root()).read()[1]


def read_catalog(root: Path | None = None) -> Catalog:
    """The checked catalogue under ``root``; raises CatalogInvalid listing every problem."""
    catalog, problems = _Reader(root or default_root()).read()
    if problems:
        raise CatalogInvalid(problems)
    return catalog


class _Reader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        # Workflows whose file could not be decoded: already reported, not reported again
        # as "missing" by each service that names them.
        self.broken_workflows: set[tuple[str, int]] = set()

    def problem(self, path: Path, location: str, message: str) -> None:
        try:
            name = path.relative_to(self.root).as_posix()
        except ValueError:
            name = str(path)
        self.problems.append(Problem(name, location, message))

    def read(self) -> tuple[Catalog, list[Problem]]:
        workflows = self.read_workflows(self.root / "workflows")
        departments = self.read_departments(self.root / "services" / DEPARTMENTS_FILE)
        services = self.read_services(self.root / "services")
        known = {(w.name, w.version): w for w in workflows}
        department_codes = {d.code for d in departments}
        for path, service in services:
            self.check_service_links(path, service, known, department_codes)
        catalog = Catalog(departments, workflows, [s for _, s in services])
        return catalog, self.problems

    def files(self, directory: Path) -> list[Path]:
        if not directory.is_dir():
            self.problem(directory, "", "directory is missing")
            return []
        return sorted(p for p in directory.glob("*.toml") if p.name != DEPARTMENTS_FILE)

    def load_toml(self, path: Path) -> dict[str, Any] | None:
        try:
            with path.open("rb") as handle:
                return tomllib.load(handle)
        except tomllib.TOMLDecodeError as exc:
            self.problem(path, "", f"not valid TOML: {exc}")
        except (OSError, UnicodeDecodeError) as exc:
            self.problem(path, "", f"cannot be read: {exc}")
        return None

    def decode(self, path: Path, raw: object, kind: type[T]) -> T | None:
        try:
            return msgspec.convert(raw, kind)
        except msgspec.ValidationError as exc:
            error = msgspec_error(str(exc))
            self.problem(path, _location(error.pointer), error.message)
            return None

    def check_file_name(self, path: Path, name: str, version: int) -> None:
        match = _FILE_RE.match(path.name)
        if match is None:
            self.problem(path, "", "file name must be <name>.v<version>.toml")
        elif match["name"] != name or int(match["version"]) != version:
            self.problem(
                path, "", f"file name does not match its content ({name} version {version})"
            )

    def read_workflows(self, directory: Path) -> list[Workflow]:
        workflows: dict[tuple[str, int], Workflow] = {}
        for path in self.files(directory):
            raw = self.load_toml(path)
            if raw is None:
                continue
            actor_problems = unknown_actors(raw)
            for location, message in actor_problems:
                self.problem(path, location, message)
            workflow = None if actor_problems else self.decode(path, raw, Workflow)
            if workflow is None:
                match = _FILE_RE.match(path.name)
                if match is not None:
                    self.broken_workflows.add((match["name"], int(match["version"])))
                continue
            self.check_file_name(path, workflow.name, workflow.version)
            for location, message in check_workflow(workflow):
                self.problem(path, location, message)
            key = (workflow.name, workflow.version)
            if key in workflows:
                self.problem(path, "name", f"workflow {key[0]} version {key[1]} is defined twice")
            workflows[key] = workflow
        return list(workflows.values())

    def read_departments(self, path: Path) -> list[Department]:
        if not path.is_file():
            self.problem(path, "", "the departments file is missing")
            return []
        raw = self.load_toml(path)
        parsed = None if raw is None else self.decode(path, raw, DepartmentsFile)
        if parsed is None:
            return []
        seen: set[str] = set()
        for i, department in enumerate(parsed.departments):
            if department.code in seen:
                self.problem(
                    path, f"departments[{i}].code", f"duplicate department {department.code!r}"
                )
            seen.add(department.code)
        return parsed.departments

    def read_services(self, directory: Path) -> list[tuple[Path, ServiceDefinition]]:
        services: dict[tuple[str, int], tuple[Path, ServiceDefinition]] = {}
        for path in self.files(directory):
            raw = self.load_toml(path)
            if raw is None or not self.resolve_form(path, raw):
                continue
            service = self.decode(path, raw, ServiceDefinition)
            if service is None:
                continue
            self.check_file_name(path, service.code, service.version)
            key = (service.code, service.version)
            if key in services:
                self.problem(path, "code", f"service {key[0]} version {key[1]} is defined twice")
            services[key] = (path, service)
        return list(services.values())

    def resolve_form(self, path: Path, raw: dict[str, Any]) -> bool:
        """Replace ``form = "file.json"`` by the schema in that file and check the schema."""
        form = raw.get("form")
        form_path = path
        if isinstance(form, str):
            form_path = (path.parent / form).resolve()
            if form_path.parent != path.parent.resolve() or not form_path.is_file():
                self.problem(path, "form", f"form file {form!r} not found next to {path.name}")
                return False
            try:
                form = json.loads(form_path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                self.problem(form_path, "", f"not valid JSON: {exc}")
                return False
            raw["form"] = form
        elif not isinstance(form, dict):
            self.problem(path, "form", "form must name a JSON Schema file or be a table")
            return False
        problems = form_problems(form)
        prefix = "" if form_path != path else "form"
        for location, message in problems:
            self.problem(form_path, prefix + location if prefix else location, message)
        return not problems

    def check_service_links(
        self,
        path: Path,
        service: ServiceDefinition,
        workflows: dict[tuple[str, int], Workflow],
        departments: set[str],
    ) -> None:
        if service.department not in departments:
            self.problem(path, "department", f"unknown department {service.department!r}")
        retention = service.retention
        if retention.years == retention.months == retention.days == 0:
            self.problem(path, "retention", "retention needs a period: years, months and/or days")
        kinds = [d.kind for d in service.documents]
        for i, kind in enumerate(kinds):
            if kinds.index(kind) != i:
                self.problem(path, f"documents[{i}].kind", f"duplicate document kind {kind!r}")
        ref = service.workflow
        workflow = workflows.get((ref.name, ref.version))
        if workflow is None and (ref.name, ref.version) in self.broken_workflows:
            return
        if workflow is None:
            self.problem(
                path, "workflow", f"workflow {ref.name!r} version {ref.version} does not exist"
            )
            return
        fields = form_fields(service.form)
        described = service.open311.description if service.open311 else None
        if described is not None and described not in fields:
            self.problem(
                path,
                "open311.description",
                f"Open311 description field {described!r} is not a field of the form",
            )
        for t in workflow.transitions:
            for kind in t.requires.documents:
                if kind not in kinds:
                    self.problem(
                        path,
                        "documents",
                        f"workflow transition {t.name!r} requires document {kind!r}, "
                        "which this service does not declare",
                    )
            for field in t.requires.fields:
                if field not in fields:
                    self.problem(
                        path,
                        "form",
                        f"workflow transition {t.name!r} requires field {field!r}, "
                        "which the form does not declare",
                    )


def _location(pointer: str) -> str:
    """``/transitions/3/to`` → ``transitions[3].to`` (the TOML key path)."""
    parts = [p for p in pointer.split("/") if p]
    out = ""
    for part in parts:
        out += f"[{part}]" if part.isdigit() else ("." if out else "") + part
    return out

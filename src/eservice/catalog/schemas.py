"""Structs at the edge of the catalogue API (responses only; the API takes no bodies)."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from eservice.events.schemas import NotifyTarget
from eservice.workflow.definitions import Actor, SlaClock


class DocumentOut(msgspec.Struct):
    kind: str
    label: str
    types: list[str]
    max_bytes: int
    required: bool


class FeeOut(msgspec.Struct):
    amount_cents: int
    currency: str


class SlaOut(msgspec.Struct):
    business_days: int


class RetentionOut(msgspec.Struct):
    years: int
    months: int
    days: int
    action: str


class WorkflowRefOut(msgspec.Struct):
    name: str
    version: int


class DepartmentOut(msgspec.Struct):
    code: str
    name: str


class ServiceOut(msgspec.Struct):
    """A published service version, labels in one language."""

    code: str
    version: int
    title: str
    description: str
    department: str
    department_name: str
    leika: str | None
    form_schema: dict[str, Any]
    location: Literal["required", "optional", "none"]
    required_documents: list[DocumentOut]
    fee: FeeOut | None
    sla: SlaOut
    retention: RetentionOut
    confidentiality: str
    workflow: WorkflowRefOut
    public: bool
    lang: str


class ServicePage(msgspec.Struct):
    items: list[ServiceOut]
    next_cursor: str | None


class TimerOut(msgspec.Struct):
    after: str
    seconds: int
    transition: str


class StateOut(msgspec.Struct):
    name: str
    label: str
    terminal: bool
    sla: SlaClock
    timer: TimerOut | None


class RequirementsOut(msgspec.Struct):
    comment: bool
    fields: list[str]
    documents: list[str]


class TransitionOut(msgspec.Struct):
    name: str
    from_: list[str] = msgspec.field(name="from")
    to: str
    label: str
    actors: list[Actor]
    requires: RequirementsOut
    notifies: list[NotifyTarget]
    assignee_only: bool


class WorkflowOut(msgspec.Struct):
    """A published workflow version, labels in one language."""

    name: str
    version: int
    title: str
    initial_state: str
    states: list[StateOut]
    transitions: list[TransitionOut]
    lang: str

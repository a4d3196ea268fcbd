"""One request as a page shows it: readable data, history, documents, possible transitions.

Shared by the citizen's request page and the clerk console's; what each may see is decided by
the requests context (``list_history`` hides internal entries from citizens, ``present_event``
hides staff ids, ``available_for`` lists only what the caller may fire).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eservice.attachments.schemas import AttachmentOut
from eservice.attachments.service import list_request_attachments
from eservice.catalog.service import PublishedService, get_published_service
from eservice.identity.principal import Principal
from eservice.requests import service as requests
from eservice.requests import transitions
from eservice.requests.presenters import present_event, present_request, present_transition
from eservice.requests.schemas import EventOut, RequestOut, TransitionOut
from eservice.requests.tables import RequestEventRow, RequestRow
from eservice.web.context import Web
from eservice.web.schema_forms import ShownValue, readable

HISTORY_LIMIT = 100
ATTACHMENT_LIMIT = 100


@dataclass
class DocumentKind:
    """A document kind of the service, with its limits worded for people."""

    kind: str
    label: str
    required: bool
    limits: str
    accept: str  # the file input's accept attribute: the kind's media types


def size_text(size: int, lang: str) -> str:
    if size >= 1024 * 1024:
        value = (
            f"{size / (1024 * 1024):.0f} MB"
            if size % (1024 * 1024) == 0
            else f"{size / (1024 * 1024):.1f} MB"
        )
    else:
        value = f"{max(1, size // 1024)} KB"
    return value.replace(".", ",") if lang == "de" else value


def document_kinds(web: Web, service: PublishedService) -> list[DocumentKind]:
    """The kinds the service takes, each with the types and the size the upload accepts
    (the kind's own limit, never more than the installation's)."""
    limit = web.settings.max_upload_bytes
    return [
        DocumentKind(
            kind=d.kind,
            label=d.label.pick(web.lang),
            required=d.required,
            accept=",".join(d.types),
            limits=web.t(
                "docs.limits",
                types=", ".join(t.split("/")[-1].upper() for t in d.types),
                size=size_text(min(d.max_bytes, limit), web.lang),
            ),
        )
        for d in service.definition.documents
    ]


@dataclass
class ShownEvent:
    event: EventOut
    title: str
    actor: str
    internal: bool


@dataclass
class RequestView:
    request: RequestOut
    service: PublishedService
    service_title: str
    shown: list[ShownValue]
    events: list[ShownEvent]
    attachments: list[AttachmentOut]
    transitions: list[TransitionOut]
    kinds: list[DocumentKind]

    def kind(self, code: str) -> DocumentKind | None:
        """The document kind ``code`` of the service (with its limits), if it has one."""
        return next((k for k in self.kinds if k.kind == code), None)


def _event_title(
    web: Web, service: PublishedService, event: EventOut, wording: Mapping[str, str]
) -> str:
    if event.type == "transitioned" and event.transition:
        for transition in service.workflow.transitions:
            if transition.name == event.transition:
                return transition.label.pick(web.lang)
    key = f"event.{event.type}"
    return web.t(wording.get(key, key)) if key in _KNOWN_EVENTS else web.t("event.other")


_KNOWN_EVENTS = frozenset(
    {
        "event.filed",
        "event.submitted",
        "event.overdue",
        "event.commented",
        "event.attachment_added",
        "event.assigned",
    }
)
_KNOWN_ACTORS = frozenset({"applicant", "clerk", "supervisor", "client", "system"})


def shown_events(
    web: Web,
    service: PublishedService,
    person: Principal,
    history: list[RequestEventRow],
    wording: Mapping[str, str] | None = None,
) -> list[ShownEvent]:
    """History entries as ``person`` may see them (``present_event``), titled for people;
    ``wording`` replaces text keys of titles and actors (e.g. a report's own words)."""
    wording = wording or {}
    events = []
    for entry in history:
        event = present_event(entry, person)
        role = event.actor.role if event.actor.role in _KNOWN_ACTORS else "system"
        events.append(
            ShownEvent(
                event=event,
                title=_event_title(web, service, event, wording),
                actor=web.t(wording.get(f"actor.{role}", f"actor.{role}")),
                internal=event.visibility == "internal",
            )
        )
    return events


async def request_view(web: Web, person: Principal, row: RequestRow) -> RequestView:
    """Everything the request page shows, read through the requests context."""
    service = await get_published_service(web.db, row.service_code, row.service_version)
    history, _ = await requests.list_history(web.db, person, row, cursor=None, limit=HISTORY_LIMIT)
    attachments, _ = await list_request_attachments(
        web.db, person, row.id, cursor=None, limit=ATTACHMENT_LIMIT
    )
    available, _, present = await transitions.available_for(web.db, person, row)
    return RequestView(
        request=present_request(row, service, person),
        service=service,
        service_title=service.definition.title.pick(web.lang),
        shown=readable(service.definition.form, row.data, web.t, web.lang),
        events=shown_events(web, service, person, history),
        attachments=attachments,
        transitions=[
            present_transition(t, service, present, web.lang)
            for t in available
            if t.name != "submit"
        ],
        kinds=document_kinds(web, service),
    )


def transition_data(fields: list[str], values: dict[str, str]) -> dict[str, Any]:
    """A transition's required fields from the form (``td.<name>``), empty ones left out."""
    return {name: values[name] for name in fields if values.get(name)}

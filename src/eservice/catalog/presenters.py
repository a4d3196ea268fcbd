"""Published definitions → response Structs in one language."""

from __future__ import annotations

from eservice.catalog.forms import localise
from eservice.catalog.schemas import (
    DocumentOut,
    FeeOut,
    RequirementsOut,
    RetentionOut,
    ServiceOut,
    SlaOut,
    StateOut,
    TimerOut,
    TransitionOut,
    WorkflowOut,
    WorkflowRefOut,
)
from eservice.catalog.service import PublishedService
from eservice.workflow.definitions import INITIAL_STATE, Workflow


def service_out(
    service: PublishedService, lang: str, departments: dict[str, tuple[str, str]]
) -> ServiceOut:
    d = service.definition
    names = departments.get(d.department, (d.department, d.department))
    return ServiceOut(
        code=d.code,
        version=d.version,
        title=d.title.pick(lang),
        description=d.description.pick(lang),
        department=d.department,
        department_name=names[1] if lang == "en" else names[0],
        leika=d.leika,
        form_schema=localise(d.form, lang),
        location=d.location,
        required_documents=[
            DocumentOut(
                kind=doc.kind,
                label=doc.label.pick(lang),
                types=list(doc.types),
                max_bytes=doc.max_bytes,
                required=doc.required,
            )
            for doc in d.documents
        ],
        fee=None if d.fee is None else FeeOut(d.fee.amount_cents, d.fee.currency),
        sla=SlaOut(d.sla.business_days),
        retention=RetentionOut(
            d.retention.years, d.retention.months, d.retention.days, d.retention.action
        ),
        confidentiality=d.confidentiality,
        workflow=WorkflowRefOut(d.workflow.name, d.workflow.version),
        public=d.public,
        lang=lang,
    )


def workflow_out(workflow: Workflow, lang: str) -> WorkflowOut:
    return WorkflowOut(
        name=workflow.name,
        version=workflow.version,
        title=workflow.title.pick(lang),
        initial_state=INITIAL_STATE,
        states=[
            StateOut(
                name=s.name,
                label=s.label.pick(lang),
                terminal=s.terminal,
                sla=s.sla,
                timer=None
                if s.timer is None
                else TimerOut(s.timer.after, s.timer.seconds, s.timer.transition),
            )
            for s in workflow.states
        ],
        transitions=[
            TransitionOut(
                name=t.name,
                from_=list(t.from_),
                to=t.to,
                label=t.label.pick(lang),
                actors=list(t.actors),
                requires=RequirementsOut(
                    t.requires.comment, list(t.requires.fields), list(t.requires.documents)
                ),
                notifies=list(t.notifies),
                assignee_only=t.assignee_only,
            )
            for t in workflow.transitions
        ],
        lang=lang,
    )

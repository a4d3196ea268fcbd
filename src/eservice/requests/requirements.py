"""What firing a transition needs: one rule for listing the transitions and for firing them."""

from __future__ import annotations

import contextlib

from eservice.catalog.service import PublishedService
from eservice.workflow.definitions import SUBMIT_TRANSITION


def required_documents(service: PublishedService, transition: str) -> list[str]:
    """Every document kind firing ``transition`` needs, the one rule for listing and firing.

    The workflow names documents per transition; the service adds its own required
    documents at ``submit``.
    """
    kinds: list[str] = []
    with contextlib.suppress(KeyError):
        kinds.extend(service.workflow.transition(transition).requires.documents)
    if transition == SUBMIT_TRANSITION:
        kinds.extend(
            document.kind
            for document in service.definition.documents
            if document.required and document.kind not in kinds
        )
    return kinds


def missing_documents(service: PublishedService, transition: str, present: set[str]) -> list[str]:
    """The kinds ``transition`` needs that are not attached yet."""
    return [kind for kind in required_documents(service, transition) if kind not in present]

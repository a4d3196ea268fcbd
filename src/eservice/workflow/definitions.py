"""A workflow as data: states, transitions, actors, requirements, timers and notifications.

Workflows are written as TOML files in ``workflows/`` and decoded into these Structs; unknown
keys are refused, so a typo in a definition is an error rather than a silently ignored setting.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

import msgspec

from eservice.events.schemas import NotifyTarget

Actor = Literal["applicant", "clerk", "supervisor", "system", "client"]
SlaClock = Literal["runs", "paused", "stopped"]
# How Open311 GeoReport v2 (and open data) reports a request in this state.
Open311Status = Literal["open", "closed"]
Language = Literal["de", "en"]

ACTORS: tuple[Actor, ...] = ("applicant", "clerk", "supervisor", "system", "client")
INITIAL_STATE = "draft"
SUBMIT_TRANSITION = "submit"

Name = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_-]{0,62}$")]
Duration = Annotated[str, msgspec.Meta(pattern=r"^[1-9][0-9]{0,5}[dhms]$")]
Label = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]

_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION_RE = re.compile(r"^([1-9][0-9]{0,5})([dhms])$")


def duration_seconds(after: str) -> int:
    """Seconds in a duration such as ``30d``, ``12h``, ``15m`` or ``10s``."""
    match = _DURATION_RE.match(after)
    if match is None:
        raise ValueError(f"not a duration: {after!r} (use e.g. 30d, 12h, 15m, 10s)")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


class Labels(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """A user-facing text in German and English."""

    de: Label
    en: Label

    def pick(self, lang: str) -> str:
        """The text in ``lang`` (``de`` or ``en``); German for anything else."""
        return self.en if lang == "en" else self.de


class Timer(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """Fire ``transition`` (as the system) when a request has stayed ``after`` in a state."""

    after: Duration
    transition: Name

    @property
    def seconds(self) -> int:
        return duration_seconds(self.after)


class State(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """A state of a request; ``sla`` says whether the processing-deadline clock runs there.

    ``open311`` is the status the state shows to the public (Open311 ``status``, open data):
    every state declares it, so that a city decides, say, whether "repair ordered" is closed.
    """

    name: Name
    label: Labels
    open311: Open311Status
    terminal: bool = False
    sla: SlaClock = "runs"
    timer: Timer | None = None


class Requirements(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """What a transition needs: a comment, non-empty data fields, documents of given kinds."""

    comment: bool = False
    fields: list[Name] = []
    documents: list[Name] = []


class Transition(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """A named move from one of ``from_`` to ``to``, allowed to ``actors``."""

    name: Name
    from_: list[Name] = msgspec.field(name="from")
    to: Name
    label: Labels
    actors: list[Actor]
    requires: Requirements = Requirements()
    notifies: list[NotifyTarget] = []
    assignee_only: bool = False


class Workflow(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """A versioned state machine. Every workflow starts in ``draft`` and has ``submit``."""

    name: Name
    version: Annotated[int, msgspec.Meta(ge=1)]
    title: Labels
    states: list[State]
    transitions: list[Transition]

    def state(self, name: str) -> State:
        """The state called ``name``; KeyError when the workflow has none."""
        for state in self.states:
            if state.name == name:
                return state
        raise KeyError(f"workflow {self.name} v{self.version} has no state {name!r}")

    def transition(self, name: str) -> Transition:
        """The transition called ``name``; KeyError when the workflow has none."""
        for transition in self.transitions:
            if transition.name == name:
                return transition
        raise KeyError(f"workflow {self.name} v{self.version} has no transition {name!r}")

    def has_state(self, name: str) -> bool:
        return any(state.name == name for state in self.states)

    def transitions_from(self, state_name: str) -> list[Transition]:
        """Every transition declared out of ``state_name``, in declaration order."""
        return [t for t in self.transitions if state_name in t.from_]

    @property
    def initial_state(self) -> str:
        return INITIAL_STATE

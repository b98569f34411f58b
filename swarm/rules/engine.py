"""Which rules fire on an event, and what they would do — decided, never done.

:func:`evaluate` takes one event, a snapshot of its ticket and the rules, and returns a
:class:`Firing` per rule that fires, with the actions that would change something (setting
a priority the ticket already has is left out). It reads no clock and no database; the runner
(``swarm/automation``) builds the views and carries the actions out.

Loop prevention, in two parts:

* every event an action writes carries ``cause`` (``{"rule_id", "run_id"}``) in its data, and
  :func:`evaluate` returns nothing for an event with a cause — **rules never fire on events
  caused by a rule**, so a chain of rules is at most one deep (:data:`MAX_DEPTH`);
* a rule whose actions write its own trigger's event type is refused when it is saved
  (``swarm.rules.spec.WRITES``), so that the first point is never what stops a loop by surprise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from swarm.rules.spec import (
    Action,
    AddSkills,
    Conditions,
    RuleSpec,
    SetCategory,
    SetPriority,
)

#: How many rule runs deep a chain of effects may go: a person's event (depth 0) may make rules
#: fire (depth 1); what those rules write fires nothing.
MAX_DEPTH = 1
#: At most this many rules fire on one event (the first by id): a bound on one event's work.
MAX_FIRINGS = 20


@dataclass(frozen=True)
class EventView:
    """The triggering event: its type, when, its data, and ``cause`` when a rule wrote it."""

    id: int
    type: str
    ticket_id: int
    at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def cause(self) -> Any:
        return self.data.get("cause")


@dataclass(frozen=True)
class TicketView:
    """The ticket as the rules see it, after the triggering event was committed."""

    id: int
    subject: str
    body: str
    priority: str
    status: str
    mode: str
    tier: int | None
    category: str | None
    skill_ids: frozenset[int]
    created_at: datetime
    #: When the event before the triggering one happened (None for the first event).
    previous_event_at: datetime | None = None


@dataclass(frozen=True)
class Rule:
    id: int
    name: str
    enabled: bool
    spec: RuleSpec
    version: int = 1


@dataclass(frozen=True)
class Firing:
    rule_id: int
    rule_version: int
    actions: tuple[Action, ...]


def evaluate(event: EventView, ticket: TicketView, rules: Iterable[Rule]) -> list[Firing]:
    """The rules that fire on ``event``, by rule id, each with its effective actions.

    A rule fires when it is enabled, its trigger is the event's type, the event was not caused
    by a rule, and every condition holds. A rule that fires with nothing left to change still
    fires (with no actions), so that its run says so.
    """
    if event.cause is not None:
        return []
    firings: list[Firing] = []
    for rule in sorted(rules, key=lambda r: r.id):
        if not rule.enabled or rule.spec.trigger != event.type:
            continue
        if not holds(rule.spec.conditions, ticket, event.at):
            continue
        firings.append(Firing(rule.id, rule.version, effective(rule.spec.actions, ticket)))
        if len(firings) == MAX_FIRINGS:
            break
    return firings


def holds(conditions: Conditions, ticket: TicketView, now: datetime) -> bool:
    """Whether every condition given holds for ``ticket`` at ``now``."""
    c = conditions
    if c.priority and ticket.priority not in c.priority:
        return False
    if c.category and ticket.category not in c.category:
        return False
    if c.mode is not None and ticket.mode != c.mode:
        return False
    if c.tier and ticket.tier not in c.tier:
        return False
    if c.status and ticket.status not in c.status:
        return False
    if c.skills and not ticket.skill_ids.intersection(c.skills):
        return False
    if c.text is not None and not c.text.matches(f"{ticket.subject}\n{ticket.body}"):
        return False
    opened = (now - ticket.created_at).total_seconds() / 60
    if c.opened_at_least is not None and opened < c.opened_at_least:
        return False
    if c.opened_less_than is not None and opened >= c.opened_less_than:
        return False
    if c.idle_at_least is not None:
        if ticket.previous_event_at is None:
            return False
        idle = (now - ticket.previous_event_at).total_seconds() / 60
        if idle < c.idle_at_least:
            return False
    return True


def effective(actions: Sequence[Action], ticket: TicketView) -> tuple[Action, ...]:
    """The actions that would change something, in order; each sees the effect of those before
    it (a second ``set_priority`` to the same value is dropped)."""
    priority, category, skills = ticket.priority, ticket.category, set(ticket.skill_ids)
    kept: list[Action] = []
    for action in actions:
        if isinstance(action, SetPriority):
            if action.priority == priority:
                continue
            priority = action.priority
        elif isinstance(action, SetCategory):
            if action.category == category:
                continue
            category = action.category
        elif isinstance(action, AddSkills):
            new = tuple(s for s in action.skill_ids if s not in skills)
            if not new:
                continue
            skills.update(new)
            action = AddSkills(new)
        kept.append(action)
    return tuple(kept)


def cause(rule_id: int, run_id: int) -> dict[str, int]:
    """The ``cause`` written into the data of every event a rule's run writes.

    >>> cause(3, 41)
    {'rule_id': 3, 'run_id': 41}
    """
    return {"rule_id": rule_id, "run_id": run_id}

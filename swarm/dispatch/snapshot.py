"""Snapshots of the organisation for the routing policies, cached between calls.

What changes rarely (the taxonomy, proficiencies, learning goals, who worked with whom) is
cached and rebuilt when a cheap version stamp read from the database changes, so that a change
made in any server process reaches every process at its next routing call. What changes all the
time (presence, load, capacity) is read on every call and written into the cached
``AgentIndex`` row by row, which costs only the rows that moved.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from swarm.events import EventType
from swarm.matching.index import AgentIndex
from swarm.models import (
    AgentProfile,
    AgentSkill,
    Participation,
    Skill,
    SkillGrowth,
    SkillRelation,
    Ticket,
    TicketEvent,
    User,
)
from swarm.models.tickets import Status
from swarm.models.users import Role
from swarm.routing import AgentView, OrgView, Proficiency, TicketView
from swarm.skills.graph import Skill as GraphSkill
from swarm.skills.graph import SkillGraph, build_skill_graph
from swarm.skills.graph import SkillRelation as GraphRelation

ROUTABLE_ROLES = (Role.AGENT, Role.MANAGER)
ACTIVE = (Status.NEW, Status.OPEN, Status.PENDING)
#: Fairness looks at ownership taken over this window.
RECENT_WINDOW = timedelta(days=7)
#: Even with an unchanged stamp, rebuild after this long (a rename changes no count).
MAX_AGE_SECONDS = 300.0


@dataclass
class _Static:
    stamp: tuple[Any, ...]
    built_at: float
    graph: SkillGraph
    proficiencies: dict[int, dict[int, Proficiency]]
    wants: dict[int, frozenset[int]]
    collaboration: dict[int, dict[int, int]]
    index: AgentIndex | None = None
    views: dict[int, AgentView] | None = None


def catalog_stamp(session: Session) -> tuple[Any, ...]:
    """Counts and high-water marks that move whenever the taxonomy or a profile changes."""
    return tuple(
        session.execute(
            select(
                select(func.count(Skill.id)).scalar_subquery(),
                select(func.max(Skill.id)).scalar_subquery(),
                select(func.count(SkillRelation.id)).scalar_subquery(),
                select(func.max(SkillRelation.id)).scalar_subquery(),
                select(func.count()).select_from(AgentSkill).scalar_subquery(),
                select(func.max(SkillGrowth.id)).scalar_subquery(),
                select(func.max(User.id)).scalar_subquery(),
                select(func.count(Participation.id)).scalar_subquery(),
            )
        ).one()
    )


def load_skill_graph(session: Session) -> SkillGraph:
    skills = [
        GraphSkill(s.id, s.name, aliases=tuple(s.aliases or ()))
        for s in session.scalars(select(Skill).order_by(Skill.id))
    ]
    relations = [
        GraphRelation(r.source_id, r.target_id, r.kind, r.weight)
        for r in session.scalars(select(SkillRelation).order_by(SkillRelation.id))
    ]
    return build_skill_graph(skills, relations)


class OrgSnapshots:
    """Builds ``OrgView``/``TicketView`` snapshots; one per app, shared by its threads."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._static: _Static | None = None

    def invalidate(self) -> None:
        with self._lock:
            self._static = None

    def graph(self, session: Session) -> SkillGraph:
        return self._current(session).graph

    def org(self, session: Session, now: datetime, requester_id: int | None = None) -> OrgView:
        """The organisation as routing sees it now."""
        with self._lock:
            static = self._current(session)
            agents = self._agent_views(session, static, now)
            if static.index is None:
                static.index = AgentIndex(agents.values(), static.graph, as_of=now)
            else:
                previous = static.views or {}
                for agent_id, view in agents.items():
                    if previous.get(agent_id) != view:
                        static.index.update_agent(view)
                for agent_id in previous.keys() - agents.keys():
                    static.index.remove_agent(agent_id)
                static.index.at(now)
            static.views = agents
            history: dict[int, dict[int, int]] = {}
            if requester_id is not None:
                history[requester_id] = _requester_history(session, requester_id)
            return OrgView(
                agents=agents,
                skills=static.graph,
                collaboration=static.collaboration,
                requester_history=history,
                index=static.index,
            )

    def ticket(
        self, session: Session, ticket: Ticket, deadlines: dict[str, datetime]
    ) -> TicketView:
        excluded = session.scalars(
            select(TicketEvent.data).where(
                TicketEvent.ticket_id == ticket.id, TicketEvent.type == EventType.UNASSIGNED
            )
        )
        # Those who let go of it themselves; an escalation's handoff excludes nobody for later.
        released = {
            d.get("previous_owner_id")
            for d in excluded
            if d.get("previous_owner_id") and d.get("reason") not in ("escalated", "deescalated")
        }
        return TicketView(
            id=ticket.id,
            priority=ticket.priority,  # type: ignore[arg-type]  # checked by the table
            required_skills={s.skill_id: s.weight for s in ticket.skills},
            requester_id=ticket.requester_id,
            owner_id=ticket.owner_id,
            tier=ticket.tier,
            mode=ticket.mode,  # type: ignore[arg-type]
            excluded_agents=frozenset(int(a) for a in released),
            deadlines=dict(deadlines),
        )

    # ------------------------------------------------------------------ internals

    def _current(self, session: Session) -> _Static:
        with self._lock:
            stamp = catalog_stamp(session)
            static = self._static
            fresh = static is not None and time.monotonic() - static.built_at < MAX_AGE_SECONDS
            if static is None or static.stamp != stamp or not fresh:
                static = self._static = self._build(session, stamp)
            return static

    def _build(self, session: Session, stamp: tuple[Any, ...]) -> _Static:
        graph = load_skill_graph(session)
        proficiencies: dict[int, dict[int, Proficiency]] = defaultdict(dict)
        wants: dict[int, set[int]] = defaultdict(set)
        for row in session.scalars(select(AgentSkill)):
            if row.proficiency > 0 or row.evidence > 0:
                proficiencies[row.user_id][row.skill_id] = Proficiency(
                    row.proficiency, row.last_used_at, row.evidence
                )
            if row.wants_to_learn:
                wants[row.user_id].add(row.skill_id)
        return _Static(
            stamp=stamp,
            built_at=time.monotonic(),
            graph=graph,
            proficiencies=dict(proficiencies),
            wants={k: frozenset(v) for k, v in wants.items()},
            collaboration=_collaboration(session),
        )

    def _agent_views(
        self, session: Session, static: _Static, now: datetime
    ) -> dict[int, AgentView]:
        loads = dict(
            session.execute(
                select(Ticket.owner_id, func.count(Ticket.id))
                .where(Ticket.owner_id.is_not(None), Ticket.status.in_(ACTIVE))
                .group_by(Ticket.owner_id)
            ).all()
        )
        recent = _recent_ownership(session, now - RECENT_WINDOW)
        rows = session.execute(
            select(
                User.id,
                User.name,
                AgentProfile.presence,
                AgentProfile.capacity,
                AgentProfile.tier,
                AgentProfile.tiers,
            )
            .join(AgentProfile, AgentProfile.user_id == User.id)
            .where(User.active.is_(True), User.role.in_(ROUTABLE_ROLES))
        ).all()
        views: dict[int, AgentView] = {}
        previous = static.views or {}
        for user_id, name, presence, capacity, tier, extra_tiers in rows:
            served = ({tier} if tier is not None else set()) | {int(t) for t in extra_tiers or ()}
            view = AgentView(
                id=user_id,
                name=name,
                present=presence == "online",
                load=int(loads.get(user_id, 0)),
                capacity=capacity,
                tiers=frozenset(served),
                proficiencies=static.proficiencies.get(user_id, {}),
                wants_to_learn=static.wants.get(user_id, frozenset()),
                recent_owned=recent.get(user_id, 0),
            )
            old = previous.get(user_id)
            # Reuse the old object when nothing moved, so the index skips the row quickly.
            views[user_id] = old if old == view else view
        return views


def _collaboration(session: Session) -> dict[int, dict[int, int]]:
    """How many tickets each pair of people worked on together (owner and helpers)."""
    by_ticket: dict[int, set[int]] = defaultdict(set)
    for ticket_id, user_id in session.execute(
        select(Participation.ticket_id, Participation.user_id)
    ):
        by_ticket[ticket_id].add(user_id)
    for ticket_id, owner_id in session.execute(
        select(Ticket.id, Ticket.owner_id).where(
            Ticket.id.in_(list(by_ticket)), Ticket.owner_id.is_not(None)
        )
    ):
        by_ticket[ticket_id].add(owner_id)
    pairs: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for people in by_ticket.values():
        for a in people:
            for b in people:
                if a != b:
                    pairs[a][b] += 1
    return {a: dict(others) for a, others in pairs.items()}


def _recent_ownership(session: Session, since: datetime) -> dict[int, int]:
    agent = TicketEvent.data["agent_id"].as_integer()
    rows = session.execute(
        select(agent, func.count(TicketEvent.id))
        .where(TicketEvent.type == EventType.ASSIGNED, TicketEvent.at >= since)
        .group_by(agent)
    ).all()
    return {int(a): int(n) for a, n in rows if a is not None}


def _requester_history(session: Session, requester_id: int) -> dict[int, int]:
    rows = session.execute(
        select(Ticket.owner_id, func.count(Ticket.id))
        .where(Ticket.requester_id == requester_id, Ticket.owner_id.is_not(None))
        .group_by(Ticket.owner_id)
    ).all()
    return {int(a): int(n) for a, n in rows}

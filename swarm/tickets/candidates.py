"""The people a ticket can be assigned to or a helper invited from, as a picker shows them.

Each candidate carries what someone choosing needs at a glance: whether they are online, how
many tickets they own against their capacity, and which of the ticket's skills they know. The
order puts people who are online first, then those who know most of what the ticket needs,
then the least loaded, so the first rows are the likely choices and none is chosen for you.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from swarm.models import AgentSkill, Ticket, User
from swarm.models.tickets import Status
from swarm.tickets.queries import staff_users

ACTIVE = (Status.NEW, Status.OPEN, Status.PENDING)


@dataclass(frozen=True)
class Candidate:
    user: User
    presence: str
    load: int
    capacity: int | None
    #: (skill name, proficiency 0–5) for each of the ticket's skills this person knows.
    knows: tuple[tuple[str, int], ...]

    @property
    def summary(self) -> str:
        """One line: ``online · 2/5 tickets · knows VPN 4/5, DNS 2/5``."""
        parts = [self.presence]
        parts.append(
            f"{self.load}/{self.capacity} tickets" if self.capacity else f"{self.load} tickets"
        )
        if self.knows:
            parts.append("knows " + ", ".join(f"{name} {level}/5" for name, level in self.knows))
        return " · ".join(parts)


def candidates(session: Session, ticket: Ticket) -> list[Candidate]:
    """Active staff with presence, load and the ticket's skills they know, likeliest first."""
    people: Sequence[User] = staff_users(session)
    loads = dict(
        session.execute(
            select(Ticket.owner_id, func.count(Ticket.id))
            .where(Ticket.owner_id.is_not(None), Ticket.status.in_(ACTIVE))
            .group_by(Ticket.owner_id)
        ).all()
    )
    wanted = {s.skill_id: s.skill.name for s in ticket.skills}
    knows: dict[int, list[tuple[str, int]]] = {}
    if wanted:
        rows = session.scalars(
            select(AgentSkill).where(AgentSkill.skill_id.in_(wanted), AgentSkill.proficiency > 0)
        )
        for row in rows:
            knows.setdefault(row.user_id, []).append((wanted[row.skill_id], row.proficiency))
    found = [
        Candidate(
            user=user,
            presence=user.profile.presence if user.profile else "offline",
            load=loads.get(user.id, 0),
            capacity=user.profile.capacity if user.profile else None,
            knows=tuple(sorted(knows.get(user.id, []), key=lambda k: (-k[1], k[0]))),
        )
        for user in people
    ]
    found.sort(
        key=lambda c: (
            c.presence != "online",
            -sum(level for _, level in c.knows),
            c.load,
            c.user.name,
        )
    )
    return found

"""The product's skill inference: trained from the organisation's own labelled tickets.

Training examples are the tickets whose skills a person set (corrections) and the resolved or
closed tickets' skills; the taxonomy's names and aliases always count. The trained model is
cached per process and retrained when the labelled set or the taxonomy changes.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from swarm.models import Ticket, TicketSkill
from swarm.models.tickets import Status
from swarm.skills.graph import SkillGraph
from swarm.skills.inference import SkillInferer, train_inferer

LABELLED = or_(TicketSkill.source == "manual", Ticket.status.in_([Status.RESOLVED, Status.CLOSED]))


def ticket_text(subject: str, body: str) -> str:
    return f"{subject}\n{body}"


class InfererCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[Any, ...] | None = None
        self._inferer: SkillInferer | None = None

    def inferer(self, session: Session, graph: SkillGraph) -> SkillInferer:
        key = (id(graph), *self._labelled_stamp(session))
        with self._lock:
            if self._inferer is None or key != self._key:
                self._inferer = train_inferer(graph, self._examples(session))
                self._key = key
            return self._inferer

    @staticmethod
    def _labelled_stamp(session: Session) -> tuple[Any, ...]:
        row = session.execute(
            select(func.count(TicketSkill.ticket_id), func.max(TicketSkill.ticket_id))
            .join(Ticket, Ticket.id == TicketSkill.ticket_id)
            .where(LABELLED)
        ).one()
        return tuple(row)

    @staticmethod
    def _examples(session: Session) -> list[tuple[str, list[int]]]:
        labels: dict[int, list[int]] = {}
        texts: dict[int, str] = {}
        rows = session.execute(
            select(Ticket.id, Ticket.subject, Ticket.body, TicketSkill.skill_id)
            .join(TicketSkill, TicketSkill.ticket_id == Ticket.id)
            .where(LABELLED)
            .order_by(Ticket.id)
        )
        for ticket_id, subject, body, skill_id in rows:
            texts[ticket_id] = ticket_text(subject, body)
            labels.setdefault(ticket_id, []).append(skill_id)
        return [(texts[t], labels[t]) for t in texts]

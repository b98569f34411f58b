"""Skills grow by use: a resolved ticket adds evidence to its owner's and helpers' profiles."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from swarm.models import AgentSkill, Message, Participation, SkillGrowth, Ticket
from swarm.skills.proficiency import Proficiency, accrue_evidence


def record_evidence(session: Session, ticket: Ticket, now: datetime) -> None:
    """Store the evidence that resolving ``ticket`` gives the people who worked it.

    The owner and every **contributing** helper gain one unit of evidence on each of the
    ticket's required skills, ``last_used_at`` moves to now, and a level the evidence supports
    is raised (never lowered). Each change is also written to ``skill_growth``. Runs inside the
    caller's transaction, before the swarm's stints end.

    A contributing helper had a helper stint on the ticket *and* left a written trace in it (a
    message of any kind or a note): what they did is in the log, so it is evidence. Someone
    who only opened the page has no stint at all, and someone who accepted an invitation but
    never wrote gains nothing from this ticket.
    """
    skill_ids = [s.skill_id for s in ticket.skills]
    if not skill_ids or ticket.owner_id is None:
        return
    helpers = set(
        session.scalars(
            select(Participation.user_id).where(
                Participation.ticket_id == ticket.id, Participation.role == "helper"
            )
        )
    ) & set(session.scalars(select(Message.author_id).where(Message.ticket_id == ticket.id)))
    people = {ticket.owner_id, *helpers}
    rows = {
        (row.user_id, row.skill_id): row
        for row in session.scalars(
            select(AgentSkill).where(
                AgentSkill.user_id.in_(people), AgentSkill.skill_id.in_(skill_ids)
            )
        )
    }
    profiles: dict[int, dict[int, Proficiency]] = {}
    for (user_id, skill_id), row in rows.items():
        profiles.setdefault(user_id, {})[skill_id] = Proficiency(
            row.proficiency, row.last_used_at, row.evidence
        )
    for update in accrue_evidence(skill_ids, ticket.owner_id, helpers, profiles, now):
        row = rows.get((update.agent_id, update.skill_id))
        before = None if row is None else row.proficiency
        if row is None:
            row = AgentSkill(user_id=update.agent_id, skill_id=update.skill_id, proficiency=0)
            session.add(row)
        row.proficiency = update.after.level
        row.evidence = update.after.evidence
        row.last_used_at = update.after.last_used
        row.updated_at = now
        session.add(
            SkillGrowth(
                user_id=update.agent_id,
                skill_id=update.skill_id,
                at=now,
                cause="evidence",
                proficiency_before=before,
                proficiency_after=update.after.level,
                wants_to_learn=bool(row.wants_to_learn),
                evidence=update.after.evidence,
                ticket_id=ticket.id,
            )
        )

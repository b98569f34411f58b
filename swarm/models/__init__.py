"""SQLAlchemy mapped classes, one module per aggregate. Models never commit."""

from swarm.models.skills import AgentSkill, Skill, SkillGrowth, SkillRelation
from swarm.models.tickets import (
    Invitation,
    Message,
    Participation,
    Ticket,
    TicketDeadline,
    TicketEvent,
    TicketSkill,
)
from swarm.models.users import AgentProfile, ApiToken, User

__all__ = [
    "AgentProfile",
    "AgentSkill",
    "ApiToken",
    "Invitation",
    "Message",
    "Participation",
    "Skill",
    "SkillGrowth",
    "SkillRelation",
    "Ticket",
    "TicketDeadline",
    "TicketEvent",
    "TicketSkill",
    "User",
]

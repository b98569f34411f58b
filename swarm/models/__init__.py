"""SQLAlchemy mapped classes, one module per aggregate. Models never commit."""

from swarm.models.skills import AgentSkill, Skill, SkillRelation
from swarm.models.tickets import (
    Invitation,
    Message,
    Participation,
    Ticket,
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
    "SkillRelation",
    "Ticket",
    "TicketEvent",
    "TicketSkill",
    "User",
]

"""SQLAlchemy mapped classes, one module per aggregate. Models never commit."""

from swarm.models.audit import AuditEntry
from swarm.models.datasets import Dataset, DatasetActor, DatasetEvent
from swarm.models.knowledge import (
    Article,
    ArticleCheck,
    ArticleContributor,
    ArticleReview,
    ArticleSkill,
    ArticleTicketLink,
    ArticleVersion,
)
from swarm.models.mail import MailAttachment, MailIntake, MailOutcome
from swarm.models.notifications import (
    Notification,
    NotificationPreference,
    NotificationSchedule,
)
from swarm.models.outbox import DeliveryAttempt, OutboxItem, OutboxState, Webhook
from swarm.models.portal import PortalEvent
from swarm.models.rules import Rule, RuleRun
from swarm.models.settings import Setting
from swarm.models.simulations import RunState, SimulationRun
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
from swarm.models.users import AgentProfile, ApiToken, GuestPass, User, UserSession
from swarm.models.vendors import Vendor, VendorHandoff

__all__ = [
    "AgentProfile",
    "AgentSkill",
    "ApiToken",
    "Article",
    "ArticleCheck",
    "ArticleContributor",
    "ArticleReview",
    "ArticleSkill",
    "ArticleTicketLink",
    "ArticleVersion",
    "AuditEntry",
    "Dataset",
    "DatasetActor",
    "DatasetEvent",
    "DeliveryAttempt",
    "GuestPass",
    "Invitation",
    "MailAttachment",
    "MailIntake",
    "MailOutcome",
    "Message",
    "Notification",
    "NotificationPreference",
    "NotificationSchedule",
    "OutboxItem",
    "OutboxState",
    "Participation",
    "PortalEvent",
    "Rule",
    "RuleRun",
    "RunState",
    "Setting",
    "SimulationRun",
    "Skill",
    "SkillGrowth",
    "SkillRelation",
    "Ticket",
    "TicketDeadline",
    "TicketEvent",
    "TicketSkill",
    "User",
    "UserSession",
    "Vendor",
    "VendorHandoff",
    "Webhook",
]

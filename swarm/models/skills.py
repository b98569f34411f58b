"""The skill taxonomy and each agent's proficiencies: the data the skill graph is built from."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from swarm.db import Base, JSONType, UTCDateTime


class RelationKind(StrEnum):
    IS_A = "is_a"
    RELATED_TO = "related_to"


class Skill(Base):
    __tablename__ = "skills"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    category: Mapped[str | None] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    aliases: Mapped[list[str]] = mapped_column(JSONType, default=list)


class SkillRelation(Base):
    __tablename__ = "skill_relations"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    weight: Mapped[float] = mapped_column(Float, default=1.0)

    __table_args__ = (
        UniqueConstraint("source_id", "target_id", "kind", name="uq_skill_relations_edge"),
        CheckConstraint("kind IN ('is_a','related_to')", name="kind"),
        CheckConstraint("source_id <> target_id", name="no_self_loop"),
        CheckConstraint("weight > 0 AND weight <= 1", name="weight"),
    )


class AgentSkill(Base):
    __tablename__ = "agent_skills"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[int] = mapped_column(
        ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    proficiency: Mapped[int] = mapped_column(Integer, default=0)
    wants_to_learn: Mapped[bool] = mapped_column(Boolean, default=False)
    evidence: Mapped[int] = mapped_column(Integer, default=0)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    skill: Mapped[Skill] = relationship(lazy="joined")

    __table_args__ = (
        CheckConstraint("proficiency BETWEEN 0 AND 5", name="proficiency"),
        CheckConstraint("evidence >= 0", name="evidence"),
    )


class SkillGrowth(Base):
    """One change to an agent's proficiency or learning goal, kept to show growth over time."""

    __tablename__ = "skill_growth"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # self (the agent's own edit), manager, evidence (a resolved ticket), removed
    cause: Mapped[str] = mapped_column(String(16))
    proficiency_before: Mapped[int | None] = mapped_column(Integer)
    proficiency_after: Mapped[int | None] = mapped_column(Integer)
    wants_to_learn: Mapped[bool] = mapped_column(Boolean, default=False)
    evidence: Mapped[int] = mapped_column(Integer, default=0)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))

    __table_args__ = (
        CheckConstraint("cause IN ('self','manager','evidence','removed')", name="cause"),
    )

"""Automation rules (docs/rules.md) and the record of each time one fired."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from swarm.db import Base, BigIntId, JSONType, UTCDateTime


class Rule(Base):
    """When an event of type ``trigger`` happens and ``conditions`` hold, do ``actions``.
    ``conditions`` and ``actions`` are the JSON that ``swarm.rules.spec.parse_rule`` reads;
    ``version`` grows with every change, and each run records the version that fired."""

    __tablename__ = "rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    trigger: Mapped[str] = mapped_column(String(32))
    conditions: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (Index("ix_rules_trigger_enabled", "trigger", "enabled"),)


class RuleRun(Base):
    """One firing of one rule on one event: each action's outcome, and the run's.

    ``outcome`` is ``running`` while its actions are carried out, then ``done`` (every action
    did what it says, or there was nothing left to do) or ``failed`` (at least one action was
    refused; ``error`` says the first reason, ``results`` each action's)."""

    __tablename__ = "rule_runs"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("rules.id", ondelete="CASCADE"))
    rule_version: Mapped[int] = mapped_column(Integer)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(BigIntId)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(8), default="running")
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("outcome IN ('running','done','failed')", name="outcome"),
        Index("ix_rule_runs_rule_id_id", "rule_id", "id"),
        # One run per rule and event: a runner that sees an event twice fires once.
        Index("uq_rule_runs_rule_id_event_id", "rule_id", "event_id", unique=True),
    )

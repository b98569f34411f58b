"""What a requester did in the self-service portal before there was a ticket to write it on.

The event log is per ticket, but a requester searching the knowledge base or typing a new
ticket has none yet, and a deflection never gets one: these rows hold the portal's
``article_suggested``, ``article_viewed`` and ``deflected`` events, each a thing a person
saw or did, as their browser reported it (docs/knowledge.md, "The portal").

A *visit* is one draft of a ticket, named by the page (a random id): it begins when the
requester starts typing and ends with ``deflected`` ("this solved it") or with the ticket
("still need help"), whose id is then written on the visit's rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from swarm.db import Base, BigIntId, JSONType, UTCDateTime

VISIT_MAX = 64
PORTAL_EVENT_TYPES = ("article_suggested", "article_viewed", "deflected")


class PortalEvent(Base):
    __tablename__ = "portal_events"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    visit: Mapped[str] = mapped_column(String(VISIT_MAX))
    type: Mapped[str] = mapped_column(String(32))
    # The article shown, opened or that solved it; kept when the article is deleted later
    # (the count stays true), hence no foreign key.
    article_id: Mapped[int] = mapped_column()
    # The ticket the visit ended in, when the requester still needed help.
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(String(64), default="live")
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    __table_args__ = (
        # Once per visit and article: a suggestion shown again as the requester types on,
        # or an article opened twice, is one thing seen, not two.
        UniqueConstraint("user_id", "visit", "type", "article_id", name="uq_portal_events_once"),
        CheckConstraint("type IN ('article_suggested','article_viewed','deflected')", name="type"),
        Index("ix_portal_events_source_at", "source", "at"),
    )

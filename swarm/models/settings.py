"""Organisation settings kept as JSON documents by name (routing mode, tier configuration).

A document is validated by the pure package that owns its meaning (``swarm.tiers``) before it is
stored; ``version`` grows by one on every write, so that every server process can tell cheaply
that its cached copy is stale.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from swarm.db import Base, JSONType, UTCDateTime


class Setting(Base):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

"""Imported and simulated event logs, kept apart from the live application's own log.

A dataset is a named event log that is not the application's: an organisation's history
imported from a file (``kind = 'import'``) or a simulator run (``kind = 'sim'``, named
``sim:<run>``). Its events have the shape of ``ticket_events`` but live in ``dataset_events``,
without foreign keys: their ticket and actor ids are numbers inside the dataset, and keeping
them out of ``ticket_events`` keeps them out of every live query (routing, ticket pages,
deadlines). ``dataset_actors`` names the groups or people a dataset's events refer to, with
their support level when the log tells it. Only :mod:`swarm.simulation.store` writes these
tables (docs/import.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from swarm.db import Base, BigIntId, JSONType, UTCDateTime


class Dataset(Base):
    """One dataset: where it came from and what it holds. A name starting with ``~`` is an
    import still being written (its staging name); it is never listed."""

    __tablename__ = "datasets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    format: Mapped[str] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(String(255), default="")
    # Which arm the log's tickets land in (``tiered`` for an imported tiered organisation),
    # or ``both`` for a simulation that ran the two.
    arm: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cases: Mapped[int] = mapped_column(Integer, default=0)
    events: Mapped[int] = mapped_column(BigInteger, default=0)
    rejected: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DatasetEvent(Base):
    """One event of a dataset, as ``ticket_events`` has it; ``source`` is the dataset's name."""

    __tablename__ = "dataset_events"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    source: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_dataset_events_source_ticket_id_id", "source", "ticket_id", "id"),
        Index("ix_dataset_events_source_type", "source", "type"),
        Index("ix_dataset_events_source_at", "source", "at"),
    )


class DatasetActor(Base):
    """A group or person a dataset's events name; ``level`` is their support line (1–3)."""

    __tablename__ = "dataset_actors"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(255))
    level: Mapped[int | None] = mapped_column(Integer)

"""Simulation runs started from the pages or the API: what was asked, how far it got, and the
dataset (``sim:<name>``) it wrote. The run itself happens in a child process
(``python -m swarm run-simulation ID``), which updates its row as it goes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from swarm.db import Base, JSONType, UTCDateTime


class RunState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class SimulationRun(Base):
    __tablename__ = "simulation_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The dataset the run writes, ``sim:<slug>``; unique so two runs never share one.
    dataset: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    # The scenario exactly as run (YAML), so a result can always be traced to its inputs.
    scenario: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(8), default=RunState.QUEUED, index=True)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    pid: Mapped[int | None] = mapped_column(Integer)
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The child process writes this with each progress step: a run whose beat stopped long ago
    # lost its process (a server restarted under it) and is reported as failed.
    beat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        CheckConstraint("state IN ('queued','running','done','failed')", name="state"),
    )

"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from functools import cache
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint
from sqlalchemy import text

from swarm.migrate import alembic_config
from swarm.runtime import runtime

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz() -> Any:
    """The process is up and serving requests."""
    return {"status": "ok"}


@cache
def migration_head() -> str | None:
    """The newest migration this code ships. Read once: finding it loads every migration
    script (90–100 ms of CPU on the 2-core machine under load), which a load balancer's
    polling of ``/readyz`` would otherwise cost the serving loop each time; new migrations
    arrive with new code, and so with a restart."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


@health.get("/readyz")
def readyz() -> Any:
    """The database answers and its schema is at the newest migration.

    ``inference`` says how this process's skill model stands (``ok``, ``training``, or
    ``degraded`` when the last training failed and the previous model — or names and aliases
    alone — still serves). A degraded model still routes, so the answer stays 200 and the top
    ``status`` reads ``degraded``.
    """
    head = migration_head()
    try:
        with runtime().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            current = MigrationContext.configure(conn).get_current_revision()
    except Exception as exc:  # any failure to reach the database means "not ready"
        return {"status": "unavailable", "database": f"unreachable: {type(exc).__name__}"}, 503
    if current != head:
        return {"status": "unavailable", "database": "ok", "migration": current, "head": head}, 503
    inference = runtime().routing.inference.status()
    status = "degraded" if inference["status"] == "degraded" else "ok"
    return {"status": status, "database": "ok", "migration": current, "inference": inference}

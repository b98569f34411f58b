"""Liveness and readiness for load balancers and orchestrators, and the metrics for
Prometheus."""

from __future__ import annotations

import hmac
from datetime import datetime
from functools import cache
from typing import Any

import redis
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, Response, abort, request
from sqlalchemy import func, select, text

from swarm.migrate import alembic_config
from swarm.models import OutboxItem, TicketDeadline
from swarm.runtime import db_session, runtime
from swarm.telemetry import CONTENT_TYPE, OUTBOX_DEPTH, SWEEPER_LAG, exposition

health = Blueprint("health", __name__)

#: How long /readyz waits for Redis: a probe must answer well within the balancer's timeout.
REDIS_TIMEOUT = 1.0


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
    """The database answers and its schema is at the newest migration (else 503); Redis, when
    configured, answers (else 200 with ``"status": "degraded"``).

    Without Redis a process still serves its own connections — rooms, pages, the API — but its
    room events no longer reach the other processes: worth an alert, not worth taking every
    process out of the balancer at once, which would leave no one serving. ``inference`` says
    how this process's skill model stands (``ok``, ``training``, or ``degraded`` when the last
    training failed and the previous model — or names and aliases alone — still serves); a
    degraded model still routes, so that too is 200 with ``"status": "degraded"``."""
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
    answer: dict[str, Any] = {
        "status": "degraded" if inference["status"] == "degraded" else "ok",
        "database": "ok",
        "migration": current,
        "inference": inference,
    }
    redis_url = _redis_url()
    if redis_url is not None:
        answer["redis"] = _redis_state(redis_url)
        if answer["redis"] != "ok":
            answer["status"] = "degraded"
    return answer


def _redis_url() -> str | None:
    config = runtime().config
    for url in (config.message_queue, config.ratelimit_storage_url):
        if url and url.startswith(("redis://", "rediss://")):
            return url
    return None


def _redis_state(url: str) -> str:
    client = redis.Redis.from_url(
        url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT
    )
    try:
        client.ping()
    except Exception as exc:  # refused, timed out, wrong password: all "unreachable"
        return f"unreachable: {type(exc).__name__}"
    finally:
        client.close()
    return "ok"


@health.get("/metrics")
def metrics() -> Any:
    """Prometheus' text format, for a caller with ``Authorization: Bearer
    <SWARM_METRICS_TOKEN>``; 404 when no token is configured, 401 without the right one."""
    token = runtime().config.metrics_token
    if token is None:
        abort(404)
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip(), token):
        return Response(
            "Send the metrics token: Authorization: Bearer <SWARM_METRICS_TOKEN>.\n",
            401,
            {"WWW-Authenticate": 'Bearer realm="metrics"'},
            mimetype="text/plain",
        )
    SWEEPER_LAG.set(_sweeper_lag())
    query = (
        select(OutboxItem.state, func.count())
        .where(OutboxItem.state.in_(("pending", "dead")))
        .group_by(OutboxItem.state)
    )
    waiting = {state: count for state, count in db_session().execute(query)}
    for state in ("pending", "dead"):
        OUTBOX_DEPTH.labels(state).set(waiting.get(state, 0))
    return Response(exposition(), content_type=CONTENT_TYPE)


def _sweeper_lag() -> float:
    """Seconds the oldest due deadline has waited; 0 when nothing is overdue."""
    now: datetime = runtime().clock.now()
    oldest = db_session().scalar(
        select(func.min(TicketDeadline.due_at)).where(TicketDeadline.due_at <= now)
    )
    if oldest is None:
        return 0.0
    if oldest.tzinfo is None:  # SQLite hands back naive UTC
        oldest = oldest.replace(tzinfo=now.tzinfo)
    return max(0.0, (now - oldest).total_seconds())

"""The facts SQL gives the same answers on PostgreSQL as on SQLite, for the hand-built logs of
tests/unit/test_metrics_facts.py, in a schema of this test's own (no users or tickets needed)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import Connection, text

from swarm.db import make_engine
from swarm.metrics.facts import (
    FACT_COLUMNS,
    Selection,
    facts_from_log,
    facts_sql,
    pause_sql,
    ticket_facts,
)
from swarm.metrics.memory import memory_log
from tests.unit.test_metrics_facts import (
    AS_OF,
    GUEST,
    MANAGER,
    OTHER,
    OWNER,
    REQUESTER,
    T0,
    THIRD,
    assigned,
    created,
    ev,
    resolved,
)

pytestmark = pytest.mark.postgres

SCHEMA = "metrics_facts_test"


def log() -> list[dict]:
    """Every shape the unit tests pin, as separate tickets of one log."""
    return [
        created(1, mode="tiered"),
        ev(1, "queued", 0, tier=1),
        assigned(1, 1, OWNER, by="pull", tier=1),
        ev(1, "status_changed", 5, OWNER, **{"from": "open", "to": "pending"}),
        ev(1, "vendor_handoff", 8, OWNER, vendor="Acme", vendor_id=1),
        ev(1, "status_changed", 12, OWNER, **{"from": "pending", "to": "open"}),
        ev(1, "vendor_update", 30, OWNER, status="resolved", vendor_id=1),
        ev(1, "escalated", 35, None, from_tier=1, to_tier=2, reason="time_limit"),
        ev(1, "unassigned", 35, None, previous_owner_id=OWNER, reason="escalated"),
        assigned(1, 40, OTHER, by="pull", tier=2),
        resolved(1, 90, OTHER),
        ev(1, "satisfaction_rated", 95, REQUESTER, score=3),
        created(2, minute=3),
        assigned(2, 4, OWNER, actor=MANAGER, by="manual"),
        ev(2, "message", 5, REQUESTER, message_id=1, kind="reply"),
        ev(2, "message", 6, OWNER, message_id=2, kind="reply"),
        ev(2, "guest_invited", 7, OWNER, guest_id=GUEST, name="Vendor"),
        ev(2, "message", 8, GUEST, message_id=3, kind="chat"),
        ev(2, "helper_joined", 9, THIRD, agent_id=THIRD, via="message", message_id=4),
        ev(2, "helper_left", 29, THIRD, agent_id=THIRD, seconds=1200, reason="resolved"),
        resolved(2, 29),
        ev(2, "reopened", 40, REQUESTER, to="open"),
        created(3, minute=10, priority="P1"),
        assigned(3, 11, OWNER),
        assigned(3, 12, OTHER),
        assigned(3, 13, OWNER),
    ]


@pytest.fixture
def pg(pg_url: str) -> Iterator[Connection]:
    engine = make_engine(pg_url)
    with engine.connect() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        conn.execute(
            text(
                f"CREATE TABLE {SCHEMA}.ticket_events (id BIGINT PRIMARY KEY, "
                "ticket_id INTEGER NOT NULL, type VARCHAR(32) NOT NULL, actor_id INTEGER, "
                "at TIMESTAMP WITH TIME ZONE NOT NULL, data JSONB NOT NULL, "
                "source VARCHAR(64) NOT NULL)"
            )
        )
        conn.execute(
            text(
                f"INSERT INTO {SCHEMA}.ticket_events "
                "(id, ticket_id, type, actor_id, at, data, source) "
                "VALUES (:id, :ticket_id, :type, :actor_id, :at, CAST(:data AS JSONB), 'live')"
            ),
            [
                {**row, "id": number, "data": json.dumps(row["data"])}
                for number, row in enumerate(log(), start=1)
            ],
        )
        conn.execute(text(f"SET search_path TO {SCHEMA}"))
        yield conn
        conn.rollback()
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.commit()
    engine.dispose()


@pytest.mark.parametrize(
    "selection",
    [
        {},
        {"priority": ("P1",)},
        {"start": T0 + timedelta(minutes=2)},
        {"as_of": T0 + timedelta(minutes=20)},
        {"tier": 2},
    ],
)
def test_facts_are_the_same_on_postgres(pg, selection):
    sel = Selection("live", selection.pop("as_of", AS_OF), **selection)
    levels = {OWNER: 1, OTHER: 2, THIRD: 3}
    on_sqlite = facts_from_log(memory_log(log()), sel, levels)
    sql, params = facts_sql("postgresql", sel, levels)
    psql, pparams = pause_sql("postgresql", sel)
    on_postgres = ticket_facts(
        [tuple(r) for r in pg.execute(text(sql), params)],
        [tuple(r) for r in pg.execute(text(psql), pparams)],
        sel.as_of.timestamp(),
    )
    assert len(on_postgres) == len(on_sqlite) > 0
    for name in (*FACT_COLUMNS, "paused_s", "vendor_s"):
        a, b = getattr(on_sqlite, name), getattr(on_postgres, name)
        if a.dtype.kind == "f":
            # SQLite's julianday keeps about a millisecond.
            np.testing.assert_allclose(a, b, atol=0.01, err_msg=name)
        else:
            assert list(a) == list(b), name


def test_the_whole_report_reads_postgres_through_its_streamed_cursor(pg):
    from swarm.metrics.compare import build_report as from_facts
    from swarm.reporting.service import MetricsQuery, _sla_targets, build_report

    on_postgres = build_report(pg, MetricsQuery(), as_of=AS_OF, levels={OWNER: 1})
    facts = facts_from_log(memory_log(log()), Selection("live", AS_OF), {OWNER: 1})
    on_sqlite = from_facts(facts, dataset="live", period={}, filters={}, sla_targets=_sla_targets())

    assert on_postgres["tickets"] == on_sqlite["tickets"] == 3
    assert on_postgres["arms"]["swarm"]["metrics"] == on_sqlite["arms"]["swarm"]["metrics"]
    assert on_postgres["differences"].keys() == on_sqlite["differences"].keys()

"""The people and exceptions SQL gives the same answers on PostgreSQL as on SQLite, for the
same hand-built logs.

The rows go into a ``ticket_events`` and a ``skill_growth`` table of the types the migrations
give them (BIGINT ids, ``timestamptz``, ``jsonb``), in a schema of this test's own, so that no
users or tickets need to exist for the foreign keys.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Connection, text

from swarm.db import make_engine
from swarm.metrics.exceptions import exceptions, exceptions_sql
from swarm.metrics.memory import memory_log
from swarm.metrics.people import contribution, contribution_sql, skill_growth, skill_growth_sql
from tests.metrics_log import (
    GROWTH_ROWS,
    T0,
    add_growth,
    contribution_log,
    hands_log,
    owners_log,
    swarms_log,
    vendor_log,
)

pytestmark = pytest.mark.postgres

SCHEMA = "metrics_people_test"

TABLES = f"""
CREATE TABLE {SCHEMA}.ticket_events (
    id BIGINT PRIMARY KEY,
    ticket_id INTEGER NOT NULL,
    type VARCHAR(32) NOT NULL,
    actor_id INTEGER,
    at TIMESTAMP WITH TIME ZONE NOT NULL,
    data JSONB NOT NULL,
    source VARCHAR(64) NOT NULL
);
-- The metrics read every dataset but live from dataset_events: here one table holds all.
CREATE VIEW {SCHEMA}.dataset_events AS SELECT * FROM {SCHEMA}.ticket_events;
CREATE TABLE {SCHEMA}.skill_growth (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL,
    skill_id INTEGER NOT NULL,
    at TIMESTAMP WITH TIME ZONE NOT NULL,
    cause VARCHAR(16) NOT NULL,
    proficiency_before INTEGER,
    proficiency_after INTEGER,
    wants_to_learn BOOLEAN NOT NULL DEFAULT false,
    evidence INTEGER NOT NULL DEFAULT 0,
    actor_id INTEGER,
    ticket_id INTEGER
)
"""

GROWTH_COLUMNS = ("id", "user", "skill", "at", "cause", "before", "after", "evidence")

LOG = contribution_log() + hands_log() + vendor_log() + owners_log() + swarms_log()


@pytest.fixture
def pg(pg_url: str) -> Iterator[Connection]:
    engine = make_engine(pg_url)
    with engine.connect() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        for statement in TABLES.split(";"):
            conn.execute(text(statement))
        conn.execute(
            text(
                f"INSERT INTO {SCHEMA}.ticket_events "
                "(id, ticket_id, type, actor_id, at, data, source) "
                "VALUES (:id, :ticket_id, :type, :actor_id, :at, CAST(:data AS JSONB), :source)"
            ),
            [
                {**row, "id": number, "data": json.dumps(row["data"])}
                for number, row in enumerate(LOG, start=1)
            ],
        )
        conn.execute(
            text(
                f"INSERT INTO {SCHEMA}.skill_growth (id, user_id, skill_id, at, cause, "
                "proficiency_before, proficiency_after, evidence) "
                "VALUES (:id, :user, :skill, :at, :cause, :before, :after, :evidence)"
            ),
            [dict(zip(GROWTH_COLUMNS, row, strict=True)) for row in GROWTH_ROWS],
        )
        # A session setting, so that the metrics' unqualified table names find these tables.
        conn.execute(text(f"SET search_path TO {SCHEMA}"))
        yield conn
        conn.rollback()
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.commit()
    engine.dispose()


def both(pg: Connection, build, *args, **kwargs):
    """The rows of one query on SQLite and on PostgreSQL."""
    lite = memory_log(LOG)
    add_growth(lite)
    sql, params = build("sqlite", *args, **kwargs)
    on_sqlite = lite.execute(sql, params).fetchall()
    sql, params = build("postgresql", *args, **kwargs)
    on_postgres = [tuple(row) for row in pg.execute(text(sql), params)]
    return on_sqlite, on_postgres


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"person": 2}, {"start": T0 - timedelta(days=1)}, {"as_of": T0 + timedelta(minutes=5)}],
)
def test_contribution_is_the_same_on_postgres(pg, kwargs):
    on_sqlite, on_postgres = both(pg, contribution_sql, "live", **kwargs)
    assert contribution(on_postgres) == contribution(on_sqlite)
    assert contribution(on_postgres)  # the log has people in every one of these cases


@pytest.mark.parametrize("kwargs", [{}, {"person": 1}, {"start": T0 + timedelta(days=1)}])
def test_skill_growth_is_the_same_on_postgres(pg, kwargs):
    on_sqlite, on_postgres = both(pg, skill_growth_sql, **kwargs)
    assert skill_growth(on_postgres) == skill_growth(on_sqlite)
    assert skill_growth(on_postgres)


@pytest.mark.parametrize("hours", [2, 12, 48])
def test_exceptions_are_the_same_on_postgres(pg, hours):
    as_of = T0 + timedelta(hours=hours)
    lite = memory_log(LOG)
    queries = {"sqlite": exceptions_sql("sqlite", "live", as_of=as_of)}
    queries["postgresql"] = exceptions_sql("postgresql", "live", as_of=as_of)
    on_sqlite = {k: lite.execute(s, p).fetchall() for k, (s, p) in queries["sqlite"].items()}
    on_postgres = {
        k: [tuple(r) for r in pg.execute(text(s), p)] for k, (s, p) in queries["postgresql"].items()
    }
    report = exceptions(on_postgres, as_of=as_of)
    assert report == exceptions(on_sqlite, as_of=as_of)
    assert sum(report["counts"].values()) > 0

"""Which database errors mean "out of reach, try again" (503) and which are bugs (500)."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from swarm.db import database_unavailable


def wrapped(error: Exception, cls: type[DBAPIError] = OperationalError, invalidated=False):
    return cls("SELECT 1", {}, error, connection_invalidated=invalidated)


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (wrapped(psycopg.OperationalError("connection refused")), True),
        (
            wrapped(
                psycopg.OperationalError("terminating connection due to administrator command")
            ),
            True,
        ),
        (psycopg.OperationalError("server closed the connection unexpectedly"), True),
        (wrapped(psycopg.errors.UndefinedTable("no such relation"), ProgrammingError), False),
        (wrapped(sqlite3.OperationalError("database is locked")), True),
        (wrapped(sqlite3.OperationalError("no such table: tickets")), False),
        (wrapped(ValueError("anything"), invalidated=True), True),
        (RuntimeError("not a database error"), False),
    ],
)
def test_out_of_reach_or_a_bug(error, unavailable):
    assert database_unavailable(error) is unavailable

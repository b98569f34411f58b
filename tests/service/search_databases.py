"""What the search tests share: the same tests on both engines, and the queries a person can
type that must never reach an engine's syntax."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from swarm.db import Base, make_engine
from swarm.migrate import upgrade
from tests.integration.conftest import _reset_postgres

HOSTILE = [
    "",
    "   ",
    '"',
    '"unbalanced',
    "'",
    "vpn'",
    "(((",
    ")",
    "NEAR(vpn drops)",
    "vpn NEAR/2 drops",
    "AND",
    "vpn AND OR NOT",
    "*",
    "vpn*",
    "^vpn",
    "title:vpn",
    "body : vpn",
    "vpn:*",
    "!vpn & | <->",
    "'; DROP TABLE articles; --",
    "\\",
    "\x00vpn",
    "{{7*7}}",
    "vpn" * 200,
    " ".join(["vpn"] * 500),
]


@pytest.fixture(name="engine", params=["sqlite", "postgres"])
def both_databases(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """The module's ``engine`` (and so ``session``, tests/conftest.py): SQLite with the tables
    of ``create_all``, then PostgreSQL built by the migrations (skipped without
    SWARM_TEST_DATABASE_URL)."""
    if request.param == "postgres":
        url = request.getfixturevalue("pg_url")
        _reset_postgres(url)
        upgrade(url)
        eng = make_engine(url)
    else:
        import swarm.models  # noqa: F401 - registers the tables

        eng = make_engine("sqlite://")
        Base.metadata.create_all(eng)
    yield eng
    eng.dispose()

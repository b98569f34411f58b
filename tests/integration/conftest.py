"""Real databases for the integration tests: a fresh PostgreSQL schema, a SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from swarm.db import make_engine
from swarm.migrate import upgrade

# Enough pooled connections for the concurrency tests' threads.
POOL_SIZE = 10


def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    _reset_postgres(pg_url)
    upgrade(pg_url)
    engine = make_engine(pg_url, pool_size=POOL_SIZE)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_file_engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'race.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()

"""Shared fixtures: an in-memory database, a fake clock, an app, and the real services.

Tests that need PostgreSQL or Redis read SWARM_TEST_DATABASE_URL / SWARM_TEST_REDIS_URL: unset
means skip (with the reason), set but unreachable means fail.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from swarm.clock import FakeClock
from swarm.config import Config
from swarm.db import Base, make_engine, make_session_factory
from swarm.tickets.notify import RecordingNotifier
from swarm.tickets.service import TicketService

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _root_logger_restored() -> Iterator[None]:
    """Every CLI command sets up logging (swarm/logs.py); a command run in-process by a test
    must not leave the root logger at INFO with its handler for the tests after it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def engine() -> Iterator[Engine]:
    import swarm.models  # noqa: F401 - registers the tables

    eng = make_engine("sqlite://")
    Base.metadata.create_all(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    factory = make_session_factory(engine)
    with factory() as s:
        yield s


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def tickets(session: Session, clock: FakeClock, notifier: RecordingNotifier) -> TicketService:
    return TicketService(session, clock, notifier)


def make_config(tmp_path: Path, database_url: str | None = None, **overrides: object) -> Config:
    values: dict[str, object] = {
        "database_url": database_url or f"sqlite:///{tmp_path / 'swarm.db'}",
        "secret_key": "test-secret-key-not-for-production",
        "instance_path": tmp_path,
        "testing": True,
    }
    values.update(overrides)
    return Config(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def pg_url() -> str:
    url = os.environ.get("SWARM_TEST_DATABASE_URL")
    if not url:
        pytest.skip("SWARM_TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    from sqlalchemy import text

    eng = make_engine(url)
    try:
        with eng.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        pytest.fail(f"SWARM_TEST_DATABASE_URL is set but PostgreSQL is unreachable: {exc}")
    finally:
        eng.dispose()
    return url


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real logs (../shared/data beside the repository, or SWARM_SHARED_DATA).
    Absent means skip, with the reason — unless SWARM_REQUIRE_SHARED_DATA=1 (CI), then fail."""
    default = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    path = Path(os.environ.get("SWARM_SHARED_DATA") or default)
    if not path.is_dir():
        reason = f"the real logs are not at {path} (set SWARM_SHARED_DATA)"
        if os.environ.get("SWARM_REQUIRE_SHARED_DATA") == "1":
            pytest.fail(f"SWARM_REQUIRE_SHARED_DATA=1 but {reason}")
        pytest.skip(f"{reason}: real-log tests skipped")
    return path


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("SWARM_TEST_REDIS_URL")
    if not url:
        pytest.skip("SWARM_TEST_REDIS_URL is not set: Redis tests skipped")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except Exception as exc:
        pytest.fail(f"SWARM_TEST_REDIS_URL is set but Redis is unreachable: {exc}")
    return url

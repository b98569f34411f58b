"""Engine, session factory and the declarative base.

SQLite is the embedded default (WAL, a busy timeout, foreign keys on); PostgreSQL is the
production database. Write transactions on SQLite begin ``IMMEDIATE`` so that two writers
queue on the lock instead of failing with a stale snapshot half-way through.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Engine, Integer, MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 10_000


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always UTC-aware in Python, whatever the database keeps.

    SQLite has no time zones and hands back naive values; refusing naive input on the way in
    keeps local times from slipping into the event log.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC-aware one is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# JSONB on PostgreSQL (indexable), JSON text elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic's comparison filter: what models declare in ``Base.metadata.info["unmapped"]``
    (full-text search tables, columns and indexes kept in SQL, swarm/models/knowledge.py) is
    there on purpose, not a difference from the models."""
    unmapped = Base.metadata.info.get("unmapped", {})
    if not reflected or compare_to is not None or name is None:
        return True
    if type_ == "table":
        return not name.startswith(tuple(unmapped.get("table_prefixes", ())))
    if type_ == "column":
        return (obj.table.name, name) not in unmapped.get("columns", ())
    if type_ == "index":
        return name not in unmapped.get("indexes", ())
    return True


def normalize_url(url: str) -> str:
    """Use psycopg 3 for a plain ``postgresql://`` URL (SQLAlchemy would pick psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` with the settings Swarm relies on."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        if ":memory:" in url or url in {"sqlite://", "sqlite:///"}:
            # One shared connection: each new connection to :memory: would be a new database.
            kwargs.setdefault("poolclass", StaticPool)
        kwargs.setdefault("connect_args", {"check_same_thread": False})
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN, so writers can ask for IMMEDIATE.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def make_session_factory(engine: Engine, *, mail: bool = False) -> sessionmaker[Session]:
    """Sessions for ``engine``; their flushes also write the outbox rows that new ticket events
    call for (swarm/outbox/capture.py) and the notifications (swarm/notifications/capture.py),
    in the same transaction. ``mail``: this process sends mail, so notifications wanted by
    mail get an outbox row. ``create_app`` adds the live delivery of notifications after
    commit (``factory.kw["info"]``)."""
    from swarm.notifications.capture import (
        MAIL,
        capture_notifications,
        deliver_after_commit,
        forget_on_rollback,
    )
    from swarm.outbox.capture import capture_events

    factory = sessionmaker(bind=engine, expire_on_commit=False, autoflush=True, info={MAIL: mail})
    event.listen(factory, "after_flush", capture_events)
    event.listen(factory, "after_flush", capture_notifications)
    event.listen(factory, "after_commit", deliver_after_commit)
    event.listen(factory, "after_rollback", forget_on_rollback)
    return factory


def begin_write(session: Session) -> None:
    """Make the session's current transaction a write transaction.

    Call it before the first read of a service that will write. On SQLite it takes the write
    lock up front (``BEGIN IMMEDIATE``), so that two writers queue on the lock instead of one
    failing on a stale snapshot; a read-only transaction already open (the request loading its
    user) is ended first — it has nothing to lose, and ``expire_on_commit=False`` keeps the
    loaded objects. On PostgreSQL row locks (``FOR UPDATE``) do that job and nothing happens.
    """
    if session.get_bind().dialect.name != "sqlite" or session.info.get("write_tx"):
        return
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("begin_write() called with unsaved changes in the session")
        session.commit()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    session.info["write_tx"] = True


def _forget_write_tx(session: Session, *_: Any) -> None:
    session.info.pop("write_tx", None)


event.listen(Session, "after_commit", _forget_write_tx)
event.listen(Session, "after_rollback", _forget_write_tx)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for a command-line task: committed by the caller, always closed."""
    session = factory()
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


#: Seconds a client is told to wait (``Retry-After``) when the database cannot be reached.
RETRY_AFTER_SECONDS = 5
DATABASE_UNAVAILABLE = (
    "The database cannot be reached just now; nothing was saved. Try again in a few seconds."
)
_SQLITE_UNAVAILABLE = ("database is locked", "unable to open", "disk i/o error", "database is busy")


def database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database is out of reach (down, restarting, its network cut,
    a lock held past the busy timeout) rather than that a statement was wrong: the first is
    answered "try again" (503), the second is a bug (500). Every pooled connection busy past
    the pool's timeout (a process sent more than it can answer) is the same for the caller:
    nothing was done, try again."""
    if isinstance(error, PoolTimeout):
        return True
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        original: BaseException | None = error.orig
    else:  # a driver's own error (the message writer's raw connection raises those)
        original = error
    module = type(original).__module__
    if module.startswith("psycopg"):
        # psycopg's OperationalError is SQLSTATE classes 08 (connection), 53 (resources) and
        # 57 (operator intervention: a shutdown); statement errors have classes of their own.
        import psycopg

        return isinstance(original, psycopg.OperationalError | psycopg.InterfaceError)
    if module == "sqlite3":
        return any(text in str(original).lower() for text in _SQLITE_UNAVAILABLE)
    return False

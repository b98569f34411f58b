"""Back up and restore the database: ``python -m swarm backup PATH`` / ``restore PATH``.

SQLite is copied with its online backup API while the server keeps running: the copy reads one
snapshot (a read transaction held open for the whole copy, which in WAL mode blocks no writer),
so rows written meanwhile are either all in it or all out of it. The copy is written beside the
target as ``PATH.partial`` and renamed when complete, so a failed backup never leaves a file
that looks whole.

PostgreSQL is handed to its own tools, found on PATH: ``pg_dump -Fc`` and ``pg_restore --clean
--if-exists --single-transaction`` (a failed restore changes nothing).

Before a restore writes anything, the file is checked: it must be a database of this kind, whole,
with Swarm's tables and a migration revision (``alembic_version``) this Swarm knows. An older
revision is restored and the operator is told to run ``init-db``; a newer or unknown one is
refused, since this code would not understand its schema. A database that another process has
open is not overwritten without ``force``. (docs/operations.md.)
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from swarm.db import make_engine, normalize_url

#: ``progress(done, total)`` in pages (SQLite only; the PostgreSQL tools report none).
Progress = Callable[[int, int], None]

# Tables every Swarm database has had since the first migration.
SWARM_TABLES = frozenset({"alembic_version", "users", "tickets", "ticket_events"})
PAGES_PER_STEP = 256


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class Outcome:
    """What was written, at which migration revision, and anything the operator must do."""

    path: str
    revision: str | None
    advice: str | None = None


# ---------------------------------------------------------------------------- revisions


def known_revisions() -> list[str]:
    """This Swarm's migration revisions, oldest first."""
    from alembic.script import ScriptDirectory

    from swarm.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in script.walk_revisions()][::-1]


def revision_advice(revision: str | None, what: str) -> str | None:
    """None when ``revision`` is this Swarm's head; advice when it is older; raises
    ``BackupError`` when it is unknown (a newer Swarm's, or not Swarm's at all)."""
    revisions = known_revisions()
    head = revisions[-1]
    if revision == head:
        return None
    if revision not in revisions:
        raise BackupError(
            f"{what} is at migration revision {revision!r}, which this Swarm does not know "
            f"(its newest is {head!r}): it was made by a newer Swarm. Restore it with that "
            "version (or upgrade this one first); nothing was changed."
        )
    return (
        f"The restored database is at revision {revision}, older than this Swarm's {head}: "
        "run `python -m swarm init-db` to upgrade it before serving."
    )


# ---------------------------------------------------------------------------- entry points


def backup(database_url: str, path: str | Path, progress: Progress | None = None) -> Outcome:
    """Copy the database at ``database_url`` to ``path`` (which must not exist yet)."""
    target = Path(path)
    if target.exists():
        raise BackupError(f"{target} exists already: choose another name or remove it first.")
    if not target.parent.is_dir():
        raise BackupError(f"There is no folder {target.parent} to write the backup into.")
    url = make_url(normalize_url(database_url))
    if url.get_backend_name() == "sqlite":
        return _backup_sqlite(_sqlite_path(url), target, progress)
    if url.get_backend_name() == "postgresql":
        return _backup_postgres(url, target)
    raise BackupError(f"Cannot back up a {url.get_backend_name()} database.")


def restore(
    database_url: str, path: str | Path, *, force: bool = False, progress: Progress | None = None
) -> Outcome:
    """Replace the database at ``database_url`` with the backup at ``path``, after checking
    the backup; refuses a database another process has open unless ``force``."""
    source = Path(path)
    if not source.is_file():
        raise BackupError(f"There is no backup file {source}.")
    url = make_url(normalize_url(database_url))
    if url.get_backend_name() == "sqlite":
        return _restore_sqlite(source, _sqlite_path(url), force, progress)
    if url.get_backend_name() == "postgresql":
        return _restore_postgres(source, url, force)
    raise BackupError(f"Cannot restore into a {url.get_backend_name()} database.")


# ---------------------------------------------------------------------------- SQLite


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory database has nothing to back up or restore.")
    return Path(url.database)


def _backup_sqlite(database: Path, target: Path, progress: Progress | None) -> Outcome:
    if not database.is_file():
        raise BackupError(f"There is no database at {database}.")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = _open_readonly(database)
    try:
        # One read transaction for the whole copy: every step reads the same snapshot, so a
        # writer never makes the copy start over, and the copy is consistent.
        source.execute("BEGIN")
        source.execute("SELECT count(*) FROM sqlite_master").fetchall()
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy, pages=PAGES_PER_STEP, progress=_pages(progress))
            # A backup is one self-contained file, not a WAL database with side files.
            copy.execute("PRAGMA journal_mode=DELETE")
            revision = _revision(copy)
        finally:
            copy.close()
        source.execute("COMMIT")
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"Could not copy {database}: {exc}.") from exc
    finally:
        source.close()
    os.replace(partial, target)
    return Outcome(str(target), revision)


def _restore_sqlite(
    source: Path, database: Path, force: bool, progress: Progress | None
) -> Outcome:
    revision = _check_sqlite_backup(source)
    advice = revision_advice(revision, f"The backup {source}")
    if database.exists() and not force:
        users = _processes_using(database)
        if users or _locked(database):
            who = f" (process {', '.join(map(str, users))})" if users else ""
            raise BackupError(
                f"The database {database} is in use{who}: stop the server and the sweeper "
                "first, or pass --force to overwrite it anyway. Nothing was changed."
            )
    if not database.parent.is_dir():
        raise BackupError(f"There is no folder {database.parent} for the database.")
    backup_file = _open_readonly(source)
    try:
        live = sqlite3.connect(database, timeout=10)
        try:
            # Through SQLite, not by copying the file: a connection still open on the
            # database (--force) sees the restored pages, never a file swapped under it.
            backup_file.backup(live, pages=PAGES_PER_STEP, progress=_pages(progress))
        finally:
            live.close()
    except sqlite3.Error as exc:
        raise BackupError(f"Could not restore into {database}: {exc}.") from exc
    finally:
        backup_file.close()
    return Outcome(str(database), revision, advice)


def _check_sqlite_backup(path: Path) -> str:
    """The migration revision of a whole Swarm SQLite database at ``path``, or BackupError."""
    try:
        conn = _open_readonly(path)
    except sqlite3.Error as exc:
        raise BackupError(f"{path} cannot be opened as a database: {exc}.") from exc
    try:
        try:
            check = conn.execute("PRAGMA quick_check").fetchone()
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as exc:
            raise BackupError(
                f"{path} is not a Swarm backup: SQLite says {str(exc).rstrip('.')}. Nothing "
                "was changed."
            ) from exc
        if not check or check[0] != "ok":
            raise BackupError(
                f"{path} is damaged (SQLite's check says: {check[0] if check else 'nothing'}). "
                "Nothing was changed; use another backup."
            )
        missing = SWARM_TABLES - tables
        if missing:
            raise BackupError(
                f"{path} is a SQLite database but not Swarm's (no {', '.join(sorted(missing))} "
                "table). Nothing was changed."
            )
        revision = _revision(conn)
    finally:
        conn.close()
    if revision is None:
        raise BackupError(f"{path} has no migration revision. Nothing was changed.")
    return revision


def _open_readonly(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise BackupError(f"There is no file {path}.")
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)


def _revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        return None
    return str(row[0]) if row else None


def _pages(progress: Progress | None) -> Callable[[int, int, int], None] | None:
    if progress is None:
        return None
    return lambda _status, remaining, total: progress(total - remaining, total)


def _locked(database: Path) -> bool:
    """Whether another connection holds the write lock (a write in progress) right now."""
    conn = sqlite3.connect(database, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        conn.close()


def _processes_using(database: Path) -> list[int]:
    """Other processes that have the database (or its WAL side files) open, from /proc.

    An idle server holds no SQLite lock, so the lock alone cannot tell that it runs; its open
    files can. Linux only, and only processes this user may inspect: elsewhere the write lock
    (``_locked``) is the only check.
    """
    names = {str(database.resolve()) + suffix for suffix in ("", "-wal", "-shm")}
    found: list[int] = []
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            links = {os.readlink(fd) for fd in (entry / "fd").iterdir()}
        except OSError:
            continue  # gone, or another user's
        if links & names:
            found.append(int(entry.name))
    return sorted(found)


# ---------------------------------------------------------------------------- PostgreSQL


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not on PATH: install PostgreSQL's client tools (on Debian: apt-get "
            f"install postgresql-client) at the server's major version or newer, then try again."
        )
    return found


def _pg_conninfo(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password (which goes in PGPASSWORD, not on the command line,
    where other users could read it) and the environment for the tool."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # The arguments are a tool found by shutil.which, options, and paths: no shell, no input.
    return subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603


def _pg_revision(url: URL) -> str | None:
    engine = make_engine(url.render_as_string(hide_password=False), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            exists = conn.scalar(text("SELECT to_regclass('alembic_version') IS NOT NULL"))
            if not exists:
                return None
            return conn.scalar(text("SELECT version_num FROM alembic_version"))
    finally:
        engine.dispose()


def _backup_postgres(url: URL, target: Path) -> Outcome:
    pg_dump = _pg_tool("pg_dump")
    revision = _pg_revision(url)
    conninfo, env = _pg_conninfo(url)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    done = _run([pg_dump, "--format=custom", f"--file={partial}", f"--dbname={conninfo}"], env)
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    os.replace(partial, target)
    return Outcome(str(target), revision)


_COPY = re.compile(r"^COPY public\.alembic_version \(version_num\) FROM stdin;$", re.M)


def _check_pg_archive(pg_restore: str, path: Path) -> str:
    """The migration revision kept in a ``pg_dump -Fc`` archive, or BackupError."""
    listing = _run([pg_restore, "--list", str(path)], dict(os.environ))
    if listing.returncode != 0:
        reason = listing.stderr.strip().removeprefix("pg_restore: error: ")
        raise BackupError(
            f"{path} is not a pg_dump archive (pg_restore says: {reason}). Nothing was changed."
        )
    missing = {
        table
        for table in SWARM_TABLES
        if not re.search(rf"TABLE DATA public {table} ", listing.stdout)
    }
    if missing:
        raise BackupError(
            f"{path} is a pg_dump archive but not of a Swarm database (no "
            f"{', '.join(sorted(missing))} table). Nothing was changed."
        )
    data = _run(
        [pg_restore, "--data-only", "--table=alembic_version", "--file=-", str(path)],
        dict(os.environ),
    )
    match = _COPY.search(data.stdout)
    revision = data.stdout[match.end() :].lstrip("\n").split("\n", 1)[0] if match else ""
    if data.returncode != 0 or not revision or revision == "\\.":
        raise BackupError(f"{path} has no migration revision. Nothing was changed.")
    return revision


def _restore_postgres(source: Path, url: URL, force: bool) -> Outcome:
    pg_restore = _pg_tool("pg_restore")
    revision = _check_pg_archive(pg_restore, source)
    advice = revision_advice(revision, f"The backup {source}")
    if not force:
        engine = make_engine(url.render_as_string(hide_password=False), poolclass=NullPool)
        try:
            with engine.connect() as conn:
                others = conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                        "current_database() AND pid <> pg_backend_pid()"
                    )
                )
        finally:
            engine.dispose()
        if others:
            raise BackupError(
                f"The database {url.database} is in use ({others} other connection(s)): stop "
                "the server and the sweeper first, or pass --force to restore anyway. Nothing "
                "was changed."
            )
    conninfo, env = _pg_conninfo(url)
    done = _run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={conninfo}",
            str(source),
        ],
        env,
    )
    if done.returncode != 0:
        raise BackupError(
            f"pg_restore failed, and its single transaction was rolled back: {done.stderr.strip()}"
        )
    return Outcome(str(url.database), revision, advice)

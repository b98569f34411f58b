"""Alembic owns the schema: migrations reach exactly the models, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import swarm.models  # noqa: F401 - registers the tables
from swarm.db import Base, make_engine
from swarm.migrate import alembic_config, upgrade
from tests.integration.conftest import _reset_postgres


def assert_schema_matches_models(url: str) -> None:
    engine = make_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


def test_migrations_build_the_models_schema_on_sqlite(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    assert_schema_matches_models(url)

    command.downgrade(alembic_config(url), "base")
    engine = make_engine(url)
    assert inspect(engine).get_table_names() == ["alembic_version"]
    engine.dispose()


def test_migrations_build_the_models_schema_on_postgres(pg_url: str):
    _reset_postgres(pg_url)
    upgrade(pg_url)
    assert_schema_matches_models(pg_url)
    command.downgrade(alembic_config(pg_url), "base")
    upgrade(pg_url)  # and back up again: downgrade really removed everything
    assert_schema_matches_models(pg_url)

"""Run Alembic migrations from code (``python -m swarm init-db`` and the tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config as AlembicConfig

from swarm.db import normalize_url
from swarm.resources import alembic_ini, migrations_dir


def alembic_config(database_url: str | None = None) -> AlembicConfig:
    cfg = AlembicConfig(str(alembic_ini()))
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.attributes["configure_logging"] = False
    if database_url:
        cfg.attributes["database_url"] = normalize_url(database_url)
    return cfg


def upgrade(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "head")

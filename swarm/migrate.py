"""Run Alembic migrations from code (``python -m swarm init-db`` and the tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config as AlembicConfig

from swarm.config import PROJECT_ROOT
from swarm.db import normalize_url


def alembic_config(database_url: str | None = None) -> AlembicConfig:
    cfg = AlembicConfig(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    cfg.attributes["configure_logging"] = False
    if database_url:
        cfg.attributes["database_url"] = normalize_url(database_url)
    return cfg


def upgrade(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "head")

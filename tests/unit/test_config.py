"""Configuration comes from SWARM_* variables; the secret key is generated once and kept."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from swarm.config import load_config
from swarm.db import normalize_url


def test_defaults_to_sqlite_in_the_instance_folder(tmp_path: Path):
    config = load_config({"SWARM_INSTANCE_PATH": str(tmp_path)})
    assert config.database_url == f"sqlite:///{tmp_path / 'swarm.db'}"
    assert config.message_queue is None
    assert (config.host, config.port) == ("127.0.0.1", 5000)


def test_environment_overrides(tmp_path: Path):
    config = load_config(
        {
            "SWARM_INSTANCE_PATH": str(tmp_path),
            "SWARM_DATABASE_URL": "postgresql://u@db/swarm",
            "SWARM_MESSAGE_QUEUE": "redis://cache:6379/0",
            "SWARM_SECRET_KEY": "from-the-environment",
            "SWARM_PORT": "8080",
            "SWARM_HAND_MINUTES": "45",
            "SWARM_UNOWNED_ALERT_MINUTES": "10",
        }
    )
    assert config.database_url == "postgresql://u@db/swarm"
    assert config.message_queue == "redis://cache:6379/0"
    assert config.secret_key == "from-the-environment"
    assert config.port == 8080
    assert (config.hand_ttl, config.unowned_alert_after) == (
        timedelta(minutes=45),
        timedelta(minutes=10),
    )
    assert not (tmp_path / "secret_key").exists()


def test_generated_secret_key_is_kept_private_and_reused(tmp_path: Path):
    first = load_config({"SWARM_INSTANCE_PATH": str(tmp_path)}).secret_key
    second = load_config({"SWARM_INSTANCE_PATH": str(tmp_path)}).secret_key
    other = load_config({"SWARM_INSTANCE_PATH": str(tmp_path / "elsewhere")}).secret_key
    assert first == second and first != other and len(first) >= 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_plain_postgresql_urls_use_psycopg3():
    assert normalize_url("postgresql://a@h/d") == "postgresql+psycopg://a@h/d"
    assert normalize_url("postgres://a@h/d") == "postgresql+psycopg://a@h/d"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"


def test_logs_and_metrics_settings(tmp_path: Path):
    env = {"SWARM_INSTANCE_PATH": str(tmp_path), "SWARM_SECRET_KEY": "k"}
    plain = load_config(env)
    assert (plain.log_format, plain.log_level, plain.metrics_token) == ("text", "INFO", None)
    chosen = load_config(
        {
            **env,
            "SWARM_LOG_FORMAT": "JSON",
            "SWARM_LOG_LEVEL": "debug",
            "SWARM_METRICS_TOKEN": "scrape-me",
        }
    )
    assert (chosen.log_format, chosen.log_level, chosen.metrics_token) == (
        "json",
        "DEBUG",
        "scrape-me",
    )
    with pytest.raises(ValueError, match="SWARM_LOG_FORMAT"):
        load_config({**env, "SWARM_LOG_FORMAT": "xml"})


def test_mail_intake_settings(tmp_path: Path):
    defaults = load_config({"SWARM_INSTANCE_PATH": str(tmp_path)})
    assert (defaults.mail_listen, defaults.imap_url, defaults.mail_unknown) == (
        None,
        None,
        "create",
    )
    assert defaults.mail_attachment_bytes == 10 * 1024 * 1024
    config = load_config(
        {
            "SWARM_INSTANCE_PATH": str(tmp_path),
            "SWARM_MAIL_LISTEN": "127.0.0.1:2525",
            "SWARM_IMAP_URL": "imaps://u:p@mail.example.org/INBOX",
            "SWARM_IMAP_SECONDS": "60",
            "SWARM_MAIL_UNKNOWN": "Refuse",
            "SWARM_MAIL_ATTACHMENT_BYTES": "1000",
        }
    )
    assert config.mail_listen == "127.0.0.1:2525"
    assert (config.imap_seconds, config.mail_unknown, config.mail_attachment_bytes) == (
        60.0,
        "refuse",
        1000,
    )
    with pytest.raises(ValueError, match="SWARM_MAIL_UNKNOWN"):
        load_config({"SWARM_INSTANCE_PATH": str(tmp_path), "SWARM_MAIL_UNKNOWN": "bounce"})


def test_password_reset_settings(tmp_path: Path):
    base = {"SWARM_INSTANCE_PATH": str(tmp_path)}
    config = load_config(base)
    assert config.public_url is None
    assert config.password_reset_ttl == timedelta(minutes=60)
    assert config.password_reset_rate_limit == "5 per hour"
    config = load_config(
        base
        | {
            "SWARM_PUBLIC_URL": "https://support.example.org/swarm/",
            "SWARM_PASSWORD_RESET_MINUTES": "15",
            "SWARM_PASSWORD_RESET_RATE_LIMIT": "3 per hour",
        }
    )
    assert config.public_url == "https://support.example.org/swarm"
    assert config.password_reset_ttl == timedelta(minutes=15)
    assert config.password_reset_rate_limit == "3 per hour"
    with pytest.raises(ValueError, match="SWARM_PASSWORD_RESET_RATE_LIMIT"):
        load_config(base | {"SWARM_PASSWORD_RESET_RATE_LIMIT": "often"})
    for wrong in ("support.example.org", "ftp://x.example.org", "https://x.example.org/?a=1"):
        with pytest.raises(ValueError, match="SWARM_PUBLIC_URL"):
            load_config(base | {"SWARM_PUBLIC_URL": wrong})

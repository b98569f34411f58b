"""The organisation's routing mode and tier configuration, stored as documents and cached.

Both documents are validated by ``swarm.tiers`` (``routing_config_from_dict``,
``settings_from_dict``) before they are stored, so what is read back is always valid. Every
process caches the parsed values and the ``TieredPolicy`` built from them, and rebuilds them when
the stored versions move — one cheap query per routing call, so that a change made through any
server process reaches all of them at their next call.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from swarm.accounts import audit
from swarm.accounts.audit import AuditAction
from swarm.clock import Clock
from swarm.db import begin_write
from swarm.models import Setting, User
from swarm.tickets.errors import Conflict
from swarm.tiers.config import TieredSettings, settings_from_dict, settings_to_dict
from swarm.tiers.modes import RoutingConfig, routing_config_from_dict, routing_config_to_dict
from swarm.tiers.policy import TieredPolicy

log = logging.getLogger(__name__)

ROUTING_KEY = "routing"
TIERS_KEY = "tiers"


class SettingsCache:
    """Routing configuration, tier settings and the live ``TieredPolicy``; one per app."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stamp: tuple[Any, ...] | None = None
        self._routing = RoutingConfig()
        self._tiers = TieredSettings()
        self._policy = TieredPolicy(self._tiers)

    def routing(self, session: Session) -> RoutingConfig:
        self._refresh(session)
        return self._routing

    def tiers(self, session: Session) -> TieredSettings:
        self._refresh(session)
        return self._tiers

    def policy(self, session: Session) -> TieredPolicy:
        self._refresh(session)
        return self._policy

    def _refresh(self, session: Session) -> None:
        rows = session.execute(
            select(Setting.key, Setting.version, Setting.value).where(
                Setting.key.in_([ROUTING_KEY, TIERS_KEY])
            )
        ).all()
        stamp = tuple(sorted((key, version) for key, version, _ in rows))
        with self._lock:
            if stamp == self._stamp:
                return
            values = {key: value for key, _, value in rows}
            self._routing = _parse(values.get(ROUTING_KEY), routing_config_from_dict, RoutingConfig)
            self._tiers = _parse(values.get(TIERS_KEY), settings_from_dict, TieredSettings)
            self._policy = TieredPolicy(self._tiers)
            self._stamp = stamp


def _parse(value: Any, parse: Any, default: Any) -> Any:
    if value is None:
        return default()
    try:
        return parse(value)
    except ValueError:
        # Only a hand-edited row can get here (writes are validated); keep routing working.
        log.exception("stored settings are invalid; using the defaults")
        return default()


def stored_tiers(session: Session) -> TieredSettings:
    """The tier settings as stored, read now: for services that have no ``SettingsCache``.

    One small query; the ticket room's services ask it only for tiered tickets.
    """
    value = session.scalar(select(Setting.value).where(Setting.key == TIERS_KEY))
    parsed: TieredSettings = _parse(value, settings_from_dict, TieredSettings)
    return parsed


def store_routing(session: Session, config: RoutingConfig, actor: User, now: datetime) -> None:
    """Write the routing configuration in the caller's transaction."""
    _store(session, ROUTING_KEY, routing_config_to_dict(config), actor, now)


def store_tiers(session: Session, settings: TieredSettings, actor: User, now: datetime) -> None:
    """Write the tier configuration in the caller's transaction."""
    _store(session, TIERS_KEY, settings_to_dict(settings), actor, now)


def _store(session: Session, key: str, value: dict[str, Any], actor: User, now: datetime) -> None:
    """Write a settings document and its audit entry (the whole new value: it holds no
    secret, and the previous entry of the same setting says what it replaced)."""
    row = session.scalars(select(Setting).where(Setting.key == key).with_for_update()).first()
    if row is None:
        row = Setting(key=key, value=value, version=1, updated_at=now, updated_by_id=actor.id)
        session.add(row)
    else:
        row.value = value
        row.version += 1
        row.updated_at = now
        row.updated_by_id = actor.id
    audit.record(
        session,
        now,
        AuditAction.SETTING_CHANGED,
        actor=actor,
        setting=key,
        version=row.version,
        value=value,
    )


W = TypeVar("W")


def write_config(
    session: Session, clock: Clock, change: Callable[[datetime], W], duplicate: str = ""
) -> W:
    """Run ``change(now)`` on configuration rows (settings, vendors) in one transaction; no
    ticket events. A unique constraint refusing it is ``Conflict`` with ``duplicate``."""
    begin_write(session)
    try:
        result = change(clock.now())
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(duplicate or "Someone changed this at the same moment; retry.") from exc
    except BaseException:
        session.rollback()
        raise
    return result

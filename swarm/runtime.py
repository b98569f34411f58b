"""What one running app holds: database, clock, notifier, rate limiter — and the per-request
session on ``flask.g``, closed at teardown (Flask-SocketIO events get the same teardown)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app, g
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from swarm.clock import Clock
from swarm.config import Config
from swarm.dispatch.caches import RoutingCaches
from swarm.dispatch.clocks import tier_clock_hook
from swarm.dispatch.service import RoutingService
from swarm.dispatch.tiered import TieredService
from swarm.knowledge.freshness import Staleness
from swarm.knowledge.portal import PortalService
from swarm.knowledge.service import KnowledgeService
from swarm.notifications.service import NotificationService
from swarm.profiles.service import ProfileService
from swarm.reporting.service import MetricsService
from swarm.simulation.runs import SimulationService
from swarm.tickets.guests import GuestService
from swarm.tickets.inbox import InboxService, InboxSettings
from swarm.tickets.messages import MessageWriter
from swarm.tickets.notify import Notifier
from swarm.tickets.rooms import RoomService
from swarm.tickets.service import TicketService


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many attempts; try again in {retry_after} s.")
        self.retry_after = retry_after


class RateLimits:
    """Named limits over one storage (memory, or Redis so that all processes share counts)."""

    def __init__(self, storage_uri: str, namespace: str = "swarm") -> None:
        self._storage = storage_from_string(storage_uri)
        self._limiter = MovingWindowRateLimiter(self._storage)
        # Installations that share one Redis keep their counts apart by namespace.
        self._namespace = namespace

    def hit(self, limit: str | RateLimitItem, *key: str) -> None:
        item = parse(limit) if isinstance(limit, str) else limit
        if not self._limiter.hit(item, self._namespace, *key):
            reset_at, _ = self._limiter.get_window_stats(item, self._namespace, *key)
            raise RateLimited(max(1, int(reset_at - time.time())))


@dataclass
class Runtime:
    config: Config
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    notifier: Notifier
    limits: RateLimits
    routing: RoutingCaches
    #: Set by create_app once the notifier is known: the live rooms' group commit.
    messages: MessageWriter | None = None

    def sessions_started_after(self) -> datetime:
        """Sign-ins that started at or before this moment are over by age (``Config``'s
        ``session_lifetime``, ``SWARM_SESSION_DAYS``)."""
        return self.clock.now() - self.config.session_lifetime


def init_runtime(app: Flask, runtime: Runtime) -> None:
    app.extensions["swarm"] = runtime

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


def runtime() -> Runtime:
    rt: Runtime = current_app.extensions["swarm"]
    return rt


def db_session() -> Session:
    """The session of the current request (or socket event), created on first use."""
    if "db_session" not in g:
        g.db_session = runtime().sessions()
    session: Session = g.db_session
    return session


def ticket_service() -> TicketService:
    rt = runtime()
    session = db_session()
    # The hook pauses and resumes tiered tickets' tier clocks on every status change.
    hook = tier_clock_hook(session, rt.routing.settings)
    return TicketService(session, rt.clock, rt.notifier, on_status=hook)


def guest_service() -> GuestService:
    rt = runtime()
    return GuestService(db_session(), rt.clock, rt.notifier)


def tiered_service() -> TieredService:
    rt = runtime()
    return TieredService(db_session(), rt.clock, rt.notifier, rt.routing)


def routing_service() -> RoutingService:
    rt = runtime()
    return RoutingService(db_session(), rt.clock, rt.notifier, rt.routing)


def profile_service() -> ProfileService:
    rt = runtime()
    return ProfileService(db_session(), rt.clock, on_change=rt.routing.org.invalidate)


def room_service() -> RoomService:
    rt = runtime()
    session = db_session()
    return RoomService(
        session,
        rt.clock,
        rt.notifier,
        rt.config.invitation_ttl,
        on_status=tier_clock_hook(session, rt.routing.settings),
    )


def knowledge_service() -> KnowledgeService:
    rt = runtime()
    staleness = Staleness(rt.config.kb_stale_reuses, rt.config.kb_stale_months)
    return KnowledgeService(db_session(), rt.clock, staleness)


def portal_service() -> PortalService:
    return PortalService(db_session(), runtime().clock)


def metrics_service() -> MetricsService:
    return MetricsService(db_session(), runtime().clock)


def simulation_service() -> SimulationService:
    return SimulationService(db_session())


def inbox_service() -> InboxService:
    rt = runtime()
    settings = InboxSettings(
        hand_ttl=rt.config.hand_ttl, unowned_alert_after=rt.config.unowned_alert_after
    )
    return InboxService(db_session(), rt.clock, settings)


def notification_service() -> NotificationService:
    rt = runtime()
    return NotificationService(
        db_session(), rt.clock, bool(rt.config.smtp_url and rt.config.support_address)
    )

"""Settings, read once from ``SWARM_*`` environment variables into a plain dataclass.

Nothing else in Swarm reads ``os.environ``: tests and tools pass a ``Config`` (or overrides)
to ``create_app`` instead.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any


def default_instance() -> Path:
    """The instance folder when ``SWARM_INSTANCE_PATH`` is unset: ``instance/`` in the working
    directory (a checkout's own under ``make run``; wherever an installed ``swarm`` is started)."""
    return Path.cwd() / "instance"


@dataclass(frozen=True)
class Config:
    database_url: str
    secret_key: str
    instance_path: Path = field(default_factory=default_instance)
    message_queue: str | None = None
    ratelimit_storage_url: str = "memory://"
    ratelimit_namespace: str = "swarm"
    host: str = "127.0.0.1"
    port: int = 5000
    # Login attempts allowed per client address; a guessing attacker hits this long before a
    # forgetful person does.
    login_rate_limit: str = "10 per minute"
    max_ticket_body_bytes: int = 64 * 1024
    # How often deadlines (routing retries, tier time limits) are checked.
    sweep_seconds: float = 5.0
    # How often the outbox worker looks for due deliveries when it found none.
    worker_seconds: float = 1.0
    # How often each serving process tells the others it is alive; one silent for three times
    # this long is taken for dead, and its people no longer count as having their rooms open.
    presence_seconds: float = 10.0
    # On SIGTERM: how long socket events in flight and running requests may take to finish.
    drain_seconds: float = 10.0
    # Socket.IO: the server mode (explicit: Flask-SocketIO would pick whatever is installed),
    # origins allowed besides the app's own (never "*"), and events a connection may send.
    async_mode: str = "threading"
    allowed_origins: tuple[str, ...] = ()
    socket_rate: float = 10.0
    socket_burst: float = 30.0
    # Overload: socket events in flight in one process past which new ones are answered
    # ``unavailable`` (nothing stored; the client sends again) rather than queued without
    # bound, and packets queued for one slow client past which it is disconnected (it
    # reconnects and replays what it missed with ``since``).
    socket_backlog: int = 1000
    socket_send_queue: int = 2000
    invitation_ttl: timedelta = timedelta(minutes=15)
    # A helper who has neither had the room open nor written for this long has stopped
    # helping: their stint ends (helper_left reason idle), counted up to their last sign.
    helper_idle: timedelta = timedelta(minutes=30)
    # A raised hand is shown to the experts near it until someone joins, the ticket ends, or
    # this long has passed; an unowned P1/P2 swarm ticket alerts the managers after this long.
    hand_ttl: timedelta = timedelta(minutes=60)
    unowned_alert_after: timedelta = timedelta(minutes=30)
    # Database connections per process (PostgreSQL): a gevent server runs many requests at once.
    db_pool_size: int = 20
    db_max_overflow: int = 20
    # Cookies are Secure whenever the request came over HTTPS; this forces them on always.
    session_cookie_secure: bool = False
    # A sign-in lasts this long at most, however active: then the person signs in again, and
    # the sweeper deletes the row. Sessions also end at sign-out, sign out everywhere, a
    # password or role change, and deactivation (swarm/accounts/sessions.py).
    session_lifetime: timedelta = timedelta(days=14)
    # Reverse proxies in front of the server (nginx: 1). Their X-Forwarded-For/-Proto/-Host
    # are believed for that many hops, so that HTTPS, the client's address (login rate limit)
    # and the host are the browser's; with 0, forwarded headers are ignored, as anyone can
    # send them.
    trusted_proxies: int = 0
    # Log lines on standard error: "text" (readable) or "json" (one object a line).
    log_format: str = "text"
    log_level: str = "INFO"
    # The bearer token Prometheus sends to /metrics; without one, /metrics is switched off
    # (404): the figures describe the load and health of the service.
    metrics_token: str | None = None
    # Networks a webhook may call besides public addresses (swarm/outbox/guard.py).
    webhook_allowed_networks: str = ""
    # Mail (all off when unset): SWARM_MAIL_LISTEN=host:port starts an SMTP listener inside
    # ``serve``; SWARM_SUPPORT_ADDRESS is where requesters write; SWARM_SMTP_URL sends mail
    # (smtp://host:25, smtps://user:pass@host, smtp+starttls://…); SWARM_IMAP_URL
    # (imaps://user:pass@host/INBOX) turns on polling.
    mail_listen: str | None = None
    support_address: str | None = None
    smtp_url: str | None = None
    imap_url: str | None = None
    # Mail from an address Swarm does not know: "create" a requester account without a
    # password (they write by mail; they cannot sign in), or "refuse" the mail
    # (SWARM_MAIL_UNKNOWN; docs/mail.md).
    mail_unknown: str = "create"
    # The address people reach Swarm at (SWARM_PUBLIC_URL, https://support.example.org): links
    # in mail start with it. Never taken from a request's Host header, which the sender of a
    # password reset request chooses (a link to their own site, with the victim's token).
    public_url: str | None = None
    # "Forgot your password?": how long a reset link works (SWARM_PASSWORD_RESET_MINUTES), and
    # how many reset mails one e-mail address may be sent (SWARM_PASSWORD_RESET_RATE_LIMIT;
    # each client address is also held to ``login_rate_limit``).
    password_reset_ttl: timedelta = timedelta(minutes=60)
    password_reset_rate_limit: str = "5 per hour"  # noqa: S105 - a rate, not a secret
    # Attachments kept per mail, in bytes, in total (SWARM_MAIL_ATTACHMENT_BYTES); the rest are
    # named in the ticket and not kept.
    mail_attachment_bytes: int = 10 * 1024 * 1024
    # How often the IMAP mailbox is polled (SWARM_IMAP_SECONDS).
    imap_seconds: float = 30.0
    # The knowledge base's "still accurate?" flag: a published article reused this many times,
    # or not reviewed for this many months (30 days each), since its last review.
    kb_stale_reuses: int = 10
    kb_stale_months: float = 6.0
    testing: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def with_overrides(self, **overrides: Any) -> Config:
        return replace(self, **overrides)


def _secret_key(instance: Path, env: dict[str, str]) -> str:
    """Return ``SWARM_SECRET_KEY``, or a key generated once and kept in the instance folder.

    A literal key in code would be the same on every installation; a key regenerated at each
    start would sign everybody out at each restart.
    """
    if env.get("SWARM_SECRET_KEY"):
        return env["SWARM_SECRET_KEY"]
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Create with owner-only permissions; another process may have won the race, so re-read.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def log_settings(env: dict[str, str] | None = None) -> tuple[str, str]:
    """``(SWARM_LOG_FORMAT, SWARM_LOG_LEVEL)``: read before anything else, so that every
    command logs alike, even one that needs no other setting."""
    env = dict(os.environ if env is None else env)
    fmt = env.get("SWARM_LOG_FORMAT", "").strip().lower() or "text"
    if fmt not in ("text", "json"):
        raise ValueError(f"SWARM_LOG_FORMAT={fmt!r}: use text or json")
    return fmt, env.get("SWARM_LOG_LEVEL", "").strip().upper() or "INFO"


def _networks(text: str) -> str:
    """``SWARM_WEBHOOK_ALLOWED_NETWORKS``, checked at start (a typo fails loudly, naming it)."""
    from swarm.outbox.guard import parse_networks

    return ",".join(str(network) for network in parse_networks(text))


def load_config(env: dict[str, str] | None = None) -> Config:
    """Build the configuration from the environment (``os.environ`` unless ``env`` is given)."""
    env = dict(os.environ if env is None else env)
    instance = Path(env.get("SWARM_INSTANCE_PATH") or default_instance())
    log_format, log_level = log_settings(env)
    database_url = env.get("SWARM_DATABASE_URL") or f"sqlite:///{instance / 'swarm.db'}"
    if database_url.startswith("sqlite:///") and ":memory:" not in database_url:
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return Config(
        database_url=database_url,
        secret_key=_secret_key(instance, env),
        instance_path=instance,
        message_queue=env.get("SWARM_MESSAGE_QUEUE") or None,
        ratelimit_storage_url=env.get("SWARM_RATELIMIT_STORAGE_URL") or "memory://",
        ratelimit_namespace=env.get("SWARM_RATELIMIT_NAMESPACE") or "swarm",
        host=env.get("SWARM_HOST", "127.0.0.1"),
        port=int(env.get("SWARM_PORT", "5000")),
        login_rate_limit=env.get("SWARM_LOGIN_RATE_LIMIT", "10 per minute"),
        session_lifetime=timedelta(days=float(env.get("SWARM_SESSION_DAYS", "14"))),
        session_cookie_secure=env.get("SWARM_SECURE_COOKIES", "") in {"1", "true", "yes"},
        trusted_proxies=int(env.get("SWARM_TRUSTED_PROXIES", "0")),
        sweep_seconds=float(env.get("SWARM_SWEEP_SECONDS", "5")),
        worker_seconds=float(env.get("SWARM_WORKER_SECONDS", "1")),
        presence_seconds=float(env.get("SWARM_PRESENCE_SECONDS", "10")),
        drain_seconds=float(env.get("SWARM_DRAIN_SECONDS", "10")),
        async_mode=env.get("SWARM_ASYNC_MODE", "threading"),
        allowed_origins=tuple(
            o.strip() for o in env.get("SWARM_ALLOWED_ORIGINS", "").split(",") if o.strip()
        ),
        socket_rate=float(env.get("SWARM_SOCKET_RATE", "10")),
        socket_burst=float(env.get("SWARM_SOCKET_BURST", "30")),
        socket_backlog=int(env.get("SWARM_SOCKET_BACKLOG", "1000")),
        socket_send_queue=int(env.get("SWARM_SOCKET_SEND_QUEUE", "2000")),
        invitation_ttl=timedelta(minutes=float(env.get("SWARM_INVITATION_MINUTES", "15"))),
        helper_idle=timedelta(minutes=float(env.get("SWARM_HELPER_IDLE_MINUTES", "30"))),
        hand_ttl=timedelta(minutes=float(env.get("SWARM_HAND_MINUTES", "60"))),
        unowned_alert_after=timedelta(minutes=float(env.get("SWARM_UNOWNED_ALERT_MINUTES", "30"))),
        db_pool_size=int(env.get("SWARM_DB_POOL_SIZE", "20")),
        db_max_overflow=int(env.get("SWARM_DB_MAX_OVERFLOW", "20")),
        log_format=log_format,
        log_level=log_level,
        metrics_token=env.get("SWARM_METRICS_TOKEN") or None,
        webhook_allowed_networks=_networks(env.get("SWARM_WEBHOOK_ALLOWED_NETWORKS", "")),
        mail_listen=env.get("SWARM_MAIL_LISTEN") or None,
        support_address=env.get("SWARM_SUPPORT_ADDRESS") or None,
        smtp_url=env.get("SWARM_SMTP_URL") or None,
        imap_url=env.get("SWARM_IMAP_URL") or None,
        mail_unknown=_mail_unknown(env),
        public_url=_public_url(env.get("SWARM_PUBLIC_URL", "")),
        password_reset_ttl=timedelta(minutes=float(env.get("SWARM_PASSWORD_RESET_MINUTES", "60"))),
        password_reset_rate_limit=_rate_limit(
            "SWARM_PASSWORD_RESET_RATE_LIMIT", env.get("SWARM_PASSWORD_RESET_RATE_LIMIT", "")
        ),
        mail_attachment_bytes=int(env.get("SWARM_MAIL_ATTACHMENT_BYTES", str(10 * 1024 * 1024))),
        imap_seconds=float(env.get("SWARM_IMAP_SECONDS", "30")),
        kb_stale_reuses=int(env.get("SWARM_KB_STALE_REUSES", "10")),
        kb_stale_months=float(env.get("SWARM_KB_STALE_MONTHS", "6")),
    )


def _mail_unknown(env: dict[str, str]) -> str:
    value = env.get("SWARM_MAIL_UNKNOWN", "").strip().lower() or "create"
    if value not in ("create", "refuse"):
        raise ValueError(f"SWARM_MAIL_UNKNOWN={value!r}: use create or refuse")
    return value


def _public_url(value: str) -> str | None:
    """``SWARM_PUBLIC_URL`` without its trailing slash, checked at start."""
    value = value.strip().rstrip("/")
    if not value:
        return None
    if not re.match(r"^https?://[^/\s?#]+(/[^\s?#]*)?$", value):
        raise ValueError(f"SWARM_PUBLIC_URL={value!r}: use http(s)://host[:port][/path]")
    return value


def _rate_limit(name: str, value: str) -> str:
    """A rate limit such as ``5 per hour``, checked at start (not at the first request)."""
    from limits import parse

    value = value.strip() or "5 per hour"
    try:
        parse(value)
    except ValueError as exc:
        raise ValueError(f"{name}={value!r}: use e.g. '5 per hour'") from exc
    return value

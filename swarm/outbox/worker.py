"""Delivering the outbox: claim what is due, call it, record the answer, retry or give up.

Any number of workers may run against one database (``python -m swarm worker``, or the one
inside each ``serve``): a claim takes its rows with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL
(under SQLite's write lock there) and leases them for :data:`LEASE`; a worker that dies
mid-delivery leaves its rows to be claimed again when the lease ends. So delivery is
at-least-once: a receiver recognises a repeat by its ``webhook-id``, the same on every attempt.
Calls happen outside any transaction, with a time-out, never following redirects, and only to
public addresses unless an admin allowed a network (``guard.py``, SSRF).
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from swarm.accounts.reset import KIND as RESET_KIND
from swarm.clock import Clock
from swarm.db import begin_write
from swarm.mail.send import Mailer
from swarm.models.notifications import Notification, NotificationSchedule
from swarm.models.outbox import DeliveryAttempt, OutboxItem, OutboxState, Webhook
from swarm.outbox.guard import AddressGuard
from swarm.outbox.retries import delay_after
from swarm.outbox.signing import headers

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
TIMEOUT_SECONDS = 10.0
BATCH = 20
ANSWER_KEPT = 1024  # characters of a receiver's answer kept with the attempt
#: Outbox rows that are mail: notifications, and password reset links (swarm/accounts/reset.py).
MAIL_KINDS = ("mail", RESET_KIND)


@dataclass(frozen=True)
class Claimed:
    id: int
    key: str
    url: str | None  # webhooks only
    secret: str | None
    payload: dict[str, Any]
    attempts: int
    kind: str = "webhook"


@dataclass(frozen=True)
class Answer:
    status: int | None
    body: str
    error: str | None
    milliseconds: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


Post = Callable[[str, bytes, dict[str, str], float], Answer]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None  # a redirect is an answer (a failed one), never followed


def _guarded(base: type[http.client.HTTPConnection], guard: AddressGuard) -> Any:
    """``base`` whose socket is opened by ``guard.connect`` (TLS, for https, wraps it after)."""

    class Guarded(base):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._create_connection = guard.connect

    return Guarded


class _GuardedHTTP(urllib.request.HTTPHandler):
    def __init__(self, guard: AddressGuard) -> None:
        super().__init__()
        self._connection = _guarded(http.client.HTTPConnection, guard)

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self._connection, req)


class _GuardedHTTPS(urllib.request.HTTPSHandler):
    def __init__(self, guard: AddressGuard) -> None:
        super().__init__()
        self._connection = _guarded(http.client.HTTPSConnection, guard)

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self._connection, req, context=self._context)  # type: ignore[attr-defined]


def guarded_post(guard: AddressGuard) -> Post:
    """The webhook call: a POST that connects only where ``guard`` allows (``guard.py``), with
    no proxy from the environment and no redirect followed."""
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), _NoRedirects, _GuardedHTTP(guard), _GuardedHTTPS(guard)
    )

    def post(url: str, body: bytes, sent_headers: dict[str, str], timeout: float) -> Answer:
        # Only http(s) URLs are ever stored (WebhookService checks them).
        request = urllib.request.Request(url, data=body, headers=sent_headers, method="POST")  # noqa: S310
        started = time.perf_counter()

        def took() -> int:
            return round((time.perf_counter() - started) * 1000)

        try:
            with opener.open(request, timeout=timeout) as answer:
                text = answer.read(ANSWER_KEPT).decode("utf-8", errors="replace")
                return Answer(answer.status, text, None, took())
        except urllib.error.HTTPError as exc:  # 3xx (not followed), 4xx, 5xx
            text = exc.read(ANSWER_KEPT).decode("utf-8", errors="replace") if exc.fp else ""
            return Answer(exc.code, text, f"HTTP {exc.code}", took())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            return Answer(None, "", f"{type(exc).__name__}: {reason}", took())

    return post


#: Public addresses only: what ``serve`` and ``worker`` use when no network is allowed.
http_post: Post = guarded_post(AddressGuard())


def claim(session: Session, clock: Clock, limit: int = BATCH, mail: bool = False) -> list[Claimed]:
    """Lease up to ``limit`` due rows of active webhooks — and of mail, when this worker can
    send it (``mail``) — and rows whose lease ran out."""
    now = clock.now()
    begin_write(session)
    due = or_(
        and_(OutboxItem.state == OutboxState.PENDING, OutboxItem.next_attempt_at <= now),
        and_(OutboxItem.state == OutboxState.DELIVERING, OutboxItem.locked_until < now),
    )
    kinds = and_(OutboxItem.kind == "webhook", Webhook.active)
    if mail:
        kinds = or_(kinds, OutboxItem.kind.in_(MAIL_KINDS))
    query = (
        select(OutboxItem, Webhook.url, Webhook.secret)
        .outerjoin(Webhook, Webhook.id == OutboxItem.webhook_id)
        .where(due, kinds)
        .order_by(OutboxItem.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=OutboxItem)
    )
    claimed = []
    for item, url, secret in session.execute(query).all():
        item.state = OutboxState.DELIVERING
        item.locked_until = now + LEASE
        item.attempts += 1
        claimed.append(
            Claimed(item.id, item.key, url, secret, item.payload, item.attempts, item.kind)
        )
    session.commit()
    return claimed


def send(claimed: Claimed, clock: Clock, post: Post = http_post) -> Answer:
    assert claimed.url is not None and claimed.secret is not None  # a webhook's row
    body = json.dumps(claimed.payload, separators=(",", ":")).encode()
    timestamp = int(clock.now().timestamp())
    return post(
        claimed.url, body, headers(claimed.secret, claimed.key, timestamp, body), TIMEOUT_SECONDS
    )


def send_mail(sessions: sessionmaker[Session], mailer: Mailer, group: list[Claimed]) -> Answer:
    """One mail for ``group`` (one person's rows: a digest when there are several)."""
    ids = [int(c.payload["notification_id"]) for c in group]
    with sessions() as session:
        msg = mailer.compose(session, ids)
    if msg is None:  # the ticket or the person is gone: nothing left to tell
        return Answer(250, "nothing to send", None, 0)
    sent = mailer.send(msg)
    return Answer(sent.status, "", sent.error, sent.milliseconds)


def send_reset(
    sessions: sessionmaker[Session], mailer: Mailer, claimed: Claimed, clock: Clock
) -> Answer:
    """The mail of one password reset link (nothing, when it is no use any more)."""
    with sessions() as session:
        msg = mailer.compose_reset(session, claimed.payload, clock.now())
    if msg is None:
        return Answer(250, "nothing to send", None, 0)
    sent = mailer.send(msg)
    return Answer(sent.status, "", sent.error, sent.milliseconds)


def record(session: Session, clock: Clock, claimed: Claimed, answer: Answer) -> str:
    """Keep the attempt and move the row on: delivered, pending again later, or dead."""
    now = clock.now()
    begin_write(session)
    session.add(
        DeliveryAttempt(
            item_id=claimed.id,
            at=now,
            status_code=answer.status,
            response=answer.body,
            error=answer.error,
            milliseconds=answer.milliseconds,
        )
    )
    item = session.get(OutboxItem, claimed.id, with_for_update=True)
    if item is None:  # its webhook was deleted meanwhile
        session.rollback()
        return "gone"
    if answer.ok and answer.error is None:
        item.state, item.delivered_at, item.last_error = OutboxState.DELIVERED, now, None
    else:
        item.last_error = answer.error or f"HTTP {answer.status}"
        delay = delay_after(claimed.attempts)
        if delay is None:
            item.state = OutboxState.DEAD
            log.warning(
                "outbox %s is dead after %d attempts: %s", item.id, item.attempts, item.last_error
            )
        else:
            item.state, item.next_attempt_at = OutboxState.PENDING, now + timedelta(seconds=delay)
    item.locked_until = None
    if claimed.kind == "mail" and item.state in (OutboxState.DELIVERED, OutboxState.DEAD):
        session.execute(
            update(Notification)
            .where(Notification.id == int(claimed.payload["notification_id"]))
            .values(email="sent" if item.state == OutboxState.DELIVERED else "dead")
        )
    session.commit()
    return str(item.state)


def deliver_due(
    sessions: sessionmaker[Session],
    clock: Clock,
    post: Post = http_post,
    limit: int = BATCH,
    mailer: Mailer | None = None,
) -> int:
    """One round: claim, call (or mail), record. Returns how many rows were tried.
    Password reset links go before notification mail: someone waits at the sign-in page.

    A person's mail rows due together go as one digest when they take digests (the default;
    docs/notifications.md), else one mail each."""
    with sessions() as session:
        claimed = claim(session, clock, limit, mail=mailer is not None)
    for item in claimed:
        if item.kind == "webhook":
            answer = send(item, clock, post)
            with sessions() as session:
                record(session, clock, item, answer)
    if mailer is not None:
        for item in claimed:
            if item.kind == RESET_KIND:
                answer = send_reset(sessions, mailer, item, clock)
                with sessions() as session:
                    record(session, clock, item, answer)
        for group in _mail_groups(sessions, [c for c in claimed if c.kind == "mail"]):
            answer = send_mail(sessions, mailer, group)
            for item in group:
                with sessions() as session:
                    record(session, clock, item, answer)
    return len(claimed)


def _mail_groups(sessions: sessionmaker[Session], mails: list[Claimed]) -> list[list[Claimed]]:
    by_person: dict[int, list[Claimed]] = {}
    for item in mails:
        by_person.setdefault(int(item.payload["recipient_id"]), []).append(item)
    with sessions() as session:
        apart = set(
            session.scalars(
                select(NotificationSchedule.user_id).where(
                    NotificationSchedule.user_id.in_(by_person), ~NotificationSchedule.digest
                )
            )
        )
    groups: list[list[Claimed]] = []
    for person, items in by_person.items():
        groups += [[item] for item in items] if person in apart else [items]
    return groups


def run_worker(
    sessions: sessionmaker[Session],
    clock: Clock,
    interval: float,
    stop: threading.Event,
    post: Post = http_post,
    mailer: Mailer | None = None,
) -> None:
    """Deliver until ``stop`` is set: at once again while there was work, else every
    ``interval`` seconds. Errors (the database away, say) are logged and retried."""
    while not stop.is_set():
        tried = 0
        try:
            tried = deliver_due(sessions, clock, post, mailer=mailer)
        except Exception:
            log.exception("outbox round failed; retrying in %.1f s", interval)
        if not tried:
            stop.wait(interval)


def start_worker_thread(
    sessions: sessionmaker[Session],
    clock: Clock,
    interval: float,
    post: Post = http_post,
    mailer: Mailer | None = None,
) -> threading.Event:
    stop = threading.Event()
    thread = threading.Thread(
        target=run_worker,
        args=(sessions, clock, interval, stop, post, mailer),
        name="swarm-outbox",
        daemon=True,
    )
    thread.start()
    return stop

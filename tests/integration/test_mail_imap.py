"""IMAP polling against a real dovecot on loopback (tests/integration/mailservers.py), into
PostgreSQL: mail is marked \\Seen only after its ticket commits, a server down at start or gone
mid-way is waited for, and nothing is lost or taken in twice."""

from __future__ import annotations

import imaplib
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from swarm.clock import FakeClock
from swarm.db import make_session_factory
from swarm.dispatch.caches import RoutingCaches
from swarm.mail.imap import parse_imap_url, poll_once, run_poller
from swarm.mail.intake import Intake, IntakeResult, MailSettings
from swarm.mail.tokens import reply_address
from swarm.models import MailIntake, Message, Ticket
from swarm.tickets.notify import RecordingNotifier
from tests.conftest import START
from tests.integration.mailservers import PASSWORD, USER, Dovecot, require_dovecot

SECRET = "imap-test-secret"
SUPPORT = "support@example.org"


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    server = Dovecot(require_dovecot())
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def intake(pg_engine: Engine) -> Intake:
    return Intake(
        make_session_factory(pg_engine),
        FakeClock(START),
        RecordingNotifier(),
        RoutingCaches(),
        MailSettings(secret=SECRET, support_address=SUPPORT),
    )


def a_mail(
    mid: str, body: str = "My laptop will not boot.", to: str = SUPPORT, **headers: str
) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Rita <rita@example.org>"
    msg["To"] = to
    msg["Subject"] = "Laptop will not boot"
    msg["Message-ID"] = mid
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


def deliver(server: Dovecot, *mails: bytes) -> None:
    client = imaplib.IMAP4("127.0.0.1", server.port)
    client.login(USER, PASSWORD)
    for raw in mails:
        typ, _ = client.append("INBOX", None, None, raw)
        assert typ == "OK"
    client.logout()


def unseen(server: Dovecot) -> int:
    client = imaplib.IMAP4("127.0.0.1", server.port)
    client.login(USER, PASSWORD)
    client.select("INBOX", readonly=True)
    _, found = client.uid("SEARCH", "UNSEEN")
    client.logout()
    return len((found[0] or b"").split())


def taker(intake: Intake):  # type: ignore[no-untyped-def]
    def take(raw: bytes, truncated: bool) -> IntakeResult:
        return intake.receive(raw, "imap", truncated=truncated)

    return take


def tickets(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Ticket)) or 0


def test_polling_opens_tickets_threads_and_marks_seen(dovecot, intake, pg_engine):
    target = parse_imap_url(dovecot.url)
    deliver(dovecot, a_mail("<one@c>"), a_mail("<ooo@c>", Auto_Submitted="auto-replied"))
    assert poll_once(target, taker(intake)) == 2
    assert unseen(dovecot) == 0
    with Session(pg_engine) as session:
        ticket = session.scalars(select(Ticket)).one()
        ticket_id, rita_id = ticket.id, ticket.requester_id
    token = reply_address(SECRET, SUPPORT, ticket_id, rita_id)
    deliver(dovecot, a_mail("<two@c>", body="It boots now, thanks.", to=token))
    assert poll_once(target, taker(intake)) == 1
    with Session(pg_engine) as session:
        assert session.scalars(select(Message.body)).all() == ["It boots now, thanks."]
        outcomes = session.scalars(select(MailIntake.outcome).order_by(MailIntake.id)).all()
        assert outcomes == ["ticket", "ignored", "reply"]
    assert poll_once(target, taker(intake)) == 0  # nothing unread: nothing read


def test_a_mail_is_left_unread_until_its_ticket_commits(dovecot, intake, pg_engine):
    target = parse_imap_url(dovecot.url)
    deliver(dovecot, a_mail("<db-away@c>"))

    def failing(raw: bytes, truncated: bool) -> IntakeResult:
        raise RuntimeError("database away")

    assert poll_once(target, failing) == 0
    assert unseen(dovecot) == 1 and tickets(pg_engine) == 0
    assert poll_once(target, taker(intake)) == 1
    assert unseen(dovecot) == 0 and tickets(pg_engine) == 1


def test_a_mail_seen_again_after_a_lost_flag_opens_nothing_twice(dovecot, intake, pg_engine):
    """The server went away between the commit and \\Seen: read again, recognised."""
    target = parse_imap_url(dovecot.url)
    deliver(dovecot, a_mail("<twice@c>"))
    intake.receive(a_mail("<twice@c>"), "imap")  # taken in; the flag never reached the server
    assert poll_once(target, taker(intake)) == 1
    assert tickets(pg_engine) == 1 and unseen(dovecot) == 0


def test_a_server_down_at_start_and_gone_midway_is_waited_for(dovecot, intake, pg_engine):
    dovecot.stop()
    stop = threading.Event()
    poller = threading.Thread(
        target=run_poller, args=(parse_imap_url(dovecot.url), taker(intake), 0.1, stop)
    )
    poller.start()
    try:
        time.sleep(0.5)  # a few refused connections
        dovecot.start()
        deliver(dovecot, a_mail("<after-start@c>"))
        _wait_for(lambda: tickets(pg_engine) == 1)
        dovecot.stop()
        time.sleep(0.5)
        dovecot.start()
        deliver(dovecot, a_mail("<after-restart@c>"))
        _wait_for(lambda: tickets(pg_engine) == 2)
    finally:
        stop.set()
        poller.join(30)
    assert unseen(dovecot) == 0


def _wait_for(condition, seconds: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the poller did not take the mail in"
        time.sleep(0.1)


def test_the_url_is_read_and_never_shows_the_password():
    target = parse_imap_url("imaps://help%40example.org:s3cr%2Ft@mail.example.org/Support%20In")
    assert (target.user, target.password, target.port, target.mailbox) == (
        "help@example.org",
        "s3cr/t",
        993,
        "Support In",
    )
    assert "s3cr" not in repr(target)
    with pytest.raises(ValueError):
        parse_imap_url("pop3://u:p@host")

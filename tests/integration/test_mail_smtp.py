"""The SMTP listener, fed by smtplib on loopback, taking mail into PostgreSQL.

The intake's rules are pinned one by one in tests/service/test_mail_intake.py; here the real
server's contract: 250 only once stored, 451 when the intake fails (the sender keeps the mail
and sends again), 550 for a refused sender, a port taken at start waited for.
"""

from __future__ import annotations

import smtplib
import socket
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from swarm.clock import FakeClock
from swarm.db import make_session_factory
from swarm.dispatch.caches import RoutingCaches
from swarm.mail import listener as listener_module
from swarm.mail.intake import Intake, IntakeResult, MailSettings
from swarm.mail.listener import MailListener
from swarm.mail.tokens import message_id, reply_address
from swarm.models import MailAttachment, MailIntake, Message, Ticket, User
from swarm.tickets.notify import RecordingNotifier
from tests.conftest import START
from tests.integration.mailservers import free_port
from tests.integration.servers import Server

SECRET = "smtp-test-secret"
SUPPORT = "support@example.org"


def a_mail(
    mid: str,
    body: str = "The VPN drops every ten minutes.",
    sender: str = "Rita <rita@example.org>",
    **headers: str,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = SUPPORT
    msg["Subject"] = "VPN keeps dropping"
    msg["Message-ID"] = mid
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg


@pytest.fixture
def intake(pg_engine: Engine) -> Intake:
    return Intake(
        make_session_factory(pg_engine),
        FakeClock(START),
        RecordingNotifier(),
        RoutingCaches(),
        MailSettings(secret=SECRET, support_address=SUPPORT, attachment_bytes=64 * 1024),
    )


def _listen(take) -> Iterator[tuple[MailListener, int]]:  # type: ignore[no-untyped-def]
    port = free_port()
    listener = MailListener(take, f"127.0.0.1:{port}")
    listener.start()
    assert listener.wait_started(30), "the SMTP listener did not start"
    try:
        yield listener, port
    finally:
        listener.stop()


@pytest.fixture
def smtp(intake: Intake) -> Iterator[int]:
    def take(raw: bytes, recipients) -> IntakeResult:  # type: ignore[no-untyped-def]
        return intake.receive(raw, "smtp", recipients)

    for _listener, port in _listen(take):
        yield port


def send(port: int, msg: EmailMessage, to: str = SUPPORT) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.send_message(msg, to_addrs=[to])


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_mail_through_the_listener_opens_threads_and_ignores(smtp: int, pg_engine: Engine):
    send(smtp, a_mail("<first@client>"))
    with Session(pg_engine) as session:
        ticket = session.scalars(select(Ticket)).one()
        rita = session.get(User, ticket.requester_id)
        assert rita.email == "rita@example.org" and ticket.subject == "VPN keeps dropping"
        ticket_id, rita_id = ticket.id, rita.id

    # Delivered again (a relay that lost our 250): nothing new.
    send(smtp, a_mail("<first@client>"))
    # A reply whose token is only in the envelope (the relay rewrote To:).
    token = reply_address(SECRET, SUPPORT, ticket_id, rita_id)
    send(smtp, a_mail("<second@client>", body="Still dropping.\n\n> quoted"), to=token)
    # A reply that kept only In-Reply-To.
    ours = message_id(SECRET, "example.org", ticket_id, rita_id)
    send(smtp, a_mail("<third@client>", body="And again.", In_Reply_To=ours))
    # An out-of-office, a list mail and our own mail come back: accepted, dropped.
    send(smtp, a_mail("<ooo@client>", Auto_Submitted="auto-replied"))
    send(smtp, a_mail("<list@client>", Precedence="list"))
    send(smtp, a_mail(message_id(SECRET, "example.org", ticket_id, rita_id)))
    # A forged token: a new ticket, not a message on Rita's.
    forged = reply_address("guessed", SUPPORT, ticket_id, rita_id)
    send(smtp, a_mail("<forged@client>", body="Let me in."), to=forged)

    with Session(pg_engine) as session:
        assert count(session, Ticket) == 2
        bodies = session.scalars(
            select(Message.body).where(Message.ticket_id == ticket_id).order_by(Message.id)
        ).all()
        assert bodies == ["Still dropping.", "And again."]
        outcomes = session.scalars(select(MailIntake.outcome).order_by(MailIntake.id)).all()
        assert outcomes == ["ticket", "reply", "reply", "ignored", "ignored", "ignored", "ticket"]


def test_a_refused_sender_is_answered_550(pg_engine: Engine):
    intake = Intake(
        make_session_factory(pg_engine),
        FakeClock(START),
        RecordingNotifier(),
        RoutingCaches(),
        MailSettings(secret=SECRET, unknown="refuse"),
    )
    for _listener, port in _listen(lambda raw, rcpt: intake.receive(raw, "smtp", rcpt)):
        with pytest.raises(smtplib.SMTPDataError) as refused:
            send(port, a_mail("<stranger@client>"))
        assert refused.value.smtp_code == 550
    with Session(pg_engine) as session:
        assert count(session, Ticket) == 0 and count(session, User) == 0


def test_a_failed_intake_answers_451_and_the_resend_is_stored(intake: Intake, pg_engine: Engine):
    failures = [RuntimeError("database away")]

    def take(raw: bytes, recipients) -> IntakeResult:  # type: ignore[no-untyped-def]
        if failures:
            raise failures.pop()
        return intake.receive(raw, "smtp", recipients)

    for _listener, port in _listen(take):
        with pytest.raises(smtplib.SMTPDataError) as later:
            send(port, a_mail("<retry@client>"))
        assert later.value.smtp_code == 451
        with Session(pg_engine) as session:
            assert count(session, Ticket) == 0
        send(port, a_mail("<retry@client>"))
    with Session(pg_engine) as session:
        assert count(session, Ticket) == 1


def test_broken_mime_html_and_oversize_attachments_over_smtp(smtp: int, pg_engine: Engine):
    broken = (
        b"From: Rita <rita@example.org>\r\nTo: support@example.org\r\n"
        b"Message-ID: <broken@client>\r\nSubject: =?x-unknown?q?oops?=\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/html; charset=x-unknown\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"PHA+SGVsbG88c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+PC9wPg==\r\n"  # <p>Hello<script>…
        b"--b\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Disposition: attachment; filename=big.bin\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + (b"QUFB" * 19 + b"\r\n") * 1600 + b"--b"
    )
    with smtplib.SMTP("127.0.0.1", smtp, timeout=30) as client:
        client.sendmail("rita@example.org", [SUPPORT], broken)
    with Session(pg_engine) as session:
        ticket = session.scalars(select(Ticket)).one()
        assert ticket.body.startswith("Hello")
        assert "script" not in ticket.body and "alert" not in ticket.body
        assert "[Attachment not kept: big.bin" in ticket.body
        assert count(session, MailAttachment) == 0


def test_a_taken_port_is_waited_for(intake: Intake, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(listener_module, "RETRY_SECONDS", 0.2)
    port = free_port()
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    blocker.bind(("127.0.0.1", port))
    blocker.listen()
    listener = MailListener(
        lambda raw, rcpt: intake.receive(raw, "smtp", rcpt), f"127.0.0.1:{port}"
    )
    try:
        listener.start()
        assert not listener.wait_started(1)
        blocker.close()
        assert listener.wait_started(60)
        send(port, a_mail("<late@client>"))
    finally:
        blocker.close()
        listener.stop()


def test_serve_starts_the_listener_when_mail_listen_is_set(
    pg_engine: Engine, pg_url: str, tmp_path: Path
):
    """The real process: gevent-patched ``serve`` runs aiosmtpd's loop on its own thread."""
    smtp_port = free_port()
    env = {
        "SWARM_DATABASE_URL": pg_url,
        "SWARM_INSTANCE_PATH": str(tmp_path),
        "SWARM_SECRET_KEY": SECRET,
        "SWARM_SUPPORT_ADDRESS": SUPPORT,
        "SWARM_MAIL_LISTEN": f"127.0.0.1:{smtp_port}",
    }
    server = Server(env, tmp_path).start()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                send(smtp_port, a_mail("<served@client>"))
                break
            except OSError:
                assert time.monotonic() < deadline, server.log.read_text()
                time.sleep(0.2)
    finally:
        server.stop()
    with Session(pg_engine) as session:
        ticket = session.scalars(select(Ticket)).one()
        assert ticket.subject == "VPN keeps dropping"

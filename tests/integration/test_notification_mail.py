"""Notification mail through a real SMTP server on loopback (aiosmtpd): the worker claims the
outbox's mail rows and sends them; a reply threads back by the signed Reply-To; the HTML part
escapes what people wrote; a person's mails due together go as one digest."""

from __future__ import annotations

import email
from collections.abc import Iterator
from email import policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, select

from swarm.db import make_session_factory
from swarm.mail.send import Mailer
from swarm.mail.tokens import read_message_id, read_reply_address
from swarm.models import Notification, NotificationSchedule, OutboxItem
from swarm.outbox.worker import deliver_due
from swarm.tickets.notify import RecordingNotifier
from swarm.tickets.rooms import RoomService
from tests.builders import make_agent, make_ticket, make_user
from tests.integration.mailservers import free_port

SECRET = "notify-test-secret"
SUPPORT = "support@example.org"


class Inbox:
    def __init__(self) -> None:
        self.mails: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.original_content, policy=policy.default)
        self.mails.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def sessions(request: pytest.FixtureRequest):
    # The claim's outer join (mail rows have no webhook) and its row lock, on both engines.
    name = "pg_engine" if request.param == "postgresql" else "engine"
    engine: Engine = request.getfixturevalue(name)
    return make_session_factory(engine, mail=True)


def test_a_notification_is_mailed_with_a_reply_token_and_escaped_html(sessions, clock, inbox):
    handler, port = inbox
    mailer = Mailer(f"smtp://127.0.0.1:{port}", SUPPORT, SECRET)
    with sessions() as session:
        service = RoomService(session, clock, RecordingNotifier())
        rita = make_user(session, clock, email="rita@example.org")
        owner = make_agent(session, clock)
        ticket = make_ticket(service, rita, subject="<script>alert(1)</script> VPN & Wi-Fi")
        service.assign(owner, ticket.id, owner.id)
        service.send_message(owner, ticket.id, "Try <b>this</b>:\nrestart it", "c1", "reply")
        ticket_id, rita_id = ticket.id, rita.id

    assert deliver_due(sessions, clock, mailer=mailer) == 1
    ((to, mail),) = handler.mails
    assert to == ["rita@example.org"]
    # (a long header is folded after its name; unfolded, the value starts with that space)
    assert mail["Subject"].strip() == (
        f"Support answered your ticket #{ticket_id}: <script>alert(1)</script> VPN & Wi-Fi"
    )
    token = read_reply_address(SECRET, mail["Reply-To"])
    assert (token.ticket_id, token.person_id) == (ticket_id, rita_id)
    assert read_message_id(SECRET, mail["Message-ID"]).ticket_id == ticket_id
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = mail.get_body(("html",)).get_content()
    assert "<script>alert(1)</script> VPN & Wi-Fi" in text
    assert "Try <b>this</b>:\nrestart it" in text
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; VPN &amp; Wi-Fi" in html
    assert "Try &lt;b&gt;this&lt;/b&gt;:" in html
    with sessions() as session:
        (row,) = session.scalars(select(Notification).where(Notification.recipient_id == rita_id))
        assert row.email == "sent"
        assert session.scalars(select(OutboxItem.state)).all() == ["delivered"]


def test_mail_waits_while_the_server_is_away_and_goes_when_due_again(sessions, clock):
    port = free_port()  # nobody listens
    mailer = Mailer(f"smtp://127.0.0.1:{port}", SUPPORT, SECRET)
    with sessions() as session:
        service = RoomService(session, clock, RecordingNotifier())
        rita = make_user(session, clock)
        owner = make_agent(session, clock)
        ticket = make_ticket(service, rita)
        service.assign(owner, ticket.id, owner.id)
        service.resolve(owner, ticket.id, "Done.")
    assert deliver_due(sessions, clock, mailer=mailer) == 1
    with sessions() as session:
        (item,) = session.scalars(select(OutboxItem)).all()
        assert (item.state, item.attempts) == ("pending", 1)
        assert item.next_attempt_at > clock.now()
        assert "ConnectionRefusedError" in item.last_error
    assert deliver_due(sessions, clock, mailer=mailer) == 0  # not due yet


def test_mails_due_together_go_as_one_digest_unless_the_person_said_no(sessions, clock, inbox):
    handler, port = inbox
    mailer = Mailer(f"smtp://127.0.0.1:{port}", SUPPORT, SECRET)
    with sessions() as session:
        service = RoomService(session, clock, RecordingNotifier())
        rita = make_user(session, clock)
        owner = make_agent(session, clock, email="olga@example.org")
        other = make_agent(session, clock, email="oscar@example.org")
        session.add(NotificationSchedule(user_id=other.id, timezone="UTC", digest=False))
        session.commit()
        for n in range(3):
            ticket = make_ticket(service, rita, subject=f"Printer {n}")
            service.assign(other, ticket.id, owner.id)  # owner is told: assigned
            service.assign(owner, ticket.id, other.id)  # other is told: assigned
    assert deliver_due(sessions, clock, mailer=mailer) == 6
    got = sorted((rcpt[0], m["Subject"].strip()) for rcpt, m in handler.mails)
    assert got == [
        ("olga@example.org", "3 notifications from Swarm"),
        *[("oscar@example.org", f"Ticket #{n + 1} is now yours: Printer {n}") for n in range(3)],
    ]
    digest = next(m for rcpt, m in handler.mails if rcpt == ["olga@example.org"])
    assert "Reply-To" not in digest
    body = digest.get_body(("plain",)).get_content()
    assert all(f"Printer {n}" in body for n in range(3))


def test_a_person_who_chose_german_gets_their_mail_in_german(engine, clock, inbox):
    handler, port = inbox
    sessions = make_session_factory(engine, mail=True)
    mailer = Mailer(f"smtp://127.0.0.1:{port}", SUPPORT, SECRET)
    with sessions() as session:
        service = RoomService(session, clock, RecordingNotifier())
        rita = make_user(session, clock, email="rita@example.org")
        rita.locale = "de"
        owner = make_agent(session, clock)
        ticket = make_ticket(service, rita, subject="Drucker <kaputt>")
        service.assign(owner, ticket.id, owner.id)
        service.send_message(owner, ticket.id, "Bitte neu starten.", "c1", "reply")
        ticket_id = ticket.id

    assert deliver_due(sessions, clock, mailer=mailer) == 1
    ((_, mail),) = handler.mails
    assert mail["Subject"].strip() == (
        f"Der Support hat auf Ihr Ticket #{ticket_id} geantwortet: Drucker <kaputt>"
    )
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert text.startswith("Hallo ")
    assert "Antworten Sie auf diese Mail, um in Ihr Ticket zu schreiben." in text
    assert '<html lang="de">' in html
    assert "Drucker &lt;kaputt&gt;" in html
    assert "Ihre Einstellungen für Benachrichtigungen: Konto > Benachrichtigungen" in html

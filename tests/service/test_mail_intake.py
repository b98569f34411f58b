"""Mail intake on a real session: tickets, threaded replies, loops, hostile mail, duplicates.

The SMTP and IMAP intakes feed the same ``Intake.receive`` (tests/integration/test_mail_*.py
drive it through real servers); here every rule is pinned on its own.
"""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from swarm.clock import FakeClock
from swarm.db import make_session_factory
from swarm.dispatch.caches import RoutingCaches
from swarm.mail.intake import DUPLICATE, Intake, MailSettings
from swarm.mail.parse import parse
from swarm.mail.tokens import message_id, reply_address
from swarm.models import AuditEntry, MailAttachment, MailIntake, Message, Ticket, User
from swarm.models.tickets import Status
from swarm.tickets.notify import RecordingNotifier

SECRET = "mail-test-secret"
SUPPORT = "support@example.org"


def mail(
    sender: str = "Rita Requester <rita@example.org>",
    subject: str = "Printer on floor 3 is jammed",
    body: str = "It jams on every page.",
    *,
    to: str = SUPPORT,
    mid: str | None = "<m1@client.example.org>",
    **headers: str,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    if mid:
        msg["Message-ID"] = mid
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


class Sharing(Intake):
    """The in-memory database has one connection: the test's session ends its transaction
    before the intake's begins."""

    test_session: Session

    def receive(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.test_session.commit()
        return super().receive(*args, **kwargs)


def make_intake(engine: Engine, session: Session, clock, notifier, **settings) -> Intake:
    intake = Sharing(
        make_session_factory(engine),
        clock,
        notifier,
        RoutingCaches(),
        MailSettings(**{"secret": SECRET, "support_address": SUPPORT, **settings}),
    )
    intake.test_session = session
    return intake


@pytest.fixture
def intake(engine: Engine, session: Session, clock: FakeClock, notifier: RecordingNotifier):
    return make_intake(engine, session, clock, notifier)


def count(session: Session, model: type) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_mail_opens_a_ticket_for_a_new_requester_without_password(intake, session):
    result = intake.receive(mail(), "smtp")
    assert result.outcome == "ticket"
    ticket = session.get(Ticket, result.ticket_id)
    assert ticket.subject == "Printer on floor 3 is jammed"
    assert ticket.body == "It jams on every page."
    rita = session.scalars(select(User).where(User.email == "rita@example.org")).one()
    assert (rita.name, rita.role, rita.password_hash) == ("Rita Requester", "requester", None)
    assert ticket.requester_id == rita.id
    row = session.scalars(select(MailIntake)).one()
    assert (row.ticket_id, row.outcome, row.source) == (ticket.id, "ticket", "smtp")
    # An account that mail made is in the audit log (no one acted: the mail did).
    entry = session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.subject_id, entry.actor_id) == ("user_created", rita.id, None)
    assert entry.details == {"role": "requester", "via": "mail"}


def test_unknown_senders_are_refused_under_refuse(engine, clock, notifier, session):
    intake = make_intake(engine, session, clock, notifier, unknown="refuse")
    assert intake.receive(mail(), "imap").outcome == "refused"
    assert count(session, Ticket) == 0
    assert count(session, User) == 0


def test_the_same_mail_delivered_twice_opens_one_ticket(intake, session):
    first = intake.receive(mail(), "smtp")
    again = intake.receive(mail(), "imap")
    assert again.outcome == DUPLICATE
    assert count(session, Ticket) == 1
    assert first.outcome == "ticket"


def test_a_mail_without_message_id_is_recognised_by_its_content(intake, session):
    intake.receive(mail(mid=None), "smtp")
    assert intake.receive(mail(mid=None), "smtp").outcome == DUPLICATE
    assert count(session, Ticket) == 1


def _requester_ticket(intake, session) -> tuple[Ticket, User]:
    result = intake.receive(mail(), "smtp")
    ticket = session.get(Ticket, result.ticket_id)
    return ticket, session.get(User, ticket.requester_id)


def test_a_reply_to_the_signed_address_lands_on_the_ticket_without_the_quote(intake, session):
    ticket, rita = _requester_ticket(intake, session)
    address = reply_address(SECRET, SUPPORT, ticket.id, rita.id)
    body = (
        "Thanks, it works now.\n\n"
        "On Mon, 1 Dec 2026, Swarm <support@example.org> wrote:\n> Try again\n"
    )
    result = intake.receive(
        mail(subject="Something else entirely", body=body, to=address, mid="<m2@c>"), "smtp"
    )
    assert (result.outcome, result.ticket_id) == ("reply", ticket.id)
    [message] = session.scalars(select(Message)).all()
    assert (message.kind, message.author_id, message.body) == (
        "reply",
        rita.id,
        "Thanks, it works now.",
    )
    assert count(session, Ticket) == 1


def test_a_reply_threads_by_in_reply_to_when_the_address_was_dropped(intake, session):
    ticket, rita = _requester_ticket(intake, session)
    ours = message_id(SECRET, "example.org", ticket.id, rita.id)
    result = intake.receive(
        mail(body="Still broken.", mid="<m3@c>", In_Reply_To=ours, References=ours), "imap"
    )
    assert (result.outcome, result.ticket_id) == ("reply", ticket.id)
    assert count(session, Ticket) == 1


def test_the_subject_alone_never_threads(intake, session):
    ticket, _ = _requester_ticket(intake, session)
    result = intake.receive(mail(subject=f"Re: [#{ticket.id}] Printer", mid="<m4@c>"), "smtp")
    assert result.outcome == "ticket" and result.ticket_id != ticket.id


def test_a_forged_token_opens_a_new_ticket(intake, session):
    ticket, rita = _requester_ticket(intake, session)
    forged = reply_address("not-our-secret", SUPPORT, ticket.id, rita.id)
    result = intake.receive(mail(to=forged, mid="<m5@c>"), "smtp")
    assert result.outcome == "ticket" and result.ticket_id != ticket.id
    assert count(session, Message) == 0


def test_someone_elses_valid_token_does_not_let_them_write_on_the_ticket(intake, session, clock):
    ticket, rita = _requester_ticket(intake, session)
    address = reply_address(SECRET, SUPPORT, ticket.id, rita.id)
    result = intake.receive(
        mail(sender="Mallory <mallory@example.org>", to=address, mid="<m6@c>"), "smtp"
    )
    assert result.outcome == "ticket" and result.ticket_id != ticket.id
    assert count(session, Message) == 0


def test_a_reply_to_a_closed_ticket_opens_a_follow_up(intake, session):
    ticket, rita = _requester_ticket(intake, session)
    ticket.status = Status.CLOSED
    session.commit()
    address = reply_address(SECRET, SUPPORT, ticket.id, rita.id)
    result = intake.receive(mail(to=address, body="It is back.", mid="<m7@c>"), "smtp")
    assert result.outcome == "ticket" and result.ticket_id != ticket.id
    follow_up = session.get(Ticket, result.ticket_id)
    assert f"ticket #{ticket.id}" in follow_up.body and "It is back." in follow_up.body


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Auto_Submitted": "auto-replied"}, "Auto-Submitted"),
        ({"Precedence": "bulk"}, "Precedence"),
        ({"Precedence": "junk"}, "Precedence"),
        ({"X_Auto_Response_Suppress": "All"}, "X-Auto-Response-Suppress"),
        ({"Return_Path": "<>"}, "bounce"),
    ],
)
def test_auto_replies_are_never_ticketed(intake, session, headers, reason):
    result = intake.receive(mail(**headers), "smtp")
    assert result.outcome == "ignored" and reason in result.reason
    assert count(session, Ticket) == 0
    assert count(session, User) == 0
    assert session.scalars(select(MailIntake)).one().outcome == "ignored"


def test_auto_submitted_no_is_a_person(intake):
    assert intake.receive(mail(Auto_Submitted="no"), "smtp").outcome == "ticket"


def test_loops_are_ignored(intake, session):
    ours = message_id(SECRET, "example.org", 1, 1)
    assert intake.receive(mail(mid=ours), "smtp").outcome == "ignored"
    assert intake.receive(mail(sender=SUPPORT, mid="<l2@c>"), "smtp").outcome == "ignored"
    bounce = mail(sender="MAILER-DAEMON@mx.example.org", mid="<l3@c>")
    assert intake.receive(bounce, "smtp").outcome == "ignored"
    assert count(session, Ticket) == 0


def test_broken_mime_still_opens_a_ticket(intake, session):
    raw = (
        b"From: Rita <rita@example.org>\r\nSubject: =?utf-8?B?broken\r\n"
        b'Message-ID: <broken@c>\r\nContent-Type: multipart/mixed; boundary="nope\r\n\r\n'
        b"--nope\r\nContent-Type: text/plain; charset=no-such-charset\r\n\r\n"
        b"The \xff\x00 text\r\n--nope"
    )
    result = intake.receive(raw, "smtp")
    assert result.outcome == "ticket"
    ticket = session.get(Ticket, result.ticket_id)
    assert "text" in ticket.body and "\x00" not in ticket.body


def _with_attachment(size: int, name: str = "log.bin", mid: str = "<att@c>") -> bytes:
    msg = EmailMessage()
    msg["From"] = "rita@example.org"
    msg["To"] = SUPPORT
    msg["Subject"] = "Logs attached"
    msg["Message-ID"] = mid
    msg.set_content("See the log.")
    msg.add_attachment(b"x" * size, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes()


def test_attachments_within_the_limit_are_kept_and_larger_ones_named(
    engine, clock, notifier, session
):
    intake = make_intake(engine, session, clock, notifier, attachment_bytes=1000)
    kept = intake.receive(_with_attachment(600, "small.log"), "smtp")
    [attachment] = session.scalars(select(MailAttachment)).all()
    assert (attachment.filename, attachment.size, attachment.data) == ("small.log", 600, b"x" * 600)
    assert "[Attachment kept: small.log" in session.get(Ticket, kept.ticket_id).body
    big = intake.receive(_with_attachment(5000, "huge.iso", "<att2@c>"), "smtp")
    assert big.outcome == "ticket"
    assert count(session, MailAttachment) == 1
    body = session.get(Ticket, big.ticket_id).body
    assert "[Attachment not kept: huge.iso" in body and "larger than" in body


def test_html_mail_is_turned_into_text_without_its_scripts(intake, session):
    msg = EmailMessage()
    msg["From"] = "rita@example.org"
    msg["Subject"] = "<img src=x onerror=alert(1)>"
    msg["Message-ID"] = "<html@c>"
    msg.set_content(
        "<html><head><style>p{}</style><script>alert('head')</script></head><body>"
        "<p>Hello <b>team</b></p><script>document.cookie</script>"
        '<a href="javascript:alert(2)">click</a><img src=x onerror="alert(3)"></body></html>',
        subtype="html",
    )
    result = intake.receive(msg.as_bytes(), "smtp")
    body = session.get(Ticket, result.ticket_id).body
    assert body.startswith("Hello team")
    for hostile in ("<", "alert", "script", "cookie", "javascript", "onerror"):
        assert hostile not in body


def test_header_injection_stays_on_one_line():
    raw = (
        b"From: rita@example.org\r\nSubject: =?utf-8?q?Hi=0D=0ABcc:_evil@x.org?=\r\n"
        b"Message-ID: <inj@c>\r\n\r\nbody\r\n"
    )
    parsed = parse(raw)
    assert "\n" not in parsed.subject and "\r" not in parsed.subject
    assert parsed.subject == "Hi Bcc: evil@x.org"


def test_nested_mail_is_bounded():
    inner = b"From: a@b.org\r\nSubject: leaf\r\n\r\nleaf\r\n"
    raw = inner
    for depth in range(40):
        boundary = f"b{depth}".encode()
        raw = (
            b"From: rita@example.org\r\nMessage-ID: <n%d@c>\r\n" % depth
            + b"Content-Type: multipart/mixed; boundary="
            + boundary
            + b"\r\n\r\n--"
            + boundary
            + b"\r\nContent-Type: text/plain\r\n\r\nlevel\r\n--"
            + boundary
            + b"\r\n"
            + raw.split(b"\r\n\r\n", 1)[1]
            + b"\r\n--"
            + boundary
            + b"--\r\n"
        )
    parsed = parse(raw)
    assert parsed.defects > 0
    assert parsed.text.startswith("level")


def test_a_staff_member_with_a_requesters_token_does_not_write_as_the_requester(
    intake, session, clock
):
    """Staff may see every ticket; a forwarded notification still does not make their mail a
    reply in the requester's conversation."""
    from tests.builders import make_agent

    ticket, rita = _requester_ticket(intake, session)
    make_agent(session, clock, email="alex@example.org")
    address = reply_address(SECRET, SUPPORT, ticket.id, rita.id)
    result = intake.receive(mail(sender="alex@example.org", to=address, mid="<m8@c>"), "smtp")
    assert result.outcome == "ticket" and result.ticket_id != ticket.id
    assert count(session, Message) == 0


def test_an_attached_mail_is_kept_whole_and_never_opened():
    inner = EmailMessage()
    inner["From"] = "someone@example.org"
    inner["Subject"] = "the forwarded one"
    inner.set_content("<script>alert(1)</script> forwarded text")
    outer = EmailMessage()
    outer["From"] = "rita@example.org"
    outer["Message-ID"] = "<fwd@c>"
    outer.set_content("See the attached mail.")
    outer.add_attachment(inner)
    parsed = parse(outer.as_bytes())
    assert parsed.text == "See the attached mail."
    [attachment] = parsed.attachments
    assert attachment.filename.endswith(".eml")
    assert attachment.content_type == "message/rfc822"
    assert attachment.data.startswith(b"From: someone@example.org")

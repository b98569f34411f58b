"""Mail in: a parsed mail becomes a ticket, a reply on one, or nothing (and is counted).

:meth:`Intake.take` is the one entry point of both intakes (the SMTP listener, the IMAP
poller). In order:

1. **Once per Message-ID.** A mail whose key (``ParsedMail.key``) is already in
   ``mail_intake`` is a redelivery: nothing happens (outcome ``duplicate``).
2. **Never answer a machine.** ``Auto-Submitted`` other than ``no``, ``Precedence: bulk``,
   ``junk`` or ``list``, ``X-Auto-Response-Suppress``, a ``Message-ID`` Swarm signed itself
   (our own mail come back), a bounce (``mailer-daemon``/``postmaster``, an empty
   ``Return-Path``) or mail from the support address itself: recorded as ``ignored`` with
   the reason, logged and counted; no ticket, no reply, no account.
3. **Who wrote.** The ``From`` address names the person. An address Swarm does not know gets
   a requester account without a password under ``SWARM_MAIL_UNKNOWN=create`` (the
   default), or the mail is ``refused`` under ``refuse``; a deactivated account is refused.
4. **Reply or new ticket.** A signed reply token (``swarm/mail/tokens.py``) in a recipient
   address (envelope, To, Cc, Delivered-To, X-Original-To) or, failing that, in
   ``In-Reply-To``/``References`` names a ticket; never the subject. The mail is added to
   that ticket's public conversation (a ``reply`` message, quoted text cut off) when the
   token's person is the sender and the ticket's requester. A token that does not verify
   (forged, altered) is no token, and a valid token used by someone else (a forwarded
   notification) does not let them write on that ticket: either way the mail opens a new
   ticket for its sender. A reply to a closed ticket (or one the ticket refuses) opens a new
   ticket that says which one it follows.
5. A new ticket is opened through :class:`RoutingService` like one from the pages (inferred
   skills, mode, routing), the sender as requester. Its ``mail_intake`` row and the kept
   attachments are written in the ticket's own transaction, so a ticket never exists without
   the record that stops a second one. A reply is made idempotent by its ``client_id``
   (``mail:<key>``), then recorded.

Errors of the database (down, busy) propagate: the SMTP listener answers 451 (the sending
server tries again) and the IMAP poller leaves the mail unread for the next round.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from swarm.accounts import audit
from swarm.accounts.audit import AuditAction
from swarm.accounts.service import EMAIL_RE
from swarm.clock import Clock
from swarm.config import Config
from swarm.dispatch.caches import RoutingCaches
from swarm.dispatch.clocks import tier_clock_hook
from swarm.dispatch.service import RoutingService
from swarm.mail.parse import ParsedMail, parse, size_text, strip_quoted
from swarm.mail.tokens import read_message_id, read_references, read_reply_address
from swarm.models import MailAttachment, MailIntake, MailOutcome, Ticket, User
from swarm.models.tickets import MessageKind
from swarm.models.users import Role
from swarm.telemetry import MAIL_INTAKE
from swarm.tickets.errors import DomainError
from swarm.tickets.notify import Notifier
from swarm.tickets.rooms import RoomService
from swarm.tickets.service import BODY_MAX_BYTES, SUBJECT_MAX

log = logging.getLogger(__name__)

DUPLICATE = "duplicate"
BOUNCE_SENDERS = frozenset({"mailer-daemon", "postmaster"})
NO_TEXT = "(The mail had no text.)"


@dataclass(frozen=True)
class MailSettings:
    secret: str
    support_address: str | None = None
    unknown: str = "create"  # SWARM_MAIL_UNKNOWN: create | refuse
    attachment_bytes: int = 10 * 1024 * 1024

    @classmethod
    def of(cls, config: Config) -> MailSettings:
        return cls(
            secret=config.secret_key,
            support_address=config.support_address,
            unknown=config.mail_unknown,
            attachment_bytes=config.mail_attachment_bytes,
        )


@dataclass(frozen=True)
class IntakeResult:
    outcome: str  # MailOutcome.* or DUPLICATE
    ticket_id: int | None = None
    reason: str | None = None


def ignored_because(mail: ParsedMail, settings: MailSettings) -> str | None:
    """Why this mail must never be answered or ticketed (a machine wrote it, or it is our
    own mail come back), or None."""
    if not mail.sender:
        return "no sender address"
    auto = mail.auto_submitted.strip().lower()
    if auto and auto.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto[:60]}"
    precedence = mail.precedence.strip().lower()
    if precedence in ("bulk", "junk", "list"):
        return f"Precedence: {precedence}"
    if mail.auto_response_suppress:
        return "X-Auto-Response-Suppress"
    if mail.message_id and read_message_id(settings.secret, mail.message_id) is not None:
        return "our own Message-ID (a loop)"
    local, _at, domain = mail.sender.partition("@")
    if local in BOUNCE_SENDERS or mail.return_path.replace(" ", "") == "<>":
        return "a bounce (mailer-daemon)"
    if settings.support_address:
        base, _, support_domain = settings.support_address.strip().lower().partition("@")
        if local.split("+", 1)[0] == base.split("+", 1)[0] and domain == support_domain:
            return "from the support address (a loop)"
    return None


class Intake:
    """Takes mails in for one app: its sessions, clock, notifier and routing caches."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        notifier: Notifier,
        caches: RoutingCaches,
        settings: MailSettings,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.notifier = notifier
        self.caches = caches
        self.settings = settings

    @classmethod
    def of(cls, runtime: Any) -> Intake:
        """The intake of a running app (``app.extensions["swarm"]``)."""
        return cls(
            runtime.sessions,
            runtime.clock,
            runtime.notifier,
            runtime.routing,
            MailSettings.of(runtime.config),
        )

    def receive(
        self,
        raw: bytes,
        source: str,
        envelope_to: Sequence[str] = (),
        *,
        truncated: bool = False,
    ) -> IntakeResult:
        """Parse ``raw`` and take it in (:meth:`take`)."""
        mail = parse(
            raw,
            tuple(envelope_to),
            attachment_bytes=self.settings.attachment_bytes,
            truncated=truncated,
        )
        return self.take(mail, source)

    def take(self, mail: ParsedMail, source: str) -> IntakeResult:
        with self.sessions() as session:
            result = self._take(session, mail, source)
        MAIL_INTAKE.labels(source, result.outcome).inc()
        log.info(
            "mail %s from %s (%s): %s%s%s",
            mail.message_id or "(no Message-ID)",
            mail.sender or "(nobody)",
            source,
            result.outcome,
            f" (ticket {result.ticket_id})" if result.ticket_id else "",
            f": {result.reason}" if result.reason else "",
        )
        return result

    # ------------------------------------------------------------------ steps

    def _take(self, session: Session, mail: ParsedMail, source: str) -> IntakeResult:
        if self._seen(session, mail.key):
            return IntakeResult(DUPLICATE)
        why = ignored_because(mail, self.settings)
        if why:
            return self._record(session, mail, source, MailOutcome.IGNORED, reason=why)
        person, refusal = self._sender(session, mail)
        if person is None:
            return self._record(session, mail, source, MailOutcome.REFUSED, reason=refusal)
        ticket_id = self._reply_target(session, mail, person)
        follows = None
        if ticket_id is not None and self._closed(session, ticket_id):
            follows = f"(This mail answers ticket #{ticket_id}, which is closed.)"
        elif ticket_id is not None:
            try:
                return self._reply(session, mail, source, person, ticket_id)
            except DomainError as exc:
                session.rollback()
                follows = f"(This mail answers ticket #{ticket_id}, which {_lower(exc.message)})"
        return self._open(session, mail, source, person, follows)

    def _closed(self, session: Session, ticket_id: int) -> bool:
        return session.scalar(select(Ticket.status).where(Ticket.id == ticket_id)) == "closed"

    def _seen(self, session: Session, key: str) -> bool:
        return session.scalar(select(MailIntake.id).where(MailIntake.key == key)) is not None

    def _row(self, mail: ParsedMail, source: str, outcome: str, **fields: Any) -> MailIntake:
        return MailIntake(
            key=mail.key,
            message_id=mail.message_id[:998],
            sender=mail.sender[:254],
            source=source,
            outcome=outcome,
            received_at=self.clock.now(),
            attachments=[
                MailAttachment(
                    filename=a.filename,
                    content_type=a.content_type,
                    size=len(a.data),
                    data=a.data,
                )
                for a in (
                    mail.attachments if outcome in (MailOutcome.TICKET, MailOutcome.REPLY) else ()
                )
            ],
            **fields,
        )

    def _record(
        self,
        session: Session,
        mail: ParsedMail,
        source: str,
        outcome: str,
        *,
        reason: str | None = None,
        ticket_id: int | None = None,
    ) -> IntakeResult:
        session.add(
            self._row(
                mail, source, outcome, reason=(reason or "")[:200] or None, ticket_id=ticket_id
            )
        )
        try:
            session.commit()
        except IntegrityError:  # the same mail, taken in at the same moment elsewhere
            session.rollback()
            return IntakeResult(DUPLICATE, ticket_id)
        return IntakeResult(outcome, ticket_id, reason)

    def _sender(self, session: Session, mail: ParsedMail) -> tuple[User | None, str | None]:
        user = session.scalars(select(User).where(User.email == mail.sender)).first()
        if user is not None:
            return (user, None) if user.active else (None, "the sender's account is deactivated")
        if self.settings.unknown != "create":
            return None, "unknown sender (SWARM_MAIL_UNKNOWN=refuse)"
        if not EMAIL_RE.match(mail.sender):
            return None, "the sender's address is not usable"
        name = mail.sender_name.strip() or mail.sender.split("@", 1)[0]
        user = User(
            email=mail.sender,
            name=name[:120],
            role=Role.REQUESTER,
            password_hash=None,
            active=True,
            created_at=self.clock.now(),
        )
        session.add(user)
        try:
            session.flush()
            audit.record(
                session,
                self.clock.now(),
                AuditAction.USER_CREATED,
                subject=user,
                role=Role.REQUESTER,
                via="mail",
            )
            session.commit()
        except IntegrityError:  # created by a mail taken in at the same moment
            session.rollback()
            user = session.scalars(select(User).where(User.email == mail.sender)).one()
        else:
            log.info("mail: created requester %s (id %s) for %s", name, user.id, mail.sender)
        return user, None

    def _reply_target(self, session: Session, mail: ParsedMail, person: User) -> int | None:
        secret = self.settings.secret
        token = next(
            (t for t in (read_reply_address(secret, a) for a in mail.recipients) if t), None
        ) or read_references(secret, mail.in_reply_to, mail.references)
        if token is None:
            return None
        ticket = session.get(Ticket, token.ticket_id)
        if ticket is None or token.person_id != person.id or ticket.requester_id != person.id:
            log.warning(
                "mail from %s carries a reply token for ticket %s (person %s) that is not "
                "theirs: opened as a new ticket",
                mail.sender,
                token.ticket_id,
                token.person_id,
            )
            return None
        return ticket.id

    def _body(self, text: str, mail: ParsedMail, head: str | None = None) -> str:
        notes = [
            f"[Attachment kept: {a.filename} ({size_text(len(a.data))})]" for a in mail.attachments
        ]
        notes += [
            f"[Attachment not kept: {r.filename} ({size_text(r.size)}): {r.why}]"
            for r in mail.refused
        ]
        if mail.truncated:
            notes.append("[The mail was too large to read whole: only its beginning is here.]")
        tail = ("\n\n" + "\n".join(notes)) if notes else ""
        head = f"{head}\n\n" if head else ""
        text = text.strip() or NO_TEXT
        room = BODY_MAX_BYTES - len((head + tail).encode()) - 64
        if len(text.encode()) > room:
            text = text.encode()[:room].decode(errors="ignore") + "\n[…the rest was cut]"
        return head + text + tail

    def _reply(
        self, session: Session, mail: ParsedMail, source: str, person: User, ticket_id: int
    ) -> IntakeResult:
        rooms = RoomService(
            session,
            self.clock,
            self.notifier,
            on_status=tier_clock_hook(session, self.caches.settings),
        )
        body = self._body(strip_quoted(mail.text), mail)
        rooms.send_message(person, ticket_id, body, f"mail:{mail.key[:59]}", MessageKind.REPLY)
        return self._record(session, mail, source, MailOutcome.REPLY, ticket_id=ticket_id)

    def _open(
        self,
        session: Session,
        mail: ParsedMail,
        source: str,
        person: User,
        follows: str | None,
    ) -> IntakeResult:
        subject = mail.subject.strip()[:SUBJECT_MAX] or "(no subject)"
        body = self._body(mail.text, mail, follows)
        row = self._row(mail, source, MailOutcome.TICKET, reason=None)
        routing = RoutingService(session, self.clock, self.notifier, self.caches)
        try:
            with _written_with_ticket(session, row):
                ticket = routing.open_ticket(person, subject=subject, body=body)
        except IntegrityError:
            session.rollback()
            return IntakeResult(DUPLICATE)
        return IntakeResult(MailOutcome.TICKET, ticket.id)


@contextmanager
def _written_with_ticket(session: Session, row: MailIntake) -> Iterator[None]:
    """Add ``row`` (linked to the ticket) to the flush that first inserts a ticket, so that
    both commit or neither does."""

    def before_flush(flushing: Session, _context: Any, _instances: Any) -> None:
        if row in flushing:
            return
        for obj in flushing.new:
            if isinstance(obj, Ticket):
                row.ticket = obj
                flushing.add(row)
                return

    event.listen(session, "before_flush", before_flush)
    try:
        yield
    finally:
        event.remove(session, "before_flush", before_flush)


def _lower(sentence: str) -> str:
    """``Ticket 4 is closed …`` → ``is closed …`` for "which …"."""
    words = sentence.split(" ", 2)
    if len(words) == 3 and words[0].lower() == "ticket":
        return words[2].rstrip(".")
    return "could not take it: " + sentence.rstrip(".")

"""Sending notification mail (``SWARM_SMTP_URL``), one outbox row of kind ``mail`` at a time,
or several of one person's rows as one digest; and the mail of a password reset link (outbox
kind ``password_reset``, :meth:`Mailer.compose_reset`, swarm/accounts/reset.py).

Each mail has a plain-text and an HTML part rendered from the same Jinja templates
(``swarm/web/templates/mail/``; the HTML one autoescaped, so what people wrote is text there,
never markup). A mail about one ticket goes out ``From`` the support address with a signed
``Reply-To`` and ``Message-ID`` (``swarm/mail/tokens.py``): a reply threads back into that
ticket through the intake (docs/mail.md). A digest names several tickets, so it carries no
token: it says to answer from each ticket instead.

A mail is written in its reader's language when they chose one on /account (``users.locale``);
the worker has no browser to ask, so a person who left it to the browser gets English. The
templates' ``_()`` and the notification's sentence (a :class:`~swarm.phrases.Phrase`) are
looked up in the compiled catalogue (``swarm/translations``) with the standard library's
``gettext``: no Flask here.
"""

from __future__ import annotations

import gettext
import smtplib
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from swarm.accounts import reset
from swarm.mail.tokens import message_id, reply_address
from swarm.models import Message, Notification, Ticket, TicketEvent, User
from swarm.notifications.kinds import describe
from swarm.phrases import N_, Phrase, ngettext, render

TEMPLATES = Path(__file__).resolve().parents[1] / "web" / "templates"
CATALOGUES = Path(__file__).resolve().parents[1] / "translations"
TIMEOUT_SECONDS = 20.0
SUBJECT_CHARS = 150
RESET_TTL = timedelta(minutes=60)  # Config's password_reset_ttl (SWARM_PASSWORD_RESET_MINUTES)


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    tls: str  # "none", "starttls" or "ssl"
    user: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpTarget:
    """``smtp://host:25``, ``smtp+starttls://user:pass@host:587``, ``smtps://user:pass@host``.

    >>> parse_smtp_url("smtps://me:s%40cret@mail.example.org")
    SmtpTarget(host='mail.example.org', port=465, tls='ssl', user='me', password='s@cret')
    """
    parts = urlsplit(url)
    tls = {"smtp": "none", "smtp+starttls": "starttls", "smtps": "ssl"}.get(parts.scheme)
    if tls is None or not parts.hostname:
        raise ValueError("SWARM_SMTP_URL is smtp://, smtp+starttls:// or smtps://host[:port]")
    default = {"none": 25, "starttls": 587, "ssl": 465}[tls]
    return SmtpTarget(
        parts.hostname,
        parts.port or default,
        tls,
        unquote(parts.username) if parts.username else None,
        unquote(parts.password) if parts.password else None,
    )


@dataclass(frozen=True)
class Sent:
    """What the SMTP server said: ``error`` is None when it took the mail."""

    status: int | None
    error: str | None
    milliseconds: int


def one_line(text: str, limit: int = SUBJECT_CHARS) -> str:
    """Whitespace (newlines too: a header is one line) folded to single spaces, cut short."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def mailer_for(
    smtp_url: str | None,
    support_address: str | None,
    secret: str,
    public_url: str | None = None,
    reset_ttl: timedelta = RESET_TTL,
) -> Mailer | None:
    """The process's mailer, or None: mail is off unless both settings are given."""
    if not (smtp_url and support_address):
        return None
    return Mailer(smtp_url, support_address, secret, public_url=public_url, reset_ttl=reset_ttl)


class Mailer:
    """Composes and sends notification mail for one configuration."""

    def __init__(
        self,
        smtp_url: str,
        support_address: str,
        secret: str,
        *,
        public_url: str | None = None,
        reset_ttl: timedelta = RESET_TTL,
    ) -> None:
        self.target = parse_smtp_url(smtp_url)
        self.support = support_address
        self.domain = support_address.rpartition("@")[2]
        self.secret = secret
        # Links in mail start here (SWARM_PUBLIC_URL); without it no mail carries a link.
        self.public_url = public_url.rstrip("/") if public_url else None
        self.reset_ttl = reset_ttl
        self._languages: dict[str, tuple[Environment, gettext.NullTranslations]] = {}

    def language(self, locale: str | None) -> tuple[Environment, gettext.NullTranslations]:
        """The templates and the catalogue of one language (English when it has none)."""
        code = locale or "en"
        if code not in self._languages:
            catalogue = gettext.translation(
                "messages", localedir=CATALOGUES, languages=[code], fallback=True
            )
            env = Environment(
                loader=FileSystemLoader(TEMPLATES),
                autoescape=select_autoescape(["html"]),
                trim_blocks=True,
                lstrip_blocks=True,
                extensions=["jinja2.ext.i18n"],
            )
            env.install_gettext_translations(catalogue, newstyle=True)  # type: ignore[attr-defined]
            self._languages[code] = (env, catalogue)
        return self._languages[code]

    # ------------------------------------------------------------------ composing

    def compose(self, session: Session, notification_ids: Sequence[int]) -> EmailMessage | None:
        """The mail for these notifications (all one person's), or None if they are gone."""
        actor = aliased(User)
        rows = session.execute(
            select(Notification, Ticket.subject, actor.name, TicketEvent.data)
            .join(Ticket, Ticket.id == Notification.ticket_id)
            .outerjoin(actor, actor.id == Notification.actor_id)
            .outerjoin(TicketEvent, TicketEvent.id == Notification.event_id)
            .where(Notification.id.in_(notification_ids))
            .order_by(Notification.id)
        ).all()
        if not rows:
            return None
        person = session.get(User, rows[0][0].recipient_id)
        if person is None or not person.active:
            return None
        env, catalogue = self.language(person.locale)

        def say(text: Phrase) -> str:
            return render(text, catalogue.gettext, catalogue.ngettext)

        items = [self._item(session, say, *row) for row in rows]
        first = rows[0][0]
        msg = EmailMessage()
        msg["From"] = formataddr(("Swarm support", self.support))
        msg["To"] = formataddr((one_line(person.name, 80), person.email))
        if len(items) == 1:
            msg["Subject"] = one_line(f"{items[0]['sentence']}: {items[0]['subject']}")
            msg["Reply-To"] = reply_address(self.secret, self.support, first.ticket_id, person.id)
            msg["Message-ID"] = message_id(self.secret, self.domain, first.ticket_id, person.id)
        else:
            msg["Subject"] = say(
                ngettext(
                    "%(num)d notification from Swarm",
                    "%(num)d notifications from Swarm",
                    len(items),
                )
            )
            msg["Message-ID"] = make_msgid(domain=self.domain)
        msg["Auto-Submitted"] = "auto-generated"  # our intake drops it if it comes back
        context = {
            "person": person.name,
            "items": items,
            "digest": len(items) > 1,
            "lang": person.locale or "en",
            "first_password": self._first_password(person),
        }
        msg.set_content(env.get_template("mail/notification.txt").render(context))
        msg.add_alternative(
            env.get_template("mail/notification.html").render(context), subtype="html"
        )
        return msg

    def _first_password(self, person: User) -> str | None:
        """Where a requester made by mail intake, who has no password yet, chooses one to
        follow their tickets on the web ("Forgot your password?"): a page, no link that signs
        anyone in, so a mail forwarded or sent to a forged sender opens nothing."""
        if person.password_hash is not None or person.is_staff or self.public_url is None:
            return None
        return f"{self.public_url}/forgot-password"

    def _item(
        self,
        session: Session,
        say: Callable[[Phrase], str],
        note: Notification,
        subject: str,
        actor: str | None,
        data: dict[str, Any] | None,
    ) -> dict[str, Any]:
        someone = Phrase(N_("Someone"))
        sentence = say(
            describe(note.kind, one_line(actor, 80) if actor else someone, note.ticket_id)
        )
        text = None
        data = data or {}
        # What the requester is told in full is theirs to read: the reply, the resolution.
        if note.kind == "requester_answered" and data.get("message_id"):
            message = session.get(Message, data["message_id"])
            if message is not None and message.kind == "reply":
                text = message.body
        elif note.kind == "requester_resolved":
            text = data.get("resolution")
        return {
            "sentence": sentence,
            "subject": one_line(subject),
            "ticket": note.ticket_id,
            "kind": note.kind,
            "text": text,
            "requester": note.kind.startswith("requester_"),
        }

    def compose_reset(
        self, session: Session, payload: dict[str, Any], now: datetime
    ) -> EmailMessage | None:
        """The mail with a link to set a new password (swarm/accounts/reset.py), or None when
        there is nothing to send any more: the person may no longer reset (deactivated, say),
        their password changed since the request (the link would be dead), the link's time
        ran out while the mail waited for the SMTP server, or no ``SWARM_PUBLIC_URL`` — and
        always for a request whose address named nobody who may reset."""
        if payload.get("user_id") is None:  # the address named nobody who may reset
            return None
        person = session.get(User, int(payload["user_id"]))
        if person is None or not reset.may_reset(session, person) or self.public_url is None:
            return None
        issued = datetime.fromisoformat(payload["issued_at"])
        if payload["fingerprint"] != reset.fingerprint(person) or now - issued > self.reset_ttl:
            return None
        # Signed here, not when asked for: the outbox row in the database holds no working link.
        token = reset.make_token(self.secret, person.id, issued, payload["fingerprint"])
        locale = person.locale or payload.get("locale")  # their own choice, else the page's
        env, catalogue = self.language(locale)
        minutes = max(1, round(self.reset_ttl.total_seconds() / 60))
        context = {
            "person": person.name,
            "email": person.email,
            "link": f"{self.public_url}/reset/{token}",
            "minutes": minutes,
            "lang": locale or "en",
            "admin": payload.get("by"),  # an admin had it sent (reset.send_reset_link)
        }
        msg = EmailMessage()
        msg["From"] = formataddr(("Swarm support", self.support))
        msg["To"] = formataddr((one_line(person.name, 80), person.email))
        msg["Subject"] = catalogue.gettext(N_("Set a new password for Swarm"))
        msg["Message-ID"] = make_msgid(domain=self.domain)
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(env.get_template("mail/password_reset.txt").render(context))
        msg.add_alternative(
            env.get_template("mail/password_reset.html").render(context), subtype="html"
        )
        return msg

    # ------------------------------------------------------------------ sending

    def send(self, msg: EmailMessage) -> Sent:
        started = time.perf_counter()

        def took() -> int:
            return round((time.perf_counter() - started) * 1000)

        t = self.target
        try:
            client: smtplib.SMTP
            if t.tls == "ssl":
                context = ssl.create_default_context()
                client = smtplib.SMTP_SSL(t.host, t.port, timeout=TIMEOUT_SECONDS, context=context)
            else:
                client = smtplib.SMTP(t.host, t.port, timeout=TIMEOUT_SECONDS)
            with client:
                if t.tls == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if t.user:
                    client.login(t.user, t.password or "")
                client.send_message(msg)
        except smtplib.SMTPResponseException as exc:
            return Sent(exc.smtp_code, f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", took())
        except (smtplib.SMTPException, OSError) as exc:
            return Sent(None, f"{type(exc).__name__}: {exc}", took())
        return Sent(250, None, took())

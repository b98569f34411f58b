"""Password reset by mail: "Forgot your password?" on the sign-in page.

A person types their e-mail address; an outbox row of kind :data:`KIND` is written in the
transaction of the request's audit entry, and the worker mails a link to ``/reset/<token>``
(swarm/mail/send.py) if the address names an active account that may sign in (not a vendor's
guest, whose link is their only door). The answer on the page is the same sentence, after the
same work, whether or not the address names anyone and whether or not a mail goes: the page
never tells who has an account.

The token is signed, not stored::

    <user id>.<issued, Unix seconds>.<HMAC-SHA256(secret, "password-reset", id, issued,
                                                  fingerprint of the account), 32 base-32>

The fingerprint is a hash of the account's id, e-mail address and *current password hash*. So
the link works for one person, until ``SWARM_PASSWORD_RESET_MINUTES`` after the request, and
only while the password is the one it was: setting a password through it (or on /account, or
anyhow) changes the hash, and every link issued before — this one included — stops working.
That is what makes it single-use, with no table of tokens to write, prune or leak: a copy of
the database holds no working link (the outbox row keeps the fingerprint, and the token is
signed only when the mail is composed, with the secret key the database does not hold). A
stored, hashed token row would add one thing, revoking one link but not another, which nothing
here needs. Setting the password takes the user's row lock and checks the fingerprint again
under it, so two uses of one link at once set it once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from swarm.accounts import audit
from swarm.accounts.audit import AuditAction
from swarm.accounts.passwords import UNCHANGED, hash_password, verify_password, weakness
from swarm.accounts.service import EMAIL_RE, normalize_email, require_admin
from swarm.accounts.sessions import end_sessions, start_session
from swarm.clock import Clock
from swarm.db import begin_write
from swarm.models import GuestPass, OutboxItem, User
from swarm.models.outbox import OutboxState
from swarm.phrases import N_
from swarm.tickets.errors import IllegalTransition, Invalid, NotFound

#: The outbox row's kind (the worker sends it through :meth:`swarm.mail.send.Mailer.compose_reset`).
KIND = "password_reset"

#: What a link that no longer works says, whatever the reason: it is not anyone's business
#: whether it expired, was used, or the password changed since.
LINK_DEAD = N_(
    "This link to set a new password no longer works: it was used already, it expired, or "
    "the password was changed since. Ask for a new one."
)

MISMATCH = N_("Type the same new password twice.")

_MAC_CHARS = 32  # 160 bits
_TOKEN = re.compile(r"^(?P<user>[1-9][0-9]{0,18})\.(?P<issued>[0-9]{1,12})\.(?P<mac>[a-z2-7]{32})$")
# A link issued by a process whose clock runs a little ahead still works.
_SKEW = timedelta(minutes=1)


def mail_available(
    smtp_url: str | None, support_address: str | None, public_url: str | None
) -> bool:
    """Whether a reset link can be mailed: mail is configured (``SWARM_SMTP_URL``,
    ``SWARM_SUPPORT_ADDRESS``) and links have an address to start with (``SWARM_PUBLIC_URL``)."""
    return bool(smtp_url and support_address and public_url)


def fingerprint(user: User) -> str:
    """What a link is bound to: the account and its current password (hashed again, so the
    outbox row never holds the argon2 hash itself)."""
    material = f"{user.id}\0{user.email}\0{user.password_hash or ''}"
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def _mac(secret: str, user_id: int, issued: int, print_: str) -> str:
    text = f"password-reset\0{user_id}\0{issued}\0{print_}"
    digest = hmac.new(secret.encode(), text.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:_MAC_CHARS]


def make_token(secret: str, user_id: int, issued_at: datetime, print_: str) -> str:
    """The token of a reset link for ``user_id`` requested at ``issued_at``.

    >>> from datetime import datetime, UTC
    >>> make_token("s", 7, datetime(2026, 3, 2, tzinfo=UTC), "f" * 32)[:13]
    '7.1772409600.'
    """
    issued = int(issued_at.timestamp())
    return f"{user_id}.{issued}.{_mac(secret, user_id, issued, print_)}"


def may_reset(session: Session, user: User | None) -> bool:
    """Only an active account that signs in with a password of its own: never a vendor's guest."""
    if user is None or not user.active:
        return False
    guest = session.scalar(select(GuestPass.id).where(GuestPass.user_id == user.id))
    return guest is None


def user_for_token(
    session: Session, secret: str, token: str, now: datetime, ttl: timedelta
) -> User | None:
    """The person a link is for while it still works (see the module's docstring), else None.
    Never raises on what is typed into a URL."""
    match = _TOKEN.match(token or "")
    if match is None:
        return None
    user_id, issued = int(match["user"]), int(match["issued"])
    try:
        issued_at = datetime.fromtimestamp(issued, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    if issued_at > now + _SKEW or now - issued_at > ttl:
        return None
    user = session.get(User, user_id)
    if user is None or not may_reset(session, user):
        return None
    expected = _mac(secret, user_id, issued, fingerprint(user))
    return user if hmac.compare_digest(expected, match["mac"]) else None


@dataclass(frozen=True)
class Reset:
    """A password set through a link: the person, the key of the session it starts for them
    (this browser's cookie), and the key hashes of the sessions it ended (their sockets end)."""

    user: User
    session_key: str
    ended: list[str]


def request_reset(session: Session, clock: Clock, email: str, *, locale: str | None) -> bool:
    """Someone asked for a reset link for ``email``. Writes an outbox row for the worker
    (swarm/mail/send.py), which mails the link when the address names an account that
    :func:`may_reset` — in the person's own language, else ``locale``, the one the page was
    read in — and sends nothing otherwise; and a ``password_reset_requested`` audit entry (the
    address as typed, the account when there is one, ``mailed``), so that an admin sees who
    asked and what happened. Commits. Returns whether a mail goes, for the tests only: the page
    must not say it.

    The work is the same whether or not the address names anyone — one query, one outbox row,
    one entry — so that the time the answer takes does not tell either (a row for nobody
    is "delivered" by the worker with nothing sent)."""
    typed = normalize_email(email)
    now = clock.now()
    shaped = bool(EMAIL_RE.match(typed))
    user, guest = None, None
    if shaped:
        found = session.execute(
            select(User, GuestPass.id)
            .outerjoin(GuestPass, GuestPass.user_id == User.id)
            .where(User.email == typed)
        ).first()
        if found is not None:
            user, guest = found
    mailed = user is not None and user.active and guest is None
    if shaped:
        _queue(session, _payload(user if mailed else None, typed, now, locale), now)
    shown = typed[:254] if shaped else "(not an e-mail address)"
    audit.record(
        session, now, AuditAction.PASSWORD_RESET_REQUESTED, subject=user, email=shown, mailed=mailed
    )
    session.commit()
    return mailed


#: Why an admin cannot send a link when mail is off (the admin page says it in one line).
MAIL_OFF = N_(
    "Reset links go by mail, and this Swarm sends none: SWARM_SMTP_URL, SWARM_SUPPORT_ADDRESS "
    "and SWARM_PUBLIC_URL must all be set."
)
CANNOT_RESET = N_("Only an active account that signs in with a password can be sent a reset link.")


def send_reset_link(
    session: Session, clock: Clock, actor: User, user_id: int, *, mail_on: bool
) -> User:
    """An admin has a reset link mailed to a person who cannot sign in: the same outbox row,
    mail and link as "Forgot your password?" (:func:`request_reset`), and a
    ``password_reset_requested`` entry with the admin as actor and ``via: admin``. Commits.

    ``Forbidden`` for anyone but an admin, ``NotFound`` for no such person,
    ``IllegalTransition`` for one who may not reset (:func:`may_reset`: deactivated, or a
    vendor's guest) or when ``mail_on`` is false (:func:`mail_available`); nothing is written
    then."""
    require_admin(actor)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"There is no user {user_id}.")
    if not may_reset(session, user):
        raise IllegalTransition(CANNOT_RESET)
    if not mail_on:
        raise IllegalTransition(MAIL_OFF)
    now = clock.now()
    # The person's own language when they chose one, else the mail's default: not the admin's.
    # "by" makes the mail say who had it sent, instead of "someone, probably you".
    _queue(session, {**_payload(user, user.email, now, None), "by": actor.name}, now)
    audit.record(
        session,
        now,
        AuditAction.PASSWORD_RESET_REQUESTED,
        actor=actor,
        subject=user,
        email=user.email,
        mailed=True,
        via="admin",
    )
    session.commit()
    return user


def _queue(session: Session, payload: dict[str, Any], now: datetime) -> None:
    session.add(
        OutboxItem(
            kind=KIND,
            webhook_id=None,
            key=f"reset_{uuid.uuid4().hex}",
            event_id=None,
            event_type=KIND,
            payload=payload,
            state=OutboxState.PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )


def _payload(user: User | None, typed: str, now: datetime, locale: str | None) -> dict[str, Any]:
    """What the worker needs to sign the link (the fingerprint of the password as it is now:
    a change before the mail goes kills it too); for nobody, a row of the same shape."""
    return {
        "user_id": user.id if user is not None else None,
        "issued_at": now.isoformat(),
        "fingerprint": fingerprint(user) if user is not None else _nobody(typed),
        "locale": locale,
    }


def _nobody(typed: str) -> str:
    return hashlib.sha256(f"nobody\0{typed}".encode()).hexdigest()[:32]


def reset_password(
    session: Session,
    clock: Clock,
    secret: str,
    ttl: timedelta,
    token: str,
    new_password: str,
    confirmation: str,
) -> Reset:
    """Set the password of the link's person and sign them in here; commits.

    ``NotFound`` (:data:`LINK_DEAD`) when the link no longer works; ``Invalid``, naming the
    field, for a password the account page would refuse (swarm/accounts/passwords.py) or a
    confirmation that differs — the link still works then. Every session of the person ends
    (someone who knew the old password is signed out everywhere; API tokens stay, as after a
    change on /account); one new session starts for this browser. Writes ``password_reset``
    (with ``sessions_ended``) and ``sign_in`` audit entries."""
    now = clock.now()
    user = user_for_token(session, secret, token, now, ttl)
    if user is None:
        raise NotFound(LINK_DEAD)
    problem = weakness(new_password)
    if problem is None and user.password_hash and verify_password(user.password_hash, new_password):
        problem = UNCHANGED
    if problem:
        raise Invalid("The new password is too weak.", fields={"new_password": [problem]})
    if new_password != confirmation:
        raise Invalid(
            "The two new passwords differ.",
            fields={"confirm_password": [MISMATCH]},
        )
    new_hash = hash_password(new_password)  # slow on purpose: before the write lock, not in it
    begin_write(session)
    # Under the row lock, again: of two uses of one link at once, the second sees the new
    # password's fingerprint and is refused.
    # (The row alone: FOR UPDATE cannot take the agent profile's outer join on PostgreSQL.)
    session.execute(select(User.id).where(User.id == user.id).with_for_update())
    session.refresh(user)
    if user_for_token(session, secret, token, now, ttl) is None:
        session.rollback()
        raise NotFound(LINK_DEAD)
    user.password_hash = new_hash
    ended = end_sessions(session, user.id)
    audit.record(
        session,
        now,
        AuditAction.PASSWORD_RESET,
        actor=user,
        subject=user,
        sessions_ended=len(ended),
    )
    audit.record(session, now, AuditAction.SIGN_IN, actor=user, subject=user, via="password reset")
    key = start_session(session, clock, user)  # commits the password, the entries, the session
    return Reset(user, key, ended)

"""Browser sessions that end when they should.

The session cookie is signed but lives in the browser: clearing it at sign-out does nothing to
a copy kept elsewhere. So each sign-in also writes a row (:class:`swarm.models.UserSession`)
and puts a random key in the cookie; the cookie counts only while the key's SHA-256 is a row.
The check costs no query of its own: the user is loaded together with the row
(:func:`user_for_session`), in the query that loaded the user before.

What ends a session (and, through swarm/realtime/access.py, the sockets opened with it):

* signing out: this session only (:func:`end_session`);
* "sign out everywhere": every session of the person (:func:`end_sessions`); API tokens stay;
* a password change: every *other* session; the one that changed it stays, and so do tokens;
* a role change or a deactivation (swarm/accounts/service.py ``update_user``): every session.

* age: a session older than ``SWARM_SESSION_DAYS`` (default 14) counts nowhere; the sweeper
  deletes such rows (:func:`prune_sessions`), so the table holds only live sign-ins.

API tokens end only when revoked, or with a deactivated account (``user_for_token``).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from swarm.clock import Clock
from swarm.models import User, UserSession

#: Where the key rides in Flask's signed session cookie.
COOKIE_KEY = "swarm_session"


def key_hash(key: str) -> str:
    """The stored form of a session key (only the hash is stored, as for API tokens)."""
    return hashlib.sha256(key.encode()).hexdigest()


def start_session(session: Session, clock: Clock, user: User) -> str:
    """Record a new sign-in of ``user``; returns the key for the cookie. Commits."""
    key = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user.id, key_hash=key_hash(key), created_at=clock.now()))
    session.commit()
    return key


def user_for_session(
    session: Session, user_id: int, key: str | None, started_after: datetime
) -> User | None:
    """The active user whose live session has this key, in one query; None otherwise.
    A session that started at or before ``started_after`` (now − the lifetime) is over."""
    if not key:
        return None
    query = (
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            User.id == user_id,
            User.active,
            UserSession.key_hash == key_hash(key),
            UserSession.created_at > started_after,
        )
    )
    return session.scalars(query).unique().first()


def end_session(session: Session, key: str | None) -> None:
    """End one session (signing out). Commits."""
    if key:
        session.execute(delete(UserSession).where(UserSession.key_hash == key_hash(key)))
        session.commit()


def end_sessions(session: Session, user_id: int, keep: str | None = None) -> list[str]:
    """End every session of the person, except the one whose key is ``keep``; returns the key
    hashes of those that ended (their sockets end too: swarm/realtime/access.py). Does not
    commit: it is part of the caller's change (a new password, a role)."""
    where = [UserSession.user_id == user_id]
    if keep:
        where.append(UserSession.key_hash != key_hash(keep))
    ended = list(session.scalars(select(UserSession.key_hash).where(*where)))
    if ended:
        session.execute(delete(UserSession).where(UserSession.key_hash.in_(ended)))
    return ended


def count_sessions(session: Session, user_id: int, started_after: datetime) -> int:
    """How many browsers the person is signed in on now."""
    query = (
        select(func.count())
        .select_from(UserSession)
        .where(UserSession.user_id == user_id, UserSession.created_at > started_after)
    )
    return int(session.scalar(query) or 0)


def live_keys(session: Session, hashes: set[str], started_after: datetime) -> set[str]:
    """Those of the key hashes that are still live sessions (the presence keeper's check)."""
    if not hashes:
        return set()
    query = select(UserSession.key_hash).where(
        UserSession.key_hash.in_(hashes), UserSession.created_at > started_after
    )
    return set(session.scalars(query))


def prune_sessions(session: Session, started_after: datetime) -> int:
    """Delete the rows of sessions that are over by age; returns how many. Commits."""
    gone = session.execute(delete(UserSession).where(UserSession.created_at <= started_after))
    session.commit()
    return int(getattr(gone, "rowcount", 0) or 0)

"""Account use cases: create users, sign in and out, change passwords, issue and revoke API
tokens, change roles — each security-relevant one with its audit entry (swarm/accounts/audit.py).

Tokens are random 32-byte strings with a ``swm_`` prefix; only their SHA-256 is stored, so a
copy of the database does not hand out working tokens. (SHA-256 and not argon2: a token has
256 bits of entropy, there is nothing to slow-guess, and every API call verifies one.)
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, joinedload

from swarm.accounts import audit
from swarm.accounts.audit import AuditAction
from swarm.accounts.passwords import (
    MIN_LENGTH,
    hash_password,
    needs_rehash,
    verify_password,
    weakness,
)
from swarm.accounts.sessions import end_session, end_sessions, start_session
from swarm.clock import Clock
from swarm.models import AgentProfile, ApiToken, User
from swarm.models.users import Presence, Role
from swarm.phrases import N_
from swarm.tickets.deadlines import wake_unowned
from swarm.tickets.errors import Forbidden, IllegalTransition, Invalid, NotFound

#: Beside the field when the current password is wrong (a constant: the catalogue's extractor
#: does not see an N_ nested in a refusal's call).
NOT_CURRENT = N_("Not your current password.")

TOKEN_PREFIX = "swm_"  # noqa: S105 - a public marker, not a secret
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    session: Session,
    clock: Clock,
    *,
    email: str,
    name: str,
    password: str,
    role: str = Role.REQUESTER,
    capacity: int = 5,
    tier: int | None = None,
    team: str | None = None,
    timezone: str = "UTC",
    actor: User | None = None,
    via: str | None = None,
) -> User:
    """Add a user (with an agent profile for staff roles); the caller commits. Added by an
    ``actor`` (an admin) or ``via`` another door (``"command line"``), it is in the audit log;
    the demo's seeding passes neither."""
    email = normalize_email(email)
    errors: dict[str, list[str]] = {}
    if not EMAIL_RE.match(email):
        errors["email"] = ["Not an e-mail address."]
    if not name.strip():
        errors["name"] = ["A name is required."]
    if len(password) < MIN_LENGTH:
        errors["password"] = [f"At least {MIN_LENGTH} characters."]
    if role not in Role.__members__.values():
        errors["role"] = ["One of requester, agent, manager, admin."]
    if errors:
        raise Invalid("The user has invalid fields.", fields=errors)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Invalid("That e-mail address is taken.", fields={"email": ["Already in use."]})
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        password_hash=hash_password(password),
        active=True,
        created_at=clock.now(),
    )
    if role != Role.REQUESTER:
        user.profile = AgentProfile(capacity=capacity, tier=tier, team=team, timezone=timezone)
    session.add(user)
    session.flush()
    if actor is not None or via is not None:
        door = {"via": via} if via is not None else {}
        audit.record(
            session,
            clock.now(),
            AuditAction.USER_CREATED,
            actor=actor,
            subject=user,
            role=role,
            **door,
        )
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None. Upgrades outdated hashes."""
    user = session.scalars(select(User).where(User.email == normalize_email(email))).first()
    if not verify_password(user.password_hash if user else None, password):
        return None
    assert user is not None  # verify_password is False without a stored hash
    if not user.active:
        return None
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.commit()
    return user


def sign_in(session: Session, clock: Clock, email: str, password: str) -> tuple[User, str] | None:
    """Check the credentials; on success start a session and return the user and the key for
    the cookie (``sessions.start_session``), else None. Either way the attempt is in the audit
    log — a failed one with the e-mail address typed (only when it is one: a password typed
    into the wrong box must not be kept) and, when it names an account, that account. Commits."""
    user = authenticate(session, email, password)
    if user is None:
        typed = normalize_email(email)
        known = session.scalars(select(User).where(User.email == typed)).first()
        shown = typed[:254] if EMAIL_RE.match(typed) else "(not an e-mail address)"
        audit.record(session, clock.now(), AuditAction.SIGN_IN_FAILED, subject=known, email=shown)
        session.commit()
        return None
    audit.record(session, clock.now(), AuditAction.SIGN_IN, actor=user, subject=user)
    return user, start_session(session, clock, user)  # commits the entry with the session


def sign_out(session: Session, clock: Clock, user: User, key: str | None) -> None:
    """End this browser's session (``key``); an online agent goes offline (``_go_offline``).
    Recorded in the audit log. Commits."""
    now = clock.now()
    audit.record(session, now, AuditAction.SIGN_OUT, actor=user, subject=user)
    _go_offline(user, now)
    end_session(session, key)
    session.commit()


def sign_out_everywhere(session: Session, clock: Clock, user: User) -> list[str]:
    """End every session of ``user`` (API tokens stay); returns the key hashes of the sessions
    that ended, for their sockets. Recorded in the audit log. Commits."""
    now = clock.now()
    ended = end_sessions(session, user.id)
    audit.record(
        session, now, AuditAction.SIGN_OUT_EVERYWHERE, actor=user, subject=user, sessions=len(ended)
    )
    _go_offline(user, now)
    session.commit()
    return ended


def change_password(
    session: Session,
    clock: Clock,
    user: User,
    current_password: str,
    new_password: str,
    confirmation: str,
    keep_session: str | None = None,
) -> list[str]:
    """Replace ``user``'s password after checking the current one; commits. Every other
    session of the person ends (all but the one whose key is ``keep_session``: the browser
    that changed it); API tokens stay (docs/api.md, "Authentication"). Returns the key
    hashes of the sessions that ended.

    Refused (``Invalid``, naming the field) when the current password is wrong, the new one is
    shorter than ``MIN_LENGTH``, is one character repeated, is the current one again, or does
    not match its confirmation. The new hash is argon2id, like every other.
    """
    if not verify_password(user.password_hash, current_password):
        # Someone at a signed-in browser guessing its password: kept even though nothing
        # changed (the entry commits on its own; nothing else is pending in a refused change).
        audit.record(
            session, clock.now(), AuditAction.PASSWORD_CHANGE_FAILED, actor=user, subject=user
        )
        session.commit()
        raise Invalid(
            "Your current password is not right.",
            fields={"current_password": [NOT_CURRENT]},
        )
    problem = weakness(new_password, current_password)
    if problem:
        # A fixed sentence, so the page can say it in the reader's language; the reason is the
        # field's (each reason is in the catalogue too).
        raise Invalid("The new password is too weak.", fields={"new_password": [problem]})
    if new_password != confirmation:
        raise Invalid(
            "The two new passwords differ.",
            fields={"confirm_password": ["Type the same new password twice."]},
        )
    user.password_hash = hash_password(new_password)
    ended = end_sessions(session, user.id, keep=keep_session)
    audit.record(
        session,
        clock.now(),
        AuditAction.PASSWORD_CHANGED,
        actor=user,
        subject=user,
        sessions_ended=len(ended),
    )
    session.commit()
    return ended


#: The languages Swarm's pages and messages are translated into (swarm/translations/).
LOCALES = ("en", "de")


def set_locale(session: Session, user: User, locale: str) -> None:
    """Set the language ``user`` reads Swarm in; commits. An empty string clears it (the
    browser's Accept-Language decides again). ``Invalid`` for a language Swarm is not
    translated into."""
    if locale and locale not in LOCALES:
        raise Invalid(
            "Swarm is not translated into that language.", fields={"locale": ["Unknown language."]}
        )
    user.locale = locale or None
    session.commit()


def issue_token(session: Session, clock: Clock, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the row and the token, which is never shown again."""
    name = name.strip()
    if not name or len(name) > 80:
        raise Invalid(
            "Name the token (1–80 characters), e.g. the script that uses it.",
            fields={"name": ["1 to 80 characters."]},
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=_token_hash(token),
        prefix=token[: len(TOKEN_PREFIX) + 4],
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        row.created_at,
        AuditAction.TOKEN_CREATED,
        actor=user,
        subject=user,
        token_id=row.id,
        name=row.name,
    )
    session.commit()
    return row, token


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    query = select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
    return list(session.scalars(query))


def revoke_token(session: Session, clock: Clock, user: User, token_id: int) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound(f"You have no token {token_id}.")
    if row.revoked_at is None:
        row.revoked_at = clock.now()
        audit.record(
            session,
            row.revoked_at,
            AuditAction.TOKEN_REVOKED,
            actor=user,
            subject=user,
            token_id=row.id,
            name=row.name,
        )
        session.commit()
    return row


#: A token's ``last_used_at`` is written at most this often.
TOKEN_USE_SECONDS = 60


def token_for(session: Session, token: str, now: datetime) -> ApiToken | None:
    """The unrevoked token row of an active owner, or None (sockets remember its id)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    # The owner in the same query: its lazy load was a second round trip on every socket
    # connect and every API request with a token (py-spy, bench/README.md).
    query = (
        select(ApiToken)
        .options(joinedload(ApiToken.user))
        .where(ApiToken.token_hash == _token_hash(token))
    )
    row = session.scalars(query).unique().first()
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    # Record use at most once a minute: a write on every call would serialise readers. And
    # never wait for it: when many connections arrive with one token at once (1,000 sockets in
    # bench/fanout.py), each saw the old stamp and queued on the row's lock for a commit of
    # its own, holding a pooled connection meanwhile, until room joins timed out waiting for
    # the pool. Now the first claims the row and the others, finding it locked, skip.
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > TOKEN_USE_SECONDS:
        stale = now - timedelta(seconds=TOKEN_USE_SECONDS)
        claim = (
            select(ApiToken.id)
            .where(
                ApiToken.id == row.id,
                or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < stale),
            )
            .with_for_update(skip_locked=True)
        )
        session.execute(
            update(ApiToken).where(ApiToken.id.in_(claim)).values(last_used_at=now),
            execution_options={"synchronize_session": False},
        )
        session.commit()
    return row


def user_for_token(session: Session, token: str, now: datetime) -> User | None:
    """The active owner of an unrevoked token, or None."""
    row = token_for(session, token, now)
    return row.user if row is not None else None


def live_tokens(session: Session, token_ids: set[int]) -> set[int]:
    """Those of the token ids that are not revoked (the presence keeper's check)."""
    if not token_ids:
        return set()
    query = select(ApiToken.id).where(ApiToken.id.in_(token_ids), ApiToken.revoked_at.is_(None))
    return set(session.scalars(query))


def require_admin(actor: User) -> None:
    if not actor.has_role(Role.ADMIN):
        raise Forbidden("Only an admin can manage users.")


def list_users(session: Session, actor: User, role: str | None = None) -> list[User]:
    require_admin(actor)
    # Guests (swarm/tickets/guests.py) are not accounts: they are listed on their ticket.
    query = select(User).where(~User.guest_pass.has()).order_by(User.role, User.name)
    if role:
        query = query.where(User.role == role)
    return list(session.scalars(query).unique())


def update_user(
    session: Session,
    clock: Clock,
    actor: User,
    user_id: int,
    changes: dict[str, object],
    access_ended: Callable[[int], None] | None = None,
) -> User:
    """An admin changes a user's name, role, activity or agent profile; the caller's session
    is committed here. The last active admin can be neither demoted nor deactivated, so that
    the organisation never locks itself out. An agent coming online or given more capacity
    makes the routing of unowned tickets due again (``wake_unowned``).

    A new role or a deactivation ends every session of the person (what they may see changed:
    they sign in again, under the new role); ``access_ended(user_id)`` is then called after the
    commit, to end their live connections too (swarm/realtime/access.py)."""
    require_admin(actor)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"There is no user {user_id}.")
    role = changes.get("role", user.role)
    active = changes.get("active", user.active)
    if user.role == Role.ADMIN and (role != Role.ADMIN or not active):
        admins = session.scalars(
            select(User.id).where(User.role == Role.ADMIN, User.active.is_(True))
        ).all()
        if list(admins) == [user.id]:
            raise IllegalTransition("This is the last active admin: appoint another one first.")
    if "name" in changes:
        name = str(changes["name"]).strip()
        if not name:
            raise Invalid("A name is required.", fields={"name": ["Empty."]})
        user.name = name
    ends_access = str(role) != user.role or (user.active and not bool(active))
    now = clock.now()
    if str(role) != user.role:
        audit.record(
            session,
            now,
            AuditAction.ROLE_CHANGED,
            actor=actor,
            subject=user,
            **{"from": user.role, "to": str(role)},
        )
    if bool(active) != user.active:
        action = AuditAction.ACCOUNT_REACTIVATED if active else AuditAction.ACCOUNT_DEACTIVATED
        audit.record(session, now, action, actor=actor, subject=user)
    user.role = str(role)
    user.active = bool(active)
    if ends_access:
        end_sessions(session, user.id)
    profile_fields = {"capacity", "tier", "tiers", "team", "timezone", "presence"}
    if "tiers" in changes:
        changes = {**changes, "tiers": sorted({int(t) for t in changes["tiers"] or ()})}
    if user.role != Role.REQUESTER and user.profile is None:
        user.profile = AgentProfile()
    if profile_fields & changes.keys():
        if user.profile is None:
            raise Invalid(
                "Requesters have no agent profile; make them an agent first.",
                fields={name: ["Not for requesters."] for name in profile_fields & changes.keys()},
            )
        before = (user.profile.presence, user.profile.capacity)
        for name in profile_fields & changes.keys():
            setattr(user.profile, name, changes[name])
        if "presence" in changes and changes["presence"] != before[0]:
            user.profile.presence_at = clock.now()
        if _more_available(before, user):
            wake_unowned(session, clock.now())
    session.commit()
    if ends_access and access_ended is not None:
        access_ended(user.id)
    return user


def signed_in(session: Session, clock: Clock, user: User) -> None:
    """An agent who signs in while marked offline is online from now on (away and busy are
    their own choice and stay); unowned tickets are routed again, since they may fit. Commits."""
    profile = user.profile
    if profile is None or not user.is_staff or profile.presence != Presence.OFFLINE:
        return
    profile.presence = Presence.ONLINE
    profile.presence_at = clock.now()
    wake_unowned(session, clock.now())
    session.commit()


def _go_offline(user: User, now: datetime) -> bool:
    """An agent online when signing out is offline from ``now``: routing stops choosing them,
    and whoever invites them is told they will read it in their inbox. Whether anything
    changed; does not commit."""
    profile = user.profile
    if profile is None or profile.presence != Presence.ONLINE:
        return False
    profile.presence = Presence.OFFLINE
    profile.presence_at = now
    return True


def _more_available(before: tuple[str, int], user: User) -> bool:
    presence, capacity = before
    profile = user.profile
    if profile is None or not user.active or user.role == Role.REQUESTER:
        return False
    came_online = presence != Presence.ONLINE and profile.presence == Presence.ONLINE
    # A profile made just now has no values until it is flushed: no capacity, not online.
    return came_online or (profile.capacity or 0) > (capacity or 0)

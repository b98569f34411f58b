"""The audit log of security-relevant actions: what is recorded, and who may read it.

Each use case that makes such a change calls :func:`record` inside its own transaction, before
its commit, so that the entry and the change commit (or roll back) together: there is no
change without its entry and no entry for a change that did not happen. The actions:

=======================  =====================================================  ==================
action                   written by                                             details
=======================  =====================================================  ==================
``sign_in``              ``accounts.sign_in`` (page and API)                    —
``sign_in_failed``       ``accounts.sign_in``: a wrong password, an unknown     ``email`` as typed
                         address or a deactivated account
``sign_out``             ``accounts.sign_out``                                  —
``sign_out_everywhere``  ``accounts.sign_out_everywhere``                       ``sessions``
``password_changed``     ``accounts.change_password``                           ``sessions`` ended
``password_change_       ``accounts.change_password``: the current password     —
failed``                 typed was wrong (nothing changed)
``password_reset_        ``reset.request_reset``: "Forgot your password?"       ``email`` as typed,
requested``              (the account, when the address names one); or          ``mailed``; ``via``
                         ``reset.send_reset_link``: an admin had a link sent    (``admin``)
``password_reset``       ``reset.reset_password``: a new password set through   ``sessions_ended``
                         a mailed link (then a ``sign_in``, ``via``)
``user_created``         ``accounts.create_user`` by an admin, or from the      ``role``, ``via``
                         command line (``via``); mail intake's new requesters   (``command line``,
                         (``via``)                                              ``mail``)
``role_changed``         ``accounts.update_user``                               ``from``, ``to``
``account_deactivated``  ``accounts.update_user``                               —
``account_reactivated``  ``accounts.update_user``                               —
``token_created``        ``accounts.issue_token``                               ``token_id, name``
``token_revoked``        ``accounts.revoke_token``                              ``token_id, name``
``guest_link_created``   ``GuestService.invite_guest``                          ticket, expiry
``guest_link_revoked``   ``GuestService.revoke_guest``                          ``ticket_id``
``setting_changed``      ``dispatch.settings`` (routing mode, tiers)            ``setting, value``
=======================  =====================================================  ==================

Never a secret: no password (not even a wrong one), no token, no session key, no hash of one
(:func:`record` refuses such keys). The client's address comes from the request being served:
the web layer sets it with :func:`set_origin` before each request (behind a proxy, the address
``SWARM_TRUSTED_PROXIES`` lets through), so that services need not be handed it; outside a
request (the command line, the sweeper) it is None.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from swarm.db import begin_write
from swarm.models import AuditEntry, User
from swarm.models.users import Role
from swarm.phrases import N_
from swarm.tickets.errors import Forbidden


class AuditAction(StrEnum):
    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_OUT = "sign_out"
    SIGN_OUT_EVERYWHERE = "sign_out_everywhere"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - an action's name, not a secret
    PASSWORD_CHANGE_FAILED = "password_change_failed"  # noqa: S105 - an action's name
    # "Forgot your password?" (swarm/accounts/reset.py)
    PASSWORD_RESET_REQUESTED = "password_reset_requested"  # noqa: S105 - an action's name
    PASSWORD_RESET = "password_reset"  # noqa: S105 - an action's name, not a secret
    USER_CREATED = "user_created"
    ROLE_CHANGED = "role_changed"
    ACCOUNT_DEACTIVATED = "account_deactivated"
    ACCOUNT_REACTIVATED = "account_reactivated"
    TOKEN_CREATED = "token_created"  # noqa: S105 - an action's name, not a secret
    TOKEN_REVOKED = "token_revoked"  # noqa: S105 - an action's name, not a secret
    GUEST_LINK_CREATED = "guest_link_created"
    GUEST_LINK_REVOKED = "guest_link_revoked"
    SETTING_CHANGED = "setting_changed"
    # A webhook sends the staff view of events out of Swarm (docs/webhooks.md).
    WEBHOOK_CREATED = "webhook_created"
    WEBHOOK_CHANGED = "webhook_changed"
    WEBHOOK_REMOVED = "webhook_removed"
    # An automation rule acts on tickets by itself (docs/rules.md).
    RULE_CREATED = "rule_created"
    RULE_CHANGED = "rule_changed"
    RULE_REMOVED = "rule_removed"


#: How the page names each action.
ACTION_LABELS: dict[str, str] = {
    AuditAction.SIGN_IN: N_("signed in"),
    AuditAction.SIGN_IN_FAILED: N_("sign-in failed"),
    AuditAction.SIGN_OUT: N_("signed out"),
    AuditAction.SIGN_OUT_EVERYWHERE: N_("signed out everywhere"),
    AuditAction.PASSWORD_CHANGED: N_("changed password"),
    AuditAction.PASSWORD_CHANGE_FAILED: N_("password change refused (wrong current password)"),
    AuditAction.PASSWORD_RESET_REQUESTED: N_("asked for a password reset link"),
    AuditAction.PASSWORD_RESET: N_("set a new password through a reset link"),
    AuditAction.USER_CREATED: N_("added a person"),
    AuditAction.ROLE_CHANGED: N_("changed a role"),
    AuditAction.ACCOUNT_DEACTIVATED: N_("deactivated an account"),
    AuditAction.ACCOUNT_REACTIVATED: N_("reactivated an account"),
    AuditAction.TOKEN_CREATED: N_("created an API token"),
    AuditAction.TOKEN_REVOKED: N_("revoked an API token"),
    AuditAction.GUEST_LINK_CREATED: N_("created a guest link"),
    AuditAction.GUEST_LINK_REVOKED: N_("revoked a guest link"),
    AuditAction.SETTING_CHANGED: N_("changed a setting"),
    AuditAction.WEBHOOK_CREATED: N_("added a webhook"),
    AuditAction.WEBHOOK_CHANGED: N_("changed a webhook"),
    AuditAction.WEBHOOK_REMOVED: N_("removed a webhook"),
    AuditAction.RULE_CREATED: N_("added a rule"),
    AuditAction.RULE_CHANGED: N_("changed a rule"),
    AuditAction.RULE_REMOVED: N_("removed a rule"),
}

# Keys a detail may never have: a secret has no business in a log anyone can copy.
SECRET_KEYS = frozenset(
    {"password", "new_password", "current_password", "token", "secret", "key", "key_hash"}
)
PAGE_MAX = 100

_origin: ContextVar[str | None] = ContextVar("swarm_audit_origin", default=None)


def set_origin(address: str | None) -> Token[str | None]:
    """The address the current request comes from, for the entries it writes."""
    return _origin.set(address[:64] if address else None)


def reset_origin(token: Token[str | None]) -> None:
    _origin.reset(token)


def require_role(user: User, role: Role, refusal: str) -> None:
    """Refuse (``Forbidden``, with ``refusal``) anyone below ``role``."""
    if not user.has_role(role):
        raise Forbidden(refusal)


@contextmanager
def audited_change(session: Session) -> Iterator[None]:
    """One administrative change and its :func:`record` entry as one transaction: the write
    lock is taken first (:func:`swarm.db.begin_write`), the block's work commits when it ends
    and rolls back if it raises, so the change and its entry are kept together or not at all.
    Used by the services admins configure Swarm through (webhooks, automation rules)."""
    begin_write(session)
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise


def record(
    session: Session,
    at: datetime,
    action: AuditAction,
    *,
    actor: User | None = None,
    subject: User | None = None,
    subject_id: int | None = None,
    **details: Any,
) -> AuditEntry:
    """Add an entry to the caller's transaction (does not commit). ``subject`` defaults to
    nobody; pass ``subject_id`` for a person not loaded."""
    secret = SECRET_KEYS & details.keys()
    if secret:
        raise ValueError(f"an audit entry never holds secrets ({', '.join(sorted(secret))})")
    entry = AuditEntry(
        at=at,
        action=str(action),
        actor_id=actor.id if actor is not None else None,
        subject_id=subject.id if subject is not None else subject_id,
        address=_origin.get(),
        details=details,
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditQuery:
    """Filters of the audit log; ``before`` is the cursor (an entry id: newer ones were shown)."""

    person_id: int | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before: int | None = None
    limit: int = 50


@dataclass(frozen=True)
class AuditPage:
    items: list[AuditEntry]
    next: int | None  # pass as ``before`` for the next (older) page; None at the end


def entries(session: Session, viewer: User, query: AuditQuery) -> AuditPage:
    """The entries matching ``query``, newest first (admins only: ``Forbidden`` otherwise).

    ``person_id`` matches the actor or the subject, so a person's page shows what they did
    and what was done to their account; ``since`` is inclusive and ``until`` exclusive.
    """
    if not viewer.has_role(Role.ADMIN):
        raise Forbidden("Only an admin can read the audit log.")
    limit = max(1, min(query.limit, PAGE_MAX))
    where = []
    if query.person_id is not None:
        where.append(
            or_(AuditEntry.actor_id == query.person_id, AuditEntry.subject_id == query.person_id)
        )
    if query.action:
        where.append(AuditEntry.action == query.action)
    if query.since is not None:
        where.append(AuditEntry.at >= query.since)
    if query.until is not None:
        where.append(AuditEntry.at < query.until)
    if query.before is not None:
        where.append(AuditEntry.id < query.before)
    rows = list(
        session.scalars(
            select(AuditEntry).where(*where).order_by(AuditEntry.id.desc()).limit(limit + 1)
        ).unique()
    )
    more = len(rows) > limit
    items = rows[:limit]
    return AuditPage(items, items[-1].id if more else None)

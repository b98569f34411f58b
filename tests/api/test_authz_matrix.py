"""Who may do what: every HTTP route of the app's own route map and every Socket.IO event of
the realtime protocol, for each kind of caller, in ONE table (issue 16, item 5).

The table below is the source of truth (docs/api.md, "Who may do what", summarises it). It is
checked against the running app both ways: a route or an event the table does not list fails
``test_every_route_and_event_is_in_the_table``, and an entry for something that no longer exists
fails ``test_the_table_lists_nothing_that_is_gone``.

The callers (columns, in this order):

``anonymous``   no credential at all;
``owner``       the requester who opened the ticket;
``other``       another requester;
``agent``       the agent who owns (claimed) the ticket;
``manager``     a manager;
``admin``       an admin;
``guest``       a vendor's guest with a link to the ticket (tickets/guests.py): over HTTP the
                link is their only credential (it is the ``<token>`` of ``/guest/<token>``, and
                no API credential), over Socket.IO they connect with ``auth={"guest": link}``.

Outcomes: ``"ok"`` a 2xx, or a page's redirect that flashed no error; ``"login"`` a page's
redirect to the sign-in page; ``"refused"`` a page's redirect that flashed an error; otherwise
the status code (401, 403, 404, 409, 422 …). 409/422 for a caller mean the authorization let
them through and the ticket's state or the form said no. For socket events: ``"ok"``, the
acknowledgement's error code (``"forbidden"``, ``"not_found"`` …), or ``"refused"`` when the
connection itself is refused (``connect`` answers False).

Every cell runs on fresh state: the world (people, one ticket, a guest link, a skill …) is built
once per module into an SQLite file, and each case copies that file and makes an app on it, so a
POST that changes state cannot change the next cell's answer. The browser's CSRF token is not
what this measures (tests/api/test_security_headers.py and the page tests do): it is switched
off here so that a form's answer is the authorization decision.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import select

from swarm.accounts.reset import fingerprint, make_token
from swarm.app import create_app
from swarm.clock import FakeClock
from swarm.db import Base
from swarm.dispatch.caches import RoutingCaches
from swarm.models import (
    Invitation,
    MailAttachment,
    MailIntake,
    MailOutcome,
    Notification,
    OutboxItem,
    SimulationRun,
    User,
)
from swarm.runtime import RateLimits, Runtime
from tests.builders import PASSWORD, make_agent, make_manager, make_user
from tests.conftest import START, make_config

ACTORS = ("anonymous", "owner", "other", "agent", "manager", "admin", "guest")

# ------------------------------------------------------------------------------------ the table
# (method, rule) -> expected outcomes, in the order of ACTORS, and the request's body if any.
# Path parameters are filled from the world (see World.fill): <id:ticket_id> is the ticket, etc.


@dataclass(frozen=True)
class Row:
    outcomes: tuple[Any, ...]
    body: dict[str, Any] | None = None
    query: str = ""
    setup: tuple[tuple[str, dict[str, Any]], ...] = ()  # socket events sent first (same caller)
    params: dict[str, str] = field(default_factory=dict)  # path parameters other than the world's

    def expected(self) -> dict[str, Any]:
        assert len(self.outcomes) == len(ACTORS), self.outcomes
        return dict(zip(ACTORS, self.outcomes, strict=True))


def r(
    *outcomes: Any,
    body: dict[str, Any] | None = None,
    query: str = "",
    setup: Any = (),
    **params: str,
) -> Row:
    return Row(outcomes, body, query, tuple(setup), params)


OK = "ok"
LOGIN = "login"
REFUSED = "refused"

# Routes that are not the application's to authorize, with the reason.
EXCLUDED: dict[tuple[str, str], str] = {
    ("GET", "/static/<path:filename>"): "public files (CSS, JavaScript): no data, no identity",
    ("GET", "/socket.io/"): "served by the Socket.IO middleware before Flask: its events are "
    "the EVENTS table below",
}


HTTP: dict[tuple[str, ...], Row] = {
    # --- public
    ("GET", "/healthz"): r(OK, OK, OK, OK, OK, OK, OK),
    # Public, the same for everyone (503 here: the test database is made without migrations).
    ("GET", "/readyz"): r(503, 503, 503, 503, 503, 503, 503),
    # Off (404) for everyone while no SWARM_METRICS_TOKEN is set, as here; with one, only its
    # bearer gets the figures — no session or API token of anyone (tests/api/test_observability.py).
    ("GET", "/metrics"): r(404, 404, 404, 404, 404, 404, 404),
    ("GET", "/api/v1/openapi.json"): r(OK, OK, OK, OK, OK, OK, OK),
    ("GET", "/api/v1/docs"): r(OK, OK, OK, OK, OK, OK, OK),
    # The link is the credential: whoever holds it sees the guest's page (tests/api/test_guests.py).
    ("GET", "/guest/<token>"): r(OK, OK, OK, OK, OK, OK, OK),
    ("GET", "/login"): r(OK, OK, OK, OK, OK, OK, OK),
    ("POST", "/login"): r(
        OK, OK, OK, OK, OK, OK, OK, body={"email": "@owner_email", "password": PASSWORD}
    ),
    ("POST", "/api/v1/auth/login"): r(
        OK, OK, OK, OK, OK, OK, OK, body={"email": "@owner_email", "password": PASSWORD}
    ),
    # "Forgot your password?" (swarm/accounts/reset.py): the same answer for every address and
    # every caller (mail is off in this world, and the page says so; with it on:
    # tests/api/test_password_reset.py); a signed-in caller is sent to /account instead.
    ("GET", "/forgot-password"): r(OK, OK, OK, OK, OK, OK, OK),
    ("POST", "/forgot-password"): r(OK, OK, OK, OK, OK, OK, OK, body={"email": "@owner_email"}),
    # The link is the credential (the owner's, here): whoever holds it sets the owner's
    # password and is signed in as the owner.
    ("GET", "/reset/<token>"): r(OK, OK, OK, OK, OK, OK, OK, token="@reset_token"),
    ("POST", "/reset/<token>"): r(
        OK,
        OK,
        OK,
        OK,
        OK,
        OK,
        OK,
        body={"new_password": "a new passphrase here", "confirm_password": "a new passphrase here"},
        token="@reset_token",
    ),
    # --- the caller's own account
    ("GET", "/"): r(LOGIN, OK, OK, OK, OK, OK, LOGIN),
    ("GET", "/account"): r(LOGIN, OK, OK, OK, OK, OK, LOGIN),
    ("POST", "/account/password"): r(
        LOGIN,
        OK,
        OK,
        OK,
        OK,
        OK,
        LOGIN,
        body={
            "current_password": PASSWORD,
            "new_password": "another horse battery",
            "confirm_password": "another horse battery",
        },
    ),
    # Signing out ends at the sign-in page: LOGIN is the success of these two.
    ("POST", "/account/sign-out-everywhere"): r(
        LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, body={}
    ),
    # Anyone signed in picks the language they read Swarm in (docs/translations.md).
    ("POST", "/account/language"): r(LOGIN, OK, OK, OK, OK, OK, LOGIN, body={"locale": "de"}),
    # Tokens from the page are for staff; the API issues them to anyone (docs/api.md, "API tokens").
    ("POST", "/account/tokens"): r(LOGIN, 403, 403, OK, OK, OK, LOGIN, body={"name": "cli"}),
    ("POST", "/account/tokens/<id:token_id>/revoke"): r(
        LOGIN, OK, REFUSED, REFUSED, REFUSED, REFUSED, LOGIN, body={}
    ),
    ("POST", "/logout"): r(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, body={}),
    ("POST", "/api/v1/auth/logout"): r(OK, OK, OK, OK, OK, OK, OK, body={}),
    ("POST", "/api/v1/auth/logout-everywhere"): r(401, OK, OK, OK, OK, OK, 401, body={}),
    ("GET", "/api/v1/auth/me"): r(401, OK, OK, OK, OK, OK, 401),
    ("POST", "/api/v1/auth/tokens"): r(401, OK, OK, OK, OK, OK, 401, body={"name": "cli"}),
    ("GET", "/api/v1/auth/tokens"): r(401, OK, OK, OK, OK, OK, 401),
    ("DELETE", "/api/v1/auth/tokens/<id:token_id>"): r(401, OK, 404, 404, 404, 404, 401),
    ("GET", "/api/v1/me/inbox"): r(401, OK, OK, OK, OK, OK, 401),
    # --- notifications: each person's own (the world's is the owner's "your ticket was
    # resolved"); another's is 404 over the API, a refusal on the page.
    ("GET", "/api/v1/notifications"): r(401, OK, OK, OK, OK, OK, 401),
    ("POST", "/api/v1/notifications/<id:notification_id>/read"): r(
        401, OK, 404, 404, 404, 404, 401, body={}
    ),
    ("POST", "/api/v1/notifications/read-all"): r(401, OK, OK, OK, OK, OK, 401, body={}),
    ("GET", "/api/v1/notifications/preferences"): r(401, OK, OK, OK, OK, OK, 401),
    ("PUT", "/api/v1/notifications/preferences"): r(
        401, OK, OK, OK, OK, OK, 401, body={"digest": False}
    ),
    ("GET", "/notifications"): r(LOGIN, OK, OK, OK, OK, OK, LOGIN),
    ("POST", "/notifications/<id:notification_id>/read"): r(
        LOGIN, OK, REFUSED, REFUSED, REFUSED, REFUSED, LOGIN, body={}
    ),
    ("POST", "/notifications/read-all"): r(LOGIN, OK, OK, OK, OK, OK, LOGIN, body={}),
    ("GET", "/account/notifications"): r(LOGIN, OK, OK, OK, OK, OK, LOGIN),
    ("POST", "/account/notifications"): r(
        LOGIN, OK, OK, OK, OK, OK, LOGIN, body={"timezone": "UTC"}
    ),
    ("GET", "/inbox"): r(LOGIN, OK, OK, OK, OK, OK, LOGIN),
    # The world's invitation is to Hal Helper (no column): nobody else may answer it.
    ("POST", "/inbox/invitations/<id:invitation_id>"): r(
        LOGIN, 404, 404, 404, 404, 404, LOGIN, body={"answer": "accept"}
    ),
    # Nobody has offered help in the world: the ticket's owner and managers get through to
    # "no open offer" (a flashed refusal); its requester is staff-checked after the lookup.
    ("POST", "/inbox/offers/<id:ticket_id>/<id:agent_id>"): r(
        LOGIN,
        REFUSED,
        404,
        REFUSED,
        REFUSED,
        REFUSED,
        LOGIN,
        body={"answer": "decline"},
        agent_id="@helper_id",
    ),
    ("GET", "/me/skills"): r(LOGIN, 403, 403, OK, OK, OK, LOGIN),
    ("GET", "/my-work"): r(LOGIN, OK, OK, OK, OK, OK, LOGIN),
    # --- tickets
    ("GET", "/tickets"): r(LOGIN, OK, OK, OK, OK, OK, LOGIN),
    ("GET", "/tickets/new"): r(LOGIN, OK, OK, OK, OK, OK, LOGIN),
    ("POST", "/tickets/new"): r(
        LOGIN,
        OK,
        OK,
        OK,
        OK,
        OK,
        LOGIN,
        body={"subject": "Printer", "body": "Jammed", "priority": "P3"},
    ),
    # A ticket another requester cannot see is 404 (not 403): its existence is not told. 409 for
    # staff: allowed, but the ticket is claimed already / not resolved / not tiered.
    ("GET", "/tickets/<id:ticket_id>"): r(LOGIN, OK, 404, OK, OK, OK, LOGIN),
    ("GET", "/tickets/<id:ticket_id>/timeline"): r(LOGIN, OK, 404, OK, OK, OK, LOGIN),
    ("POST", "/tickets/<id:ticket_id>/<action>", "claim"): r(
        LOGIN, 403, 404, 409, 409, 409, LOGIN, action="claim", body={}
    ),
    ("POST", "/tickets/<id:ticket_id>/<action>", "assign"): r(
        LOGIN, 403, 404, OK, OK, OK, LOGIN, action="assign", body={"agent_id": "@helper_id"}
    ),
    ("POST", "/tickets/<id:ticket_id>/<action>", "release"): r(
        LOGIN, 403, 404, OK, OK, OK, LOGIN, action="release", body={}
    ),
    ("POST", "/tickets/<id:ticket_id>/<action>", "status"): r(
        LOGIN, 403, 404, OK, OK, OK, LOGIN, action="status", body={"status": "pending"}
    ),
    ("POST", "/tickets/<id:ticket_id>/<action>", "resolve"): r(
        LOGIN, 403, 404, OK, OK, OK, LOGIN, action="resolve", body={"resolution": "Fixed"}
    ),
    ("POST", "/tickets/<id:ticket_id>/<action>", "reopen"): r(
        LOGIN, 409, 404, 409, 409, 409, LOGIN, action="reopen", body={}
    ),
    ("POST", "/tickets/<id:ticket_id>/<action>", "note"): r(
        LOGIN, 403, 404, OK, OK, OK, LOGIN, action="note", body={"body": "Internal"}
    ),
    ("POST", "/tickets/<id:ticket_id>/<action>", "rate"): r(
        LOGIN, 409, 404, 403, 403, 403, LOGIN, action="rate", body={"score": "5"}
    ),
    ("POST", "/tickets/<id:ticket_id>/<action>", "invite"): r(
        LOGIN, 403, 404, 409, 409, 409, LOGIN, action="invite", body={"agent_id": "@helper_id"}
    ),
    ("POST", "/tickets/<id:ticket_id>/escalate"): r(
        LOGIN, 403, 404, 409, 409, 409, LOGIN, body={"reason": "Needs tier 2"}
    ),
    ("POST", "/tickets/<id:ticket_id>/deescalate"): r(
        LOGIN, 403, 404, 409, 409, 409, LOGIN, body={"reason": "Back down"}
    ),
    ("POST", "/tickets/<id:ticket_id>/guests"): r(
        LOGIN, 403, 404, OK, OK, OK, LOGIN, body={"name": "Sue", "hours": "4"}
    ),
    ("POST", "/tickets/<id:ticket_id>/guests/<id:pass_id>/revoke"): r(
        LOGIN, REFUSED, 404, OK, OK, OK, LOGIN, body={}
    ),
    ("POST", "/tickets/<id:ticket_id>/skills"): r(
        LOGIN, 403, 404, OK, OK, OK, LOGIN, body={"skills": "@skill_id"}
    ),
    ("POST", "/tickets/<id:ticket_id>/vendor"): r(
        LOGIN,
        403,
        404,
        409,
        409,
        409,
        LOGIN,
        body={"vendor_id": "@vendor_id", "external_ref": "ACME-1"},
    ),
    ("POST", "/tickets/<id:ticket_id>/vendor/updates"): r(
        LOGIN, 403, 404, 409, 409, 409, LOGIN, body={"status": "acknowledged"}
    ),
    ("POST", "/api/v1/tickets"): r(
        401, OK, OK, OK, OK, OK, 401, body={"subject": "Printer", "body": "Jammed"}
    ),
    ("GET", "/api/v1/tickets"): r(401, OK, OK, OK, OK, OK, 401),
    ("GET", "/api/v1/tickets/<id:ticket_id>"): r(401, OK, 404, OK, OK, OK, 401),
    ("POST", "/api/v1/tickets/<id:ticket_id>/assign"): r(
        401, 403, 404, OK, OK, OK, 401, body={"agent_id": "@helper_id"}
    ),
    ("POST", "/api/v1/tickets/<id:ticket_id>/claim"): r(401, 403, 404, 409, 409, 409, 401, body={}),
    ("POST", "/api/v1/tickets/<id:ticket_id>/release"): r(401, 403, 404, OK, OK, OK, 401, body={}),
    # Tier moves (and vendor hand-offs, below) check the role first: 403 for any requester
    # and any ticket id, existing or not, so the 403 tells nothing.
    ("POST", "/api/v1/tickets/<id:ticket_id>/escalate"): r(
        401, 403, 403, 409, 409, 409, 401, body={"reason": "Needs tier 2"}
    ),
    ("POST", "/api/v1/tickets/<id:ticket_id>/deescalate"): r(
        401, 403, 403, 409, 409, 409, 401, body={"reason": "Back down"}
    ),
    ("GET", "/api/v1/tickets/<id:ticket_id>/events"): r(401, OK, 404, OK, OK, OK, 401),
    # Files the ticket's mails brought: whoever may read the ticket (a guest's link is not an
    # API credential; tests/api/test_attachments.py).
    ("GET", "/api/v1/tickets/<id:ticket_id>/attachments"): r(401, OK, 404, OK, OK, OK, 401),
    ("GET", "/api/v1/tickets/<id:ticket_id>/attachments/<id:attachment_id>"): r(
        401, OK, 404, OK, OK, OK, 401
    ),
    ("POST", "/api/v1/tickets/<id:ticket_id>/guests"): r(
        401, 403, 404, OK, OK, OK, 401, body={"name": "Sue"}
    ),
    ("GET", "/api/v1/tickets/<id:ticket_id>/guests"): r(401, 403, 404, OK, OK, OK, 401),
    ("POST", "/api/v1/tickets/<id:ticket_id>/guests/<id:pass_id>/revoke"): r(
        401, 403, 404, OK, OK, OK, 401, body={}
    ),
    ("POST", "/api/v1/tickets/<id:ticket_id>/notes"): r(
        401, 403, 404, OK, OK, OK, 401, body={"body": "Internal"}
    ),
    ("GET", "/api/v1/tickets/<id:ticket_id>/notes"): r(401, 403, 404, OK, OK, OK, 401),
    ("POST", "/api/v1/tickets/<id:ticket_id>/reopen"): r(
        401, 409, 404, 409, 409, 409, 401, body={}
    ),
    ("POST", "/api/v1/tickets/<id:ticket_id>/resolve"): r(
        401, 403, 404, OK, OK, OK, 401, body={"resolution": "Fixed"}
    ),
    # Naming an article that helped changes nobody's rights: the same decisions.
    ("POST", "/api/v1/tickets/<id:ticket_id>/resolve", "articles"): r(
        401, 403, 404, OK, OK, OK, 401, body={"resolution": "Fixed", "articles": ["@article_id"]}
    ),
    ("POST", "/api/v1/tickets/<id:ticket_id>/satisfaction"): r(
        401, 409, 404, 403, 403, 403, 401, body={"score": 5}
    ),
    ("GET", "/api/v1/tickets/<id:ticket_id>/satisfaction"): r(401, OK, 404, OK, OK, OK, 401),
    ("GET", "/api/v1/tickets/<id:ticket_id>/skills"): r(401, OK, 404, OK, OK, OK, 401),
    ("PUT", "/api/v1/tickets/<id:ticket_id>/skills"): r(
        401, 403, 404, OK, OK, OK, 401, body={"skills": [{"skill_id": "@skill_id"}]}
    ),
    ("POST", "/api/v1/tickets/<id:ticket_id>/status"): r(
        401, 403, 404, OK, OK, OK, 401, body={"status": "pending"}
    ),
    ("GET", "/api/v1/tickets/<id:ticket_id>/suggestions"): r(401, 403, 404, OK, OK, OK, 401),
    ("POST", "/api/v1/tickets/<id:ticket_id>/vendor"): r(
        401, 403, 403, 409, 409, 409, 401, body={"vendor_id": "@vendor_id", "external_ref": "AC-1"}
    ),
    ("POST", "/api/v1/tickets/<id:ticket_id>/vendor/updates"): r(
        401, 403, 403, 409, 409, 409, 401, body={"status": "acknowledged"}
    ),
    # --- queues and tiers
    ("GET", "/queues"): r(LOGIN, OK, OK, OK, OK, OK, LOGIN),
    ("GET", "/queues/<int(max=4):tier>"): r(LOGIN, 403, 403, OK, OK, OK, LOGIN),
    # Tier 1's queue: the agent serves no tier here (refused/403); a manager may take from any
    # queue, and it is empty (404).
    ("POST", "/queues/<int(max=4):tier>/next"): r(
        LOGIN, REFUSED, REFUSED, REFUSED, OK, OK, LOGIN, body={}
    ),
    ("GET", "/api/v1/queues/<int(max=4):tier>"): r(401, 403, 403, OK, OK, OK, 401),
    ("POST", "/api/v1/queues/<int(max=4):tier>/next"): r(
        401, 403, 403, 403, 404, 404, 401, body={}
    ),
    ("GET", "/api/v1/tiers"): r(401, 403, 403, OK, OK, OK, 401),
    ("PUT", "/api/v1/tiers"): r(401, 403, 403, 403, OK, OK, 401, body={"strategy": "round_robin"}),
    ("GET", "/api/v1/config/routing"): r(401, 403, 403, OK, OK, OK, 401),
    ("PUT", "/api/v1/config/routing"): r(401, 403, 403, 403, OK, OK, 401, body={"mode": "swarm"}),
    ("GET", "/settings/routing"): r(LOGIN, 403, 403, OK, OK, OK, LOGIN),
    ("POST", "/settings/routing"): r(LOGIN, 403, 403, 403, OK, OK, LOGIN, body={"mode": "swarm"}),
    ("POST", "/settings/tiers"): r(
        LOGIN, 403, 403, 403, OK, OK, LOGIN, body={"strategy": "round_robin"}
    ),
    ("POST", "/settings/vendors"): r(
        LOGIN, 403, 403, 403, OK, OK, LOGIN, body={"name": "Beta", "sla_hours": "8"}
    ),
    ("POST", "/settings/vendors/<id:vendor_id>"): r(
        LOGIN, 403, 403, 403, OK, OK, LOGIN, body={"name": "Acme", "sla_hours": "8", "active": "1"}
    ),
    ("POST", "/api/v1/vendors"): r(
        401, 403, 403, 403, OK, OK, 401, body={"name": "Beta", "sla_seconds": 3600}
    ),
    ("GET", "/api/v1/vendors"): r(401, 403, 403, OK, OK, OK, 401),
    ("PATCH", "/api/v1/vendors/<id:vendor_id>"): r(
        401, 403, 403, 403, OK, OK, 401, body={"contact": "ops@acme.test"}
    ),
    ("DELETE", "/api/v1/vendors/<id:vendor_id>"): r(401, 403, 403, 403, OK, OK, 401),
    # --- knowledge base (docs/knowledge.md). The world's article is the agent's, published
    # and public; requesters read it and nothing else (the internal one is 404 for them).
    # The author may not publish their own (403 before the state's 409); a manager may, but
    # it is published already (409).
    ("POST", "/api/v1/articles"): r(
        401, 403, 403, OK, OK, OK, 401, body={"title": "Printer", "body": "Tray B."}
    ),
    ("GET", "/api/v1/articles"): r(401, OK, OK, OK, OK, OK, 401, query="q=vpn"),
    ("POST", "/api/v1/articles/suggest"): r(
        401, OK, OK, OK, OK, OK, 401, body={"text": "My VPN drops"}
    ),
    ("POST", "/api/v1/articles/preview"): r(401, 403, 403, OK, OK, OK, 401, body={"body": "**x**"}),
    ("GET", "/api/v1/articles/<id:article_id>"): r(401, OK, OK, OK, OK, OK, 401),
    ("GET", "/api/v1/articles/<id:article_id>", "internal"): r(
        401, 404, 404, OK, OK, OK, 401, article_id="@internal_article_id"
    ),
    ("PUT", "/api/v1/articles/<id:article_id>"): r(
        401, 403, 403, OK, OK, OK, 401, body={"version": 1, "body": "Lower the MTU."}
    ),
    ("DELETE", "/api/v1/articles/<id:article_id>"): r(401, 403, 403, 403, OK, OK, 401),
    ("POST", "/api/v1/articles/<id:article_id>/submit"): r(401, 403, 403, 409, 409, 409, 401),
    ("POST", "/api/v1/articles/<id:article_id>/publish"): r(
        401, 403, 403, 403, 409, 409, 401, body={}
    ),
    ("POST", "/api/v1/articles/<id:article_id>/archive"): r(401, 403, 403, OK, OK, OK, 401),
    ("GET", "/api/v1/articles/<id:article_id>/versions"): r(401, 404, 404, OK, OK, OK, 401),
    ("GET", "/api/v1/articles/<id:article_id>/diff"): r(
        401, 404, 404, OK, OK, OK, 401, query="from=1&to=1"
    ),
    # The knowledge base's pages: the same decisions; a refused change of a staff member is a
    # redirect with the reason flashed (the article is published already, or is the agent's).
    ("GET", "/kb"): r(LOGIN, OK, OK, OK, OK, OK, LOGIN, query="q=vpn"),
    # --- the self-service portal (docs/knowledge.md, "The portal"). Anyone signed in may look
    # and open a ticket there; only requesters' reports are recorded (staff: 403). A
    # deflection needs the article shown in the visit first: 409 once authorised.
    ("GET", "/portal"): r(LOGIN, OK, OK, OK, OK, OK, LOGIN, query="q=vpn"),
    ("POST", "/portal/tickets"): r(
        LOGIN,
        OK,
        OK,
        OK,
        OK,
        OK,
        LOGIN,
        body={"subject": "Printer", "body": "Jammed", "priority": "P3", "visit": "visit-authz"},
    ),
    ("POST", "/api/v1/portal/events"): r(
        401,
        OK,
        OK,
        403,
        403,
        403,
        401,
        body={"visit": "visit-authz", "type": "article_suggested", "article_ids": ["@article_id"]},
    ),
    # 409 for requesters: the world's visit never displayed the article (no deflection unseen).
    ("POST", "/api/v1/portal/deflections"): r(
        401,
        409,
        409,
        403,
        403,
        403,
        401,
        body={"visit": "visit-authz", "article_id": "@article_id"},
    ),
    ("GET", "/kb/<id:article_id>"): r(LOGIN, OK, OK, OK, OK, OK, LOGIN),
    ("GET", "/kb/<id:article_id>", "internal"): r(
        LOGIN, 404, 404, OK, OK, OK, LOGIN, article_id="@internal_article_id"
    ),
    ("GET", "/kb/new"): r(LOGIN, 403, 403, OK, OK, OK, LOGIN),
    ("POST", "/kb/new"): r(
        LOGIN,
        403,
        403,
        OK,
        OK,
        OK,
        LOGIN,
        body={"title": "Printer", "body": "Tray B.", "category": "", "visibility": "public"},
    ),
    ("GET", "/kb/<id:article_id>/edit"): r(LOGIN, 403, 403, OK, OK, OK, LOGIN),
    ("POST", "/kb/<id:article_id>/edit"): r(
        LOGIN,
        403,
        403,
        OK,
        OK,
        OK,
        LOGIN,
        body={
            "version": "1",
            "title": "VPN",
            "body": "MTU",
            "category": "",
            "visibility": "public",
        },
    ),
    ("POST", "/kb/<id:article_id>/<action>", "submit"): r(
        LOGIN, 403, 403, REFUSED, REFUSED, REFUSED, LOGIN, action="submit", body={}
    ),
    ("POST", "/kb/<id:article_id>/<action>", "publish"): r(
        LOGIN, 403, 403, REFUSED, REFUSED, REFUSED, LOGIN, action="publish", body={}
    ),
    ("POST", "/kb/<id:article_id>/<action>", "archive"): r(
        LOGIN, 403, 403, OK, OK, OK, LOGIN, action="archive", body={}
    ),
    # "Still accurate": any staff member confirms a published article; requesters change nothing.
    ("POST", "/kb/<id:article_id>/<action>", "confirm"): r(
        LOGIN, 403, 403, OK, OK, OK, LOGIN, action="confirm", body={}
    ),
    ("POST", "/api/v1/articles/<id:article_id>/confirm"): r(401, 403, 403, OK, OK, OK, 401),
    # Capture and the ticket's Knowledge panel (staff): the requester's own resolved ticket is
    # 403, another's is 404; on a ticket not yet resolved staff are let through and told 409.
    ("POST", "/api/v1/tickets/<id:ticket_id>/article-draft"): r(
        401, 403, 404, OK, OK, OK, 401, ticket_id="@resolved_ticket_id"
    ),
    ("POST", "/api/v1/tickets/<id:ticket_id>/article-draft", "open"): r(
        401, 403, 404, 409, 409, 409, 401
    ),
    ("POST", "/tickets/<id:ticket_id>/article-draft"): r(
        LOGIN, 403, 404, OK, OK, OK, LOGIN, ticket_id="@resolved_ticket_id", body={}
    ),
    ("POST", "/tickets/<id:ticket_id>/article-draft", "open"): r(
        LOGIN, 403, 404, REFUSED, REFUSED, REFUSED, LOGIN, body={}
    ),
    ("GET", "/api/v1/tickets/<id:ticket_id>/knowledge"): r(401, 403, 404, OK, OK, OK, 401),
    # --- people and skills
    ("GET", "/admin/users"): r(LOGIN, 403, 403, 403, 403, OK, LOGIN),
    ("POST", "/admin/users"): r(
        LOGIN,
        403,
        403,
        403,
        403,
        OK,
        LOGIN,
        body={
            "email": "new@example.test",
            "name": "New",
            "role": "requester",
            "password": "long enough pw",
        },
    ),
    ("POST", "/admin/users/<id:user_id>"): r(
        LOGIN, REFUSED, REFUSED, REFUSED, REFUSED, OK, LOGIN, body={"active": "1"}
    ),
    # A password reset link for a person (swarm/accounts/reset.py): mail is off in this world,
    # so the admin is let through and told so (409; the page flashes it).
    ("POST", "/admin/users/<id:user_id>/password-reset"): r(
        LOGIN, 403, 403, 403, 403, REFUSED, LOGIN
    ),
    ("POST", "/api/v1/users/<id:user_id>/password-reset"): r(401, 403, 403, 403, 403, 409, 401),
    ("POST", "/api/v1/users"): r(
        401,
        403,
        403,
        403,
        403,
        OK,
        401,
        body={"email": "new@example.test", "name": "New", "password": "long enough pw"},
    ),
    ("GET", "/api/v1/users"): r(401, 403, 403, 403, 403, OK, 401),
    ("PATCH", "/api/v1/users/<id:user_id>"): r(
        401, 403, 403, 403, 403, OK, 401, body={"name": "Renamed"}
    ),
    # The audit log (docs/security.md): admins only, on the page and in the API.
    ("GET", "/admin/audit"): r(LOGIN, 403, 403, 403, 403, OK, LOGIN),
    ("GET", "/api/v1/audit"): r(401, 403, 403, 403, 403, OK, 401),
    ("GET", "/api/v1/agents"): r(401, 403, 403, OK, OK, OK, 401),
    ("GET", "/api/v1/agents/<id:agent_id>/growth"): r(401, 403, 403, OK, OK, OK, 401),
    # "colleague": another agent's profile and growth log, which every agent may read (the
    # profile page shows both); only the agent themself or a manager changes them.
    ("GET", "/api/v1/agents/<id:agent_id>/growth", "colleague"): r(
        401, 403, 403, OK, OK, OK, 401, agent_id="@helper_id"
    ),
    ("GET", "/api/v1/agents/<id:agent_id>/skills", "colleague"): r(
        401, 403, 403, OK, OK, OK, 401, agent_id="@helper_id"
    ),
    ("PUT", "/api/v1/agents/<id:agent_id>/skills", "colleague"): r(
        401,
        403,
        403,
        403,
        OK,
        OK,
        401,
        body={"skills": [{"skill_id": "@skill_id", "proficiency": 3}]},
        agent_id="@helper_id",
    ),
    ("GET", "/agents/<id:agent_id>/skills", "colleague"): r(
        LOGIN, 403, 403, OK, OK, OK, LOGIN, agent_id="@helper_id"
    ),
    ("POST", "/agents/<id:agent_id>/skills", "colleague"): r(
        LOGIN,
        403,
        403,
        403,
        OK,
        OK,
        LOGIN,
        body={"skill_id": "@skill_id", "level-{skill_id}": "3"},
        agent_id="@helper_id",
    ),
    ("GET", "/api/v1/agents/<id:agent_id>/skills"): r(401, 403, 403, OK, OK, OK, 401),
    ("PUT", "/api/v1/agents/<id:agent_id>/skills"): r(
        401,
        403,
        403,
        OK,
        OK,
        OK,
        401,
        body={"skills": [{"skill_id": "@skill_id", "proficiency": 3}]},
    ),
    ("GET", "/agents/<id:agent_id>/skills"): r(LOGIN, 403, 403, OK, OK, OK, LOGIN),
    ("POST", "/agents/<id:agent_id>/skills"): r(
        LOGIN, 403, 403, OK, OK, OK, LOGIN, body={"skill_id": "@skill_id", "level-{skill_id}": "3"}
    ),
    ("GET", "/skills"): r(LOGIN, 403, 403, OK, OK, OK, LOGIN),
    ("POST", "/api/v1/skills"): r(401, 403, 403, 403, 403, OK, 401, body={"name": "Printers"}),
    ("GET", "/api/v1/skills"): r(401, 403, 403, OK, OK, OK, 401),
    ("GET", "/api/v1/skills/<id:skill_id>"): r(401, 403, 403, OK, OK, OK, 401),
    ("PATCH", "/api/v1/skills/<id:skill_id>"): r(
        401, 403, 403, 403, 403, OK, 401, body={"description": "Tunnels"}
    ),
    ("DELETE", "/api/v1/skills/<id:skill_id>"): r(401, 403, 403, 403, 403, OK, 401),
    ("GET", "/api/v1/skills/graph"): r(401, 403, 403, OK, OK, OK, 401),
    ("POST", "/api/v1/skills/infer"): r(
        401, 403, 403, OK, OK, OK, 401, body={"text": "The VPN drops"}
    ),
    ("POST", "/api/v1/skills/relations"): r(
        401,
        403,
        403,
        403,
        403,
        OK,
        401,
        body={"source_id": "@parent_id", "target_id": "@skill_id", "kind": "related_to"},
    ),
    ("DELETE", "/api/v1/skills/relations/<id:relation_id>"): r(401, 403, 403, 403, 403, OK, 401),
    ("GET", "/api/v1/skills/taxonomy.csv"): r(401, 403, 403, OK, OK, OK, 401),
    ("GET", "/api/v1/skills/taxonomy.json"): r(401, 403, 403, OK, OK, OK, 401),
    # --- metrics, dashboard, simulations
    ("GET", "/dashboard"): r(LOGIN, 403, 403, 403, OK, OK, LOGIN),
    ("GET", "/dashboard.csv"): r(LOGIN, 403, 403, 403, OK, OK, LOGIN),
    ("GET", "/api/v1/metrics/compare"): r(401, 403, 403, 403, OK, OK, 401),
    ("GET", "/api/v1/metrics/contribution"): r(401, 403, 403, OK, OK, OK, 401),
    ("GET", "/api/v1/metrics/datasets"): r(401, 403, 403, 403, OK, OK, 401),
    ("GET", "/api/v1/metrics/knowledge"): r(401, 403, 403, 403, OK, OK, 401),
    ("GET", "/api/v1/metrics/exceptions"): r(401, 403, 403, 403, OK, OK, 401),
    ("GET", "/api/v1/metrics/summary"): r(401, 403, 403, 403, OK, OK, 401),
    ("GET", "/api/v1/metrics/timeseries"): r(401, 403, 403, 403, OK, OK, 401),
    ("GET", "/api/v1/config/metrics"): r(401, 403, 403, 403, OK, OK, 401),
    ("PUT", "/api/v1/config/metrics"): r(
        401, 403, 403, 403, OK, OK, 401, body={"thresholds": {"hand_minutes": 30}}
    ),
    ("GET", "/simulations"): r(LOGIN, 403, 403, 403, OK, OK, LOGIN),
    ("POST", "/simulations"): r(LOGIN, 403, 403, 403, OK, OK, LOGIN, body={"example": "small"}),
    ("POST", "/api/v1/simulations"): r(401, 403, 403, 403, OK, OK, 401, body={"example": "small"}),
    ("GET", "/api/v1/simulations"): r(401, 403, 403, 403, OK, OK, 401),
    ("GET", "/api/v1/simulations/<id:run_id>"): r(401, 403, 403, 403, OK, OK, 401),
    # ---- webhooks and their deliveries: admins only (docs/webhooks.md)
    ("GET", "/admin/webhooks"): r(LOGIN, 403, 403, 403, 403, OK, LOGIN),
    ("POST", "/admin/webhooks"): r(
        LOGIN,
        403,
        403,
        403,
        403,
        OK,
        LOGIN,
        body={"url": "https://example.test/y", "event_types": "resolved"},
    ),
    ("POST", "/admin/webhooks/<id:webhook_id>"): r(
        LOGIN, 403, 403, 403, 403, OK, LOGIN, body={"active": "0"}
    ),
    ("POST", "/admin/deliveries/<id:delivery_id>/send-again"): r(
        LOGIN, 403, 403, 403, 403, OK, LOGIN, body={}
    ),
    ("POST", "/api/v1/webhooks"): r(
        401,
        403,
        403,
        403,
        403,
        OK,
        401,
        body={"url": "https://example.test/x", "event_types": ["resolved"]},
    ),
    ("GET", "/api/v1/webhooks"): r(401, 403, 403, 403, 403, OK, 401),
    ("PATCH", "/api/v1/webhooks/<id:webhook_id>"): r(
        401, 403, 403, 403, 403, OK, 401, body={"active": False}
    ),
    ("DELETE", "/api/v1/webhooks/<id:webhook_id>"): r(401, 403, 403, 403, 403, OK, 401),
    ("GET", "/api/v1/webhooks/<id:webhook_id>/deliveries"): r(401, 403, 403, 403, 403, OK, 401),
    ("POST", "/api/v1/deliveries/<id:delivery_id>/send-again"): r(
        401, 403, 403, 403, 403, OK, 401, body={}
    ),
    # --- automation rules: admins edit, managers read
    ("GET", "/api/v1/rules"): r(401, 403, 403, 403, OK, OK, 401),
    ("POST", "/api/v1/rules"): r(
        401,
        403,
        403,
        403,
        403,
        OK,
        401,
        body={
            "name": "P2 first",
            "trigger": "created",
            "actions": [{"type": "set_priority", "priority": "P2"}],
        },
    ),
    ("GET", "/api/v1/rules/<id:rule_id>"): r(401, 403, 403, 403, OK, OK, 401),
    ("PATCH", "/api/v1/rules/<id:rule_id>"): r(
        401, 403, 403, 403, 403, OK, 401, body={"enabled": False}
    ),
    ("DELETE", "/api/v1/rules/<id:rule_id>"): r(401, 403, 403, 403, 403, OK, 401),
    ("GET", "/api/v1/rules/<id:rule_id>/runs"): r(401, 403, 403, 403, OK, OK, 401),
    # the rules page: the API's rights (managers read, admins change)
    ("GET", "/admin/rules"): r(LOGIN, 403, 403, 403, OK, OK, LOGIN),
    ("GET", "/admin/rules/<id:rule_id>"): r(LOGIN, 403, 403, 403, OK, OK, LOGIN),
    ("GET", "/admin/rules/new"): r(LOGIN, 403, 403, 403, 403, OK, LOGIN),
    ("GET", "/admin/rules/<id:rule_id>/edit"): r(LOGIN, 403, 403, 403, 403, OK, LOGIN),
    ("GET", "/admin/rules/<id:rule_id>/remove"): r(LOGIN, 403, 403, 403, 403, OK, LOGIN),
    ("POST", "/admin/rules"): r(
        LOGIN,
        403,
        403,
        403,
        403,
        OK,
        LOGIN,
        body={
            "name": "P2 first",
            "trigger": "created",
            "a0_type": "set_priority",
            "a0_priority": "P2",
        },
    ),
    ("POST", "/admin/rules/<id:rule_id>"): r(
        LOGIN,
        403,
        403,
        403,
        403,
        OK,
        LOGIN,
        body={
            "name": "Printers",
            "trigger": "created",
            "a0_type": "set_priority",
            "a0_priority": "P3",
        },
    ),
    ("POST", "/admin/rules/<id:rule_id>/enabled"): r(
        LOGIN, 403, 403, 403, 403, OK, LOGIN, body={"enabled": "0"}
    ),
    ("POST", "/admin/rules/<id:rule_id>/remove"): r(LOGIN, 403, 403, 403, 403, OK, LOGIN, body={}),
}

T = {"ticket_id": "@ticket_id"}
EVENTS: dict[str, Row] = {
    "join_ticket": r(REFUSED, OK, "not_found", OK, OK, OK, OK, body=T),
    "leave_ticket": r(
        REFUSED, OK, "not_joined", OK, OK, OK, OK, body=T, setup=[("join_ticket", T)]
    ),
    "send_message": r(
        REFUSED,
        OK,
        "not_found",
        OK,
        OK,
        OK,
        OK,
        body={"ticket_id": "@ticket_id", "body": "Hello", "client_id": "m1"},
    ),
    "typing": r(REFUSED, OK, "not_found", OK, OK, OK, OK, body=T, setup=[("join_ticket", T)]),
    "raise_hand": r(REFUSED, "forbidden", "not_found", OK, OK, OK, "forbidden", body=T),
    "watch_queue": r(REFUSED, "forbidden", "forbidden", OK, OK, OK, "forbidden", body={"tier": 1}),
    "watch_dashboard": r(
        REFUSED, "forbidden", "forbidden", "forbidden", OK, OK, "forbidden", body={}
    ),
    # illegal_transition for the agent: the owner cannot also help (allowed, but not now).
    "offer_help": r(
        REFUSED, "forbidden", "not_found", "illegal_transition", OK, OK, "forbidden", body=T
    ),
    "invite": r(
        REFUSED,
        "forbidden",
        "not_found",
        OK,
        OK,
        OK,
        "forbidden",
        body={"ticket_id": "@ticket_id", "agent_id": "@manager_id"},
    ),
    "add_helper": r(
        REFUSED,
        "forbidden",
        "not_found",
        OK,
        OK,
        OK,
        "forbidden",
        body={"ticket_id": "@ticket_id", "agent_id": "@helper_id"},
    ),
    # Nobody has offered help in the world: the owner and managers get illegal_transition.
    "decline_offer": r(
        REFUSED,
        "forbidden",
        "not_found",
        "illegal_transition",
        "illegal_transition",
        "illegal_transition",
        "forbidden",
        body={"ticket_id": "@ticket_id", "agent_id": "@helper_id"},
    ),
    # Nobody is in the swarm in the world: allowed callers get illegal_transition.
    "leave_swarm": r(
        REFUSED,
        "illegal_transition",
        "not_found",
        "illegal_transition",
        "illegal_transition",
        "illegal_transition",
        "illegal_transition",
        body=T,
    ),
    # The invitation is Hal Helper's (no column): everyone else gets not_found.
    "respond_invitation": r(
        REFUSED,
        "not_found",
        "not_found",
        "not_found",
        "not_found",
        "not_found",
        "not_found",
        body={"invitation_id": "@invitation_id", "accept": True},
    ),
}


# ------------------------------------------------------------------------------------ the world


@dataclass
class World:
    """What the cells act on: its ids, the signed-in callers' cookies and the guest's link."""

    folder: Path
    ids: dict[str, Any] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)

    def fill(self, value: Any) -> Any:
        """``"@name"`` strings (in bodies and payloads) become the world's ``name``."""
        if isinstance(value, str) and value.startswith("@"):
            return self.ids[value[1:]]
        if isinstance(value, dict):  # keys may name ids too: "level-{skill_id}"
            return {k.format(**self.ids): self.fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        return value

    def path(self, rule: str, **params: Any) -> str:
        values = {**self.ids, **params}
        return re.sub(r"<(?:[^:>]+:)?(\w+)>", lambda m: str(values[m.group(1)]), rule)


def _app(folder: Path) -> Flask:
    app = create_app(make_config(folder), clock=FakeClock(START))
    app.config["WTF_CSRF_ENABLED"] = False  # see the module's docstring
    return app


def _close(app: Flask) -> None:
    rt: Runtime = app.extensions["swarm"]
    if rt.messages is not None:
        rt.messages.close()
    rt.engine.dispose()


def _ok(response: Any) -> Any:
    assert response.status_code < 400, (response.status_code, response.get_data(as_text=True))
    return response.get_json(silent=True)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("authz-world")
    app = _app(folder)
    rt: Runtime = app.extensions["swarm"]
    Base.metadata.create_all(rt.engine)
    clock = rt.clock
    w = World(folder)
    with rt.sessions() as db:
        people = {
            "owner": make_user(db, clock, name="Olive Owner"),
            "other": make_user(db, clock, name="Otto Other"),
            "agent": make_agent(db, clock, name="Ada Agent"),
            "helper": make_agent(db, clock, name="Hal Helper"),
            "manager": make_manager(db, clock, name="Max Manager"),
            "admin": make_user(db, clock, role="admin", name="Ann Admin"),
        }
        emails = {name: user.email for name, user in people.items()}
        w.ids["owner_email"] = emails["owner"]
        w.ids.update({f"{name}_id": user.id for name, user in people.items()})
    clients = {}
    for name, email in emails.items():
        client = app.test_client()
        _ok(client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}))
        clients[name] = client
        cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
        assert cookie is not None
        w.cookies[name] = cookie.value
    ticket = _ok(clients["owner"].post("/api/v1/tickets", json={"subject": "VPN", "body": "x"}))
    tid = ticket["id"]
    _ok(clients["agent"].post(f"/api/v1/tickets/{tid}/claim", json={}))
    guest = _ok(clients["agent"].post(f"/api/v1/tickets/{tid}/guests", json={"name": "Sam"}))
    token = _ok(clients["owner"].post("/api/v1/auth/tokens", json={"name": "cli"}))
    skill = _ok(clients["admin"].post("/api/v1/skills", json={"name": "VPN"}))
    parent = _ok(clients["admin"].post("/api/v1/skills", json={"name": "Networking"}))
    relation = _ok(
        clients["admin"].post(
            "/api/v1/skills/relations",
            json={"source_id": skill["id"], "target_id": parent["id"], "kind": "is_a"},
        )
    )
    vendor = _ok(
        clients["admin"].post("/api/v1/vendors", json={"name": "Acme", "sla_seconds": 86400})
    )
    article = _ok(
        clients["agent"].post(
            "/api/v1/articles",
            json={"title": "VPN drops", "body": "Lower the MTU.", "visibility": "public"},
        )
    )
    _ok(clients["manager"].post(f"/api/v1/articles/{article['id']}/publish", json={}))
    internal = _ok(
        clients["agent"].post("/api/v1/articles", json={"title": "VPN gateways", "body": "IPs"})
    )
    _ok(clients["manager"].post(f"/api/v1/articles/{internal['id']}/publish", json={}))
    _ok(clients["agent"].post(f"/tickets/{tid}/invite", data={"agent_id": w.ids["helper_id"]}))
    resolved = _ok(
        clients["owner"].post("/api/v1/tickets", json={"subject": "Printer", "body": "Jammed"})
    )
    _ok(clients["agent"].post(f"/api/v1/tickets/{resolved['id']}/claim", json={}))
    _ok(
        clients["agent"].post(
            f"/api/v1/tickets/{resolved['id']}/resolve", json={"resolution": "Tray B."}
        )
    )
    webhook = _ok(
        clients["admin"].post(
            "/api/v1/webhooks", json={"url": "https://example.test/h", "event_types": ["created"]}
        )
    )
    with rt.sessions() as db:
        delivery = OutboxItem(
            webhook_id=webhook["id"],
            key="msg_matrix",
            event_type="created",
            payload={},
            state="dead",
            attempts=8,
            next_attempt_at=clock.now(),
            created_at=clock.now(),
        )
        db.add(delivery)
        db.commit()
        w.ids.update(webhook_id=webhook["id"], delivery_id=delivery.id)
    rule = _ok(
        clients["admin"].post(
            "/api/v1/rules",
            json={
                "name": "Printers to P3",
                "trigger": "created",
                "enabled": False,  # never fires on the cells' own tickets
                "actions": [{"type": "set_priority", "priority": "P3"}],
            },
        )
    )
    w.ids["rule_id"] = rule["id"]
    with rt.sessions() as db:
        invitation = db.scalars(select(Invitation)).one()
        run = SimulationRun(
            dataset="sim:matrix",
            title="Matrix",
            scenario="",
            state="done",
            requested_by=w.ids["manager_id"],
            created_at=clock.now(),
        )
        db.add(run)
        mail = MailIntake(
            key="matrix",
            message_id="<matrix@example.org>",
            sender=emails["owner"],
            source="smtp",
            outcome=MailOutcome.REPLY,
            ticket_id=tid,
            received_at=clock.now(),
            attachments=[
                MailAttachment(filename="a.txt", content_type="text/plain", size=1, data=b"a")
            ],
        )
        db.add(mail)
        db.commit()
        w.ids.update(
            invitation_id=invitation.id, run_id=run.id, attachment_id=mail.attachments[0].id
        )
        w.ids["notification_id"] = db.scalars(
            select(Notification.id).where(
                Notification.recipient_id == w.ids["owner_id"],
                Notification.kind == "requester_resolved",
            )
        ).one()
    w.ids.update(
        ticket_id=tid,
        tier=ticket.get("tier") or 1,
        pass_id=guest["id"],
        token=re.search(r"swg_[\w-]+", guest["link"]).group(0),  # type: ignore[union-attr]
        token_id=token["id"],
        skill_id=skill["id"],
        parent_id=parent["id"],
        relation_id=relation["id"],
        vendor_id=vendor["id"],
        article_id=article["id"],
        internal_article_id=internal["id"],
        resolved_ticket_id=resolved["id"],
        user_id=w.ids["other_id"],
    )
    with rt.sessions() as db:
        owner = db.get(User, w.ids["owner_id"])
        assert owner is not None
        w.ids["reset_token"] = make_token(
            rt.config.secret_key, owner.id, clock.now(), fingerprint(owner)
        )
    _close(app)
    yield w


@pytest.fixture(scope="module")
def app(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One app for the module, on a copy of the world; every cell restores it first."""
    folder = tmp_path_factory.mktemp("authz-app")
    shutil.copy(world.folder / "swarm.db", folder / "swarm.db")
    application = _app(folder)
    with pytest.MonkeyPatch.context() as patch:
        # A simulation's child process is not what a cell measures (the decision comes first).
        patch.setattr("swarm.api.simulation_views.launch", lambda *a: None)
        patch.setattr("swarm.web.simulation_pages.launch", lambda *a: None)
        yield application
    _close(application)


def restore(app: Flask, world: World) -> None:
    """The world as it was, for the next cell: a fresh copy of its database file (a new file,
    so that no connection of the last cell writes into it), and fresh in-memory caches and
    rate limits. Cheaper than a new app per cell (~0.1 s each, 1,000 cells)."""
    rt: Runtime = app.extensions["swarm"]
    if rt.messages is not None:
        rt.messages.close()
    rt.engine.dispose()
    target = Path(rt.config.database_url.removeprefix("sqlite:///"))
    shutil.copy(world.folder / "swarm.db", target.with_suffix(".next"))
    os.replace(target.with_suffix(".next"), target)
    rt.routing = RoutingCaches()
    rt.limits = RateLimits(rt.config.ratelimit_storage_url, rt.config.ratelimit_namespace)


def http_client(app: Flask, world: World, actor: str) -> Any:
    client = app.test_client()
    if actor in world.cookies:
        client.set_cookie(app.config["SESSION_COOKIE_NAME"], world.cookies[actor])
    return client


def outcome_of(client: Any, response: Any) -> Any:
    if 200 <= response.status_code < 300:
        return OK
    if 300 <= response.status_code < 400:
        if urlsplit(response.headers.get("Location", "")).path == "/login":
            return LOGIN  # to the sign-in page: not signed in (or just signed out)
        with client.session_transaction() as session:
            flashes = session.get("_flashes", [])
        return REFUSED if any(category == "error" for category, _ in flashes) else OK
    return response.status_code


def run_http(app: Flask, world: World, actor: str, key: tuple[str, ...], row: Row) -> Any:
    method, rule = key[:2]
    client = http_client(app, world, actor)
    url = world.path(rule, **{k: world.fill(v) for k, v in row.params.items()}) + (
        f"?{row.query}" if row.query else ""
    )
    kwargs: dict[str, Any] = {}
    if row.body is not None:
        body = world.fill(row.body)
        kwargs = {"json": body} if rule.startswith("/api/") else {"data": body}
    response = client.open(url, method=method, **kwargs)
    return outcome_of(client, response)


def run_event(app: Flask, world: World, actor: str, name: str, row: Row) -> Any:
    socketio = app.extensions["socketio"]
    if actor == "anonymous":
        client = socketio.test_client(app)
    elif actor == "guest":
        client = socketio.test_client(app, auth={"guest": world.ids["token"]})
    else:
        client = socketio.test_client(app, flask_test_client=http_client(app, world, actor))
    if not client.is_connected():
        return REFUSED
    try:
        for before, payload in row.setup:
            client.emit(before, world.fill(payload), callback=True)
        ack = client.emit(name, world.fill(row.body), callback=True)
    finally:
        client.disconnect()
    return OK if ack["ok"] else ack["error"]["code"]


# ------------------------------------------------------------------------------------ the checks


def routes_of(app: Flask) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }


def events_of(app: Flask) -> set[str]:
    server = app.extensions["socketio"].server
    return {name for name in server.handlers.get("/", {}) if name not in ("connect", "disconnect")}


def test_every_route_and_event_is_in_the_table(app: Flask) -> None:
    listed = {key[:2] for key in HTTP} | set(EXCLUDED)
    missing = (sorted(routes_of(app) - listed), sorted(events_of(app) - set(EVENTS)))
    assert missing == ([], []), "routes, socket events without a row in the table"


def test_the_table_lists_nothing_that_is_gone(app: Flask) -> None:
    listed = {key[:2] for key in HTTP} | set(EXCLUDED)
    gone = (sorted(listed - routes_of(app)), sorted(set(EVENTS) - events_of(app)))
    assert gone == ([], []), "rows for routes, socket events the app no longer has"


@pytest.mark.parametrize("key", list(HTTP), ids=" ".join)
def test_http(app: Flask, world: World, key: tuple[str, ...]) -> None:
    row = HTTP[key]
    got = {}
    for actor in ACTORS:
        restore(app, world)
        got[actor] = run_http(app, world, actor, key, row)
    assert got == row.expected()


@pytest.mark.parametrize("name", list(EVENTS))
def test_socket_event(app: Flask, world: World, name: str) -> None:
    row = EVENTS[name]
    got = {}
    for actor in ACTORS:
        restore(app, world)
        got[actor] = run_event(app, world, actor, name, row)
    assert got == row.expected()

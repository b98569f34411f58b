""" "Forgot your password?" through the pages, with mail sent by the outbox worker to a real SMTP
server on loopback (aiosmtpd, as tests/integration/test_notification_mail.py): a requester
created by mail sets a first password; a link works once, for SWARM_PASSWORD_RESET_MINUTES,
and not after a password change; an unknown address gets the same answer and no mail; both
rate limits; mail off; German."""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from swarm.accounts import service as accounts
from swarm.accounts.passwords import MIN_LENGTH, TOO_SHORT
from swarm.accounts.reset import fingerprint, make_token, user_for_token
from swarm.app import create_app
from swarm.clock import FakeClock
from swarm.db import Base
from swarm.mail.intake import Intake, MailSettings
from swarm.mail.send import mailer_for
from swarm.models import AuditEntry, GuestPass, OutboxItem, User
from swarm.outbox.worker import deliver_due
from swarm.runtime import Runtime
from swarm.tickets.notify import RecordingNotifier
from swarm.tickets.rooms import RoomService
from swarm.tickets.service import TicketService
from tests.builders import PASSWORD, make_agent, make_ticket, make_user
from tests.conftest import make_config
from tests.integration.mailservers import free_port

PUBLIC = "https://support.example.org"
SUPPORT = "support@example.org"
NEW = "a long new passphrase"
SAME_ANSWER = "If that address belongs to an account here, a link to set a new password"


class Inbox:
    def __init__(self) -> None:
        self.mails: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content
        self.mails.append(email.message_from_bytes(raw, policy=policy.default))  # type: ignore[arg-type]
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


def _app(tmp_path: Path, clock: FakeClock, **overrides: Any) -> Iterator[Flask]:
    application = create_app(make_config(tmp_path, **overrides), clock=clock)
    rt: Runtime = application.extensions["swarm"]
    Base.metadata.create_all(rt.engine)
    yield application
    if rt.messages is not None:
        rt.messages.close()
    rt.engine.dispose()


@pytest.fixture
def app(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock, inbox: tuple[Inbox, int]
) -> Iterator[Flask]:
    marker = request.node.get_closest_marker("app_config")
    overrides = {
        "smtp_url": f"smtp://127.0.0.1:{inbox[1]}",
        "support_address": SUPPORT,
        "public_url": PUBLIC,
        **(marker.kwargs if marker else {}),
    }
    yield from _app(tmp_path, clock, **overrides)


def csrf(client: FlaskClient, page: str) -> str:
    html = client.get(page).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def ask(client: FlaskClient, address: str, **headers: str) -> Any:
    token = csrf(client, "/forgot-password")
    return client.post(
        "/forgot-password", data={"email": address, "csrf_token": token}, headers=headers
    )


def deliver(app: Flask) -> int:
    rt: Runtime = app.extensions["swarm"]
    c = rt.config
    mailer = mailer_for(
        c.smtp_url, c.support_address, c.secret_key, c.public_url, c.password_reset_ttl
    )
    return deliver_due(rt.sessions, rt.clock, mailer=mailer)


def link_in(mail: EmailMessage) -> str:
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    found = re.search(re.escape(PUBLIC) + r"(/reset/[^\s]+)", text)
    assert found, text
    return found.group(1)


def set_password(client: FlaskClient, path: str, new: str = NEW, again: str | None = None) -> Any:
    token = csrf(client, "/forgot-password")  # the session's token: a dead link has no form
    data = {"new_password": new, "confirm_password": new if again is None else again}
    return client.post(path, data={**data, "csrf_token": token})


def flashed(response: Any) -> str:
    return response.get_data(as_text=True)


def audit(db: Session, action: str) -> list[AuditEntry]:
    db.expire_all()
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def can_sign_in(db: Session, address: str, password: str) -> bool:
    db.expire_all()  # the password was set by another session
    return accounts.authenticate(db, address, password) is not None


def signed_in_as(client: FlaskClient) -> str | None:
    me = client.get("/api/v1/auth/me")
    return me.json["user"]["email"] if me.status_code == 200 else None


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    rt: Runtime = app.extensions["swarm"]
    with rt.sessions() as session:
        yield session


def mail_created_requester(app: Flask) -> User:
    """Rita writes to support from an address Swarm does not know: the intake makes her a
    requester with no password (SWARM_MAIL_UNKNOWN=create)."""
    rt: Runtime = app.extensions["swarm"]
    raw = EmailMessage()
    raw["From"] = "Rita Requester <rita@example.org>"
    raw["To"] = SUPPORT
    raw["Subject"] = "Printer jammed"
    raw["Message-ID"] = "<m1@client.example.org>"
    raw.set_content("Floor 3.")
    intake = Intake(rt.sessions, rt.clock, rt.notifier, rt.routing, MailSettings.of(rt.config))
    intake.receive(raw.as_bytes(), "smtp")
    with rt.sessions() as session:
        rita = session.scalars(select(User).where(User.email == "rita@example.org")).one()
        assert rita.password_hash is None
        return rita


# ------------------------------------------------------------------------------ the whole way


def test_a_requester_created_by_mail_sets_a_password_by_mail_and_is_signed_in(app, db, inbox):
    handler, _port = inbox
    rita = mail_created_requester(app)
    login_page = app.test_client().get("/login").get_data(as_text=True)
    assert 'href="/forgot-password"' in login_page

    browser = app.test_client()
    asked = ask(browser, "  Rita@Example.org ")
    assert asked.status_code == 302 and asked.location.endswith("/login")
    assert SAME_ANSWER in flashed(browser.get("/login"))
    assert deliver(app) >= 1
    (mail,) = [m for m in handler.mails if "password" in m["Subject"]]
    assert mail["To"] == "Rita Requester <rita@example.org>"
    assert mail["Subject"] == "Set a new password for Swarm"
    assert mail["Auto-Submitted"] == "auto-generated"
    path = link_in(mail)
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert f'href="{PUBLIC}{path}"' in html
    assert "60 minutes" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    form = browser.get(path)
    assert form.status_code == 200
    assert form.headers["Cache-Control"] == "no-store"
    assert "rita@example.org" in form.get_data(as_text=True)
    done = set_password(browser, path)
    assert done.status_code == 302 and done.location.endswith("/portal")
    assert signed_in_as(browser) == "rita@example.org"
    assert "Your new password is set and you are signed in." in flashed(browser.get("/portal"))
    # And the password is hers from now on.
    assert can_sign_in(db, "rita@example.org", NEW)

    (requested,) = audit(db, "password_reset_requested")
    assert requested.subject_id == rita.id and requested.actor_id is None
    assert requested.details == {"email": "rita@example.org", "mailed": True}
    (reset,) = audit(db, "password_reset")
    assert reset.actor_id == reset.subject_id == rita.id
    assert reset.details == {"sessions_ended": 0}
    (sign_in,) = audit(db, "sign_in")
    assert sign_in.details == {"via": "password reset"}
    # No secret in the log: neither the link nor the new password.
    logged = repr([(e.action, e.details) for e in db.scalars(select(AuditEntry))])
    assert NEW not in logged and path.rsplit("/", 1)[1] not in logged


def test_the_admin_audit_page_names_both_actions(app, db, clock, inbox):
    rita = make_user(db, clock, email="rita@example.org")
    admin = make_user(db, clock, role="admin", email="ann@example.org")
    ask(app.test_client(), rita.email)
    deliver(app)
    set_password(app.test_client(), link_in(inbox[0].mails[-1]))
    page = app.test_client()
    page.post("/api/v1/auth/login", json={"email": admin.email, "password": PASSWORD})
    html = page.get("/admin/audit").get_data(as_text=True)
    assert "asked for a password reset link" in html
    assert "set a new password through a reset link" in html


def test_a_reset_ends_every_other_session_and_their_sockets(app, db, clock, inbox):
    rita = make_user(db, clock, email="rita@example.org")
    elsewhere = app.test_client()
    elsewhere.post("/api/v1/auth/login", json={"email": rita.email, "password": PASSWORD})
    assert signed_in_as(elsewhere) == rita.email
    ask(app.test_client(), rita.email)
    deliver(app)
    here = app.test_client()
    assert set_password(here, link_in(inbox[0].mails[-1])).status_code == 302
    assert signed_in_as(elsewhere) is None
    assert signed_in_as(here) == rita.email
    (reset,) = audit(db, "password_reset")
    assert reset.details == {"sessions_ended": 1}
    assert not can_sign_in(db, rita.email, PASSWORD)


# ------------------------------------------------------------------------- links that are dead


def test_a_link_works_once(app, db, clock, inbox):
    rita = make_user(db, clock, email="rita@example.org")
    ask(app.test_client(), rita.email)
    deliver(app)
    path = link_in(inbox[0].mails[-1])
    assert set_password(app.test_client(), path).status_code == 302
    again = app.test_client()
    opened = again.get(path)
    assert opened.status_code == 404
    assert "no longer works" in opened.get_data(as_text=True)
    token = csrf(again, "/forgot-password")
    second = again.post(
        path,
        data={"new_password": "another passphrase", "confirm_password": "another passphrase"}
        | {"csrf_token": token},
    )
    assert second.status_code == 404
    assert signed_in_as(again) is None
    assert can_sign_in(db, rita.email, NEW)
    assert len(audit(db, "password_reset")) == 1


def test_a_link_expires_after_the_configured_minutes(app, db, clock, inbox):
    rita = make_user(db, clock, email="rita@example.org")
    ask(app.test_client(), rita.email)
    deliver(app)
    path = link_in(inbox[0].mails[-1])
    clock.advance(minutes=59)
    assert app.test_client().get(path).status_code == 200
    clock.advance(minutes=2)
    assert app.test_client().get(path).status_code == 404
    assert set_password(app.test_client(), path).status_code == 404
    assert can_sign_in(db, rita.email, PASSWORD)


@pytest.mark.app_config(password_reset_ttl=timedelta(minutes=5))
def test_the_lifetime_is_configurable_and_the_mail_says_it(app, db, clock, inbox):
    rita = make_user(db, clock, email="rita@example.org")
    ask(app.test_client(), rita.email)
    deliver(app)
    mail = inbox[0].mails[-1]
    assert "for 5 minutes" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    clock.advance(minutes=6)
    assert app.test_client().get(link_in(mail)).status_code == 404


def test_a_password_change_kills_links_sent_before(app, db, clock, inbox):
    rita = make_user(db, clock, email="rita@example.org")
    ask(app.test_client(), rita.email)
    deliver(app)
    path = link_in(inbox[0].mails[-1])
    accounts.change_password(
        db, clock, rita, PASSWORD, "changed on the account page", "changed on the account page"
    )
    assert app.test_client().get(path).status_code == 404
    assert set_password(app.test_client(), path).status_code == 404
    assert can_sign_in(db, rita.email, "changed on the account page")


def test_a_mail_waiting_when_the_password_changed_is_not_sent(app, db, clock, inbox):
    rita = make_user(db, clock, email="rita@example.org")
    ask(app.test_client(), rita.email)
    accounts.change_password(db, clock, rita, PASSWORD, "changed meanwhile", "changed meanwhile")
    assert deliver(app) == 1
    assert [m for m in inbox[0].mails if "password" in m["Subject"]] == []
    db.expire_all()
    assert db.scalars(select(OutboxItem.state)).all() == ["delivered"]


def test_the_access_log_never_holds_the_link(app, db, clock, caplog):
    rita = make_user(db, clock, email="rita@example.org")
    rt: Runtime = app.extensions["swarm"]
    token = make_token(rt.config.secret_key, rita.id, clock.now(), fingerprint(rita))
    with caplog.at_level("INFO", logger="swarm.access"):
        assert app.test_client().get(f"/reset/{token}").status_code == 200
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "/reset/<token>" in logged and token not in logged


def test_a_tampered_or_foreign_link_is_dead(app, db, clock):
    rita = make_user(db, clock, email="rita@example.org")
    other = make_user(db, clock, email="otto@example.org")
    rt: Runtime = app.extensions["swarm"]
    good = make_token(rt.config.secret_key, rita.id, clock.now(), fingerprint(rita))
    ttl = rt.config.password_reset_ttl
    assert user_for_token(db, rt.config.secret_key, good, clock.now(), ttl) == rita
    user_id, issued, mac = good.split(".")
    for bad in (
        f"{other.id}.{issued}.{mac}",  # another person's id under Rita's signature
        f"{user_id}.{int(issued) + 60}.{mac}",  # a later issue time
        f"{user_id}.{issued}.{'a' * 32}",
        make_token("another secret", rita.id, clock.now(), fingerprint(rita)),
        "",
        "1.2.3",
        "9" * 40 + "." + "9" * 12 + "." + "a" * 32,
        "../../etc/passwd",
    ):
        assert user_for_token(db, rt.config.secret_key, bad, clock.now(), ttl) is None, bad
        assert app.test_client().get(f"/reset/{bad}").status_code in (404, 308), bad


def test_a_weak_password_is_refused_and_the_link_still_works(app, db, clock, inbox):
    assert str(MIN_LENGTH) in TOO_SHORT
    rita = make_user(db, clock, email="rita@example.org")
    ask(app.test_client(), rita.email)
    deliver(app)
    path = link_in(inbox[0].mails[-1])
    browser = app.test_client()
    short = set_password(browser, path, "short")
    assert short.status_code == 422
    assert TOO_SHORT in short.get_data(as_text=True)
    assert set_password(browser, path, "xxxxxxxxxxxx").status_code == 422
    assert set_password(browser, path, PASSWORD).status_code == 422  # the current one
    differ = set_password(browser, path, NEW, "something else")
    assert differ.status_code == 422
    assert "The two new passwords differ." in differ.get_data(as_text=True)
    assert signed_in_as(browser) is None
    assert set_password(browser, path).status_code == 302


def test_the_forms_need_their_csrf_token(app, db, clock, inbox):
    rita = make_user(db, clock, email="rita@example.org")
    forged = app.test_client().post("/forgot-password", data={"email": rita.email})
    assert forged.status_code == 400
    assert db.scalars(select(OutboxItem)).all() == []
    ask(app.test_client(), rita.email)
    deliver(app)
    path = link_in(inbox[0].mails[-1])
    refused = app.test_client().post(path, data={"new_password": NEW, "confirm_password": NEW})
    assert refused.status_code == 400
    assert can_sign_in(db, rita.email, PASSWORD)


# ------------------------------------------------------------------- who gets no mail, and limits


def test_an_unknown_address_gets_the_same_answer_and_no_mail(app, db, clock, inbox):
    make_user(db, clock, email="rita@example.org")
    known, unknown = app.test_client(), app.test_client()
    a = ask(known, "rita@example.org")
    b = ask(unknown, "nobody@example.org")
    assert (a.status_code, a.location) == (b.status_code, b.location)
    said = [flashed(c.get("/login")) for c in (known, unknown)]
    assert SAME_ANSWER in said[0] and SAME_ANSWER in said[1]
    # The same work for both (an outbox row each, so the answer takes as long), one mail.
    db.expire_all()
    assert len(db.scalars(select(OutboxItem)).all()) == 2
    assert deliver(app) == 2
    assert [m["To"].addresses[0].addr_spec for m in inbox[0].mails] == ["rita@example.org"]
    db.rollback()  # a fresh read: the worker's sessions wrote the states
    assert db.scalars(select(OutboxItem.state)).all() == ["delivered", "delivered"]
    entries = {e.details["email"]: e for e in audit(db, "password_reset_requested")}
    assert entries["nobody@example.org"].details["mailed"] is False
    assert entries["nobody@example.org"].subject_id is None


def test_no_mail_for_a_deactivated_account_or_a_vendors_guest(app, db, clock, inbox):
    gone = make_user(db, clock, email="gone@example.org")
    gone.active = False
    guest = make_user(db, clock, email="guest@vendor.example")
    agent = make_agent(db, clock)
    ticket = make_ticket(TicketService(db, clock, app.extensions["swarm"].notifier), agent)
    db.add(
        GuestPass(
            ticket_id=ticket.id,
            user_id=guest.id,
            token_hash="0" * 64,
            created_at=clock.now(),
            expires_at=clock.now() + timedelta(days=1),
        )
    )
    db.commit()
    for address in (gone.email, guest.email):
        answer = ask(app.test_client(), address)
        assert answer.status_code == 302
    deliver(app)
    assert inbox[0].mails == []
    # And a link made for them anyway does not open.
    rt: Runtime = app.extensions["swarm"]
    for person in (gone, guest):
        token = make_token(rt.config.secret_key, person.id, clock.now(), fingerprint(person))
        assert app.test_client().get(f"/reset/{token}").status_code == 404


@pytest.mark.app_config(password_reset_rate_limit="2 per hour")
def test_one_address_is_sent_a_few_links_an_hour_whoever_asks(app, db, clock, inbox):
    make_user(db, clock, email="rita@example.org")
    answers = [
        ask(app.test_client(), "rita@example.org", **{"X-Try": str(n)}).status_code
        for n in range(3)
    ]
    assert answers == [302, 302, 429]
    # An unknown address is limited alike: the limit tells nobody who has an account.
    answers = [ask(app.test_client(), "nobody@example.org").status_code for _ in range(3)]
    assert answers == [302, 302, 429]
    page = ask(app.test_client(), "rita@example.org")
    assert "Too many requests for a link. Try again in 60 minutes." in flashed(page)
    deliver(app)
    assert len(inbox[0].mails) == 2


@pytest.mark.app_config(login_rate_limit="3 per minute")
def test_one_client_may_ask_a_few_times_a_minute(app, db, clock, inbox):
    browser = app.test_client()
    answers = [ask(browser, f"person{n}@example.org").status_code for n in range(4)]
    assert answers == [302, 302, 302, 429]
    # Another client is not held back by this one.
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert ask(other, "person9@example.org").status_code == 302


def test_a_signed_in_person_is_sent_to_their_account_page(app, db, clock):
    rita = make_user(db, clock, email="rita@example.org")
    browser = app.test_client()
    browser.post("/api/v1/auth/login", json={"email": rita.email, "password": PASSWORD})
    answer = browser.get("/forgot-password")
    assert answer.status_code == 302 and answer.location.endswith("/account")


# ----------------------------------------------------------------------------- mail off, German


def test_without_mail_the_page_says_to_ask_an_admin(tmp_path, clock):
    for overrides in ({}, {"smtp_url": "smtp://127.0.0.1:1", "support_address": SUPPORT}):
        folder = tmp_path / str(len(overrides))
        folder.mkdir()
        application = next(_app(folder, clock, **overrides))
        rt: Runtime = application.extensions["swarm"]
        with rt.sessions() as db:
            make_user(db, clock, email="rita@example.org")
        client = application.test_client()
        page = client.get("/forgot-password")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert 'id="reset-off"' in html and "Ask an admin" in html
        assert 'name="email"' not in html
        application.config["WTF_CSRF_ENABLED"] = False
        posted = client.post("/forgot-password", data={"email": "rita@example.org"})
        assert posted.status_code == 200 and 'id="reset-off"' in posted.get_data(as_text=True)
        dead = client.get("/reset/1.2." + "a" * 32)
        assert dead.status_code == 404 and "/forgot-password" not in dead.get_data(as_text=True)
        with rt.sessions() as db:
            assert db.scalars(select(OutboxItem)).all() == []
        rt.engine.dispose()


def test_german_pages_and_a_german_mail(app, db, clock, inbox):
    rita = make_user(db, clock, email="rita@example.org")
    rita.locale = "de"
    db.commit()
    browser = app.test_client()
    german = {"Accept-Language": "de"}
    assert "Passwort vergessen?" in browser.get("/login", headers=german).get_data(as_text=True)
    token = csrf(browser, "/forgot-password")
    browser.post(
        "/forgot-password", data={"email": rita.email, "csrf_token": token}, headers=german
    )
    assert "Wenn diese Adresse" in browser.get("/login", headers=german).get_data(as_text=True)
    deliver(app)
    mail = inbox[0].mails[-1]
    assert mail["Subject"] == "Neues Passwort für Swarm festlegen"
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Hallo" in text and "60 Minuten" in text
    page = browser.get(link_in(mail), headers=german).get_data(as_text=True)
    assert "Neues Passwort wählen" in page


def test_a_person_without_a_language_gets_the_mail_in_the_language_they_asked_in(
    app, db, clock, inbox
):
    make_user(db, clock, email="rita@example.org")
    ask(app.test_client(), "rita@example.org", **{"Accept-Language": "de-AT"})
    deliver(app)
    assert inbox[0].mails[-1]["Subject"] == "Neues Passwort für Swarm festlegen"


def test_a_requester_without_a_password_is_told_in_their_mail_where_to_choose_one(
    app, db, clock, inbox
):
    rita = mail_created_requester(app)
    owner = make_agent(db, clock)
    service = RoomService(db, clock, RecordingNotifier())
    ticket = make_ticket(service, db.get(User, rita.id), subject="VPN")
    service.assign(owner, ticket.id, owner.id)
    service.send_message(owner, ticket.id, "Try restarting it.", "c1", "reply")
    deliver(app)
    answered = [m for m in inbox[0].mails if "rita@example.org" in str(m["To"])]
    text = answered[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"{PUBLIC}/forgot-password" in text
    html = answered[-1].get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert f'href="{PUBLIC}/forgot-password"' in html
    # Once she has one, her mail stops saying so; staff never read it.
    ask(app.test_client(), "rita@example.org")
    deliver(app)
    set_password(app.test_client(), link_in(inbox[0].mails[-1]))
    db.rollback()
    service.send_message(owner, ticket.id, "Did it help?", "c2", "reply")
    deliver(app)
    text = inbox[0].mails[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Did it help?" in text and "/forgot-password" not in text

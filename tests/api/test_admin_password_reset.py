"""An admin has a password reset link mailed to a person who cannot sign in: from the people page
and over the API, through the same outbox row, mail and link as "Forgot your password?"
(tests/api/test_password_reset.py, whose real SMTP server on loopback these tests share)."""

# The fixtures app, db and inbox come from test_password_reset (one SMTP server setup, not two);
# pytest hands them to the tests by name, which ruff reads as redefining the imports.
# ruff: noqa: F811

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from swarm.models import GuestPass, OutboxItem
from swarm.runtime import Runtime
from swarm.tickets.service import TicketService
from tests.api.test_password_reset import (  # noqa: F401 - fixtures
    NEW,
    _app,
    app,
    audit,
    can_sign_in,
    csrf,
    db,
    deliver,
    flashed,
    inbox,
    link_in,
    set_password,
    signed_in_as,
)
from tests.builders import PASSWORD, make_agent, make_ticket, make_user

SENT = "A link to choose a new password is on its way to rita@example.org."


def signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    answer = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.get_json()
    return client


def send_from_page(client: FlaskClient, user_id: int) -> object:
    token = csrf(client, "/admin/users")
    return client.post(f"/admin/users/{user_id}/password-reset", data={"csrf_token": token})


def test_an_admin_sends_a_link_from_the_people_page_and_it_works(app, db, clock, inbox):
    rita = make_user(db, clock, name="Rita Requester", email="rita@example.org")
    admin = make_user(db, clock, role="admin", name="Ann Admin", email="ann@example.org")
    page = signed_in(app, admin.email)
    html = page.get("/admin/users").get_data(as_text=True)
    assert f'action="/admin/users/{rita.id}/password-reset"' in html
    assert 'id="reset-off"' not in html

    sent = send_from_page(page, rita.id)
    assert sent.status_code == 302 and sent.location.endswith("/admin/users")
    assert SENT in flashed(page.get("/admin/users"))
    assert deliver(app) == 1
    (mail,) = inbox[0].mails
    assert mail["To"].addresses[0].addr_spec == "rita@example.org"
    assert mail["Subject"] == "Set a new password for Swarm"
    text = mail.get_body(("plain",)).get_content()
    assert "Ann Admin, an admin of your Swarm, had this link sent to you" in text
    assert "probably you" not in text

    browser = app.test_client()
    done = set_password(browser, link_in(mail))
    assert done.status_code == 302
    assert signed_in_as(browser) == "rita@example.org"
    assert can_sign_in(db, rita.email, NEW) and not can_sign_in(db, rita.email, PASSWORD)

    (entry,) = audit(db, "password_reset_requested")
    assert (entry.actor_id, entry.subject_id) == (admin.id, rita.id)
    assert entry.details == {"email": "rita@example.org", "mailed": True, "via": "admin"}
    # The entry on the admin's audit page, filtered to Rita.
    log = page.get(f"/admin/audit?person={rita.id}").get_data(as_text=True)
    assert "asked for a password reset link" in log


def test_the_csrf_token_is_needed(app, db, clock, inbox):
    rita = make_user(db, clock, email="rita@example.org")
    admin = make_user(db, clock, role="admin", email="ann@example.org")
    page = signed_in(app, admin.email)
    assert page.post(f"/admin/users/{rita.id}/password-reset").status_code == 400
    assert db.scalars(select(OutboxItem)).all() == []


def test_over_the_api_202_and_the_link_works(app, db, clock, inbox):
    rita = make_user(db, clock, email="rita@example.org")
    admin = make_user(db, clock, role="admin", email="ann@example.org")
    answer = signed_in(app, admin.email).post(f"/api/v1/users/{rita.id}/password-reset")
    assert answer.status_code == 202
    assert answer.get_json() == {"user_id": rita.id, "email": "rita@example.org"}
    deliver(app)
    (mail,) = inbox[0].mails
    assert set_password(app.test_client(), link_in(mail)).status_code == 302
    assert can_sign_in(db, rita.email, NEW)
    (entry,) = audit(db, "password_reset_requested")
    assert entry.actor_id == admin.id and entry.details["via"] == "admin"


@pytest.mark.parametrize("role", ["requester", "agent", "manager"])
def test_non_admins_are_refused(app, db, clock, inbox, role):
    rita = make_user(db, clock, email="rita@example.org")
    someone = make_user(db, clock, role=role, email="someone@example.org")
    client = signed_in(app, someone.email)
    api = client.post(f"/api/v1/users/{rita.id}/password-reset")
    assert api.status_code == 403 and api.get_json()["error"]["message"]
    app.config["WTF_CSRF_ENABLED"] = False  # a page they cannot open has no token to copy
    page = client.post(f"/admin/users/{rita.id}/password-reset")
    assert page.status_code == 403
    assert db.scalars(select(OutboxItem)).all() == []
    assert audit(db, "password_reset_requested") == []


def test_unknown_deactivated_and_guests_are_refused(app, db, clock, inbox):
    admin = make_user(db, clock, role="admin", email="ann@example.org")
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
    client = signed_in(app, admin.email)
    unknown = client.post("/api/v1/users/999999/password-reset")
    assert unknown.status_code == 404 and unknown.get_json()["error"]["message"]
    for person in (gone, guest):
        refused = client.post(f"/api/v1/users/{person.id}/password-reset")
        assert refused.status_code == 409
        assert "Only an active account" in refused.get_json()["error"]["message"]
        page = send_from_page(client, person.id)
        assert page.status_code == 302
        assert "Only an active account" in flashed(client.get("/admin/users"))
    # The deactivated person's row offers no button.
    html = client.get("/admin/users").get_data(as_text=True)
    assert f"/admin/users/{gone.id}/password-reset" not in html
    deliver(app)
    assert inbox[0].mails == []
    assert audit(db, "password_reset_requested") == []


def test_with_mail_off_no_button_one_line_why_and_a_forged_post_is_refused(tmp_path, clock):
    application = next(_app(tmp_path, clock))
    rt: Runtime = application.extensions["swarm"]
    with rt.sessions() as session:
        rita = make_user(session, clock, email="rita@example.org")
        make_user(session, clock, role="admin", email="ann@example.org")
        rita_id = rita.id
    client = signed_in(application, "ann@example.org")
    html = client.get("/admin/users").get_data(as_text=True)
    assert 'id="reset-off"' in html and "this Swarm sends no mail" in html
    assert "password-reset" not in html
    forged = send_from_page(client, rita_id)
    assert forged.status_code == 302
    assert "this Swarm sends none" in flashed(client.get("/admin/users"))
    api = client.post(f"/api/v1/users/{rita_id}/password-reset")
    assert api.status_code == 409 and "sends none" in api.get_json()["error"]["message"]
    with rt.sessions() as session:
        assert session.scalars(select(OutboxItem)).all() == []
    rt.engine.dispose()


def test_german_page_and_flash(app, db, clock, inbox):
    rita = make_user(db, clock, email="rita@example.org")
    admin = make_user(db, clock, role="admin", email="ann@example.org")
    admin.locale = "de"
    db.commit()
    page = signed_in(app, admin.email)
    html = page.get("/admin/users").get_data(as_text=True)
    assert "Link zum Zurücksetzen des Passworts senden" in html
    send_from_page(page, rita.id)
    shown = flashed(page.get("/admin/users"))
    assert "Ein Link, mit dem ein neues Passwort gewählt wird, ist unterwegs an" in shown

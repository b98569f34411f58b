"""The audit log: every security-relevant action leaves one entry, in the transaction of the
change, with the client's address and never a secret; only admins read it (swarm/accounts/
audit.py, docs/security.md)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from swarm.accounts import audit
from swarm.accounts.audit import AuditAction
from swarm.models import AuditEntry
from tests.builders import PASSWORD, make_user


@pytest.fixture
def admin(db, clock):
    return make_user(db, clock, role="admin", name="Ava Admin")


def entries(db, action: str | None = None) -> list[AuditEntry]:
    db.commit()  # a new transaction: see what the app committed since
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(db.scalars(query).unique())


def only(db, action: str) -> AuditEntry:
    found = entries(db, action)
    assert len(found) == 1, [(e.action, e.details) for e in entries(db)]
    return found[0]


def csrf(client, page: str = "/account") -> str:
    html = client.get(page).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def page_sign_in(client, email: str, password: str) -> int:
    """Sign in through the page's form (with its CSRF token); the status code."""
    token = csrf(client, "/login")
    data = {"email": email, "password": password, "csrf_token": token}
    return client.post("/login", data=data).status_code


def no_secrets(db) -> None:
    """Nothing in the log looks like a password, a token or a guest link."""
    text = json.dumps([[e.action, e.details, e.address] for e in entries(db)])
    assert PASSWORD not in text
    assert "swm_" not in text and "swg_" not in text


# ---------------------------------------------------------------------------- sign-in and out


def test_sign_ins_are_recorded_with_the_client_address(app, db, requester):
    client = app.test_client()
    ok = client.post(
        "/api/v1/auth/login",
        json={"email": requester.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
    )
    assert ok.status_code == 200
    entry = only(db, AuditAction.SIGN_IN)
    assert (entry.actor_id, entry.subject_id) == (requester.id, requester.id)
    assert entry.address == "203.0.113.7"
    assert entry.details == {}


def test_failed_sign_ins_name_the_account_tried_but_never_the_password(app, db, requester):
    client = app.test_client()
    wrong = client.post(
        "/api/v1/auth/login",
        json={"email": requester.email.upper(), "password": "guessing-" + PASSWORD},
        environ_base={"REMOTE_ADDR": "198.51.100.4"},
    )
    assert wrong.status_code == 401
    entry = only(db, AuditAction.SIGN_IN_FAILED)
    assert entry.actor_id is None and entry.subject_id == requester.id
    assert entry.details == {"email": requester.email} and entry.address == "198.51.100.4"

    # A password typed into the e-mail box is not kept; an unknown address names nobody.
    page_sign_in(client, PASSWORD, "x")
    page_sign_in(client, "nobody@example.test", "x")
    failed = entries(db, AuditAction.SIGN_IN_FAILED)
    assert [e.details["email"] for e in failed[1:]] == [
        "(not an e-mail address)",
        "nobody@example.test",
    ]
    assert failed[2].subject_id is None
    no_secrets(db)


def test_a_deactivated_account_signing_in_is_a_failure(app, db, login, admin, requester):
    login(admin).patch(f"/api/v1/users/{requester.id}", json={"active": False})
    page_sign_in(app.test_client(), requester.email, PASSWORD)
    assert only(db, AuditAction.SIGN_IN_FAILED).subject_id == requester.id


@pytest.mark.app_config(trusted_proxies=1)
def test_behind_a_trusted_proxy_the_forwarded_address_is_recorded(app, db, requester):
    app.test_client().post(
        "/api/v1/auth/login",
        json={"email": requester.email, "password": PASSWORD},
        headers={"X-Forwarded-For": "192.0.2.44"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    assert only(db, AuditAction.SIGN_IN).address == "192.0.2.44"


def test_without_a_trusted_proxy_a_forwarded_address_is_not_believed(app, db, requester):
    app.test_client().post(
        "/api/v1/auth/login",
        json={"email": requester.email, "password": PASSWORD},
        headers={"X-Forwarded-For": "192.0.2.44"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    assert only(db, AuditAction.SIGN_IN).address == "10.0.0.2"


def test_sign_out_and_sign_out_everywhere_are_recorded(app, db, login, agent):
    page = app.test_client()
    page_sign_in(page, agent.email, PASSWORD)
    login(agent)
    page.post("/logout", data={"csrf_token": csrf(page)})
    out = only(db, AuditAction.SIGN_OUT)
    assert (out.actor_id, out.subject_id) == (agent.id, agent.id)

    other = login(agent)
    assert other.post("/api/v1/auth/logout-everywhere", json={}).status_code == 204
    everywhere = only(db, AuditAction.SIGN_OUT_EVERYWHERE)
    assert everywhere.actor_id == agent.id and everywhere.details == {"sessions": 2}


def test_a_password_change_is_recorded_without_the_password(app, db, login, requester):
    page = app.test_client()
    page_sign_in(page, requester.email, PASSWORD)
    login(requester)  # another browser: its session ends
    new = "a brand new passphrase"
    page.post(
        "/account/password",
        data={
            "csrf_token": csrf(page),
            "current_password": PASSWORD,
            "new_password": new,
            "confirm_password": new,
        },
    )
    entry = only(db, AuditAction.PASSWORD_CHANGED)
    assert entry.actor_id == requester.id and entry.details == {"sessions_ended": 1}
    assert new not in json.dumps([e.details for e in entries(db)])
    no_secrets(db)


def test_a_wrong_current_password_is_recorded_and_changes_nothing(app, db, login, requester):
    page = app.test_client()
    page_sign_in(page, requester.email, PASSWORD)
    guess = "my guess at the password"
    answer = page.post(
        "/account/password",
        data={
            "csrf_token": csrf(page),
            "current_password": guess,
            "new_password": "a brand new passphrase",
            "confirm_password": "a brand new passphrase",
        },
    )
    assert answer.status_code in (200, 422)
    entry = only(db, AuditAction.PASSWORD_CHANGE_FAILED)
    assert (entry.actor_id, entry.subject_id, entry.details) == (requester.id, requester.id, {})
    assert not [e for e in entries(db) if e.action == AuditAction.PASSWORD_CHANGED]
    assert guess not in json.dumps([e.details for e in entries(db)])
    assert login(requester).get("/api/v1/auth/me").status_code == 200  # the old one still works


# ---------------------------------------------------------------------------- admin changes


def test_role_changes_and_deactivation_are_recorded_with_before_and_after(db, login, admin, agent):
    client = login(admin)
    assert client.patch(f"/api/v1/users/{agent.id}", json={"role": "manager"}).status_code == 200
    role = only(db, AuditAction.ROLE_CHANGED)
    assert (role.actor_id, role.subject_id) == (admin.id, agent.id)
    assert role.details == {"from": "agent", "to": "manager"}

    client.patch(f"/api/v1/users/{agent.id}", json={"active": False})
    client.patch(f"/api/v1/users/{agent.id}", json={"active": True})
    assert only(db, AuditAction.ACCOUNT_DEACTIVATED).subject_id == agent.id
    assert only(db, AuditAction.ACCOUNT_REACTIVATED).subject_id == agent.id
    # A change of name or capacity is not security-relevant: no entry.
    before = len(entries(db))
    client.patch(f"/api/v1/users/{agent.id}", json={"name": "Ada Renamed", "capacity": 3})
    assert len(entries(db)) == before


def test_a_refused_change_leaves_no_entry(db, login, admin):
    """The entry is in the change's transaction: the last admin cannot be demoted, and no
    role change is recorded either."""
    response = login(admin).patch(f"/api/v1/users/{admin.id}", json={"role": "agent"})
    assert response.status_code == 409
    assert entries(db, AuditAction.ROLE_CHANGED) == []


def test_an_admin_adding_a_person_is_recorded(app, db, login, admin):
    login(admin).post(
        "/api/v1/users",
        json={"email": "new@example.test", "name": "New", "password": "long enough pw"},
    )
    entry = only(db, AuditAction.USER_CREATED)
    assert entry.actor_id == admin.id and entry.details == {"role": "requester"}
    no_secrets(db)


def test_token_creation_and_revocation_are_recorded_without_the_token(db, login, agent):
    client = login(agent)
    made = client.post("/api/v1/auth/tokens", json={"name": "deploy script"}).json
    created = only(db, AuditAction.TOKEN_CREATED)
    assert created.details == {"token_id": made["id"], "name": "deploy script"}
    assert client.delete(f"/api/v1/auth/tokens/{made['id']}").status_code == 204
    client.delete(f"/api/v1/auth/tokens/{made['id']}")  # again: nothing more to record
    revoked = only(db, AuditAction.TOKEN_REVOKED)
    assert revoked.actor_id == agent.id and revoked.details["token_id"] == made["id"]
    assert made["token"] not in json.dumps([e.details for e in entries(db)])
    no_secrets(db)


def test_guest_links_created_and_revoked_are_recorded(db, login, claimed_ticket, agent):
    ticket = claimed_ticket("Vendor firmware")
    client = login(agent)
    made = client.post(f"/api/v1/tickets/{ticket['id']}/guests", json={"name": "Val", "hours": 2})
    assert made.status_code == 201
    created = only(db, AuditAction.GUEST_LINK_CREATED)
    assert created.actor_id == agent.id and created.subject_id == made.json["guest"]["id"]
    assert created.details["ticket_id"] == ticket["id"]
    assert created.details["name"] == "Val (guest)" and "expires_at" in created.details
    client.post(f"/api/v1/tickets/{ticket['id']}/guests/{made.json['id']}/revoke")
    assert only(db, AuditAction.GUEST_LINK_REVOKED).subject_id == made.json["guest"]["id"]
    no_secrets(db)


def test_routing_setting_changes_are_recorded_with_the_new_value(db, login, manager):
    client = login(manager)
    answer = client.put("/api/v1/config/routing", json={"mode": "split", "split_ratio": 0.25})
    assert answer.status_code == 200
    entry = only(db, AuditAction.SETTING_CHANGED)
    assert entry.actor_id == manager.id
    assert entry.details["setting"] == "routing" and entry.details["version"] == 1
    assert entry.details["value"]["mode"] == "split"
    refused = client.put("/api/v1/config/routing", json={"mode": "split", "split_ratio": 7})
    assert refused.status_code == 422
    assert len(entries(db, AuditAction.SETTING_CHANGED)) == 1


def test_record_refuses_secret_keys(db, clock):
    with pytest.raises(ValueError, match="never holds secrets"):
        audit.record(db, clock.now(), AuditAction.SIGN_IN, password="x")


# ---------------------------------------------------------------------------- who reads it


def test_only_admins_read_the_audit_log(app, login, requester, agent, manager, admin):
    for user in (requester, agent, manager):
        client = login(user)
        assert client.get("/api/v1/audit").status_code == 403
        assert client.get("/admin/audit").status_code == 403
    assert app.test_client().get("/api/v1/audit").status_code == 401
    assert login(admin).get("/api/v1/audit").status_code == 200
    assert login(admin).get("/admin/audit").status_code == 200


def test_the_api_filters_and_pages_by_cursor(app, db, clock, login, admin, requester, agent):
    for _ in range(3):
        page_sign_in(app.test_client(), requester.email, "wrong")
    clock.advance(days=2)
    client = login(admin)  # one sign_in, two days later
    login(agent)

    everything = client.get("/api/v1/audit").json
    assert [e["action"] for e in everything["items"]] == [
        "sign_in",
        "sign_in",
        "sign_in_failed",
        "sign_in_failed",
        "sign_in_failed",
    ]
    assert everything["next"] is None
    first = everything["items"][0]
    assert first["actor"] == {"id": agent.id, "name": agent.name}
    assert set(first) == {"id", "at", "action", "actor", "subject", "address", "details"}

    # By person (what they did or what was done to their account), action and time.
    mine = client.get(f"/api/v1/audit?person={requester.id}").json["items"]
    assert len(mine) == 3 and all(e["subject"]["id"] == requester.id for e in mine)
    assert len(client.get("/api/v1/audit?action=sign_in").json["items"]) == 2
    since = (clock.now() - timedelta(days=1)).isoformat()
    recent = client.get("/api/v1/audit", query_string={"since": since}).json["items"]
    assert [e["action"] for e in recent] == ["sign_in", "sign_in"]
    early = client.get("/api/v1/audit", query_string={"until": since}).json["items"]
    assert len(early) == 3

    # Pages of two, newest first, by cursor: every entry once.
    seen, cursor = [], None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/audit", query_string=query).json
        seen += [e["id"] for e in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == [e["id"] for e in everything["items"]]


@pytest.mark.parametrize(
    "query",
    ["person=%C2%B2", "person=0", "cursor=abc", "action=dance", "limit=500", "since=yesterday"],
)
def test_bad_filters_are_422(login, admin, query):
    answer = login(admin).get(f"/api/v1/audit?{query}")
    assert answer.status_code == 422
    assert answer.json["error"]["code"]


def test_the_page_shows_entries_filters_and_pages(app, db, clock, login, admin, requester):
    for _ in range(55):  # written directly: 55 real attempts would meet the rate limit
        audit.record(
            db, clock.now(), AuditAction.SIGN_IN_FAILED, subject=requester, email=requester.email
        )
    db.commit()
    client = login(admin)
    html = client.get("/admin/audit").get_data(as_text=True)
    assert html.count("sign-in failed</td>") == 49  # 50 a page: the admin's sign-in, 49 more
    assert "signed in</td>" in html and 'rel="next"' in html
    assert "their own account" in html  # the admin signing in concerns their own account
    older = re.search(r'href="(/admin/audit\?cursor=\d+)"', html).group(1)
    rest = client.get(older).get_data(as_text=True)
    assert rest.count("sign-in failed</td>") == 6 and 'rel="next"' not in rest
    assert "↑ Newest" in rest

    only_admin = client.get(f"/admin/audit?person={admin.id}").get_data(as_text=True)
    assert "sign-in failed</td>" not in only_admin and "signed in</td>" in only_admin
    today = clock.now().date().isoformat()
    dated = client.get(f"/admin/audit?from={today}&to={today}&action=sign_in")
    assert dated.get_data(as_text=True).count("signed in</td>") == 1
    tomorrow = (clock.now() + timedelta(days=1)).date().isoformat()
    none = client.get(f"/admin/audit?from={tomorrow}").get_data(as_text=True)
    assert "No entries match these filters." in none
    assert client.get("/admin/audit?cursor=%C2%B2").status_code == 400
    # Admins find it in the menu beside People.
    assert 'href="/admin/audit"' in client.get("/admin/users").get_data(as_text=True)
    assert 'href="/admin/audit"' not in login(requester).get("/tickets").get_data(as_text=True)

"""Webhooks over the API (admins): register with a secret answered once, list without it,
pause, deliveries with every attempt, send again; the payload is the documented event."""

from __future__ import annotations

import pytest

from swarm.outbox import worker
from tests.builders import make_user
from tests.service.test_outbox import LOOPBACK, Receiver


@pytest.fixture
def admin(db, clock):
    return make_user(db, clock, role="admin", name="Ava Admin")


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def test_admins_register_a_webhook_and_its_deliveries_arrive(
    app, login, admin, requester, receiver
):
    http = login(admin)
    created = http.post(
        "/api/v1/webhooks",
        json={"url": f"{receiver.base}/ok", "event_types": ["created"], "description": "CRM"},
    )
    assert created.status_code == 201
    body = created.json
    assert body["secret"].startswith("whsec_") and body["event_types"] == ["created"]
    listed = http.get("/api/v1/webhooks").json
    assert "secret" not in listed["items"][0] and "message" not in listed["event_types"]

    ticket = login(requester).post("/api/v1/tickets", json={"subject": "VPN", "body": "x"}).json
    rt = app.extensions["swarm"]
    assert worker.deliver_due(rt.sessions, rt.clock, post=LOOPBACK) == 1
    [(_, _, sent)] = receiver.received
    assert b'"ticket_id":%d' % ticket["id"] in sent

    [delivery] = http.get(f"/api/v1/webhooks/{body['id']}/deliveries").json["items"]
    assert delivery["state"] == "delivered"
    assert [t["status_code"] for t in delivery["tries"]] == [200]
    again = http.post(f"/api/v1/deliveries/{delivery['id']}/send-again")
    assert again.status_code == 200 and again.json["state"] == "pending"
    assert http.post(f"/api/v1/deliveries/{delivery['id']}/send-again").status_code == 409
    listed = http.get("/api/v1/webhooks").json["items"][0]
    assert listed["deliveries"] == {"pending": 1}

    paused = http.patch(f"/api/v1/webhooks/{body['id']}", json={"active": False})
    assert paused.json["active"] is False
    assert http.delete(f"/api/v1/webhooks/{body['id']}").status_code == 204
    assert http.get("/api/v1/webhooks").json["items"] == []


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"url": "ftp://example.test/x", "event_types": ["created"]}, "url"),
        ({"url": "https://example.test/x", "event_types": []}, "event_types"),
        ({"url": "https://example.test/x", "event_types": ["message"]}, "event_types"),
        ({"url": "https://example.test/x"}, "event_types"),
    ],
)
def test_bad_registrations_name_the_field(login, admin, payload, field):
    answer = login(admin).post("/api/v1/webhooks", json=payload)
    assert answer.status_code == 422
    assert field in answer.json["error"]["fields"]


def test_nobody_else_sees_or_registers_webhooks(login, agent, manager):
    for person in (agent, manager):
        http = login(person)
        assert http.get("/api/v1/webhooks").status_code == 403
        refused = http.post(
            "/api/v1/webhooks", json={"url": "https://example.test/x", "event_types": ["created"]}
        )
        assert refused.status_code == 403


def test_webhook_changes_are_in_the_audit_log(login, admin):
    http = login(admin)
    hook = http.post(
        "/api/v1/webhooks", json={"url": "https://example.test/x", "event_types": ["created"]}
    ).json
    http.patch(f"/api/v1/webhooks/{hook['id']}", json={"active": False})
    http.delete(f"/api/v1/webhooks/{hook['id']}")
    entries = http.get("/api/v1/audit").json["items"]
    actions = [e["action"] for e in entries if e["action"].startswith("webhook_")]
    assert sorted(actions) == ["webhook_changed", "webhook_created", "webhook_removed"]
    created = next(e for e in entries if e["action"] == "webhook_created")
    assert created["details"]["url"] == "https://example.test/x"
    assert "secret" not in created["details"]


def test_no_event_type_ticked_is_said_in_words(login, admin):
    """An empty list is refused with a sentence a person can act on (the length's own was
    "Length must be between 1 and 34."), on registration and on a change alike."""
    http = login(admin)
    refused = http.post(
        "/api/v1/webhooks", json={"url": "https://example.test/x", "event_types": []}
    )
    assert refused.json["error"]["fields"]["event_types"] == ["Choose at least one event type."]
    hook = http.post(
        "/api/v1/webhooks", json={"url": "https://example.test/x", "event_types": ["created"]}
    ).json
    changed = http.patch(f"/api/v1/webhooks/{hook['id']}", json={"event_types": []})
    assert changed.status_code == 422
    assert changed.json["error"]["fields"]["event_types"] == ["Choose at least one event type."]

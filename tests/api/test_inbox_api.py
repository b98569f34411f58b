"""GET /api/v1/me/inbox, the invite answer, and the pages: My work, the inbox, the landing."""

from __future__ import annotations

import pytest

from tests.builders import PASSWORD, make_agent


@pytest.fixture
def ticket(claimed_ticket):
    return claimed_ticket("VPN drops", "Every ten minutes")


@pytest.fixture
def invited(connect, agent, ticket, db, clock):
    """Ada (the owner) invites Mateo, who is offline; returns Mateo and the invite's answer."""
    mateo = make_agent(db, clock, name="Mateo Marin", presence="offline")
    answer = connect(agent).emit(
        "invite", {"ticket_id": ticket["id"], "agent_id": mateo.id}, callback=True
    )
    assert answer["ok"], answer
    return mateo, answer


def test_the_inviter_is_told_the_invitee_is_offline_and_where_they_will_see_it(invited):
    _mateo, answer = invited
    assert answer["invitee_online"] is False
    assert answer["message"] == (
        "Mateo Marin is offline — they will see it in their inbox when they sign in."
    )


def test_an_invitation_sent_while_offline_is_in_the_inbox_at_sign_in(invited, login, ticket):
    mateo, answer = invited
    body = login(mateo).get("/api/v1/me/inbox").json
    assert body["count"] == 1
    [item] = body["invitations"]
    assert item["id"] == answer["invitation"]["id"]
    assert item["ticket"]["id"] == ticket["id"] and item["ticket"]["subject"] == "VPN drops"
    assert item["inviter"] == {
        "id": item["inviter"]["id"],
        "name": "Ada Agent",
        "online": True,
        "presence": "online",
    }
    assert body["hands"] == [] and body["offers"] == [] and body["alerts"] == []


def test_nobody_sees_another_persons_inbox(invited, login, agent, requester, app):
    assert app.test_client().get("/api/v1/me/inbox").status_code == 401
    assert login(agent).get("/api/v1/me/inbox").json["invitations"] == []
    assert login(requester).get("/api/v1/me/inbox").json == {
        "count": 0,
        "invitations": [],
        "hands": [],
        "offers": [],
        "alerts": [],
    }


def test_managers_are_alerted_to_an_urgent_ticket_left_unowned(
    login, requester, agent, manager, clock
):
    created = (
        login(requester)
        .post(
            "/api/v1/tickets",
            json={"subject": "Payroll down", "body": "All of us", "priority": "P1"},
        )
        .json
    )
    assert created["owner"] is None  # nobody knows any skill here: triage
    clock.advance(minutes=31)
    alerts = login(manager).get("/api/v1/me/inbox").json["alerts"]
    assert [(a["ticket"]["id"], a["minutes"]) for a in alerts] == [(created["id"], 31)]
    assert login(agent).get("/api/v1/me/inbox").json["alerts"] == []


def web_client(app, user):
    app.config["WTF_CSRF_ENABLED"] = False  # the forms' tokens are tested by the browser tests
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client, response


def test_staff_land_on_my_work_and_requesters_on_their_tickets(app, invited, requester):
    mateo, _ = invited
    client, response = web_client(app, mateo)
    assert response.location == "/my-work"
    page = client.get("/my-work").get_data(as_text=True)
    assert "1 item waits for you in your inbox." in page
    assert 'class="nav-badge" data-inbox-count>1<' in page
    assert "Ada Agent invites you to" in page and "VPN drops" in page
    _client, response = web_client(app, requester)
    assert response.location == "/portal"  # requesters' home: the self-service portal


def test_accepting_from_the_inbox_joins_the_swarm(app, invited, ticket, agent):
    mateo, answer = invited
    invitation_id = answer["invitation"]["id"]
    intruder, _ = web_client(app, agent)
    refused = intruder.post(f"/inbox/invitations/{invitation_id}", data={"answer": "accept"})
    assert refused.status_code == 404

    client, _ = web_client(app, mateo)
    accepted = client.post(f"/inbox/invitations/{invitation_id}", data={"answer": "accept"})
    assert accepted.location == f"/tickets/{ticket['id']}"
    page = client.get("/inbox").get_data(as_text=True)
    assert "No invitations waiting." in page and "data-inbox-count" not in page
    joined = [e for e in login_events(app, agent, ticket["id"]) if e["type"] == "helper_joined"]
    assert [e["data"]["agent_id"] for e in joined] == [mateo.id]


def login_events(app, user, ticket_id):
    client = app.test_client()
    client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD})
    return client.get(f"/api/v1/tickets/{ticket_id}/events").json["items"]

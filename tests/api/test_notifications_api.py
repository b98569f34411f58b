"""Notifications over the API, the pages and Socket.IO: each person sees only their own, the
bell counts the unread, the personal room hears a new one after commit, and the choices
are kept (e-mail shown as off when the site sends none)."""

from __future__ import annotations

import re

import pytest

from tests.builders import make_agent


def received(client, name="notification"):
    return [p["args"][0] for p in client.get_received() if p["name"] == name]


@pytest.fixture
def helper(db, clock):
    return make_agent(db, clock, name="Hal Helper")


def invite(connect, agent, helper, ticket_id):
    owner_c = connect(agent)
    ack = owner_c.emit("invite", {"ticket_id": ticket_id, "agent_id": helper.id}, callback=True)
    assert ack["ok"], ack


def test_an_invitation_reaches_the_invitees_room_as_a_notification_and_nobody_elses(
    connect, claimed_ticket, agent, helper, requester
):
    ticket = claimed_ticket("VPN <b>drops</b>")
    helper_c, requester_c = connect(helper), connect(requester)
    invite(connect, agent, helper, ticket["id"])
    (note,) = received(helper_c)
    assert note["kind"] == "invited" and note["ticket_id"] == ticket["id"]
    assert note["subject"] == "VPN <b>drops</b>"  # as written: the page sets it as text
    assert "recipient_id" not in note
    assert received(requester_c) == []


def test_the_api_lists_pages_and_marks_read_only_ones_own(login, connect, agent, helper, requester):
    asker, owner = login(requester), login(agent)
    tickets = []
    for n in range(3):
        ticket = asker.post("/api/v1/tickets", json={"subject": f"Printer {n}", "body": "x"}).json
        owner.post(f"/api/v1/tickets/{ticket['id']}/claim", json={})
        tickets.append(ticket)
    for ticket in tickets:
        invite(connect, agent, helper, ticket["id"])
    mine = login(helper)
    page = mine.get("/api/v1/notifications?limit=2").json
    assert page["unread"] == 3 and len(page["items"]) == 2
    assert [i["ticket"]["id"] for i in page["items"]] == [tickets[2]["id"], tickets[1]["id"]]
    assert page["items"][0]["text"] == (
        f"Ada Agent invited you to help on ticket #{tickets[2]['id']}"
    )
    rest = mine.get(f"/api/v1/notifications?limit=2&cursor={page['next']}").json
    assert [i["ticket"]["id"] for i in rest["items"]] == [tickets[0]["id"]]
    assert rest["next"] is None
    first = page["items"][0]["id"]
    # Someone else's notification does not exist for them.
    assert owner.post(f"/api/v1/notifications/{first}/read").status_code == 404
    assert asker.get("/api/v1/notifications").json == {"items": [], "next": None, "unread": 0}
    read = mine.post(f"/api/v1/notifications/{first}/read").json
    assert read["read_at"] is not None
    assert mine.get("/api/v1/notifications").json["unread"] == 2
    assert len(mine.get("/api/v1/notifications?unread=true").json["items"]) == 2
    assert mine.post("/api/v1/notifications/read-all").json == {"updated": 2, "unread": 0}
    assert mine.get("/api/v1/notifications?cursor=0").status_code == 422


def test_a_requester_hears_of_answers_and_resolution_and_never_of_staff_chat(
    login, connect, claimed_ticket, agent, requester
):
    ticket = claimed_ticket("Laptop fan loud")
    agent_c = connect(agent)
    for kind, body in (("chat", "@rita is this one loud?"), ("reply", "We ordered a new fan.")):
        ack = agent_c.emit(
            "send_message",
            {"ticket_id": ticket["id"], "body": body, "client_id": kind, "kind": kind},
            callback=True,
        )
        assert ack["ok"], ack
    login(agent).post(f"/api/v1/tickets/{ticket['id']}/resolve", json={"resolution": "New fan."})
    items = login(requester).get("/api/v1/notifications").json["items"]
    assert [i["kind"] for i in items] == ["requester_resolved", "requester_answered"]


def test_preferences_round_trip_and_refuse_what_is_not_theirs(login, requester, agent):
    me = login(requester)
    prefs = me.get("/api/v1/notifications/preferences").json
    assert prefs["email_available"] is False
    assert [k["kind"] for k in prefs["kinds"]] == ["requester_answered", "requester_resolved"]
    # A staff kind is not a requester's to choose.
    bad = me.put("/api/v1/notifications/preferences", json={"kinds": [{"kind": "mentioned"}]})
    assert bad.status_code == 403
    assert bad.json["error"]["fields"]["kinds"]
    for wrong in ({"quiet_hours": {"start": "22:00"}}, {"timezone": "Mars/Olympus"}):
        assert me.put("/api/v1/notifications/preferences", json=wrong).status_code == 422
    saved = me.put(
        "/api/v1/notifications/preferences",
        json={
            "kinds": [{"kind": "requester_answered", "in_app": False, "email": True}],
            "quiet_hours": {"start": "22:00", "end": "07:30"},
            "timezone": "Europe/Paris",
            "digest": False,
        },
    ).json
    assert saved["kinds"][0] == {
        "kind": "requester_answered",
        "label": "Support answered your ticket",
        "in_app": False,
        "email": True,
    }
    assert (saved["quiet_hours"], saved["timezone"], saved["digest"]) == (
        {"start": "22:00", "end": "07:30"},
        "Europe/Paris",
        False,
    )
    cleared = me.put("/api/v1/notifications/preferences", json={"quiet_hours": None}).json
    assert cleared["quiet_hours"] is None and cleared["timezone"] == "Europe/Paris"
    assert len(login(agent).get("/api/v1/notifications/preferences").json["kinds"]) == 8


@pytest.mark.app_config(smtp_url="smtp://127.0.0.1:1", support_address="support@example.org")
def test_preferences_say_mail_is_on_when_configured(login, requester):
    assert login(requester).get("/api/v1/notifications/preferences").json["email_available"]


def test_the_pages_show_the_bell_the_list_and_the_settings(
    login, connect, claimed_ticket, agent, helper
):
    ticket = claimed_ticket("Scanner <script>x</script>")
    invite(connect, agent, helper, ticket["id"])
    page = login(helper)
    html = page.get("/notifications").get_data(as_text=True)
    assert 'aria-label="Notifications: 1 unread"' in html
    assert "Scanner &lt;script&gt;x&lt;/script&gt;" in html and "<script>x" not in html
    settings = page.get("/account/notifications").get_data(as_text=True)
    assert "E-mail is off on this site" in settings
    token = re.search(r'name="csrf_token" value="([^"]+)"', settings).group(1)
    # Without the form's token, nothing is saved.
    assert page.post("/account/notifications", data={"timezone": "UTC"}).status_code == 400
    saved = page.post(
        "/account/notifications",
        data={
            "csrf_token": token,
            "in_app_invited": "on",
            "quiet_start": "22:00",
            "quiet_end": "",
            "timezone": "UTC",
        },
    )
    assert saved.status_code == 422
    assert "Quiet hours need a start and an end" in saved.get_data(as_text=True)
    saved = page.post(
        "/account/notifications",
        data={"csrf_token": token, "in_app_invited": "on", "timezone": "UTC", "digest": "on"},
    )
    assert saved.status_code == 302
    prefs = page.get("/api/v1/notifications/preferences").json
    assert {k["kind"]: k["in_app"] for k in prefs["kinds"]}["mentioned"] is False
    # Mail is off here: its (disabled) boxes were not sent, and the choices stay as they were.
    assert all(k["email"] for k in prefs["kinds"])
    page.post("/notifications/read-all", data={"csrf_token": token})
    assert 'aria-label="Notifications: 0 unread"' in page.get("/notifications").get_data(
        as_text=True
    )


def test_the_pages_say_a_notification_in_german_and_the_api_keeps_english(
    login, connect, claimed_ticket, agent, helper
):
    ticket = claimed_ticket("Scanner")
    invite(connect, agent, helper, ticket["id"])
    page = login(helper)
    german = {"Accept-Language": "de"}
    html = page.get("/notifications", headers=german).get_data(as_text=True)
    assert f"hat Sie eingeladen, bei Ticket #{ticket['id']} zu helfen" in html
    assert 'aria-label="Benachrichtigungen: 1 ungelesen"' in html
    settings = page.get("/account/notifications", headers=german).get_data(as_text=True)
    assert "In einen Schwarm eingeladen" in settings
    (item,) = page.get("/api/v1/notifications", headers=german).json["items"]
    assert item["text"].endswith(f"invited you to help on ticket #{ticket['id']}")

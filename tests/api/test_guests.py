"""Guest links: a vendor's engineer in one ticket's room and nowhere else — the staff form, the
guest page, and the Socket.IO protocol for a guest (who hears what, and when it ends)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from swarm.models import GuestPass
from swarm.realtime.keeper import end_lost_access
from tests.builders import make_agent, make_user


@pytest.fixture
def tickets(claimed_ticket):
    return claimed_ticket("Firewall drops VPN")["id"], claimed_ticket("Payroll export")["id"]


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def invite(http, ticket_id, name="Sam Lee, Acme Networks", hours="24"):
    token = csrf(http.get(f"/tickets/{ticket_id}").get_data(as_text=True))
    return http.post(
        f"/tickets/{ticket_id}/guests", data={"csrf_token": token, "name": name, "hours": hours}
    )


@pytest.fixture
def link(login, agent, tickets):
    """The guest link (the part after /guest/) to the first ticket, made through the form."""
    page = invite(login(agent), tickets[0]).get_data(as_text=True)
    return re.search(r"/guest/(swg_[\w-]+)", page).group(1)


def events_of(client, kind=None):
    received = [r["args"][0] for r in client.get_received() if r["name"] == "ticket_event"]
    return [e for e in received if kind is None or e["type"] == kind]


def test_staff_create_a_link_that_is_shown_once(login, agent, tickets, db):
    http = login(agent)
    response = invite(http, tickets[0])
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    [shown] = re.findall(r"http://localhost/guest/(swg_[\w-]+)", page)
    assert "Sam Lee, Acme Networks (guest)" in page
    [stored] = db.scalars(select(GuestPass)).all()
    assert shown not in stored.token_hash  # only the hash is kept
    again = http.get(f"/tickets/{tickets[0]}").get_data(as_text=True)
    assert shown not in again and "Sam Lee, Acme Networks (guest)" in again
    assert "gave Sam Lee, Acme Networks (guest) a guest link to the room" in again


@pytest.mark.parametrize(
    ("name", "hours", "complaint"),
    [("", "24", "needs a name"), ("Sam", "0", "needs a name and a duration"), ("x" * 81, "4", "")],
)
def test_a_bad_form_keeps_what_was_typed_and_says_why(
    login, agent, tickets, name, hours, complaint
):
    response = invite(login(agent), tickets[0], name=name, hours=hours)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The guest link needs a name and a duration." in page
    assert "/guest/swg_" not in page


def test_a_requester_cannot_invite_guests(login, requester, tickets):
    http = login(requester)
    response = invite(http, tickets[0])
    assert response.status_code == 403
    assert "/guest/swg_" not in response.get_data(as_text=True)


def test_the_guest_page_shows_the_ticket_and_its_room_and_nothing_of_the_app(app, link, tickets):
    response = app.test_client().get(f"/guest/{link}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    page = response.get_data(as_text=True)
    assert "Firewall drops VPN" in page and 'id="room"' in page
    assert "Sam Lee, Acme Networks (guest)" in page
    assert "My tickets" not in page and "Sign out" not in page


def test_a_signed_in_agent_opening_a_guest_link_sees_it_as_the_guest(login, agent, link):
    page = login(agent).get(f"/guest/{link}").get_data(as_text=True)
    assert "Sign out" not in page and "live.js" not in page and "guest.js" in page


def test_a_wrong_link_is_a_clear_404(app):
    response = app.test_client().get("/guest/swg_not-a-real-link")
    assert response.status_code == 404
    assert "This guest link does not work" in response.get_data(as_text=True)


def test_a_guest_link_is_no_api_credential(app, link):
    response = app.test_client().get("/api/v1/tickets", headers={"Authorization": f"Bearer {link}"})
    assert response.status_code == 401


def test_a_guest_joins_their_room_only_and_talks_with_the_owner(
    app, socketio, login, agent, link, tickets
):
    owner = socketio.test_client(app, flask_test_client=login(agent))
    owner.emit("join_ticket", {"ticket_id": tickets[0]}, callback=True)
    owner.emit(
        "send_message",
        {
            "ticket_id": tickets[0],
            "body": "Internal: vendor is slow",
            "client_id": "n1",
            "kind": "note",
        },
        callback=True,
    )
    owner.emit(
        "send_message",
        {"ticket_id": tickets[0], "body": "Thanks for joining", "client_id": "c1"},
        callback=True,
    )
    guest = socketio.test_client(app, auth={"guest": link})
    assert guest.is_connected()
    owner.get_received()

    joined = guest.emit("join_ticket", {"ticket_id": tickets[0]}, callback=True)
    assert joined["ok"] and [m["body"] for m in joined["messages"]] == ["Thanks for joining"]
    guest_entry = {"name": "Sam Lee, Acme Networks (guest)", "role": "guest"}
    people = [{"name": p["name"], "role": p["role"]} for p in joined["participants"]]
    assert people == [{"name": "Ada Agent", "role": "owner"}, guest_entry]
    [presence] = events_of(owner, "presence")  # the owner sees the guest arrive
    assert [p["role"] for p in presence["participants"]] == ["owner", "guest"]
    other = guest.emit("join_ticket", {"ticket_id": tickets[1]}, callback=True)
    assert other["error"]["code"] == "not_found"

    owner.get_received()
    sent = guest.emit(
        "send_message",
        {"ticket_id": tickets[0], "body": "Upgrade to 9.2", "client_id": "g1"},
        callback=True,
    )
    assert sent["ok"] and sent["message"]["author"]["name"] == "Sam Lee, Acme Networks (guest)"
    assert [e["message"]["body"] for e in events_of(owner, "message")] == ["Upgrade to 9.2"]
    note = guest.emit(
        "send_message",
        {"ticket_id": tickets[0], "body": "x", "client_id": "g2", "kind": "note"},
        callback=True,
    )
    assert note["error"]["code"] == "forbidden"
    # The guest hears the room's chat live; a later note stays among staff.
    guest.get_received()
    for body, client_id, kind in (
        ("Internal again", "n2", "note"),
        ("Are you there?", "c2", "chat"),
    ):
        owner.emit(
            "send_message",
            {"ticket_id": tickets[0], "body": body, "client_id": client_id, "kind": kind},
            callback=True,
        )
    assert [e["message"]["body"] for e in events_of(guest, "message")] == ["Are you there?"]
    refused = guest.emit("invite", {"ticket_id": tickets[0], "agent_id": agent.id}, callback=True)
    assert refused["ok"] is False

    owner.get_received()
    guest.disconnect()
    [presence] = events_of(owner, "presence")  # and leave
    assert [p["role"] for p in presence["participants"]] == ["owner"]


def test_a_revoked_guest_is_disconnected_and_cannot_come_back(
    app, socketio, login, agent, link, tickets, db, clock
):
    guest = socketio.test_client(app, auth={"guest": link})
    guest.emit("join_ticket", {"ticket_id": tickets[0]}, callback=True)
    http = login(agent)
    page = http.get(f"/tickets/{tickets[0]}").get_data(as_text=True)
    pass_id = db.scalars(select(GuestPass.id)).one()
    revoked = http.post(
        f"/tickets/{tickets[0]}/guests/{pass_id}/revoke", data={"csrf_token": csrf(page)}
    )
    assert revoked.status_code == 302

    # Until the keeper's next round the connection is open, but its events are refused.
    sent = guest.emit(
        "send_message", {"ticket_id": tickets[0], "body": "hi", "client_id": "g9"}, callback=True
    )
    assert sent["ok"] is False
    realtime = app.extensions["swarm.realtime"]
    assert len(end_lost_access(app, realtime.socketio, realtime.connections)) == 1
    assert not guest.is_connected()
    assert not socketio.test_client(app, auth={"guest": link}).is_connected()
    assert app.test_client().get(f"/guest/{link}").status_code == 404


def test_a_link_ends_on_time(app, socketio, link, tickets, clock):
    guest = socketio.test_client(app, auth={"guest": link})
    assert guest.emit("join_ticket", {"ticket_id": tickets[0]}, callback=True)["ok"]
    clock.advance(hours=24)

    again = guest.emit("join_ticket", {"ticket_id": tickets[0]}, callback=True)
    assert again["error"]["code"] == "not_found"
    realtime = app.extensions["swarm.realtime"]
    assert len(end_lost_access(app, realtime.socketio, realtime.connections)) == 1
    assert not socketio.test_client(app, auth={"guest": link}).is_connected()


def test_people_whose_access_stands_stay_connected_and_a_deactivated_one_is_dropped(
    app, socketio, login, agent, link, db, clock
):
    staff = socketio.test_client(app, flask_test_client=login(agent))
    helper = make_agent(db, clock)
    other = socketio.test_client(app, flask_test_client=login(helper))
    guest = socketio.test_client(app, auth={"guest": link})
    realtime = app.extensions["swarm.realtime"]
    assert end_lost_access(app, realtime.socketio, realtime.connections) == []
    assert staff.is_connected() and other.is_connected() and guest.is_connected()

    admin = make_user(db, clock, role="admin", name="Ava Admin")
    deactivated = login(admin).patch(f"/api/v1/users/{helper.id}", json={"active": False})
    assert deactivated.status_code == 200
    # Dropped at once by the request that deactivated them (swarm/realtime/access.py).
    assert not other.is_connected()
    assert end_lost_access(app, realtime.socketio, realtime.connections) == []
    assert staff.is_connected() and guest.is_connected()


def test_guests_are_not_listed_among_accounts(login, link, db, clock):
    admin = make_user(db, clock, role="admin", name="Ava Admin")
    names = [u["name"] for u in login(admin).get("/api/v1/users").json["items"]]
    assert "Ava Admin" in names and not any("(guest)" in n for n in names)


def test_the_api_creates_lists_and_revokes_guest_links(app, socketio, login, agent, tickets):
    http = login(agent)
    created = http.post(f"/api/v1/tickets/{tickets[0]}/guests", json={"name": "Sam", "hours": 4})
    assert created.status_code == 201
    body = created.json
    assert body["guest"]["name"] == "Sam (guest)" and body["active"] is True
    link = body["link"].rsplit("/guest/", 1)[1]
    assert socketio.test_client(app, auth={"guest": link}).is_connected()

    [listed] = http.get(f"/api/v1/tickets/{tickets[0]}/guests").json["items"]
    assert listed["id"] == body["id"] and "link" not in listed
    revoked = http.post(f"/api/v1/tickets/{tickets[0]}/guests/{body['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json["active"] is False
    again = http.post(f"/api/v1/tickets/{tickets[0]}/guests/{body['id']}/revoke")
    assert again.status_code == 409
    assert not socketio.test_client(app, auth={"guest": link}).is_connected()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"hours": 4}, "name"),
        ({"name": "Sam", "hours": 500}, "hours"),
        ({"name": "Sam", "x": 1}, "x"),
    ],
)
def test_the_api_says_what_is_wrong_with_a_guest_link(login, agent, tickets, payload, field):
    response = login(agent).post(f"/api/v1/tickets/{tickets[0]}/guests", json=payload)
    assert response.status_code == 422
    assert field in str(response.json)


def test_the_api_keeps_guest_links_from_requesters_and_other_tickets(
    login, requester, agent, tickets
):
    assert (
        login(requester).post(f"/api/v1/tickets/{tickets[0]}/guests", json={"name": "Sam"})
    ).status_code == 403
    made = login(agent).post(f"/api/v1/tickets/{tickets[0]}/guests", json={"name": "Sam"}).json
    wrong = login(agent).post(f"/api/v1/tickets/{tickets[1]}/guests/{made['id']}/revoke")
    assert wrong.status_code == 404

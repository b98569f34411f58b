"""POST/GET /api/v1/tickets/<id>/satisfaction: the requester rates a resolution; everyone else
is refused with a JSON sentence, and the event reaches staff and the requester, not guests."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from swarm.models import TicketEvent
from tests.api.test_realtime import events_of
from tests.builders import make_user


@pytest.fixture
def resolved(claimed_ticket, login, agent):
    ticket = claimed_ticket("Docking station drops the screen", "Every morning")
    answer = login(agent).post(
        f"/api/v1/tickets/{ticket['id']}/resolve", json={"resolution": "New dock firmware."}
    )
    assert answer.status_code == 200, answer.json
    return ticket


def stored(db, ticket_id):
    query = select(func.count()).where(
        TicketEvent.ticket_id == ticket_id, TicketEvent.type == "satisfaction_rated"
    )
    return db.scalar(query)


def test_the_requester_rates_and_gets_201_with_the_event(login, requester, resolved, clock):
    client = login(requester)
    url = f"/api/v1/tickets/{resolved['id']}/satisfaction"
    assert client.get(url).json == {"rating": None, "can_rate": True, "why_not": None}

    response = client.post(url, json={"score": 5, "comment": " Fixed in minutes. "})

    assert response.status_code == 201, response.json
    event = response.json
    assert event["type"] == "satisfaction_rated" and event["ticket_id"] == resolved["id"]
    assert event["actor"] == {"id": requester.id, "name": "Rita Requester"}
    assert event["data"] == {"score": 5, "comment": "Fixed in minutes."}
    assert event["at"] == clock.now().isoformat()
    state = client.get(url).json
    assert state["rating"] == event and state["can_rate"] is False
    assert "already rated" in state["why_not"]
    timeline = client.get(f"/api/v1/tickets/{resolved['id']}/events").json["items"]
    assert timeline[-1] == event


def test_staff_see_the_rating_but_get_403_rating_themselves(login, requester, agent, resolved, db):
    url = f"/api/v1/tickets/{resolved['id']}/satisfaction"
    login(requester).post(url, json={"score": 2, "comment": "Took two days."})
    staff = login(agent)

    refused = staff.post(url, json={"score": 5})

    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "forbidden"
    assert refused.json["error"]["message"].startswith("Only the requester can rate ticket")
    assert stored(db, resolved["id"]) == 1
    seen = staff.get(url).json
    assert seen["rating"]["data"] == {"score": 2, "comment": "Took two days."}
    assert seen["can_rate"] is False


def test_another_requester_gets_404_and_learns_nothing(login, resolved, db, clock):
    stranger = login(make_user(db, clock))
    url = f"/api/v1/tickets/{resolved['id']}/satisfaction"
    for response in (stranger.post(url, json={"score": 1}), stranger.get(url)):
        assert response.status_code == 404
        assert response.json["error"] == {
            "code": "not_found",
            "message": f"There is no ticket {resolved['id']}.",
            "request_id": response.headers["X-Request-Id"],
        }
    assert stored(db, resolved["id"]) == 0


def test_without_signing_in_it_is_401(app, resolved):
    response = app.test_client().post(
        f"/api/v1/tickets/{resolved['id']}/satisfaction", json={"score": 4}
    )
    assert response.status_code == 401
    assert response.json["error"]["message"]


def test_rating_an_open_ticket_or_twice_is_409_with_a_sentence(
    login, requester, claimed_ticket, resolved, db
):
    client = login(requester)
    open_one = claimed_ticket("Still open")
    early = client.post(f"/api/v1/tickets/{open_one['id']}/satisfaction", json={"score": 3})
    assert early.status_code == 409
    assert early.json["error"]["message"] == (
        f"Ticket {open_one['id']} is open: you can rate it once it is resolved."
    )

    url = f"/api/v1/tickets/{resolved['id']}/satisfaction"
    assert client.post(url, json={"score": 3}).status_code == 201
    again = client.post(url, json={"score": 4})
    assert again.status_code == 409 and again.json["error"]["code"] == "illegal_transition"
    assert "already rated" in again.json["error"]["message"]
    assert stored(db, resolved["id"]) == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "score"),
        ({"score": 0}, "score"),
        ({"score": 6}, "score"),
        ({"score": "5"}, "score"),
        ({"score": 4.5}, "score"),
        ({"score": True}, "score"),
        ({"score": None}, "score"),
        ({"score": 4, "comment": 7}, "comment"),
        ({"score": 4, "comment": "x" * 2001}, "comment"),
        ({"score": 4, "mood": "happy"}, "mood"),
    ],
)
def test_bad_payloads_are_422_naming_the_field_and_store_nothing(
    login, requester, resolved, db, payload, field
):
    response = login(requester).post(f"/api/v1/tickets/{resolved['id']}/satisfaction", json=payload)
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "invalid"
    assert field in response.json["error"]["fields"]
    assert response.json["error"]["message"].endswith(".")
    assert stored(db, resolved["id"]) == 0


def test_the_rating_reaches_staff_and_the_requester_not_a_guest(
    app, socketio, connect, login, requester, agent, claimed_ticket
):
    ticket = claimed_ticket("VPN drops on the train")
    staff = login(agent)
    created = staff.post(f"/api/v1/tickets/{ticket['id']}/guests", json={"name": "Sam", "hours": 4})
    assert created.status_code == 201, created.json
    guest_c = socketio.test_client(app, auth={"guest": created.json["link"].rsplit("/", 1)[1]})
    staff_c, requester_c = connect(agent), connect(requester)
    for client in (staff_c, requester_c, guest_c):
        assert client.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)["ok"]
    staff.post(f"/api/v1/tickets/{ticket['id']}/resolve", json={"resolution": "MTU 1400."})
    for client in (staff_c, requester_c, guest_c):
        client.get_received()

    rated = login(requester).post(
        f"/api/v1/tickets/{ticket['id']}/satisfaction", json={"score": 4, "comment": "Nice"}
    )

    assert rated.status_code == 201
    [to_staff] = events_of(staff_c, "satisfaction_rated")
    [to_requester] = events_of(requester_c, "satisfaction_rated")
    assert to_staff["score"] == to_requester["score"] == 4 and to_staff["mode"] == "swarm"
    assert to_requester["comment"] == "Nice" and "mode" not in to_requester
    assert events_of(guest_c, "satisfaction_rated") == []
    guest_c.disconnect()

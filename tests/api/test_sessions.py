"""Access ends when it should (issue 16, item 1), through the test clients: a cookie kept from
before signing out no longer works; sign out everywhere, a password change, a role change and a
deactivation end sessions and sockets; a revoked token ends its sockets. The same with a real
server and real clients: tests/integration/test_sessions_live.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from swarm.accounts import sessions
from swarm.dispatch.sweeper import sweep_once
from swarm.models import ApiToken, User, UserSession
from swarm.realtime.keeper import end_lost_access
from tests.builders import PASSWORD, make_agent, make_user

NEW_PASSWORD = "a new passphrase, long enough"


@pytest.fixture
def realtime(app):
    return app.extensions["swarm.realtime"]


def keeper_beat(app, realtime) -> list[str]:
    """What the presence keeper does each beat about ended access."""
    return end_lost_access(app, realtime.socketio, realtime.connections)


def copy_of_cookie(app, client):
    """A second browser (or a thief) holding the same session cookie as ``client``."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def csrf(client, page="/account") -> str:
    html = client.get(page).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def works(client) -> bool:
    return client.get("/api/v1/auth/me").status_code == 200


def token_for(client, name="script") -> tuple[int, str]:
    made = client.post("/api/v1/auth/tokens", json={"name": name}).json
    return made["id"], made["token"]


def note_bodies(client) -> list[str]:
    received = [r["args"][0] for r in client.get_received() if r["name"] == "ticket_event"]
    return [e["message"]["body"] for e in received if e["type"] == "message"]


def test_a_cookie_kept_from_before_signing_out_works_nowhere_after_it(
    app, socketio, login, requester
):
    client = login(requester)
    thief = copy_of_cookie(app, client)
    assert works(thief)  # the copy is as good as the original, until…

    assert client.post("/api/v1/auth/logout").status_code == 204

    assert thief.get("/api/v1/auth/me").status_code == 401
    page = thief.get("/account")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    assert not socketio.test_client(app, flask_test_client=thief).is_connected()


def test_signing_out_on_the_web_ends_that_session_and_its_sockets_only(app, socketio, login, agent):
    here, elsewhere = login(agent), login(agent)
    copy = copy_of_cookie(app, here)
    this_socket = socketio.test_client(app, flask_test_client=here)
    other_socket = socketio.test_client(app, flask_test_client=elsewhere)
    assert this_socket.is_connected() and other_socket.is_connected()

    signed_out = here.post("/logout", data={"csrf_token": csrf(here)})
    assert signed_out.status_code == 302

    assert not works(copy)
    assert not this_socket.is_connected()
    # Signing out is about this browser: the person's other session goes on.
    assert works(elsewhere) and other_socket.is_connected()


def test_sign_out_everywhere_by_api_ends_every_session_and_socket_but_not_tokens(
    app, socketio, login, agent
):
    first, second = login(agent), login(agent)
    _, token = token_for(first)
    sockets = [socketio.test_client(app, flask_test_client=c) for c in (first, second)]
    by_token = socketio.test_client(app, auth={"token": token})

    assert first.post("/api/v1/auth/logout-everywhere").status_code == 204

    assert not works(first) and not works(second)
    assert not any(s.is_connected() for s in sockets)
    assert (
        app.test_client()
        .get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        .status_code
        == 200
    )
    assert by_token.is_connected()
    assert not socketio.test_client(app, flask_test_client=second).is_connected()


def test_sign_out_everywhere_with_a_token_ends_the_browser_sessions(app, login, agent):
    browser = login(agent)
    _, token = token_for(browser)
    script = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert script.post("/api/v1/auth/logout-everywhere", headers=bearer).status_code == 204
    assert not works(browser)
    assert script.get("/api/v1/auth/me", headers=bearer).status_code == 200
    assert app.test_client().post("/api/v1/auth/logout-everywhere").status_code == 401


def test_the_account_page_signs_out_everywhere_with_its_csrf_token(app, login, requester, db):
    here, elsewhere = login(requester), login(requester)
    page = here.get("/account").get_data(as_text=True)
    assert "signed in on 2 browsers" in page
    assert 'action="/account/sign-out-everywhere"' in page

    forged = here.post("/account/sign-out-everywhere")  # no CSRF token: a foreign page's post
    assert forged.status_code == 400
    assert works(here) and works(elsewhere)

    done = here.post("/account/sign-out-everywhere", data={"csrf_token": csrf(here)})
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    assert not works(here) and not works(elsewhere)
    db.expire_all()
    assert sessions.count_sessions(db, requester.id, datetime.min.replace(tzinfo=UTC)) == 0


def test_a_password_change_ends_the_other_sessions_and_their_sockets_but_keeps_tokens(
    app, socketio, login, agent
):
    here, elsewhere = login(agent), login(agent)
    _, token = token_for(here)
    this_socket = socketio.test_client(app, flask_test_client=here)
    other_socket = socketio.test_client(app, flask_test_client=elsewhere)

    changed = here.post(
        "/account/password",
        data={
            "csrf_token": csrf(here),
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )
    assert changed.status_code == 302
    assert "signed out of 1 other browser" in here.get("/account").get_data(as_text=True)

    assert works(here) and this_socket.is_connected()  # the browser that changed it stays
    assert not works(elsewhere) and not other_socket.is_connected()
    bearer = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/auth/me", headers=bearer).status_code == 200


def test_a_revoked_token_ends_its_sockets_at_once(app, socketio, login, agent, claimed_ticket):
    ticket = claimed_ticket("VPN drops")
    browser = login(agent)
    token_id, token = token_for(browser)
    _, other_token = token_for(browser, "another script")
    by_token = socketio.test_client(app, auth={"token": token})
    by_other = socketio.test_client(app, auth={"token": other_token})
    assert by_token.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)["ok"]

    assert browser.delete(f"/api/v1/auth/tokens/{token_id}").status_code == 204

    assert not by_token.is_connected()
    assert by_other.is_connected()
    assert not socketio.test_client(app, auth={"token": token}).is_connected()


def test_a_deactivated_persons_sessions_and_sockets_end(app, socketio, login, agent, db, clock):
    browser = login(agent)
    _, token = token_for(browser)
    sockets = [
        socketio.test_client(app, flask_test_client=browser),
        socketio.test_client(app, auth={"token": token}),
    ]
    admin = make_user(db, clock, role="admin", name="Ava Admin")
    assert (
        login(admin).patch(f"/api/v1/users/{agent.id}", json={"active": False}).status_code == 200
    )

    assert not any(s.is_connected() for s in sockets)
    assert not works(browser)
    # Active again, they sign in again: the old cookie stays dead.
    assert login(admin).patch(f"/api/v1/users/{agent.id}", json={"active": True}).status_code == 200
    assert not works(browser)


def test_a_demoted_agent_leaves_the_staff_room_and_hears_no_more_notes(
    app, socketio, login, agent, claimed_ticket, db, clock
):
    ticket = claimed_ticket("VPN drops")
    demoted = make_agent(db, clock, name="Dora Demoted")
    browser = login(demoted)
    _, token = token_for(browser)
    by_cookie = socketio.test_client(app, flask_test_client=browser)
    by_token = socketio.test_client(app, auth={"token": token})
    owner = socketio.test_client(app, flask_test_client=login(agent))
    for client in (by_cookie, by_token, owner):
        joined = client.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)
        assert joined["ok"] and joined["audience"] == "staff"
    note = {
        "ticket_id": ticket["id"],
        "body": "internal: before",
        "client_id": "n1",
        "kind": "note",
    }
    assert owner.emit("send_message", note, callback=True)["ok"]
    assert note_bodies(by_token) == ["internal: before"]  # a staff member hears notes

    admin = make_user(db, clock, role="admin", name="Ava Admin")
    changed = login(admin).patch(f"/api/v1/users/{demoted.id}", json={"role": "requester"})
    assert changed.status_code == 200

    assert not by_cookie.is_connected() and not by_token.is_connected()
    assert not works(browser)
    # The token still opens a socket, under the new role: the ticket's staff room is closed.
    again = socketio.test_client(app, auth={"token": token})
    joined = again.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)
    assert not joined["ok"] or joined["audience"] == "requester"
    again.get_received()
    note = {**note, "body": "internal: after", "client_id": "n2"}
    assert owner.emit("send_message", note, callback=True)["ok"]
    assert "internal: after" not in repr(again.get_received())


# What another process changed reaches this one's sockets through the database: each event is
# refused from that moment (the person is loaded with the credential), and the keeper's next
# beat disconnects them. The changes below are written straight to the database, as another
# process would, without this process hearing of them.


def test_a_session_ended_elsewhere_refuses_the_next_event_and_ends_at_the_beat(
    app, socketio, login, requester, realtime, db
):
    browser = login(requester)
    sock = socketio.test_client(app, flask_test_client=browser)
    assert keeper_beat(app, realtime) == []

    sessions.end_sessions(db, requester.id)
    db.commit()

    refused = sock.emit("join_ticket", {"ticket_id": 1}, callback=True)
    assert refused["error"]["code"] == "unauthenticated"
    assert len(keeper_beat(app, realtime)) == 1
    assert not sock.is_connected()


def test_a_token_revoked_elsewhere_ends_its_socket_at_the_beat(
    app, socketio, login, agent, realtime, db, clock
):
    token_id, token = token_for(login(agent))
    sock = socketio.test_client(app, auth={"token": token})
    db.execute(update(ApiToken).where(ApiToken.id == token_id).values(revoked_at=clock.now()))
    db.commit()

    assert len(keeper_beat(app, realtime)) == 1
    assert not sock.is_connected()
    assert not socketio.test_client(app, auth={"token": token}).is_connected()


def test_a_role_changed_elsewhere_ends_the_sockets_at_the_beat_and_their_notes_with_them(
    app, socketio, login, agent, claimed_ticket, realtime, db, clock
):
    ticket = claimed_ticket("VPN drops")
    demoted = make_agent(db, clock, name="Dora Demoted")
    _, token = token_for(login(demoted))
    by_token = socketio.test_client(app, auth={"token": token})
    owner = socketio.test_client(app, flask_test_client=login(agent))
    for client in (by_token, owner):
        assert client.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)["ok"]
    by_token.get_received()

    db.execute(update(User).where(User.id == demoted.id).values(role="requester"))
    db.commit()

    refused = by_token.emit("typing", {"ticket_id": ticket["id"]}, callback=True)
    assert refused["error"]["code"] == "unauthenticated"
    refused = by_token.emit(
        "send_message",
        {"ticket_id": ticket["id"], "body": "x", "client_id": "c1", "kind": "note"},
        callback=True,
    )
    assert refused["error"]["code"] == "unauthenticated"
    assert len(keeper_beat(app, realtime)) == 1
    assert not by_token.is_connected() and owner.is_connected()


def test_people_whose_credentials_stand_stay_connected(
    app, socketio, login, agent, requester, realtime, db
):
    _, token = token_for(login(agent))
    sockets = [
        socketio.test_client(app, flask_test_client=login(agent)),
        socketio.test_client(app, flask_test_client=login(requester)),
        socketio.test_client(app, auth={"token": token}),
    ]
    assert keeper_beat(app, realtime) == []
    assert all(s.is_connected() for s in sockets)
    assert db.query(UserSession).count() == 2 + 1  # token_for's own sign-in too


def test_the_session_key_is_stored_only_as_its_hash(login, requester, db):
    client = login(requester)
    [row] = db.query(UserSession).filter_by(user_id=requester.id).all()
    with client.session_transaction() as cookie:
        key = cookie[sessions.COOKIE_KEY]
    assert row.key_hash == sessions.key_hash(key) and key not in row.key_hash


def selects_during(app, action) -> list[str]:
    """The SELECT statements ``action`` sends to the database."""
    from sqlalchemy import event

    engine = app.extensions["swarm"].engine
    seen: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def test_the_session_check_costs_no_query_of_its_own(app, socketio, login, agent):
    # One SELECT loads the person with their session (or token), as one loaded the person
    # alone before sessions had rows: on every request, and on every socket event.
    client = login(agent)
    [me] = selects_during(app, lambda: client.get("/api/v1/auth/me"))
    assert "user_sessions" in me
    sock = socketio.test_client(app, flask_test_client=client)
    [event] = selects_during(app, lambda: sock.emit("watch_queue", {"tier": 1}, callback=True))
    assert "user_sessions" in event


def test_a_foreign_page_cannot_sign_anyone_out_everywhere(login, requester):
    client = login(requester)
    forged = client.post(
        "/api/v1/auth/logout-everywhere", headers={"Origin": "https://evil.example"}
    )
    assert forged.status_code == 403
    assert works(client)


def test_a_sign_in_ends_by_age_everywhere_and_the_sweeper_deletes_its_row(
    app, socketio, login, agent, realtime, db, clock
):
    browser = login(agent)
    sock = socketio.test_client(app, flask_test_client=browser)
    lifetime = app.extensions["swarm"].config.session_lifetime
    assert lifetime == timedelta(days=14)

    clock.advance(seconds=(lifetime - timedelta(minutes=1)).total_seconds())
    assert works(browser) and keeper_beat(app, realtime) == []
    assert "signed in on 1 browser" in browser.get("/account").get_data(as_text=True)
    sweep_once(app.extensions["swarm"])
    assert db.query(UserSession).filter_by(user_id=agent.id).count() == 1  # not over yet

    clock.advance(minutes=1)
    assert not works(browser)  # REST
    assert browser.get("/account").status_code == 302  # pages
    refused = sock.emit("join_ticket", {"ticket_id": 1}, callback=True)  # the open socket
    assert refused["error"]["code"] == "unauthenticated"
    assert len(keeper_beat(app, realtime)) == 1 and not sock.is_connected()
    assert not socketio.test_client(app, flask_test_client=browser).is_connected()  # new ones

    sweep_once(app.extensions["swarm"])
    db.commit()  # a new read: the one above still sees the row (SQLite WAL snapshot)
    assert db.query(UserSession).filter_by(user_id=agent.id).count() == 0
    assert works(login(agent))  # signing in again starts a fresh one

"""Access ends when it should (issue 16, item 1), with a real ``python -m swarm serve`` and
real clients: HTTP through ``requests``, sockets through python-socketio over WebSocket.

Whatever a request ends on this server ends its sockets at once; whatever another process ends
(written here straight into the database, as that process would) ends them at the presence
keeper's next beat, set to half a second. Waits are bounded polls for the condition, never
timed assertions.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio
from sqlalchemy import Engine, update

from swarm.accounts.sessions import end_sessions
from swarm.clock import SystemClock
from swarm.db import make_engine, make_session_factory
from swarm.migrate import upgrade
from swarm.models import ApiToken, User
from tests.builders import PASSWORD, make_agent, make_user
from tests.integration.servers import Server

NEW_PASSWORD = "another passphrase, long enough"
BEAT = "0.5"  # SWARM_PRESENCE_SECONDS: the keeper's beat


def wait_until(condition: Callable[[], bool], seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    instance = tmp_path_factory.mktemp("sessions-live")
    url = f"sqlite:///{instance / 'swarm.db'}"
    upgrade(url)
    engine = make_engine(url)
    env = {
        "SWARM_DATABASE_URL": url,
        "SWARM_INSTANCE_PATH": str(instance),
        "SWARM_SECRET_KEY": "sessions-live-test",
        "SWARM_PRESENCE_SECONDS": BEAT,
        "SWARM_LOGIN_RATE_LIMIT": "1000 per minute",
        "SWARM_SOCKET_RATE": "1000",
        "SWARM_SOCKET_BURST": "1000",
    }
    # SWARM_TEST_PORT: a port of the ports this machine's tests may use (a free one otherwise).
    port = int(os.environ["SWARM_TEST_PORT"]) if os.environ.get("SWARM_TEST_PORT") else None
    server = Server(env, instance, port=port).start()
    try:
        yield {"url": server.url, "engine": engine}
    finally:
        server.stop()
        engine.dispose()


def person(engine: Engine, role: str = "agent", name: str | None = None) -> User:
    with make_session_factory(engine)() as session:
        maker = make_agent if role == "agent" else make_user
        kwargs: dict[str, Any] = {"name": name} if name else {}
        if role not in ("agent", "requester"):
            kwargs["role"] = role
        user = maker(session, SystemClock(), **kwargs)
        session.expunge(user)
        return user


class Browser:
    """A signed-in browser: ``requests`` keeps its session cookie."""

    def __init__(self, base: str, user: User) -> None:
        self.base = base
        self.http = requests.Session()
        signed_in = self.http.post(
            f"{base}/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}
        )
        assert signed_in.status_code == 200, signed_in.text

    @property
    def cookie(self) -> str:
        return str(self.http.cookies["session"])

    def me(self) -> int:
        return self.http.get(f"{self.base}/api/v1/auth/me").status_code

    def csrf(self) -> str:
        page = self.http.get(f"{self.base}/account").text
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert found, page
        return found.group(1)

    def token(self, name: str = "script") -> tuple[int, str]:
        made = self.http.post(f"{self.base}/api/v1/auth/tokens", json={"name": name}).json()
        return made["id"], made["token"]


class Live:
    """A python-socketio client that records the ticket events it hears."""

    def __init__(self, base: str, *, cookie: str | None = None, token: str | None = None):
        self.sio = socketio.Client(reconnection=False)
        self.events: list[dict[str, Any]] = []
        self.gone = threading.Event()
        self.sio.on("ticket_event", self.events.append)
        self.sio.on("disconnect", lambda *_: self.gone.set())
        headers = {"Cookie": f"session={cookie}"} if cookie else {}
        auth = {"token": token} if token else None
        self.sio.connect(
            base, headers=headers, auth=auth, transports=["websocket"], wait_timeout=10
        )

    def call(self, event: str, payload: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = self.sio.call(event, payload, timeout=10)
        return answer

    def bodies(self) -> list[str]:
        return [e["message"]["body"] for e in list(self.events) if e.get("type") == "message"]

    def ended(self) -> bool:
        return self.gone.is_set() or not self.sio.connected

    def close(self) -> None:
        if self.sio.connected:
            self.sio.disconnect()


def refused(base: str, **kwargs: Any) -> bool:
    try:
        Live(base, **kwargs).close()
    except socketio.exceptions.ConnectionError:
        return True
    return False


@pytest.fixture
def opened(request: pytest.FixtureRequest) -> Iterator[Callable[..., Live]]:
    """Opens live sockets (on the module's server unless ``base`` is given); closes them."""
    clients: list[Live] = []

    def open_one(base: str | None = None, **kwargs: Any) -> Live:
        client = Live(base or request.getfixturevalue("live")["url"], **kwargs)
        clients.append(client)
        return client

    yield open_one
    for client in clients:
        client.close()


def test_signing_out_ends_the_socket_and_the_cookie_kept_from_before(live, opened):
    base = live["url"]
    browser = Browser(base, person(live["engine"], "requester"))
    kept = browser.cookie
    sock = opened(cookie=kept)
    assert sock.call("watch_dashboard", {})["error"]["code"] == "forbidden"  # connected, heard

    assert browser.http.post(f"{base}/api/v1/auth/logout").status_code == 204

    assert wait_until(sock.ended)
    thief = requests.Session()
    thief.cookies.set("session", kept)
    assert thief.get(f"{base}/api/v1/auth/me").status_code == 401
    page = thief.get(f"{base}/account", allow_redirects=False)
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    assert refused(base, cookie=kept)


def test_a_revoked_token_ends_its_socket(live, opened):
    base = live["url"]
    browser = Browser(base, person(live["engine"]))
    token_id, token = browser.token()
    sock = opened(token=token)
    assert sock.call("watch_queue", {"tier": 1})["ok"]

    assert browser.http.delete(f"{base}/api/v1/auth/tokens/{token_id}").status_code == 204

    assert wait_until(sock.ended)
    assert refused(base, token=token)
    assert browser.me() == 200  # the browser's session is another credential


def test_a_password_change_ends_the_other_browsers_socket_and_keeps_this_one(live, opened):
    base = live["url"]
    user = person(live["engine"])
    here, elsewhere = Browser(base, user), Browser(base, user)
    _, token = here.token()
    this_socket, other_socket = opened(cookie=here.cookie), opened(cookie=elsewhere.cookie)
    by_token = opened(token=token)

    changed = here.http.post(
        f"{base}/account/password",
        data={
            "csrf_token": here.csrf(),
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
        allow_redirects=False,
    )
    assert changed.status_code == 302

    assert wait_until(other_socket.ended)
    assert elsewhere.me() == 401
    assert here.me() == 200
    assert this_socket.call("watch_queue", {"tier": 1})["ok"]
    assert by_token.call("watch_queue", {"tier": 1})["ok"]  # tokens stay (docs/api.md)


def test_sign_out_everywhere_from_the_account_page_ends_every_browser(live, opened):
    base = live["url"]
    user = person(live["engine"], "requester")
    here, elsewhere = Browser(base, user), Browser(base, user)
    sockets = [opened(cookie=here.cookie), opened(cookie=elsewhere.cookie)]

    done = here.http.post(
        f"{base}/account/sign-out-everywhere",
        data={"csrf_token": here.csrf()},
        allow_redirects=False,
    )
    assert done.status_code == 302

    assert wait_until(lambda: all(s.ended() for s in sockets))
    assert here.me() == 401 and elsewhere.me() == 401


def test_what_another_process_ends_ends_here_within_a_beat(live, opened):
    base, engine = live["url"], live["engine"]
    signed_out = person(engine, name="Sam Session")
    revoked = person(engine, name="Tom Token")
    deactivated = person(engine, name="Dee Deactivated")
    stays = person(engine, name="Stan Stays")
    session_browser = Browser(base, signed_out)
    token_id, token = Browser(base, revoked).token()
    gone = [
        opened(cookie=session_browser.cookie),
        opened(token=token),
        opened(cookie=Browser(base, deactivated).cookie),
    ]
    staying = opened(cookie=Browser(base, stays).cookie)
    for sock in [*gone, staying]:
        assert sock.call("watch_queue", {"tier": 1})["ok"]

    with make_session_factory(engine)() as session:
        end_sessions(session, signed_out.id)
        now = SystemClock().now()
        session.execute(update(ApiToken).where(ApiToken.id == token_id).values(revoked_at=now))
        session.execute(update(User).where(User.id == deactivated.id).values(active=False))
        session.commit()

    assert wait_until(lambda: all(s.ended() for s in gone))
    assert staying.call("watch_queue", {"tier": 1})["ok"]
    assert session_browser.me() == 401


def test_a_demoted_agent_leaves_the_staff_room_and_hears_no_more_notes(live, opened):
    base, engine = live["url"], live["engine"]
    requester = Browser(base, person(engine, "requester"))
    owner_user = person(engine, name="Olga Owner")
    owner = Browser(base, owner_user)
    demoted_user = person(engine, name="Dora Demoted")
    demoted = Browser(base, demoted_user)
    admin = Browser(base, person(engine, "admin"))
    ticket = requester.http.post(
        f"{base}/api/v1/tickets", json={"subject": "VPN drops", "body": "Every hour"}
    ).json()
    claim = owner.http.post(f"{base}/api/v1/tickets/{ticket['id']}/claim", json={})
    assert claim.status_code == 200, claim.text
    _, token = demoted.token()

    owner_sock, by_cookie, by_token = (
        opened(cookie=owner.cookie),
        opened(cookie=demoted.cookie),
        opened(token=token),
    )
    for sock in (owner_sock, by_cookie, by_token):
        joined = sock.call("join_ticket", {"ticket_id": ticket["id"]})
        assert joined["ok"] and joined["audience"] == "staff", joined

    def note(body: str) -> None:
        payload = {"ticket_id": ticket["id"], "body": body, "client_id": body, "kind": "note"}
        assert owner_sock.call("send_message", payload)["ok"]

    note("internal: before")
    assert wait_until(lambda: "internal: before" in by_token.bodies())

    changed = admin.http.patch(f"{base}/api/v1/users/{demoted_user.id}", json={"role": "requester"})
    assert changed.status_code == 200, changed.text

    assert wait_until(lambda: by_cookie.ended() and by_token.ended())
    assert demoted.me() == 401
    # The token still opens a socket, under the new role: no staff room, no notes.
    again = opened(token=token)
    joined = again.call("join_ticket", {"ticket_id": ticket["id"]})
    assert not joined["ok"] or joined["audience"] == "requester", joined
    watcher = opened(cookie=owner.cookie)
    assert watcher.call("join_ticket", {"ticket_id": ticket["id"]})["ok"]
    note("internal: after")
    assert wait_until(lambda: "internal: after" in watcher.bodies())  # it was sent, and heard
    assert "internal: after" not in again.bodies()
    assert "internal: after" not in repr(again.events)


# With Redis, what one process ends, the others end at once: each connection is in the "ends:"
# rooms of its credential and its person, and closing such a room on one process disconnects
# its members on every process (swarm/realtime/access.py). The keeper beats only every five
# minutes here, so a socket on the other process that ends within the poll ended by the push.


@pytest.fixture
def pair(pg_url: str, redis_url: str, pg_engine: Engine, tmp_path: Path) -> Iterator[list[str]]:
    env = {
        "SWARM_DATABASE_URL": pg_url,
        "SWARM_MESSAGE_QUEUE": redis_url,
        "SWARM_INSTANCE_PATH": str(tmp_path),
        "SWARM_SECRET_KEY": "shared-by-both-processes",
        "SWARM_PRESENCE_SECONDS": "300",
        "SWARM_LOGIN_RATE_LIMIT": "1000 per minute",
    }
    base = int(os.environ["SWARM_TEST_PORT"]) + 1 if os.environ.get("SWARM_TEST_PORT") else None
    started: list[Server] = []
    try:
        for n in range(2):
            port = base + n if base else None
            started.append(Server(env, tmp_path, port=port).start())
        yield [s.url for s in started]
    finally:
        for server in started:
            server.stop()


@pytest.mark.postgres
@pytest.mark.redis
def test_what_one_process_ends_ends_on_the_other_at_once(pair, pg_engine, opened):
    here, there = pair
    user = person(pg_engine, name="Pia Pair")
    browser = Browser(here, user)
    _, kept = browser.token("kept")
    token_id, token = browser.token()
    by_cookie = opened(base=there, cookie=browser.cookie)
    by_token = opened(base=there, token=token)
    by_kept = opened(base=there, token=kept)
    for sock in (by_cookie, by_token, by_kept):
        assert sock.call("watch_queue", {"tier": 1})["ok"]

    assert browser.http.delete(f"{here}/api/v1/auth/tokens/{token_id}").status_code == 204
    assert wait_until(by_token.ended)
    assert browser.http.post(f"{here}/api/v1/auth/logout").status_code == 204
    assert wait_until(by_cookie.ended)
    assert by_kept.call("watch_queue", {"tier": 1})["ok"]  # another credential: it stays

    admin = Browser(here, person(pg_engine, "admin"))
    demoted = admin.http.patch(f"{here}/api/v1/users/{user.id}", json={"role": "requester"})
    assert demoted.status_code == 200, demoted.text
    assert wait_until(by_kept.ended)

"""Stored script injection, tried as an attacker would (issue 16, item 7): the corpus of
tests/xss_vectors.py (118 vectors) is written into every field a person can write — ticket
subjects and bodies, the requester's name, room messages to the swarm and to the requester,
internal notes, resolutions, reopen reasons, satisfaction comments, guest names, invitation
notes, API token names, skill names and vendor names and contacts — and every page and live
path that shows them is opened in Chromium, as each role that sees it.

A page fails when any vector ran (its ``xss(N)`` marker was called, or a dialog opened), when
the content policy had to refuse something (an injected script or handler reached the DOM and
only the CSP stopped it), when the DOM holds an event-handler attribute, a ``javascript:`` or
``data:`` URL or a script-capable element made of user text, or when a template expression was
evaluated. Each page must also *show* some of the corpus as text — a page that showed none of it
would pass for the wrong reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import socketio
from playwright.sync_api import Browser, Page

from swarm.accounts.service import issue_token
from swarm.clock import SystemClock
from swarm.db import make_engine, make_session_factory
from swarm.migrate import upgrade
from swarm.models import AgentSkill, Skill
from tests.browser.conftest import _chromium, running_server, wait_until
from tests.browser.test_pages import sign_in
from tests.builders import make_agent, make_manager, make_user
from tests.xss_vectors import SSTI_PRODUCT, VECTORS

pytestmark = pytest.mark.browser

# Runs before any page script and outside the page's policy: records markers, dialogs' stand-ins
# and every content-policy refusal.
WATCH = """
window.__xss = [];
window.xss = (n) => window.__xss.push(String(n));
for (const name of ["alert", "confirm", "prompt"]) {
  window[name] = (n) => window.__xss.push(name + ":" + n);
}
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""

# What the DOM may not hold once user text is in it. Text that is merely *shown* (escaped, so
# "xss(" appears in a text node or a JSON data block) is fine; markup made of it is not.
SCAN = r"""
() => {
  const found = [];
  const marker = /xss\(|alert\(|1234\*1111/;
  const urlAttrs = ["href", "src", "action", "formaction", "data", "xlink:href", "srcdoc",
                    "background", "poster", "codebase", "cite"];
  // Elements no page of Swarm makes: any of them in a page came from someone's text.
  const never = new Set(["IFRAME", "FRAME", "OBJECT", "EMBED", "BASE", "ISINDEX", "KEYGEN",
                         "XMP", "PLAINTEXT", "MATH", "APPLET", "MARQUEE", "AUDIO", "VIDEO"]);
  for (const el of document.querySelectorAll("*")) {
    const tag = el.tagName.toUpperCase();
    if (never.has(tag)) found.push(`a <${tag.toLowerCase()}> in the page`);
    if ((tag === "META" || tag === "LINK") && !el.closest("head"))
      found.push(`a <${tag.toLowerCase()}> in the body`);
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value.toLowerCase().replace(/[\s\u0000-\u001f]/g, "");
      if (name.startsWith("on")) found.push(`<${tag.toLowerCase()} ${name}="${attr.value}">`);
      if (urlAttrs.includes(name) &&
          (/^(javascript|vbscript|data):/.test(value) || marker.test(attr.value)))
        found.push(`<${tag.toLowerCase()} ${name}="${attr.value}">`);
      if (name === "style" && marker.test(attr.value))
        found.push(`<${tag.toLowerCase()} style="${attr.value}">`);
    }
    const data = tag === "SCRIPT" && /json/.test(el.getAttribute("type") || "");
    if ((tag === "SCRIPT" && !data) || tag === "STYLE") {
      if (marker.test(el.textContent)) found.push(`user text in a <${tag.toLowerCase()}>`);
      const src = el.getAttribute("src");
      if (src && new URL(src, location.href).origin !== location.origin)
        found.push(`a script from ${src}`);
    }
  }
  return found;
}
"""


class Session:
    """One signed-in browser context whose pages are all watched."""

    def __init__(self, browser: Browser, base: str, email: str | None) -> None:
        self.context = browser.new_context(base_url=base, viewport={"width": 1366, "height": 900})
        self.context.add_init_script(WATCH)
        self.dialogs: list[str] = []
        self.page = self.context.new_page()
        self.page.on("dialog", self._dialog)
        if email:
            sign_in(self.page, email)

    def _dialog(self, dialog) -> None:  # type: ignore[no-untyped-def]
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def visit(self, path: str, *, shows: str) -> Page:
        self.page.goto(path)
        self.page.wait_for_load_state("load")
        assert_inert(self, shows)
        return self.page


def assert_inert(session: Session, shows: str, *, visible: bool = True) -> None:
    page = session.page
    # Let handlers that fire on load, focus or animation start have their chance.
    page.wait_for_timeout(150)
    where = page.url
    assert page.evaluate("window.__xss") == [], f"a vector ran on {where}"
    assert session.dialogs == [], f"a dialog opened on {where}"
    assert page.evaluate("window.__csp") == [], f"only the content policy stopped it on {where}"
    assert page.evaluate(SCAN) == [], f"user text became markup on {where}"
    # innerText is what is on screen; textContent also holds what waits behind a closed tab.
    text = page.evaluate("document.body.innerText" if visible else "document.body.textContent")
    assert SSTI_PRODUCT not in text, f"a template expression was evaluated on {where}"
    # The page showed the corpus as text (what a person typed is what they see).
    assert shows in text, f"{where} does not show {shows!r}: the test would prove nothing"


# ------------------------------------------------------------------------------------ the world


class Api:
    """The server's API as one person, with an API token of theirs."""

    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.token = token
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body: Any = None, ok: tuple[int, ...] = ()) -> Any:
        answer = self.http.request(method, f"{self.base}/api/v1{path}", json=body, timeout=30)
        if answer.status_code not in (200, 201, 202, 204, *ok):
            raise AssertionError(f"{method} {path} -> {answer.status_code} {answer.text[:300]}")
        return answer.json() if answer.content else None


def chunks(texts: list[str], limit: int) -> Iterator[str]:
    """The texts joined by blank lines into as few pieces of at most ``limit`` characters."""
    piece: list[str] = []
    for text in texts:
        if piece and len("\n\n".join([*piece, text])) > limit:
            yield "\n\n".join(piece)
            piece = []
        piece.append(text)
    if piece:
        yield "\n\n".join(piece)


def socket_sends(
    base: str, token: str, ticket_id: int, kind: str | None, bodies: list[str]
) -> None:
    client = socketio.Client(reconnection=False)
    client.connect(base, auth={"token": token}, transports=["websocket"], wait_timeout=10)
    try:
        assert client.call("join_ticket", {"ticket_id": ticket_id}, timeout=10)["ok"]
        for body in bodies:
            # A client id is the send's idempotency key: a repeated one is answered, not sent.
            payload = {"ticket_id": ticket_id, "body": body, "client_id": str(uuid.uuid4())}
            if kind:
                payload["kind"] = kind
            ack = client.call("send_message", payload, timeout=10)
            assert ack["ok"], (body, ack)
    finally:
        client.disconnect()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    _chromium()  # skips (or fails under SWARM_REQUIRE_BROWSER=1) without Chromium
    instance = tmp_path_factory.mktemp("xss-instance")
    url = f"sqlite:///{instance / 'swarm.db'}"
    upgrade(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        clock = SystemClock()
        people = {
            "requester": make_user(session, clock, name="Rita Requester"),
            "agent": make_agent(session, clock, name="Ada Agent"),
            "helper": make_agent(session, clock, name="Hugo Helper"),
            "manager": make_manager(session, clock, name="Mia Manager"),
            "admin": make_user(session, clock, role="admin", name="Ava Admin"),
        }
        vpn = Skill(name="VPN", category="Networking", aliases=[])
        session.add(vpn)
        session.flush()
        session.add(AgentSkill(user_id=people["agent"].id, skill_id=vpn.id, proficiency=4))
        # Requesters named by the corpus: their names show wherever their tickets do.
        named = [make_user(session, clock, name=vector) for vector in VECTORS]
        session.commit()
        tokens = {
            role: issue_token(session, clock, user, "xss")[1] for role, user in people.items()
        }
        for vector in VECTORS:  # token names, shown on Ada's account page
            issue_token(session, clock, people["agent"], vector)
        ids = {role: user.id for role, user in people.items()}
        emails = {role: user.email for role, user in people.items()}
        named_ids = [user.id for user in named]
    engine.dispose()

    env = {"SWARM_SOCKET_RATE": "1000", "SWARM_SOCKET_BURST": "1000"}
    with running_server(url, instance, **env) as base:
        agent, manager = Api(base, tokens["agent"]), Api(base, tokens["manager"])
        admin, requester = Api(base, tokens["admin"]), Api(base, tokens["requester"])

        # One ticket per vector, opened for the requester named by the same vector.
        tickets = [
            agent.call(
                "POST",
                "/tickets",
                {"subject": vector, "body": vector, "requester_id": who, "priority": "P3"},
            )["id"]
            for vector, who in zip(VECTORS, named_ids, strict=True)
        ]
        # The carrier: Rita's ticket that holds the corpus in every long-text field.
        carrier = requester.call(
            "POST",
            "/tickets",
            {"subject": "VPN drops " + VECTORS[0], "body": "\n\n".join(VECTORS)},
        )["id"]
        ticket = agent.call("GET", f"/tickets/{carrier}")
        if (ticket.get("owner") or {}).get("id") != ids["agent"]:
            manager.call("POST", f"/tickets/{carrier}/assign", {"agent_id": ids["agent"]})
        # Long texts hold many vectors each; one-line fields (names) one each.
        for piece in chunks(VECTORS, 1000):
            agent.call("POST", f"/tickets/{carrier}/notes", {"body": piece})
        for vector in VECTORS:
            agent.call("POST", f"/tickets/{carrier}/guests", {"name": vector, "hours": 24})
        guest_link = agent.call("POST", f"/tickets/{carrier}/guests", {"name": "Sam Vendor"})[
            "link"
        ]
        pieces = list(chunks(VECTORS, 1000))
        socket_sends(base, agent.token, carrier, "chat", pieces)
        socket_sends(base, agent.token, carrier, "reply", pieces)
        socket_sends(base, requester.token, carrier, None, pieces)
        # Resolutions, ratings and reopen reasons: one round per piece of the corpus.
        for piece in chunks(VECTORS, 2000):
            agent.call("POST", f"/tickets/{carrier}/resolve", {"resolution": piece})
            requester.call(
                "POST", f"/tickets/{carrier}/satisfaction", {"score": 2, "comment": piece}
            )
            requester.call("POST", f"/tickets/{carrier}/reopen", {"reason": piece})
        # Hugo's inbox: an invitation with a note of the corpus on each ticket.
        invited = list(zip(VECTORS, tickets, strict=True))[:40]
        for _, ticket_id in invited:
            manager.call("POST", f"/tickets/{ticket_id}/assign", {"agent_id": ids["agent"]})
        invite = socketio.Client(reconnection=False)
        invite.connect(base, auth={"token": agent.token}, transports=["websocket"])
        try:
            for vector, ticket_id in invited:
                ack = invite.call(
                    "invite",
                    {"ticket_id": ticket_id, "agent_id": ids["helper"], "note": vector},
                    timeout=10,
                )
                assert ack["ok"], ack
        finally:
            invite.disconnect()
        # Skills named by the corpus, held by Ada and needed by the carrier; vendors likewise.
        skills = [
            admin.call("POST", "/skills", {"name": vector, "description": vector})["id"]
            for vector in VECTORS
        ]
        agent.call(
            "PUT",
            f"/agents/{ids['agent']}/skills",
            {"skills": [{"skill_id": s, "proficiency": 3} for s in skills]},
        )
        for vector in VECTORS:
            manager.call(
                "POST", "/vendors", {"name": vector, "sla_seconds": 3600, "contact": vector}
            )

        for api in (agent, manager, admin, requester):
            api.http.close()
        yield {
            "base": base,
            "emails": emails,
            "carrier": carrier,
            "tickets": tickets,
            "guest_link": guest_link,
            "requester_token": requester.token,
            "agent_token": agent.token,
        }


@pytest.fixture
def as_role(world, browser):  # type: ignore[no-untyped-def]
    """Signed-in, watched contexts of the session's Chromium, on this module's own server."""
    sessions: list[Session] = []

    def open_as(role: str | None) -> Session:
        email = world["emails"][role] if role else None
        session = Session(browser, world["base"], email)
        sessions.append(session)
        return session

    yield open_as
    for session in sessions:
        session.context.close()


# ------------------------------------------------------------------------------------ the pages


def test_the_watch_catches_a_vector_that_runs(world, as_role):
    """The detector works: markup that does run is reported by the marker, and the scan finds
    a handler attribute even where the content policy keeps it from running."""
    session = as_role("agent")
    page = session.page
    page.goto("/account")
    page.evaluate("xss('probe')")
    assert page.evaluate("window.__xss") == ["probe"]
    page.evaluate(
        "() => { const i = document.createElement('img'); i.setAttribute('onerror', 'xss(1)');"
        " document.body.append(i); }"
    )
    assert page.evaluate(SCAN) != []


def test_ticket_lists_as_agent_show_subjects_and_requester_names(world, as_role):
    session = as_role("agent")
    pages = -(-(len(world["tickets"]) + 1) // 25)  # and the carrier
    for number in range(1, pages + 1):
        session.visit(f"/tickets?page={number}", shows="xss(")


def test_the_carrier_ticket_as_its_agent(world, as_role):
    session = as_role("agent")
    page = session.visit(f"/tickets/{world['carrier']}", shows=VECTORS[0])
    text = page.evaluate("document.body.innerText")
    # The body, a note, a message, a guest's name and a skill: all shown as typed.
    for vector in (VECTORS[5], VECTORS[40], VECTORS[-1]):
        assert vector.split("\n")[0] in text


def test_the_carrier_ticket_as_its_requester(world, as_role):
    session = as_role("requester")
    session.visit("/tickets", shows=VECTORS[0])
    session.visit(f"/tickets/{world['carrier']}", shows=VECTORS[7])


def test_the_guest_room(world, as_role):
    session = as_role(None)
    session.visit(world["guest_link"], shows=VECTORS[3])


def test_inbox_work_account_and_skills(world, as_role):
    helper = as_role("helper")
    helper.visit("/inbox", shows=VECTORS[1])
    agent = as_role("agent")
    agent.visit("/my-work", shows="xss(")
    agent.visit("/account", shows=VECTORS[11])
    agent.visit("/me/skills", shows=VECTORS[2])


def test_manager_and_admin_pages(world, as_role):
    manager = as_role("manager")
    manager.visit("/dashboard", shows="xss(")
    manager.visit("/settings/routing", shows=VECTORS[4])
    admin = as_role("admin")
    admin.visit("/admin/users", shows=VECTORS[9])
    admin.visit("/skills", shows="Skills")


def test_live_messages_arrive_inert(world, as_role):
    """The live path: messages rendered by the page's script as they arrive over Socket.IO,
    to the agent (swarm chat and the requester's replies) and to the requester."""
    agent = as_role("agent")
    requester = as_role("requester")
    path = f"/tickets/{world['carrier']}"
    agent_page = agent.visit(path, shows=VECTORS[0])
    requester_page = requester.visit(path, shows=VECTORS[0])
    for page in (agent_page, requester_page):
        page.wait_for_selector("body[data-live='connected']")
    tail = [f"{piece} live" for piece in chunks(VECTORS, 500)]
    chat = [f"{piece} chat" for piece in chunks(VECTORS, 500)]
    socket_sends(world["base"], world["agent_token"], world["carrier"], "chat", chat)
    socket_sends(world["base"], world["requester_token"], world["carrier"], None, tail)
    socket_sends(world["base"], world["agent_token"], world["carrier"], "reply", tail)
    # The swarm's chat reaches the agent only; the conversation reaches both.
    for session, last in ((agent, chat[-1]), (agent, tail[-1]), (requester, tail[-1])):
        wait_until(session.page, "(t) => document.body.textContent.includes(t)", 20, arg=last)
        assert_inert(session, shows=last, visible=False)
    assert chat[-1] not in requester.page.evaluate("document.body.textContent")

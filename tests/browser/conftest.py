"""A real server process and Debian's chromium, driven by Playwright.

Chromium comes from the system (found on PATH), never from ``playwright install``. Without it
the browser tests skip — unless SWARM_REQUIRE_BROWSER=1 (CI), where its absence fails them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from swarm.clock import SystemClock
from swarm.db import make_engine, make_session_factory
from swarm.migrate import upgrade
from swarm.models import AgentSkill, Skill, SkillRelation
from tests.builders import make_agent, make_user

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    if os.environ.get("SWARM_REQUIRE_BROWSER") == "1":
        pytest.fail("SWARM_REQUIRE_BROWSER=1 but no chromium on PATH (apt-get install chromium)")
    pytest.skip("chromium is not on PATH: browser tests skipped")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    chromium = _chromium()
    instance = tmp_path_factory.mktemp("browser-instance")
    url = f"sqlite:///{instance / 'swarm.db'}"
    upgrade(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        clock = SystemClock()
        requester = make_user(session, clock, name="Rita Requester")
        # Every browser test shares this organisation, and many leave Ada a ticket open: her
        # capacity is the whole session's, so a test that expects her to be routed a ticket
        # does not depend on how many tests ran before it (5 did not, in a full run).
        agent = make_agent(session, clock, name="Ada Agent", capacity=50)
        admin = make_user(session, clock, role="admin", name="Ava Admin")
        helper = make_agent(session, clock, name="Hugo Helper")
        manager = make_user(session, clock, role="manager", name="Mia Manager")
        networking = Skill(name="Networking", category="Networking", aliases=[])
        vpn = Skill(name="VPN", category="Networking", aliases=["AnyConnect"])
        dns = Skill(name="DNS", category="Networking", aliases=[])
        session.add_all([networking, vpn, dns])
        session.flush()
        session.add_all(
            [
                SkillRelation(source_id=vpn.id, target_id=networking.id, kind="is_a", weight=1),
                SkillRelation(source_id=dns.id, target_id=networking.id, kind="is_a", weight=1),
                AgentSkill(user_id=agent.id, skill_id=vpn.id, proficiency=4),
            ]
        )
        session.commit()
        accounts = {
            "requester": requester.email,
            "agent": agent.email,
            "admin": admin.email,
            "helper": helper.email,
            "manager": manager.email,
        }
    engine.dispose()

    with running_server(url, instance) as base:
        yield {"base": base, "chromium": chromium, "database": url, **accounts}


@contextmanager
def running_server(database_url: str, instance: Path, **env: str) -> Iterator[str]:
    """``python -m swarm serve`` on a free port over ``database_url``; yields its base URL.

    Its output goes to a log file in ``instance`` (a pipe nobody reads would fill and block it).
    """
    port = _free_port()
    environment = {
        **os.environ,
        "SWARM_DATABASE_URL": database_url,
        "SWARM_INSTANCE_PATH": str(instance),
        "SWARM_LOGIN_RATE_LIMIT": "1000 per minute",
        # The webhook receivers of the tests listen on loopback (swarm/outbox/guard.py).
        "SWARM_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
        **env,
    }
    log_path = instance / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "swarm", "serve", "--port", str(port)],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as r:  # noqa: S310
                    if r.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the server did not start:\n{log_path.read_text()}")
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def browser(server: dict[str, str]) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=server["chromium"], args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def csp_violations(context) -> list[str]:  # type: ignore[no-untyped-def]
    """Every Content-Security-Policy refusal Chromium reports in ``context``'s pages, as they
    come (tests/browser/test_csp.py says which pages are walked on purpose)."""
    found: list[str] = []

    def console(message) -> None:  # type: ignore[no-untyped-def]
        if "Content Security Policy" in message.text:
            found.append(message.text)

    context.on("console", console)
    return found


@pytest.fixture
def page(browser, server):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=server["base"], viewport={"width": 1280, "height": 860})
    violations = csp_violations(context)
    page = context.new_page()
    yield page
    context.close()
    # Whatever a test did in its page, the policy refused nothing the pages meant to do.
    assert violations == []


#: The two widths every page is looked at: a laptop and a phone.
WIDTHS = {"laptop": 1366, "phone": 390}


@pytest.fixture(params=list(WIDTHS))
def width(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def people(browser, server, width):  # type: ignore[no-untyped-def]
    """``people("agent")`` is a page signed in as that person of the server's world, at the
    test's width; a dialog fails the test, and so does any CSP refusal in any of the pages."""
    from tests.browser.test_pages import sign_in

    contexts = []

    def open_as(who: str):  # type: ignore[no-untyped-def]
        context = browser.new_context(
            base_url=server["base"], viewport={"width": WIDTHS[width], "height": 860}
        )
        contexts.append((context, csp_violations(context)))
        page = context.new_page()
        page.on("dialog", lambda dialog: pytest.fail(f"a dialog opened: {dialog.message}"))
        sign_in(page, server[who])
        return page

    yield open_as
    for context, violations in contexts:
        context.close()
        assert violations == []


def wait_until(page, expression: str, seconds: float = 30.0, arg=None) -> None:  # type: ignore[no-untyped-def]
    """Poll ``expression`` (called with ``arg`` when it is a function) from the test's side.
    Playwright's ``wait_for_function`` polls inside the page with ``new Function``, which our
    policy refuses (``unsafe-eval``): on a slow machine, where the first try came too early,
    that refusal failed the tests that watch for CSP refusals."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(expression, arg):
        if time.monotonic() > deadline:
            pytest.fail(f"still false after {seconds:.0f} s: {expression}")
        page.wait_for_timeout(100)


def screenshot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Keep a picture of what the person saw (test-artifacts/, ignored by git)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

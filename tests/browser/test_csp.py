"""The content policy in Chromium: the pages a requester, an agent, a guest and a manager use —
with the live room over Socket.IO, the skill graph, the charts and the API docs — run without a
single CSP violation, and no other site can frame them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import wait_until
from tests.browser.test_pages import sign_in

pytestmark = pytest.mark.browser

# Playwright's init scripts run outside the page's policy, so this listener sees every refusal
# (the console message is a second witness, for refusals reported before the listener exists).
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} ` +
                    `in ${e.sourceFile || e.documentURI}:${e.lineNumber}`);
});
"""


class Watched:
    """Pages of one browser context, each recording the policy violations it meets."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.console: list[str] = []
        context.add_init_script(LISTEN)

    def page(self) -> Page:
        page = self.context.new_page()
        page.on("console", self._console)
        return page

    def _console(self, message) -> None:  # type: ignore[no-untyped-def]
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(message.text)

    def assert_clean(self, page: Page) -> None:
        """No violation on ``page`` since it was loaded, nor in the console of any page."""
        assert page.evaluate("window.__csp") == []
        assert self.console == []


@pytest.fixture
def watched(browser, server) -> Iterator[object]:  # type: ignore[no-untyped-def]
    def start(base: str | None = None) -> Watched:
        context = browser.new_context(
            base_url=base or server["base"], viewport={"width": 1280, "height": 860}
        )
        contexts.append(context)
        return Watched(context)

    contexts: list[BrowserContext] = []
    yield start
    for context in contexts:
        context.close()


def visit(session: Watched, page: Page, path: str) -> None:
    page.goto(path)
    page.wait_for_load_state("load")
    session.assert_clean(page)


def test_the_policy_is_in_force(watched, server):
    """A script the page did not vouch for is refused and reported: the listener works."""
    session = watched()
    page = session.page()
    page.goto("/login")
    page.evaluate(
        """() => { const s = document.createElement("script");
                   s.textContent = "window.__ran = true"; document.head.append(s); }"""
    )
    expect(page.locator("body")).to_be_visible()
    assert page.evaluate("window.__ran") is None
    wait_until(page, "window.__csp.length > 0")
    assert page.evaluate("window.__csp")[0].startswith("script-src")
    assert session.console  # Chromium reported it too


def test_requester_pages_and_live_ticket_page(watched, server):
    session = watched()
    page = session.page()
    visit(session, page, "/login")
    sign_in(page, server["requester"])
    page.goto("/tickets/new")
    page.get_by_label("Subject").fill("AnyConnect says certificate expired")
    page.get_by_label("Description").fill("Cannot work from home since this morning.")
    page.get_by_role("button", name="Open ticket").click()
    expect(page.get_by_text("Ada Agent is handling it")).to_be_visible()
    # The requester's side of the live ticket: Socket.IO connected over the same origin.
    expect(page.locator("body")).to_have_attribute("data-live", "connected")
    session.assert_clean(page)
    for path in ("/tickets", "/account", "/no-such-page"):
        visit(session, page, path)


def test_agent_pages_room_coverage_guest_link_and_skill_graph(watched, browser, server):
    requester = watched()
    asker = requester.page()
    sign_in(asker, server["requester"])
    asker.goto("/tickets/new")
    asker.get_by_label("Subject").fill("AnyConnect drops every hour")
    asker.get_by_label("Description").fill("The tunnel drops.")
    asker.get_by_role("button", name="Open ticket").click()
    expect(asker.get_by_text("Ada Agent is handling it")).to_be_visible()
    ticket_path = asker.url.removeprefix(server["base"])

    session = watched()
    page = session.page()
    sign_in(page, server["agent"])
    page.goto(ticket_path)
    expect(page.locator("#room")).to_have_attribute("data-joined", "true")
    # The coverage bar's width comes from the <style> with the page's nonce: it was applied.
    bar = page.locator("#coverage .coverage span.covered")
    expect(bar).to_have_count(1)
    box, whole = bar.bounding_box(), page.locator("#coverage .coverage").bounding_box()
    assert box is not None and whole is not None
    assert box["width"] == pytest.approx(whole["width"], abs=2)
    page.get_by_label("Message to the swarm", exact=True).fill("Looking at the certificate.")
    page.get_by_label("Message to the swarm", exact=True).press("Enter")
    expect(page.locator("#room-messages")).to_contain_text("Looking at the certificate.")
    requester.assert_clean(asker)

    # A guest link: selected whole on focus (no onfocus attribute any more), and the guest page.
    page.get_by_label("Guest's name").fill("Sam Lee, Acme Networks")
    page.get_by_role("button", name="Create guest link").click()
    link = page.get_by_label("New guest link")
    # The listener is attached at DOMContentLoaded; on a loaded machine the input can be in the
    # page before that, and a focus then would find no listener yet.
    page.wait_for_load_state("domcontentloaded")
    link.focus()
    assert page.evaluate(
        "() => { const i = document.getElementById('new-guest-link');"
        " return i.selectionStart === 0 && i.selectionEnd === i.value.length; }"
    )
    session.assert_clean(page)
    guest = watched()
    guest_page = guest.page()
    guest_page.goto(link.input_value())
    expect(guest_page.locator("#room")).to_have_attribute("data-joined", "true")
    guest.assert_clean(guest_page)

    for path in ("/tickets", "/inbox", "/my-work", "/account", "/queues"):
        visit(session, page, path)
    page.goto("/me/skills")
    # Proficiency 4 of 5: the meter is four fifths full, from the stylesheet alone.
    meter = page.locator(".meter").first
    (fill, whole) = meter.locator("span").bounding_box(), meter.bounding_box()
    assert fill is not None and whole is not None
    assert fill["width"] == pytest.approx(whole["width"] * 0.8, abs=1)
    session.assert_clean(page)
    page.goto("/skills")
    page.get_by_label("Find a skill").fill("VPN")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#graph canvas").first).to_be_visible()
    session.assert_clean(page)


def test_manager_dashboard_settings_and_api_docs(watched, server):
    session = watched()
    page = session.page()
    sign_in(page, server["manager"])
    page.goto("/dashboard")
    wait_until(page, "!!(window.Chart && Chart.getChart(document.querySelector('canvas')))")
    session.assert_clean(page)
    for path in ("/settings/routing", "/admin/users"):
        visit(session, page, path)
    page.goto("/api/v1/docs")
    # Swagger UI drew the operations from the spec (its own inline blocks allowed by hash).
    expect(page.locator(".opblock").first).to_be_visible()
    session.assert_clean(page)


def test_another_site_cannot_frame_a_page(watched, server):
    page = watched().page()
    # about:blank is another origin; frame-ancestors 'none' (and X-Frame-Options) refuse it.
    with page.expect_console_message(lambda m: "frame-ancestors" in m.text):
        page.set_content(f'<iframe id="f" src="{server["base"]}/login"></iframe>')
    expect(page.frame_locator("#f").get_by_label("E-mail")).to_have_count(0)

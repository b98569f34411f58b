"""What a person does in the browser: sign in, open a ticket, find it, work it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.builders import PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def open_as_requester(browser, server, subject: str, body: str) -> tuple[Page, str]:  # type: ignore[no-untyped-def]
    """The requester opens a ticket: their page (still open, the caller closes its context)
    and the ticket's path."""
    requester = browser.new_context(base_url=server["base"]).new_page()
    sign_in(requester, server["requester"])
    requester.goto("/tickets/new")
    requester.get_by_label("Subject").fill(subject)
    requester.get_by_label("Description").fill(body)
    requester.get_by_role("button", name="Open ticket").click()
    expect(requester.get_by_role("heading", name=subject)).to_be_visible()
    return requester, re.sub(r"^https?://[^/]+", "", requester.url)


def test_wrong_password_says_so(page: Page, server):
    page.goto("/login")
    page.get_by_label("E-mail").fill(server["requester"])
    page.get_by_label("Password").fill("not my password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Wrong e-mail or password.")).to_be_visible()
    screenshot(page, "login-error")


def test_requester_opens_a_ticket_and_finds_it_in_the_list(page: Page, server):
    sign_in(page, server["requester"])
    page.get_by_role("link", name="New ticket").first.click()
    page.get_by_label("Subject").fill("Docking station: external monitor stays black")
    page.get_by_label("Description").fill("Since the Windows update on Monday.\nTried two cables.")
    page.get_by_label("Priority").select_option("P2")
    page.get_by_role("button", name="Open ticket").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("external monitor stays black")
    expect(page.get_by_text("opened the ticket (P2)")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("swarm mode")  # the arm is internal
    expect(page.get_by_text("Tried two cables.")).to_be_visible()
    ticket_url = page.url
    screenshot(page, "ticket-opened")

    page.get_by_role("link", name="My requests").click()
    page.get_by_label("Search").fill("docking")
    page.get_by_role("button", name="Apply filters").click()
    link = page.get_by_role("link", name="Docking station: external monitor stays black")
    expect(link).to_be_visible()
    screenshot(page, "ticket-list")
    link.click()
    assert page.url == ticket_url


def test_a_form_error_keeps_what_was_typed(page: Page, server):
    sign_in(page, server["requester"])
    page.goto("/tickets/new")
    page.get_by_label("Description").fill("A long description I do not want to type again.")
    page.get_by_role("button", name="Open ticket").click()
    expect(page.get_by_text("A subject is required.")).to_be_visible()
    expect(page.get_by_label("Description")).to_have_value(
        "A long description I do not want to type again."
    )


def test_agent_claims_and_resolves_a_ticket(page: Page, server, browser):
    requester, ticket_path = open_as_requester(
        browser, server, "Outlook asks for my password every hour", "Started after the MFA change."
    )
    requester.context.close()

    sign_in(page, server["agent"])
    page.get_by_role("link", name="Unassigned").click()
    page.get_by_role("link", name="Outlook asks for my password every hour").click()
    assert page.url.endswith(ticket_path)
    page.get_by_role("button", name="Claim this ticket").click()
    expect(page.get_by_text("You own this ticket now.")).to_be_visible()
    expect(page.get_by_text("claimed the ticket")).to_be_visible()

    page.get_by_label("Resolution").fill("Re-created the Outlook profile; modern auth enabled.")
    page.get_by_role("button", name="Resolve").click()
    expect(page.get_by_text("Ticket resolved.")).to_be_visible()
    expect(page.locator(".badge.status-resolved").first).to_be_visible()
    screenshot(page, "ticket-resolved")


def test_user_text_is_shown_as_text_never_run(page: Page, server):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page, server["requester"])
    page.goto("/tickets/new")
    page.get_by_label("Subject").fill('<img src=x onerror="alert(1)">')
    page.get_by_label("Description").fill("<script>alert('body')</script>")
    page.get_by_role("button", name="Open ticket").click()
    expect(page.get_by_text("<script>alert('body')</script>")).to_be_visible()
    page.goto("/tickets")
    expect(page.get_by_role("link", name='<img src=x onerror="alert(1)">')).to_be_visible()
    assert dialogs == []
    assert page.locator("main img").count() == 0


@pytest.mark.parametrize(
    ("who", "paths"),
    [
        ("requester", ["/tickets", "/tickets/new", "/account"]),
        ("agent", ["/tickets", "/tickets/new", "/account", "/tickets/1", "/me/skills", "/skills"]),
        ("admin", ["/admin/users"]),
    ],
)
def test_every_control_has_a_label_and_every_button_a_name(page: Page, server, who, paths):
    sign_in(page, server[who])
    for path in paths:
        page.goto(path)
        unnamed = page.evaluate(
            """() => {
              const bad = [];
              for (const el of document.querySelectorAll('input, select, textarea')) {
                if (el.type === 'hidden') continue;
                if (!(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
                  bad.push(el.outerHTML);
              }
              for (const b of document.querySelectorAll('button, a.button')) {
                if (!(b.textContent.trim() || b.getAttribute('aria-label'))) bad.push(b.outerHTML);
              }
              return bad;
            }"""
        )
        assert unnamed == [], f"{path}: {unnamed}"


def test_admin_adds_a_person_and_sees_them_listed(page: Page, server):
    sign_in(page, server["admin"])
    page.get_by_text("More", exact=True).click()  # the less-used links
    page.get_by_role("link", name="People").click()
    page.get_by_label("Name", exact=True).fill("Nora Network")
    page.get_by_label("E-mail").fill("nora@example.test")
    page.get_by_label("Initial password").fill("a-strong-password")
    page.get_by_label("Role", exact=True).select_option("agent")
    page.get_by_role("button", name="Add person").click()
    expect(page.get_by_text("Nora Network (agent) added.")).to_be_visible()
    expect(page.get_by_role("cell", name="nora@example.test")).to_be_visible()
    screenshot(page, "admin-people")


def test_agent_adds_a_skill_and_sees_it_grow(page: Page, server):
    sign_in(page, server["agent"])
    page.get_by_role("link", name="My skills").click()
    expect(page.get_by_role("cell", name="VPN", exact=True)).to_be_visible()
    page.get_by_label("Add skill").select_option(label="DNS (Networking)")
    page.get_by_label("at level").select_option("1")
    page.get_by_label("as a learning goal").check()
    page.get_by_role("button", name="Save skills").click()
    expect(page.get_by_text("Skill profile saved.")).to_be_visible()
    expect(page.get_by_label("Learning goal: DNS")).to_be_checked()
    expect(page.get_by_text("added at 1")).to_be_visible()
    screenshot(page, "my-skills")


def test_skill_graph_opens_by_category_and_shows_who_knows_a_skill(page: Page, server):
    sign_in(page, server["agent"])
    page.get_by_text("More", exact=True).click()
    page.get_by_role("link", name="Skill graph").click()
    expect(page.get_by_role("heading", name="Skills by category")).to_be_visible()
    expect(page.locator("#graph")).to_have_count(0)
    page.get_by_label("Find a skill").fill("VPN")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#panel-title")).to_have_text("VPN")
    expect(page.locator("#skill-panel").get_by_role("link", name="Ada Agent")).to_be_visible()
    # VPN and its one neighbour (Networking), not every skill at once.
    expect(page.locator("#graph")).to_have_attribute("data-nodes", "2")
    expect(page.locator("#graph canvas").first).to_be_visible()
    screenshot(page, "skill-graph")
    page.get_by_role("link", name="Show the whole graph").click()
    expect(page.locator("#graph")).to_have_attribute("data-nodes", "3")


def test_a_new_ticket_is_routed_and_the_page_says_why(page: Page, server, browser):
    requester, ticket_path = open_as_requester(
        browser,
        server,
        "AnyConnect says certificate expired",
        "Cannot work from home since this morning.",
    )
    # The requester learns who handles it, never why (routing internals are staff-only).
    expect(requester.get_by_text("Ada Agent is handling it")).to_be_visible()
    expect(requester.locator("body")).not_to_contain_text("routed it")
    requester.context.close()

    sign_in(page, server["agent"])
    page.goto(ticket_path)
    skills = page.locator("section", has=page.get_by_role("heading", name="Skills needed"))
    expect(skills.get_by_text('mentions "AnyConnect" (VPN)')).to_be_visible()
    suggestions = page.locator("section", has=page.get_by_role("heading", name="Suggestions"))
    expect(suggestions.get_by_text("knows VPN (4/5)").first).to_be_visible()
    coverage = suggestions.locator("#coverage")
    expect(coverage.get_by_text("Owned by Ada Agent.")).to_be_visible()
    expect(coverage.get_by_text("The owner covers every skill this ticket needs.")).to_be_visible()
    expect(coverage.locator('li[data-state="covered"]', has_text="VPN")).to_be_visible()
    expect(coverage.locator(".coverage span.covered")).to_have_count(1)
    screenshot(page, "ticket-suggestions")

"""The pages at a laptop's width (1366 px) and a phone's (390 px), and the type-ahead pickers
driven from the keyboard. Screenshots of each role's list, ticket and nav go to test-artifacts/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.test_pages import open_as_requester, sign_in

pytestmark = pytest.mark.browser

ROLES = ["requester", "agent", "manager", "admin"]
#: Pages with wide tables or forms that each role also uses.
MORE_PAGES = {
    "requester": ["/tickets/new"],
    "agent": ["/me/skills", "/queues/1", "/skills?find=VPN"],
    "manager": ["/settings/routing"],
    "admin": ["/admin/users"],
}


@pytest.fixture(scope="module")
def ticket_path(browser, server) -> str:
    """A ticket opened by the requester, for every role to look at."""
    page, path = open_as_requester(
        browser,
        server,
        "Laptop docking station: second screen stays dark",
        "Since Monday's update. Tried two cables.",
    )
    page.context.close()
    return path


def at_width(browser, server, width: int) -> Page:
    context = browser.new_context(base_url=server["base"], viewport={"width": width, "height": 860})
    return context.new_page()


def horizontal_overflow(page: Page) -> int:
    """How many pixels the page is wider than the window (0 when nothing is cut off)."""
    return int(
        page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
    )


def nav_is_one_line(page: Page) -> bool:
    """Whether the brand, every nav item, the account link and Sign out share one line: every
    box's top is above every other box's bottom."""
    boxes = page.evaluate(
        """() => [...document.querySelectorAll(
                 '.mainnav > ul > li, .topbar .brand, .topbar .who, .topbar .me button')]
               .map(el => el.getBoundingClientRect())
               .map(r => ({top: r.top, bottom: r.bottom}))"""
    )
    assert len(boxes) >= 5, "the nav has fewer items than any role sees"
    return max(b["top"] for b in boxes) < min(b["bottom"] for b in boxes)


@pytest.mark.parametrize("who", ROLES)
def test_at_1366_px_the_nav_is_one_line(browser, server, ticket_path, who):
    page = at_width(browser, server, 1366)
    sign_in(page, server[who])
    for path in ("/tickets", ticket_path):
        page.goto(path)
        assert nav_is_one_line(page), f"{who} on {path}: the nav wraps"
        expect(page.locator(".menu-button")).to_be_hidden()
        assert horizontal_overflow(page) == 0
    screenshot(page, f"ticket-{who}-1366")
    page.goto("/tickets")
    screenshot(page, f"list-{who}-1366")
    page.screenshot(
        path=str(_artifact(f"nav-{who}-1366")), clip={"x": 0, "y": 0, "width": 1366, "height": 64}
    )
    page.context.close()


@pytest.mark.parametrize("who", ROLES)
def test_at_390_px_nothing_is_cut_off_and_the_nav_folds_behind_a_menu(
    browser, server, ticket_path, who
):
    page = at_width(browser, server, 390)
    sign_in(page, server[who])
    for path in ["/tickets", ticket_path, "/account", *MORE_PAGES[who]]:
        page.goto(path)
        assert horizontal_overflow(page) == 0, f"{who} on {path} is wider than the phone"
    screenshot(page, f"account-{who}-390")
    page.goto(ticket_path)
    screenshot(page, f"ticket-{who}-390")

    page.goto("/tickets")
    # The ticket list reflows into one card per ticket: no cell is outside the window.
    link = page.get_by_role("link", name="Laptop docking station: second screen stays dark")
    box = link.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    screenshot(page, f"list-{who}-390")

    menu = page.get_by_role("button", name="Menu")
    new_ticket = page.locator(".mainnav").get_by_role("link", name="New ticket")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(new_ticket).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(new_ticket).to_be_visible()
    assert horizontal_overflow(page) == 0
    page.screenshot(path=str(_artifact(f"nav-{who}-390")))
    page.keyboard.press("Escape")
    expect(new_ticket).to_be_hidden()
    expect(menu).to_be_focused()
    page.context.close()


def _artifact(name: str):  # type: ignore[no-untyped-def]
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"


def test_the_pickers_work_from_the_keyboard(page: Page, server, ticket_path):
    sign_in(page, server["manager"])
    page.goto(ticket_path)

    assign = page.get_by_role("combobox", name="Assign to")
    expect(assign).to_have_value("")  # nobody is chosen for you
    assign.click()
    listbox = page.get_by_role("listbox", name="Assign to")
    expect(listbox).to_be_visible()
    expect(listbox.get_by_role("option", name=re.compile("Hugo Helper"))).to_contain_text("online")
    assign.press_sequentially("hug")
    expect(listbox.get_by_role("option")).to_have_count(1)
    assign.press("Escape")
    expect(listbox).to_be_hidden()
    assign.press("ArrowDown")
    expect(listbox).to_be_visible()
    assign.press("Enter")
    expect(assign).to_have_value("Hugo Helper")
    expect(page.locator("#assign-agent")).to_have_value(re.compile(r"^\d+$"))
    screenshot(page, "picker-assign")
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.get_by_text("Ticket assigned.")).to_be_visible()
    expect(page.locator("dl.fields")).to_contain_text("Hugo Helper")

    page.get_by_text("Correct the skills").click()
    skills = page.get_by_role("combobox", name="Skills")
    skills.click()
    for name in ("VPN", "DNS"):
        skills.press_sequentially(name.lower())
        skills.press("Enter")
    chosen = page.get_by_role("list", name="Chosen: Skills")
    expect(chosen.get_by_role("button", name="Remove VPN")).to_be_visible()
    expect(chosen.get_by_role("button", name="Remove DNS")).to_be_visible()
    expect(page.get_by_role("listbox", name="Skills")).to_have_attribute(
        "aria-multiselectable", "true"
    )
    skills.press("Escape")
    screenshot(page, "picker-skills")
    page.get_by_role("button", name="Save skills").click()
    expect(page.get_by_text("Skills corrected")).to_be_visible()
    needed = page.locator("section", has=page.get_by_role("heading", name="Skills needed"))
    expect(needed.locator(".chip", has_text="VPN")).to_be_visible()
    expect(needed.locator(".chip", has_text="DNS")).to_be_visible()


def test_an_empty_picker_does_not_submit(page: Page, server, ticket_path):
    sign_in(page, server["admin"])
    page.goto(ticket_path)
    page.get_by_role("button", name="Assign", exact=True).click()
    invalid = page.evaluate("() => document.querySelector('#assign-agent-search').validity.valid")
    assert invalid is False
    expect(page.get_by_text("Ticket assigned.")).to_have_count(0)

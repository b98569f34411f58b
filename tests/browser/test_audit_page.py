"""The audit log page as an admin uses it, at a laptop's width (1366 px) and a phone's (390 px);
screenshots go to test-artifacts/audit-*.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import csp_violations, screenshot
from tests.browser.test_layout import horizontal_overflow
from tests.browser.test_pages import sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1366, 390])
def test_admin_finds_a_revoked_token_in_the_audit_log(browser, server, width):
    context = browser.new_context(base_url=server["base"], viewport={"width": width, "height": 860})
    violations = csp_violations(context)
    page = context.new_page()
    sign_in(page, server["admin"])
    name = f"audit check {width}"
    page.goto("/account")
    page.get_by_label("Token name").fill(name)
    page.get_by_role("button", name="Create token").click()
    page.once("dialog", lambda dialog: dialog.accept())  # "Revoke token …?"
    page.get_by_role("button", name=f"Revoke token {name}").click()
    expect(page.get_by_text(f"Token “{name}” revoked.")).to_be_visible()

    # Found where admins find their pages: under More (behind Menu on a phone).
    if page.locator(".menu-button").is_visible():
        page.locator(".menu-button").click()
    page.get_by_text("More", exact=True).click()
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    rows = page.locator("table.audit tbody tr")
    expect(rows.filter(has_text="revoked an API token").filter(has_text=name)).to_have_count(1)
    expect(rows.filter(has_text="signed in").first).to_be_visible()
    assert horizontal_overflow(page) == 0, "the audit log is wider than the window"
    screenshot(page, f"audit-{width}")

    page.get_by_label("Action").select_option("token_revoked")
    page.get_by_role("button", name="Show").click()
    expect(rows.filter(has_text=name)).to_have_count(1)
    assert rows.filter(has_text="signed in").count() == 0
    assert horizontal_overflow(page) == 0
    screenshot(page, f"audit-filtered-{width}")
    context.close()
    assert violations == []


def test_the_audit_log_is_not_for_managers(page, server):
    sign_in(page, server["manager"])
    expect(page.get_by_role("link", name="Audit log")).to_have_count(0)
    response = page.goto("/admin/audit")
    assert response is not None and response.status == 403

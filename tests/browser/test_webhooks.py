"""The webhooks page in Chromium, as the admin who uses it: register a URL (the secret shown
once), watch a delivery made by the server's own outbox worker arrive signed at a receiver on
loopback, send it again; at a desk's width and a phone's."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from standardwebhooks import Webhook as Verifier

from tests.browser.conftest import screenshot
from tests.browser.test_pages import sign_in
from tests.service.test_outbox import Receiver

pytestmark = pytest.mark.browser


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def test_an_admin_registers_a_webhook_and_sees_its_delivery(browser, server, receiver):
    admin = browser.new_context(base_url=server["base"], viewport={"width": 1366, "height": 900})
    page = admin.new_page()
    sign_in(page, server["admin"])
    page.goto("/admin/webhooks")
    page.get_by_label("URL").fill(f"{receiver.base}/ok")
    page.get_by_label("Description").fill("CRM bridge")
    page.get_by_label("resolved").uncheck()
    page.get_by_role("button", name="Add webhook").click()
    secret = page.get_by_role("textbox", name="Secret").input_value()
    assert secret.startswith("whsec_")
    expect(page.get_by_text("Copy its secret now")).to_be_visible()

    asker = browser.new_context(base_url=server["base"]).new_page()
    sign_in(asker, server["requester"])
    asker.goto("/tickets/new")
    asker.get_by_label("Subject").fill("Webhook test: printer offline")
    asker.get_by_label("Description").fill("Third floor.")
    asker.get_by_role("button", name="Open ticket").click()
    asker.context.close()

    # The server's worker delivers within a round or two (SWARM_WORKER_SECONDS, 1 s).
    page.wait_for_timeout(200)
    for _ in range(40):
        page.goto("/admin/webhooks")
        if page.locator("td .badge", has_text="delivered").count():
            break
        page.wait_for_timeout(250)
    expect(page.locator("td .badge", has_text="delivered")).to_have_count(1)
    [(_, headers, body)] = [r for r in receiver.received if b"printer offline" in r[2]]
    assert Verifier(secret).verify(body, headers)["data"]["type"] == "created"
    expect(page.get_by_text("200 · ").first).to_be_visible()
    screenshot(page, "webhooks-admin-1366")

    page.get_by_role("button", name=re.compile(r"Send delivery \d+ again")).first.click()
    expect(page.get_by_text("Sent again")).to_be_visible()
    for _ in range(40):
        if len([r for r in receiver.received if b"printer offline" in r[2]]) == 2:
            break
        page.wait_for_timeout(250)
    again = [r for r in receiver.received if b"printer offline" in r[2]]
    assert len(again) == 2 and again[0][1]["webhook-id"] == again[1][1]["webhook-id"]

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/admin/webhooks")
    expect(page.get_by_role("button", name="Add webhook")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "webhooks-admin-390")
    admin.close()

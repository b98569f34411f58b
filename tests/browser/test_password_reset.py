""" "Forgot your password?" in a browser, against a real server whose worker mails the link to an
SMTP server on loopback: a requester made by mail (no password) asks, opens the link, sets a
password and is signed in — at a laptop's width (1366 px) and a phone's (390 px), in English and
in German; an admin has a link sent from /admin/users; and the pages of a server without mail.
Screenshots: test-artifacts/reset-*.png."""

from __future__ import annotations

import email
import re
import time
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Page, expect

from swarm.accounts.passwords import hash_password
from swarm.clock import SystemClock
from swarm.db import make_engine, make_session_factory
from swarm.migrate import upgrade
from swarm.models import User
from tests.browser.conftest import csp_violations, running_server, screenshot
from tests.browser.test_layout import horizontal_overflow
from tests.browser.test_pages import sign_in
from tests.builders import PASSWORD, make_agent
from tests.integration.mailservers import free_port

pytestmark = pytest.mark.browser

PUBLIC = "https://support.example.org"
WIDTHS = (1366, 390)


class Inbox:
    def __init__(self) -> None:
        self.mails: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content
        self.mails.append(email.message_from_bytes(raw, policy=policy.default))  # type: ignore[arg-type]
        return "250 OK"

    def link_for(self, address: str, after: int, seconds: float = 30.0) -> str:
        """The path of the reset link in the first mail to ``address`` past the first ``after``."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for mail in self.mails[after:]:
                if address in str(mail["To"]):
                    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
                    found = re.search(re.escape(PUBLIC) + r"(/reset/\S+)", text)
                    assert found, text
                    return found.group(1)
            time.sleep(0.1)
        pytest.fail(f"no mail to {address} within {seconds:.0f} s")


@pytest.fixture(scope="module")
def mail_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A server with mail on, and people made by the mail intake: no password (each test
    width and language has its own)."""
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    instance = tmp_path_factory.mktemp("reset-instance")
    url = f"sqlite:///{instance / 'swarm.db'}"
    upgrade(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        now = SystemClock().now()
        for n, name in enumerate(("Rita Requester", "Rolf Requester", "Rena", "Rudi")):
            session.add(
                User(
                    email=f"person{n}@example.org",
                    name=name,
                    role="requester",
                    password_hash=None,
                    active=True,
                    created_at=now,
                )
            )
        # An admin, who has links sent to people who cannot sign in (from /admin/users).
        session.add(
            User(
                email="ann@example.org",
                name="Ann Admin",
                role="admin",
                password_hash=hash_password(PASSWORD),
                active=True,
                created_at=now,
            )
        )
        make_agent(session, SystemClock(), name="Ada Agent")  # her row has the tiers' form too
        session.commit()
    engine.dispose()
    settings = {
        "SWARM_SMTP_URL": f"smtp://127.0.0.1:{port}",
        "SWARM_SUPPORT_ADDRESS": "support@example.org",
        "SWARM_PUBLIC_URL": PUBLIC,
        "SWARM_WORKER_SECONDS": "0.2",
    }
    try:
        with running_server(url, instance, **settings) as base:
            yield {"base": base, "inbox": inbox}
    finally:
        controller.stop()


def fits(page: Page) -> None:
    assert horizontal_overflow(page) == 0


@pytest.mark.parametrize(
    ("width", "language", "person"),
    [(1366, "en", 0), (390, "en", 1), (1366, "de", 2), (390, "de", 3)],
)
def test_a_requester_made_by_mail_sets_a_password_and_is_signed_in(
    browser, mail_server, width, language, person
):  # type: ignore[no-untyped-def]
    context = browser.new_context(
        base_url=mail_server["base"],
        viewport={"width": width, "height": 860},
        locale="de-DE" if language == "de" else "en-US",
    )
    violations = csp_violations(context)
    page = context.new_page()
    de = language == "de"
    address = f"person{person}@example.org"
    page.goto("/login")
    page.get_by_role("link", name="Passwort vergessen?" if de else "Forgot your password?").click()
    expect(page).to_have_url(re.compile(r"/forgot-password$"))
    fits(page)
    screenshot(page, f"reset-{language}-forgot-{width}")
    sent_before = len(mail_server["inbox"].mails)
    page.get_by_label("E-Mail" if de else "E-mail").fill(address)
    page.get_by_role("button", name="Link senden" if de else "Send me a link").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator(".flash-info")).to_contain_text(
        "Wenn diese Adresse" if de else "If that address belongs to an account here"
    )
    fits(page)
    screenshot(page, f"reset-{language}-asked-{width}")

    path = mail_server["inbox"].link_for(address, sent_before)
    page.goto(path)
    expect(page.get_by_role("heading")).to_have_text(
        "Neues Passwort wählen" if de else "Choose a new password"
    )
    fits(page)
    # A refusal first, to see the field's error at this width.
    page.locator("#new_password").fill("one passphrase")
    page.locator("#confirm_password").fill("another passphrase")
    page.get_by_role(
        "button", name="Neues Passwort speichern" if de else "Set the new password"
    ).click()
    expect(page.locator(".field-error")).to_contain_text(
        "zweimal dasselbe neue Passwort" if de else "Type the same new password twice."
    )
    fits(page)
    screenshot(page, f"reset-{language}-refused-{width}")
    page.locator("#new_password").fill("my own first passphrase")
    page.locator("#confirm_password").fill("my own first passphrase")
    page.get_by_role(
        "button", name="Neues Passwort speichern" if de else "Set the new password"
    ).click()
    expect(page).to_have_url(re.compile(r"/portal$"))
    expect(page.get_by_role("button", name="Abmelden" if de else "Sign out")).to_be_visible()
    fits(page)
    screenshot(page, f"reset-{language}-done-{width}")

    # The link is used up.
    page.goto(path)
    expect(page.locator("#link-dead")).to_be_visible()
    fits(page)
    screenshot(page, f"reset-{language}-dead-{width}")
    context.close()
    assert violations == []


@pytest.mark.parametrize("width", WIDTHS)
def test_without_mail_the_page_says_to_ask_an_admin(browser, server, width):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=server["base"], viewport={"width": width, "height": 860})
    page = context.new_page()
    page.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.locator("#reset-off")).to_contain_text("Ask an admin")
    expect(page.get_by_label("E-mail")).to_have_count(0)
    fits(page)
    screenshot(page, f"reset-off-{width}")
    context.close()


@pytest.mark.parametrize(("width", "person"), [(1366, 2), (390, 3)])
def test_an_admin_sends_a_link_from_the_people_page(browser, mail_server, width, person):  # type: ignore[no-untyped-def]
    context = browser.new_context(
        base_url=mail_server["base"], viewport={"width": width, "height": 860}
    )
    violations = csp_violations(context)
    page = context.new_page()
    sign_in(page, "ann@example.org")
    page.goto("/admin/users")
    address = f"person{person}@example.org"
    name = ("Rita Requester", "Rolf Requester", "Rena", "Rudi")[person]
    fits(page)
    screenshot(page, f"reset-admin-people-{width}")
    sent_before = len(mail_server["inbox"].mails)
    page.get_by_role("button", name=f"Send {name} a password reset link").click()
    expect(page.locator(".flash-info")).to_have_text(
        f"A link to choose a new password is on its way to {address}."
    )
    fits(page)
    screenshot(page, f"reset-admin-sent-{width}")
    assert mail_server["inbox"].link_for(address, sent_before).startswith("/reset/")
    context.close()
    assert violations == []


@pytest.mark.parametrize("width", WIDTHS)
def test_without_mail_the_people_page_says_why_there_is_no_button(browser, server, width):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=server["base"], viewport={"width": width, "height": 860})
    page = context.new_page()
    sign_in(page, server["admin"])
    page.goto("/admin/users")
    expect(page.locator("#reset-off")).to_contain_text("this Swarm sends no mail")
    expect(page.get_by_role("button", name=re.compile("password reset link"))).to_have_count(0)
    fits(page)
    screenshot(page, f"reset-admin-off-{width}")
    context.close()

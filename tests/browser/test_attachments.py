"""Files that came with a ticket's mails, in the browser at 1366 and 390 px: the requester and
the agent see them under the description and download them (a download, never a page), and
a file name full of markup stays text."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from swarm.db import make_engine, make_session_factory
from swarm.models import MailAttachment, MailIntake, MailOutcome
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

NAME = '<img src=x onerror="window.__x=1">report.html'
LOG = b"2026-12-04 09:00 scanner: paper jam in tray 2\n"


def mail_files(database_url: str, ticket_id: int, sender: str) -> None:
    engine = make_engine(database_url)
    with make_session_factory(engine)() as session:
        session.add(
            MailIntake(
                key=f"browser-{ticket_id}",
                message_id=f"<browser-{ticket_id}@example.org>",
                sender=sender,
                source="smtp",
                outcome=MailOutcome.REPLY,
                ticket_id=ticket_id,
                received_at=datetime.now(UTC),
                attachments=[
                    MailAttachment(
                        filename="scanner.log", content_type="text/plain", size=len(LOG), data=LOG
                    ),
                    MailAttachment(
                        filename=NAME, content_type="text/html", size=5, data=b"<b>x</b>"
                    ),
                ],
            )
        )
        session.commit()
    engine.dispose()


def test_requester_and_agent_download_the_mailed_files(people, server, width):  # type: ignore[no-untyped-def]
    requester = people("requester")
    opened = requester.request.post(
        "/api/v1/tickets",
        data={"subject": f"Scanner jams ({width})", "body": "The log is attached."},
    )
    assert opened.status == 201
    ticket = opened.json()["id"]
    mail_files(server["database"], ticket, server["requester"])

    for who, page in (("requester", requester), ("agent", people("agent"))):
        page.goto(f"/tickets/{ticket}")
        files = page.locator("#attachments")
        expect(files.get_by_role("heading", name="Attachments")).to_be_visible()
        expect(files.get_by_role("link", name="scanner.log")).to_be_visible()
        # The markup in the second file's name is its name, shown as text.
        expect(files.get_by_role("link", name=NAME)).to_be_visible()
        assert page.evaluate("window.__x") is None
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        with page.expect_download() as download:
            files.get_by_role("link", name="scanner.log").click()
        saved = download.value
        assert saved.suggested_filename == "scanner.log"
        assert Path(saved.path()).read_bytes() == LOG
        screenshot(page, f"attachments-{who}-{width}")

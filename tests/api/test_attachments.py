"""Attachments that came with a ticket's mails: who may list and download them, and how a
download is served so that nothing a stranger mailed can run in our origin."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from swarm.models import MailAttachment, MailIntake, MailOutcome
from tests.builders import make_user

HTML = b"<script>parent.stolen = document.cookie</script>"


@pytest.fixture
def mailed(db, clock, login, requester):
    """A ticket the requester opened, with two files from their mail: one harmless PNG and
    one HTML page that would run script if shown inline."""
    ticket = (
        login(requester)
        .post("/api/v1/tickets", json={"subject": "Scanner error", "body": "See the files."})
        .json
    )
    intake = MailIntake(
        key="k" * 64,
        message_id="<m1@client.example.org>",
        sender="rita@example.org",
        source="smtp",
        outcome=MailOutcome.TICKET,
        ticket_id=ticket["id"],
        received_at=clock.now(),
        attachments=[
            MailAttachment(
                filename="screen.png", content_type="image/png", size=4, data=b"\x89PNG"
            ),
            MailAttachment(
                filename='évil"\r\nSet-Cookie: x=1.html',
                content_type="text/html",
                size=len(HTML),
                data=HTML,
            ),
        ],
    )
    db.add(intake)
    db.commit()
    return ticket, [a.id for a in intake.attachments]


def test_staff_and_the_requester_list_the_files_without_their_bytes(
    login, agent, requester, mailed
):
    ticket, ids = mailed
    for user in (agent, requester):
        answer = login(user).get(f"/api/v1/tickets/{ticket['id']}/attachments")
        assert answer.status_code == 200
        items = answer.json["items"]
        assert [i["id"] for i in items] == ids
        assert items[0]["filename"] == "screen.png" and items[0]["size"] == 4
        assert "data" not in items[0]
        assert items[0]["url"] == f"/api/v1/tickets/{ticket['id']}/attachments/{ids[0]}"


def test_a_download_is_the_bytes_as_an_attachment(login, agent, mailed):
    ticket, (png, _html) = mailed
    answer = login(agent).get(f"/api/v1/tickets/{ticket['id']}/attachments/{png}")
    assert answer.status_code == 200
    assert answer.data == b"\x89PNG"
    assert answer.headers["Content-Type"] == "image/png"
    assert answer.headers["Content-Disposition"].startswith('attachment; filename="screen.png"')
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_html_from_a_mail_is_never_served_as_html_and_its_name_cannot_inject_headers(
    login, agent, mailed
):
    ticket, (_png, html) = mailed
    answer = login(agent).get(f"/api/v1/tickets/{ticket['id']}/attachments/{html}")
    assert answer.status_code == 200 and answer.data == HTML
    assert answer.headers["Content-Type"] == "application/octet-stream"
    assert "sandbox" in answer.headers["Content-Security-Policy"]
    assert "Set-Cookie" not in answer.headers
    header = answer.headers["Content-Disposition"]
    assert "\r" not in header and "\n" not in header
    exact = header.split("filename*=UTF-8''", 1)[1]
    assert unquote(exact) == 'évil"\r\nSet-Cookie: x=1.html'


def test_another_requester_finds_neither_the_list_nor_the_file(db, clock, login, mailed):
    ticket, (png, _html) = mailed
    stranger = login(make_user(db, clock, name="Sam Stranger"))
    assert stranger.get(f"/api/v1/tickets/{ticket['id']}/attachments").status_code == 404
    answer = stranger.get(f"/api/v1/tickets/{ticket['id']}/attachments/{png}")
    assert answer.status_code == 404 and answer.json["error"]["code"] == "not_found"


def test_an_attachment_id_of_another_ticket_is_not_found_on_this_one(
    login, agent, requester, mailed
):
    _ticket, (png, _html) = mailed
    other = (
        login(requester)
        .post("/api/v1/tickets", json={"subject": "Another", "body": "No files here."})
        .json
    )
    assert login(agent).get(f"/api/v1/tickets/{other['id']}/attachments").json == {"items": []}
    answer = login(agent).get(f"/api/v1/tickets/{other['id']}/attachments/{png}")
    assert answer.status_code == 404


def test_anonymous_callers_get_401(app, mailed):
    ticket, (png, _html) = mailed
    client = app.test_client()
    assert client.get(f"/api/v1/tickets/{ticket['id']}/attachments").status_code == 401
    assert client.get(f"/api/v1/tickets/{ticket['id']}/attachments/{png}").status_code == 401


def test_the_ticket_page_links_the_files_for_staff_and_requester(login, agent, requester, mailed):
    ticket, (png, _html) = mailed
    for user in (agent, requester):
        page = login(user).get(f"/tickets/{ticket['id']}").get_data(as_text=True)
        assert f"/api/v1/tickets/{ticket['id']}/attachments/{png}" in page
        assert "screen.png" in page
        assert "évil&#34;" in page or "évil&quot;" in page  # the name is escaped text

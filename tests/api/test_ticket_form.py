"""The new-ticket page checks its form with the API's schema (TicketIn): a page refuses what the
API refuses, field by field, keeps what was typed, and stores nothing."""

from __future__ import annotations

import html as markup
import re

import pytest
from sqlalchemy import func, select

from swarm.models import Ticket
from tests.api.test_pages import html, post_form

REFUSED = [
    ({"subject": "", "body": "Paper jam light.", "priority": "P3"}, "subject"),
    ({"subject": "   ", "body": "Paper jam light.", "priority": "P3"}, "subject"),
    ({"subject": "x" * 201, "body": "Paper jam light.", "priority": "P3"}, "subject"),
    ({"subject": "Printer", "body": "", "priority": "P3"}, "body"),
    ({"subject": "Printer", "body": "Paper jam light.", "priority": "P9"}, "priority"),
]


@pytest.mark.parametrize(("typed", "field"), REFUSED)
def test_the_page_refuses_a_ticket_the_api_refuses_with_the_same_reason(
    login, db, requester, typed, field
):
    client = login(requester)
    api = client.post("/api/v1/tickets", json=typed)
    assert api.status_code == 422
    reasons = api.json["error"]["fields"][field]

    page = post_form(client, "/tickets/new", "/tickets/new", **typed)

    assert page.status_code == 422
    shown = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', html(page), re.S)
    assert shown is not None and markup.unescape(shown.group(1)) == " ".join(reasons)
    if typed["subject"].strip():
        assert markup.escape(typed["subject"]) in html(page)  # what was typed stays
    assert db.scalar(select(func.count()).select_from(Ticket)) == 0


def test_the_page_opens_a_ticket_the_api_would_open(login, db, requester):
    client = login(requester)
    page = post_form(
        client, "/tickets/new", "/tickets/new", subject="Printer", body="Paper jam light."
    )
    assert page.status_code == 302
    ticket = db.scalars(select(Ticket)).one()
    assert (ticket.subject, ticket.priority) == ("Printer", "P3")  # the schema's default

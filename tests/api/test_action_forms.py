"""The ticket page's forms are checked by the API's schemas for the same changes
(swarm/web/ticket_pages.py FORMS): a value the API refuses is refused on the page with the
API's own sentence beside the field, what was typed stays in the form, and nothing changes."""

from __future__ import annotations

import html as markup
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from swarm.models import Ticket, TicketEvent
from swarm.models.knowledge import Article
from swarm.web.forms import REFUSED
from tests.api.test_pages import html, open_ticket, post_form
from tests.builders import make_agent, make_user

# (who acts, the ticket's state, the page's action, its form, the API's path and JSON for the
# same change, the refused field, the id of the page's element for it)
CASES: list[tuple[str, str, str, dict[str, Any], str, dict[str, Any], str, str]] = [
    ("agent", "open", "note", {"body": "   "}, "notes", {"body": "   "}, "body", "note-body"),
    (
        "agent",
        "open",
        "assign",
        {"agent_id": "Olga"},
        "assign",
        {"agent_id": "Olga"},
        "agent_id",
        "assign-agent",
    ),
    (
        "agent",
        "open",
        "assign",
        {"agent_id": "0"},
        "assign",
        {"agent_id": 0},
        "agent_id",
        "assign-agent",
    ),
    (
        "agent",
        "open",
        "status",
        {"status": "done"},
        "status",
        {"status": "done"},
        "status",
        "status",
    ),
    (
        "agent",
        "open",
        "resolve",
        {"resolution": ""},
        "resolve",
        {"resolution": ""},
        "resolution",
        "resolution",
    ),
    (
        "agent",
        "open",
        "resolve",
        {"resolution": "Swapped the toner.", "more_articles": "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11"},
        "resolve",
        {"resolution": "Swapped the toner.", "articles": list(range(1, 12))},
        "articles",
        "more-articles",
    ),
    (
        "agent",
        "resolved",
        "reopen",
        {"reason": "x" * 2001},
        "reopen",
        {"reason": "x" * 2001},
        "reason",
        "reopen-reason",
    ),
    (
        "requester",
        "resolved",
        "rate",
        {"score": "9"},
        "satisfaction",
        {"score": 9},
        "score",
        "score",
    ),
    (
        "requester",
        "resolved",
        "rate",
        {"score": "five"},
        "satisfaction",
        {"score": "five"},
        "score",
        "score",
    ),
    (
        "requester",
        "resolved",
        "rate",
        {"comment": "Quick, thanks."},
        "satisfaction",
        {"comment": "Quick, thanks."},
        "score",
        "score",
    ),
    (
        "requester",
        "resolved",
        "rate",
        {"score": "4", "comment": "y" * 2001},
        "satisfaction",
        {"score": 4, "comment": "y" * 2001},
        "comment",
        "satisfaction-comment",
    ),
    (
        "agent",
        "open",
        "guests",
        {"name": " ", "hours": "24"},
        "guests",
        {"name": " "},
        "name",
        "guest-name",
    ),
    (
        "agent",
        "open",
        "guests",
        {"name": "Sam Vendor", "hours": "100000"},
        "guests",
        {"name": "Sam Vendor", "hours": 100000},
        "hours",
        "guest-hours",
    ),
]


#: Fields chosen from a list (a select, radio buttons, a hidden field), not typed.
CHOSEN = {"agent_id", "status", "score", "hours"}


def _ticket_in(state: str, customer, staff) -> int:
    ticket = open_ticket(customer)
    assert staff.post(f"/api/v1/tickets/{ticket['id']}/claim").status_code == 200
    if state == "resolved":
        done = staff.post(f"/api/v1/tickets/{ticket['id']}/resolve", json={"resolution": "Done."})
        assert done.status_code == 200, done.json
    return int(ticket["id"])


def _shown(page: str, element: str) -> str | None:
    found = re.search(rf'<p class="field-error" id="{element}-error">(.*?)</p>', page, re.S)
    return markup.unescape(found.group(1)) if found else None


@pytest.mark.parametrize(
    ("who", "state", "action", "form", "api_path", "api_json", "field", "element"), CASES
)
def test_the_ticket_page_refuses_what_the_api_refuses_in_its_words(
    login, db, requester, agent, who, state, action, form, api_path, api_json, field, element
):
    customer, staff = login(requester), login(agent)
    ticket_id = _ticket_in(state, customer, staff)
    client = customer if who == "requester" else staff
    events = db.scalar(select(func.count()).select_from(TicketEvent))

    api = client.post(f"/api/v1/tickets/{ticket_id}/{api_path}", json=api_json)
    assert api.status_code == 422, api.json
    reasons = api.json["error"]["fields"][field]

    page_path = f"/tickets/{ticket_id}"
    page = post_form(client, f"{page_path}/{action}", page_path, **form)

    assert page.status_code == 422
    assert _shown(html(page), element) == " ".join(reasons)
    assert f'aria-describedby="{element}-error' in html(page) or field in ("score", "status")
    form_name = "guest" if action == "guests" else action
    above = REFUSED.get((form_name, field), "Not saved: see the messages beside the fields.")
    assert markup.escape(above) in html(page)
    for name, typed in form.items():
        if typed.strip() and name not in CHOSEN:
            assert markup.escape(typed) in html(page)  # what was typed stays
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(TicketEvent)) == events  # nothing changed
    assert db.get(Ticket, ticket_id).status == state


def test_a_refusal_is_shown_beside_the_form_it_came_from_only(login, requester, agent):
    """The reopen and the release forms both have a ``reason``; the note form's ``body`` is
    not the new-ticket form's. A refusal marks the one form that was sent."""
    staff = login(agent)
    ticket_id = _ticket_in("open", login(requester), staff)
    page_path = f"/tickets/{ticket_id}"
    page = html(post_form(staff, f"{page_path}/note", page_path, body=""))
    assert _shown(page, "note-body")
    assert page.count('class="field-error"') == 1


def test_good_values_go_through_the_schema_to_the_service(login, db, requester, agent):
    staff, customer = login(agent), login(requester)
    ticket_id = _ticket_in("open", customer, staff)
    page_path = f"/tickets/{ticket_id}"
    answer = post_form(staff, f"{page_path}/note", page_path, body="Checked the toner.")
    assert answer.status_code == 302
    answer = post_form(staff, f"{page_path}/resolve", page_path, resolution="New toner.")
    assert answer.status_code == 302
    answer = post_form(customer, f"{page_path}/rate", page_path, score="5", comment="")
    assert answer.status_code == 302
    rating = customer.get(f"/api/v1/tickets/{ticket_id}/satisfaction").json["rating"]
    assert rating["data"]["score"] == 5 and "comment" not in rating["data"]
    db.expire_all()
    assert db.get(Ticket, ticket_id).resolution == "New toner."


# ------------------------------------------------------------------ tiered mode's forms


@pytest.fixture
def tiered(db, clock, login, requester, manager):
    """A tiered desk: an agent in Tier 1 and one in Tier 4 (vendors), and a vendor."""
    people = {}
    for tier, name in ((1, "Lee One"), (4, "Vic Vendors")):
        person = make_agent(db, clock, name=name)
        person.profile.tier = tier
        db.commit()
        people[tier] = login(person)
    boss = login(manager)
    assert boss.put("/api/v1/config/routing", json={"mode": "tiered"}).status_code == 200
    vendor = boss.post("/api/v1/vendors", json={"name": "Acme", "sla_seconds": 600}).json
    ticket = open_ticket(login(requester))
    return {"l1": people[1], "l4": people[4], "vendor": vendor, "ticket": ticket["id"]}


TIER_CASES = [
    # (who, the ticket's tier, page path, form, API path, API JSON, field, element, above)
    (
        "l1",
        1,
        "escalate",
        {"reason": "  ", "to_tier": "2", "from_tier": "1"},
        "escalate",
        {"reason": "  ", "to_tier": 2, "from_tier": 1},
        "reason",
        "escalate-reason",
        "Say why you escalate the ticket: the next tier reads it first.",
    ),
    (
        "l1",
        1,
        "escalate",
        {"reason": "Print server", "to_tier": "two", "from_tier": "1"},
        "escalate",
        {"reason": "Print server", "to_tier": "two", "from_tier": 1},
        "to_tier",
        "escalate-to",
        "Not saved: see the messages beside the fields.",
    ),
    (
        "l4",
        4,
        "vendor",
        {"vendor_id": "", "external_ref": "ACME-1"},
        "vendor",
        {"external_ref": "ACME-1"},
        "vendor_id",
        "handoff-vendor",
        "Not saved: see the messages beside the fields.",
    ),
    (
        "l4",
        4,
        "vendor",
        {"vendor_id": "VENDOR", "external_ref": "r" * 121},
        "vendor",
        {"vendor_id": "VENDOR", "external_ref": "r" * 121},
        "external_ref",
        "handoff-ref",
        "Not saved: see the messages beside the fields.",
    ),
]


@pytest.mark.parametrize(
    ("who", "tier", "path", "form", "api_path", "api_json", "field", "element", "above"),
    TIER_CASES,
)
def test_the_tier_forms_refuse_what_the_api_refuses_in_its_words(
    tiered, db, who, tier, path, form, api_path, api_json, field, element, above
):
    ticket_id, client = tiered["ticket"], tiered[who]
    if tier == 4:
        moved = tiered["l1"].post(
            f"/api/v1/tickets/{ticket_id}/escalate", json={"reason": "firmware", "to_tier": 4}
        )
        assert moved.status_code == 200, moved.json
    vendor = str(tiered["vendor"]["id"])
    form = {k: vendor if v == "VENDOR" else v for k, v in form.items()}
    api_json = {k: int(vendor) if v == "VENDOR" else v for k, v in api_json.items()}
    events = db.scalar(select(func.count()).select_from(TicketEvent))

    api = client.post(f"/api/v1/tickets/{ticket_id}/{api_path}", json=api_json)
    assert api.status_code == 422, api.json
    reasons = api.json["error"]["fields"][field]

    page_path = f"/tickets/{ticket_id}"
    page = post_form(client, f"{page_path}/{path}", page_path, **form)

    assert page.status_code == 422
    assert _shown(html(page), element) == " ".join(reasons)
    assert f'aria-describedby="{element}-error"' in html(page)
    assert markup.escape(above) in html(page)
    for name, typed in form.items():
        if typed.strip() and name in ("reason", "external_ref"):
            assert markup.escape(typed) in html(page)  # what was typed stays
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(TicketEvent)) == events


def test_the_page_says_the_schema_s_sentence_in_the_reader_s_language(login, requester, agent):
    """The API answers in English field by field; the page says the same sentence in German."""
    customer = login(requester)
    ticket_id = _ticket_in("resolved", customer, login(agent))
    customer.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    page_path = f"/tickets/{ticket_id}"
    page = post_form(customer, f"{page_path}/rate", page_path, comment="Schnell, danke.")
    assert page.status_code == 422
    assert _shown(html(page), "score") == "Dieses Feld ist erforderlich."
    assert "Schnell, danke." in html(page)
    api = customer.post(f"/api/v1/tickets/{ticket_id}/satisfaction", json={})
    assert api.json["error"]["fields"]["score"] == ["Missing data for required field."]


# ------------------------------------------------------------------ knowledge base editor


@pytest.mark.parametrize(
    ("form", "field"),
    [
        (
            {"title": "", "body": "Reseat the toner.", "category": "", "visibility": "public"},
            "title",
        ),
        ({"title": "t" * 201, "body": "Reseat the toner.", "category": ""}, "title"),
        ({"title": "Toner", "body": "Reseat the toner.", "category": "c" * 81}, "category"),
        ({"title": "Toner", "body": "Reseat it.", "visibility": "everyone"}, "visibility"),
    ],
)
def test_the_article_editor_refuses_what_the_api_refuses(login, db, agent, form, field):
    staff = login(agent)
    api = staff.post("/api/v1/articles", json=form)
    assert api.status_code == 422, api.json
    page = post_form(staff, "/kb/new", "/kb/new", **form)
    assert page.status_code == 422
    if field != "visibility":  # a select: its refusal is in the message above
        assert _shown(html(page), f"kb-{field}") == " ".join(api.json["error"]["fields"][field])
    assert markup.escape(form["body"]) in html(page)  # what was typed stays
    assert db.scalar(select(func.count()).select_from(Article)) == 0


def test_an_emptied_title_is_refused_not_left_as_it_was(login, db, agent):
    staff = login(agent)
    made = staff.post("/api/v1/articles", json={"title": "Toner", "body": "Reseat it."}).json
    api = staff.put(f"/api/v1/articles/{made['id']}", json={"version": 1, "title": ""})
    assert api.status_code == 422
    edit = f"/kb/{made['id']}/edit"
    page = post_form(staff, edit, edit, version="1", title="", body="Reseat it, then print.")
    assert page.status_code == 422
    assert _shown(html(page), "kb-title") == " ".join(api.json["error"]["fields"]["title"])
    assert "Reseat it, then print." in html(page)
    assert staff.get(f"/api/v1/articles/{made['id']}").json["title"] == "Toner"
    cleared = post_form(staff, edit, edit, version="1", title="Toner", body="B.", category="")
    assert cleared.status_code == 302


# ------------------------------------------------------------------ webhooks (admins)


@pytest.fixture
def admin(db, clock):
    return make_user(db, clock, role="admin", name="Ava Admin")


@pytest.mark.parametrize(
    ("form", "field", "element"),
    [
        ({"url": "", "event_types": ["created"]}, "url", "w-url"),
        ({"url": "https://crm.example.test/hook"}, "event_types", "w-events"),
        (
            {"url": "https://crm.example.test/hook", "description": "d" * 201},
            "description",
            "w-description",
        ),
    ],
)
def test_the_webhook_form_refuses_what_the_api_refuses(login, admin, form, field, element):
    http = login(admin)
    api = http.post("/api/v1/webhooks", json={"event_types": [], **form})
    assert api.status_code == 422, api.json
    page = post_form(http, "/admin/webhooks", "/admin/webhooks", **form)
    assert page.status_code == 422
    assert _shown(html(page), element) == " ".join(api.json["error"]["fields"][field])
    for typed in (form.get("url"), form.get("description")):
        if typed:
            assert markup.escape(typed) in html(page)
    assert http.get("/api/v1/webhooks").json["items"] == []


# ------------------------------------------------------------------ people (admins)


@pytest.mark.parametrize(
    ("form", "field", "element"),
    [
        (
            {"name": "Nia", "email": "nia@example.test", "password": "short"},
            "password",
            "u-password",
        ),
        (
            {
                "name": "Nia",
                "email": "nia@example.test",
                "password": "long enough",
                "capacity": "x",
            },
            "capacity",
            "u-capacity",
        ),
        (
            {"name": "Nia", "email": "nia@example.test", "password": "long enough", "tier": "7"},
            "tier",
            "u-tier",
        ),
        ({"name": " ", "email": "nia@example.test", "password": "long enough"}, "name", "u-name"),
    ],
)
def test_the_add_person_form_refuses_what_the_api_refuses(login, admin, form, field, element):
    http = login(admin)
    numbers = {
        k: int(v) if v.isdigit() else v for k, v in form.items() if k in ("capacity", "tier")
    }
    api = http.post("/api/v1/users", json={**form, **numbers})
    assert api.status_code == 422, api.json
    page = post_form(http, "/admin/users", "/admin/users", **form)
    assert page.status_code == 422
    assert _shown(html(page), element) == " ".join(api.json["error"]["fields"][field])
    assert "nia@example.test" in html(page)  # what was typed stays
    assert "Nia" not in html(http.get("/admin/users")).split("<tbody>")[1]


@pytest.mark.parametrize("name", ["", "   ", "t" * 81])
def test_the_token_form_refuses_what_the_api_refuses_and_keeps_the_name(login, agent, name):
    http = login(agent)
    api = http.post("/api/v1/auth/tokens", json={"name": name})
    assert api.status_code == 422, api.json
    page = post_form(http, "/account/tokens", "/account", name=name)
    assert page.status_code == 422
    assert _shown(html(page), "token-name") == " ".join(api.json["error"]["fields"]["name"])
    if name.strip():
        assert f'value="{name}"' in html(page)
    assert http.get("/api/v1/auth/tokens").json["items"] == []


def test_the_vendor_form_refuses_what_the_api_refuses(login, manager):
    http = login(manager)
    api = http.post("/api/v1/vendors", json={"name": " ", "sla_seconds": 3600, "contact": "acme"})
    assert api.status_code == 422, api.json
    settings = "/settings/routing"
    page = post_form(http, "/settings/vendors", settings, name=" ", sla_hours="1", contact="acme")
    assert page.status_code == 422
    assert _shown(html(page), "v-name") == " ".join(api.json["error"]["fields"]["name"])
    assert 'value="acme"' in html(page)
    missing = post_form(http, "/settings/vendors", settings, name="Acme", sla_hours="")
    assert missing.status_code == 422
    assert _shown(html(missing), "v-sla") == "Missing data for required field."
    added = post_form(http, "/settings/vendors", settings, name="Acme", sla_hours="1.5")
    assert added.status_code == 302
    assert http.get("/api/v1/vendors").json["items"][0]["sla_seconds"] == 5400


def test_the_notification_settings_refuse_what_the_api_refuses(login, agent):
    http = login(agent)
    api = http.put("/api/v1/notifications/preferences", json={"timezone": "Mars/Olympus"})
    assert api.status_code == 422, api.json
    path = "/account/notifications"
    page = post_form(http, path, path, timezone="Mars/Olympus")
    assert page.status_code == 422
    assert _shown(html(page), "timezone") == " ".join(api.json["error"]["fields"]["timezone"])
    assert 'value="Mars/Olympus"' in html(page)


def test_the_ticket_skills_form_refuses_what_the_api_refuses(login, db, requester, agent):
    staff = login(agent)
    ticket_id = _ticket_in("open", login(requester), staff)
    chosen = [{"skill_id": n, "weight": 1.0} for n in range(1, 22)]
    api = staff.put(f"/api/v1/tickets/{ticket_id}/skills", json={"skills": chosen})
    assert api.status_code == 422, api.json
    page_path = f"/tickets/{ticket_id}"
    token = re.search(r'name="csrf_token" value="([^"]+)"', html(staff.get(page_path))).group(1)
    page = staff.post(
        f"{page_path}/skills",
        data={"csrf_token": token, "skills": [str(n) for n in range(1, 22)]},
    )
    assert page.status_code == 422
    assert _shown(html(page), "ticket-skills") == " ".join(api.json["error"]["fields"]["skills"])
    assert "<details open>" in html(page)


@pytest.mark.parametrize(
    ("typed", "field"),
    [
        ({"subject": " ", "body": "Paper jam light.", "priority": "P3"}, "subject"),
        ({"subject": "Printer", "body": "Paper jam light.", "priority": "P7"}, "priority"),
    ],
)
def test_the_portal_refuses_a_ticket_the_api_refuses(login, db, requester, typed, field):
    client = login(requester)
    api = client.post("/api/v1/tickets", json=typed)
    assert api.status_code == 422
    page = post_form(client, "/portal/tickets", "/portal", **typed)
    assert page.status_code == 422
    assert _shown(html(page), field) == " ".join(api.json["error"]["fields"][field])
    assert "Paper jam light." in html(page)
    assert db.scalar(select(func.count()).select_from(Ticket)) == 0


@pytest.mark.parametrize(
    ("form", "field", "api_json"),
    [
        ({"role": "wizard"}, "role", {"role": "wizard"}),
        ({"tiers": "1, 9"}, "tiers", {"tier": 1, "tiers": [9]}),
    ],
)
def test_a_change_of_person_is_judged_by_the_api_s_schema(
    login, db, admin, agent, form, field, api_json
):
    http = login(admin)
    api = http.patch(f"/api/v1/users/{agent.id}", json=api_json)
    assert api.status_code == 422, api.json
    refused = post_form(http, f"/admin/users/{agent.id}", "/admin/users", **form)
    assert refused.status_code == 302
    page = html(http.get("/admin/users"))
    for message in api.json["error"]["fields"][field]:
        assert markup.escape(message) in page
    db.refresh(agent)
    assert agent.role == "agent" and agent.profile.tiers in (None, [])

"""The automation rules page (/admin/rules): an admin writes a rule with the form and watches
it fire; a refused rule comes back with each message beside its field and nothing typed lost;
managers read, and nobody else gets in — the API's rights, through the API's checks."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from sqlalchemy import select

from swarm.models import AuditEntry, Rule, Skill, TicketEvent
from tests.api.test_pages import csrf, html
from tests.builders import make_user


@pytest.fixture
def admin(db, clock):
    return make_user(db, clock, role="admin", name="Ava Admin")


def form(**fields: Any) -> dict[str, Any]:
    """A rule form as a browser sends it: one action row chosen, one left blank."""
    data: dict[str, Any] = {
        "name": "Outages first",
        "trigger": "created",
        "enabled": "1",
        "c_words": "outage, down",
        "a0_type": "set_priority",
        "a0_priority": "P1",
        "a1_type": "",
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def submit(client, path: str, page: str, data: dict[str, Any]):
    token = csrf(html(client.get(page)))
    return client.post(path, data={"csrf_token": token, **data})


def field_error(page: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="{name}-error">(.*?)</p>', page, re.S)
    assert found, f"no error beside {name}"
    return unescape(found.group(1))


def test_an_admin_writes_a_rule_with_the_form_and_sees_it_fire(login, admin, requester, db):
    http = login(admin)
    answer = submit(
        http,
        "/admin/rules",
        "/admin/rules/new",
        form(
            a1_type="post_reply",
            a1_body="We know about the outage and are on it.",
            c_priority=["P3", "P4"],
        ),
    )
    assert answer.status_code == 302, html(answer)
    rule = db.scalars(select(Rule)).one()
    assert answer.headers["Location"].endswith(f"/admin/rules/{rule.id}")
    assert rule.conditions == {"priority": ["P3", "P4"], "text": {"words": ["outage", "down"]}}
    assert [a["type"] for a in rule.actions] == ["set_priority", "post_reply"]

    ticket = login(requester).post(
        "/api/v1/tickets", json={"subject": "Mail outage on floor 3", "body": "Help"}
    )
    assert ticket.status_code == 201
    tid = ticket.json["id"]
    db.rollback()
    fired = db.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == tid, TicketEvent.type == "rule_fired")
    ).one()
    assert fired.data["rule_id"] == rule.id

    listing = html(http.get("/admin/rules"))
    assert "When a ticket is opened, if priority is P3 or P4 and the subject or" in listing
    assert "Set the priority to P1" in listing
    assert "fired 1 time" in listing
    page = html(http.get(f"/admin/rules/{rule.id}"))
    assert f'href="/tickets/{tid}"' in page
    assert "set_priority done · post_reply done" in page


def test_a_bad_regex_is_named_beside_its_field_and_nothing_typed_is_lost(login, admin, db):
    http = login(admin)
    typed = form(
        name="VPN <trouble>",
        c_words="",
        c_regex="(a+)+$",
        c_opened_at_least="15",
        a0_type="post_reply",
        a0_priority=None,
        a0_body="Try reconnecting & tell us",
    )
    answer = submit(http, "/admin/rules", "/admin/rules/new", typed)
    assert answer.status_code == 422
    page = html(answer)
    assert field_error(page, "c_regex") == "Nested quantifiers are not allowed."
    assert 'id="c-regex"' in page and 'value="(a+)+$"' in page
    assert 'value="VPN &lt;trouble&gt;"' in page
    assert 'name="c_opened_at_least" inputmode="numeric" value="15"' in page
    assert '<option value="post_reply" selected>' in page
    assert "Try reconnecting &amp; tell us</textarea>" in page
    assert db.scalars(select(Rule)).all() == []


def test_an_id_that_names_nothing_and_a_bad_action_field_are_shown_where_they_belong(
    login, admin, db
):
    db.add(Skill(name="Exchange", category="email", description="", aliases=[]))
    db.commit()
    http = login(admin)
    typed = form(
        c_skills=["999"],
        a0_type="",  # blank rows are skipped: the JSON's action 0 is the form's row 1
        a1_type="notify",
        a1_user_id="abc",
        a1_message="Look",
        a2_type="",
    )
    answer = submit(http, "/admin/rules", "/admin/rules/new", typed)
    assert answer.status_code == 422
    page = html(answer)
    assert field_error(page, "a1_user_id") == "A user id."
    assert '<option value="notify" selected>' in page

    typed = form(c_skills=["999"])
    page = html(submit(http, "/admin/rules", "/admin/rules/new", typed))
    assert "Unknown skill ids: 999." in field_error(page, "c_skills")
    assert '<option value="999" selected>skill #999 (unknown)</option>' in page
    assert db.scalars(select(Rule)).all() == []


def test_an_edit_made_on_a_stale_version_is_refused_and_kept(login, admin, db):
    http = login(admin)
    submit(http, "/admin/rules", "/admin/rules/new", form())
    rule = db.scalars(select(Rule)).one()
    edit = f"/admin/rules/{rule.id}/edit"
    stale = csrf(html(http.get(edit)))
    assert http.patch(f"/api/v1/rules/{rule.id}", json={"name": "Renamed"}).status_code == 200
    answer = http.post(
        f"/admin/rules/{rule.id}",
        data={"csrf_token": stale, "version": "1", **form(name="Mine", a0_priority="P2")},
    )
    assert answer.status_code == 409
    page = html(answer)
    assert "changed meanwhile" in page and 'value="Mine"' in page
    db.rollback()
    assert db.get(Rule, rule.id).name == "Renamed"


def test_an_admin_disables_and_removes_a_rule_after_confirming(login, admin, db):
    http = login(admin)
    submit(http, "/admin/rules", "/admin/rules/new", form())
    rule_id = db.scalars(select(Rule.id)).one()
    answer = submit(http, f"/admin/rules/{rule_id}/enabled", "/admin/rules", {"enabled": "0"})
    assert answer.status_code == 302
    db.rollback()
    assert db.get(Rule, rule_id).enabled is False
    assert "disabled" in html(http.get("/admin/rules"))

    confirm = html(http.get(f"/admin/rules/{rule_id}/remove"))
    assert "Remove “Outages first”?" in confirm
    db.rollback()
    assert db.get(Rule, rule_id) is not None  # asking is not removing
    answer = submit(http, f"/admin/rules/{rule_id}/remove", f"/admin/rules/{rule_id}/remove", {})
    assert answer.status_code == 302
    db.rollback()
    assert db.get(Rule, rule_id) is None
    actions = db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-3:] == ["rule_created", "rule_changed", "rule_removed"]


def test_a_manager_reads_the_rules_but_cannot_change_them(login, admin, manager, db):
    submit(login(admin), "/admin/rules", "/admin/rules/new", form())
    rule_id = db.scalars(select(Rule.id)).one()
    http = login(manager)
    listing = html(http.get("/admin/rules"))
    assert "Outages first" in listing and "Set the priority to P1" in listing
    assert "New rule" not in listing and "Edit" not in listing and "Disable" not in listing
    assert http.get(f"/admin/rules/{rule_id}").status_code == 200
    assert 'href="/admin/rules"' in html(http.get("/tickets"))  # the nav link
    assert http.get("/admin/rules/new").status_code == 403
    assert http.get(f"/admin/rules/{rule_id}/edit").status_code == 403
    assert http.get(f"/admin/rules/{rule_id}/remove").status_code == 403
    token = csrf(listing)
    assert http.post("/admin/rules", data={"csrf_token": token, **form()}).status_code == 403
    refused = http.post(f"/admin/rules/{rule_id}/enabled", data={"csrf_token": token})
    assert refused.status_code == 403
    db.rollback()
    assert db.get(Rule, rule_id).enabled is True


@pytest.mark.parametrize("role", ["agent", "requester"])
def test_agents_and_requesters_are_refused(login, admin, db, clock, role):
    submit(login(admin), "/admin/rules", "/admin/rules/new", form())
    rule_id = db.scalars(select(Rule.id)).one()
    http = login(make_user(db, clock, role=role, name=f"A {role}"))
    assert http.get("/admin/rules").status_code == 403
    assert http.get(f"/admin/rules/{rule_id}").status_code == 403
    assert 'href="/admin/rules"' not in html(http.get("/tickets"))


def test_the_edit_form_gives_back_every_part_of_a_stored_rule():
    """A rule opened in the form and saved untouched is the same rule (nothing is lost on the
    way through the form's fields)."""
    from werkzeug.datastructures import MultiDict

    from swarm.web.rule_pages import draft_of, rule_from_form

    stored = {
        "name": "Everything",
        "trigger": "queued",
        "enabled": False,
        "version": 3,
        "conditions": {
            "priority": ["P1", "P2"],
            "category": ["email", "network"],
            "mode": "tiered",
            "tier": [0, 2],
            "status": ["new"],
            "skills": [4],
            "text": {"words": ["outage"], "regex": "vpn|remote"},
            "opened_at_least": 5,
            "opened_less_than": 60,
            "idle_at_least": 0,
        },
        "actions": [
            {"type": "set_category", "category": None},
            {"type": "add_skills", "skill_ids": [4, 5]},
            {"type": "invite_helper", "agent_id": 7},
            {"type": "invite_helper", "skill_id": 5},
            {"type": "post_reply", "body": "On it."},
            {"type": "escalate", "to_tier": None},
            {"type": "escalate", "to_tier": 3},
            {"type": "notify", "user_id": 7, "message": "Look"},
            {"type": "call_webhook", "webhook_id": 2},
            {"type": "set_priority", "priority": "P1"},
        ],
    }
    draft = draft_of(stored)
    sent: MultiDict[str, str] = MultiDict()
    for key, value in draft.items():
        if key == "actions":
            for i, row in enumerate(value):
                for field, item in row.items():
                    for one in item if isinstance(item, list) else [item]:
                        sent.add(f"a{i}_{field}", one)
        elif key == "enabled":
            if value:
                sent.add(key, "1")
        else:
            for one in value if isinstance(value, list) else [value]:
                sent.add(key, one)
    body, _, origin = rule_from_form(sent)
    assert body["conditions"] == stored["conditions"]
    assert body["actions"] == stored["actions"]
    assert (body["name"], body["trigger"], body["enabled"]) == ("Everything", "queued", False)
    assert origin == list(range(10))


def test_a_stored_rule_that_no_longer_reads_is_listed_with_the_reason(login, admin, db):
    submit(login(admin), "/admin/rules", "/admin/rules/new", form())
    stored = db.scalars(select(Rule)).one()
    stored.conditions = {"colour": ["red"]}  # as if a later version dropped a condition
    db.commit()
    listing = html(login(admin).get("/admin/rules"))
    assert "Nothing: this rule no longer reads as a rule (conditions.colour: Unknown" in listing

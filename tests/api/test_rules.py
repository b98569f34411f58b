"""Automation rules over the API and at work: admins write them, managers read them, they fire
after the causing change commits, every run is recorded, loops cannot happen, and a failing
action never breaks the request that caused it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from swarm.models import AuditEntry, Invitation, RuleRun, Skill, Ticket, TicketEvent
from swarm.models.outbox import OutboxItem
from tests.builders import make_user

OUTAGE = {"text": {"words": ["outage"]}}


@pytest.fixture
def admin(db, clock):
    return make_user(db, clock, role="admin", name="Ava Admin")


def rule(http, **body: Any) -> Any:
    body.setdefault("name", "Outages first")
    body.setdefault("trigger", "created")
    return http.post("/api/v1/rules", json=body)


#: What routing writes on every new ticket (the triage queue, an owner): not the rules' doing.
ROUTING = {"queued", "assigned", "status_changed"}


def events(db, ticket_id: int, routing: bool = False) -> list[TicketEvent]:
    db.rollback()  # a fresh snapshot: the app wrote in its own sessions
    query = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
    return [e for e in db.scalars(query) if routing or e.type not in ROUTING]


def row(db, ticket_id: int) -> Ticket:
    db.rollback()
    found = db.get(Ticket, ticket_id)
    assert found is not None
    return found


def open_ticket(login, requester, subject: str = "Mail outage on floor 3") -> dict[str, Any]:
    answer = login(requester).post("/api/v1/tickets", json={"subject": subject, "body": "Help"})
    assert answer.status_code == 201, answer.json
    return answer.json


def test_a_rule_fires_after_the_ticket_is_opened_and_its_run_is_recorded(
    app, db, login, admin, manager, requester
):
    http = login(admin)
    created = rule(
        http,
        conditions=OUTAGE,
        actions=[
            {"type": "set_priority", "priority": "P1"},
            {"type": "set_category", "category": "email"},
            {"type": "post_reply", "body": "We know about the outage and are on it."},
        ],
    )
    assert created.status_code == 201, created.json
    rule_id = created.json["id"]

    quiet = open_ticket(login, requester, "Printer jam")  # no "outage": nothing fires
    loud = open_ticket(login, requester)

    assert [e.type for e in events(db, quiet["id"])] == ["created"]
    log = events(db, loud["id"])
    assert [e.type for e in log] == [
        "created",
        "priority_changed",
        "category_changed",
        "message",
        "rule_fired",
    ]
    run_id = log[-1].data["run_id"]
    cause = {"rule_id": rule_id, "run_id": run_id}
    assert all(e.data["cause"] == cause for e in log[1:])
    assert all(e.actor_id is None for e in log[1:])  # nobody did it: the rule did
    assert log[1].data["from"] == "P3" and log[1].data["to"] == "P1"
    fired = log[-1].data
    assert fired["outcome"] == "done" and fired["trigger_event_id"] == log[0].id
    assert [a["type"] for a in fired["actions"]] == ["set_priority", "set_category", "post_reply"]
    ticket = row(db, loud["id"])
    assert (ticket.priority, ticket.category) == ("P1", "email")

    [run] = login(manager).get(f"/api/v1/rules/{rule_id}/runs").json["items"]
    assert run["outcome"] == "done" and run["ticket_id"] == loud["id"] and run["id"] == run_id
    listed = login(manager).get("/api/v1/rules").json["items"]
    assert listed[0]["runs"] == {"done": 1} and listed[0]["last_run_at"]

    # The requester sees the canned reply in their conversation, and none of the automation.
    seen = login(requester).get(f"/api/v1/tickets/{loud['id']}/events").json
    types = [e["type"] for e in (seen["items"] if isinstance(seen, dict) else seen)]
    assert "message" in types
    assert not {"priority_changed", "category_changed", "rule_fired"} & set(types)


def test_rules_never_fire_on_what_a_rule_did(db, login, admin, requester):
    http = login(admin)
    first = rule(http, conditions=OUTAGE, actions=[{"type": "set_priority", "priority": "P1"}])
    second = rule(
        http,
        name="P1 goes to networking",
        trigger="priority_changed",
        actions=[{"type": "set_category", "category": "network"}],
    )
    assert first.status_code == second.status_code == 201
    ticket = open_ticket(login, requester)
    assert [e.type for e in events(db, ticket["id"])] == [
        "created",
        "priority_changed",
        "rule_fired",
    ]
    assert row(db, ticket["id"]).category is None
    assert db.scalars(select(RuleRun).where(RuleRun.rule_id == second.json["id"])).all() == []


def test_a_failing_action_is_recorded_and_the_request_still_succeeds(
    db, login, admin, requester, clock
):
    db.add(Skill(name="Exchange", category="email", description="", aliases=[]))
    db.commit()
    skill_id = db.scalar(select(Skill.id))
    http = login(admin)
    created = rule(
        http,
        conditions=OUTAGE,
        actions=[
            {"type": "invite_helper", "skill_id": skill_id},  # nobody has the skill
            {"type": "set_priority", "priority": "P2"},
        ],
    )
    assert created.status_code == 201, created.json
    ticket = open_ticket(login, requester)  # 201 whatever the rule met
    [run] = login(admin).get(f"/api/v1/rules/{created.json['id']}/runs").json["items"]
    assert run["outcome"] == "failed"
    assert run["results"][0]["outcome"] == "failed"
    assert "Nobody with skill" in run["error"]
    assert run["results"][1] == {"type": "set_priority", "outcome": "done"}
    assert row(db, ticket["id"]).priority == "P2"
    assert db.scalars(select(Invitation)).all() == []


def test_a_rule_invites_the_best_agent_for_a_skill_and_calls_a_webhook(
    app, db, login, admin, requester, clock
):
    from swarm.models import AgentSkill
    from tests.builders import make_agent

    skill = Skill(name="Exchange", category="email", description="", aliases=[])
    db.add(skill)
    db.commit()
    good, better = make_agent(db, clock, name="Good"), make_agent(db, clock, name="Better")
    db.add_all(
        [
            AgentSkill(user_id=good.id, skill_id=skill.id, proficiency=3),
            AgentSkill(user_id=better.id, skill_id=skill.id, proficiency=5),
        ]
    )
    db.commit()
    http = login(admin)
    hook = http.post(
        "/api/v1/webhooks", json={"url": "https://example.test/x", "event_types": ["closed"]}
    ).json
    created = rule(
        http,
        conditions=OUTAGE,
        actions=[
            {"type": "invite_helper", "skill_id": skill.id},
            {"type": "call_webhook", "webhook_id": hook["id"]},
        ],
    )
    assert created.status_code == 201, created.json
    ticket = open_ticket(login, requester)
    db.rollback()
    [invitation] = db.scalars(select(Invitation)).all()
    assert invitation.invitee_id == better.id and invitation.inviter_id == admin.id
    [item] = db.scalars(select(OutboxItem)).all()
    assert item.webhook_id == hook["id"] and item.event_type == "created"
    assert item.payload["data"]["ticket_id"] == ticket["id"]
    assert item.payload["data"]["rule"]["id"] == created.json["id"]


def test_a_rule_notifies_a_person_in_their_room(app, db, login, admin, manager, requester, connect):
    created = rule(
        login(admin),
        conditions=OUTAGE,
        actions=[{"type": "notify", "user_id": manager.id, "message": "An outage came in"}],
    )
    assert created.status_code == 201, created.json
    client = connect(manager)
    client.get_received()
    ticket = open_ticket(login, requester)
    notes = [m for m in client.get_received() if m["name"] == "notification"]
    assert [n["args"][0]["ticket_id"] for n in notes] == [ticket["id"]]
    assert notes[0]["args"][0]["message"] == "An outage came in"


def test_a_rule_may_not_notify_an_outsider_of_someone_elses_ticket(
    db, login, admin, requester, clock
):
    stranger = make_user(db, clock, name="Stranger")
    created = rule(
        login(admin),
        actions=[{"type": "notify", "user_id": stranger.id, "message": "psst"}],
    )
    open_ticket(login, requester)
    [run] = login(admin).get(f"/api/v1/rules/{created.json['id']}/runs").json["items"]
    assert run["outcome"] == "failed" and "may not see" in run["error"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {
                "trigger": "priority_changed",
                "actions": [{"type": "set_priority", "priority": "P1"}],
            },
            "actions",
        ),
        (
            {"actions": [{"type": "set_priority", "priority": "P1", "colour": "red"}]},
            "actions.0.colour",
        ),
        (
            {
                "conditions": {"colour": "red"},
                "actions": [{"type": "set_priority", "priority": "P1"}],
            },
            "conditions.colour",
        ),
        (
            {
                "conditions": {"text": {"regex": "x" * 201}},
                "actions": [{"type": "set_priority", "priority": "P1"}],
            },
            "conditions.text.regex",
        ),
        (
            {
                "conditions": {"text": {"regex": "(a+)+$"}},
                "actions": [{"type": "set_priority", "priority": "P1"}],
            },
            "conditions.text.regex",
        ),
        ({"trigger": "closed", "actions": [{"type": "set_priority", "priority": "P1"}]}, "actions"),
        ({"actions": [{"type": "add_skills", "skill_ids": [999]}]}, "skills"),
        ({"actions": [{"type": "notify", "user_id": 999, "message": "x"}]}, "actions.0.user_id"),
        ({"actions": [{"type": "call_webhook", "webhook_id": 999}]}, "actions.0.webhook_id"),
        ({"actions": []}, "actions"),
        (
            {"trigger": "message", "actions": [{"type": "set_priority", "priority": "P1"}]},
            "trigger",
        ),
        ({"actions": [{"type": "set_priority", "priority": "P1"}], "extra": 1}, "extra"),
    ],
)
def test_bad_definitions_are_refused_whole_naming_the_field(db, login, admin, body, field):
    answer = rule(login(admin), **body)
    assert answer.status_code == 422, answer.json
    assert field in answer.json["error"]["fields"], answer.json
    assert answer.json["error"]["message"]
    assert login(admin).get("/api/v1/rules").json["items"] == []
    assert db.scalars(select(AuditEntry).where(AuditEntry.action == "rule_created")).all() == []


def test_admins_edit_managers_read_others_are_refused_and_all_is_audited(
    db, login, admin, manager, agent, requester
):
    http = login(admin)
    created = rule(http, actions=[{"type": "set_priority", "priority": "P2"}]).json
    path = f"/api/v1/rules/{created['id']}"

    reader = login(manager)
    assert reader.get(path).status_code == 200
    assert reader.get(f"{path}/runs").status_code == 200
    assert rule(reader, actions=[{"type": "set_priority", "priority": "P2"}]).status_code == 403
    assert reader.patch(path, json={"enabled": False}).status_code == 403
    assert reader.delete(path).status_code == 403
    for outsider in (agent, requester):
        assert login(outsider).get("/api/v1/rules").status_code == 403
        assert login(outsider).get(path).status_code == 403

    disabled = http.patch(path, json={"enabled": False, "version": 1})
    assert disabled.status_code == 200 and disabled.json["enabled"] is False
    assert disabled.json["version"] == 2
    stale = http.patch(path, json={"name": "Again", "version": 1})
    assert stale.status_code == 409
    open_ticket(login, requester)
    assert http.get(f"{path}/runs").json["items"] == []  # disabled: it did not fire

    bad = http.patch(path, json={"trigger": "priority_changed"})  # would now loop
    assert bad.status_code == 422
    assert http.get(path).json["trigger"] == "created"
    assert http.delete(path).status_code == 204
    assert http.get(path).status_code == 404
    actions = [e.action for e in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert [a for a in actions if a.startswith("rule_")] == [
        "rule_created",
        "rule_changed",
        "rule_removed",
    ]


def test_a_tiered_ticket_is_escalated_by_a_rule(app, db, login, admin, manager, requester, clock):
    from tests.api.test_tiers_api import agent_in

    agent_in(db, clock, 1, "Lee One")
    agent_in(db, clock, 2, "Tess Two")
    mode = login(manager).put("/api/v1/config/routing", json={"mode": "tiered"})
    assert mode.status_code == 200, mode.json
    created = rule(
        login(admin),
        trigger="queued",
        conditions={"mode": "tiered", "tier": [1], **OUTAGE},
        actions=[{"type": "escalate", "to_tier": 2}],
    )
    assert created.status_code == 201, created.json
    ticket = open_ticket(login, requester)
    log = events(db, ticket["id"], routing=True)
    fired = [e for e in log if e.type == "rule_fired"]
    assert fired and fired[0].data["outcome"] == "done", [(e.type, e.data) for e in log]
    [escalated] = [e for e in log if e.type == "escalated"]
    assert escalated.data["reason"] == "rule" and escalated.actor_id is None
    assert escalated.data["from_tier"] == 1 and escalated.data["to_tier"] == 2
    assert row(db, ticket["id"]).tier == 2
    # Everything the escalation wrote names the run, so no rule fires on it.
    after = log[log.index(escalated) :]
    assert all(e.data.get("cause") == fired[0].data["cause"] for e in after), [
        (e.type, e.data) for e in after
    ]

    # A swarm ticket is not escalated: the run says why.
    login(manager).put("/api/v1/config/routing", json={"mode": "swarm"})
    swarm = open_ticket(login, requester)
    assert row(db, swarm["id"]).mode == "swarm"
    runs = login(admin).get(f"/api/v1/rules/{created.json['id']}/runs").json["items"]
    assert [r["ticket_id"] for r in runs] == [ticket["id"]]  # conditions: mode tiered


def test_a_canned_reply_comes_from_the_support_team_not_the_rules_author(
    db, login, admin, requester, connect
):
    from swarm.models import Message

    created = rule(
        login(admin),
        conditions=OUTAGE,
        actions=[{"type": "post_reply", "body": "We know about the outage."}],
    )
    assert created.status_code == 201, created.json
    ticket = open_ticket(login, requester)
    db.rollback()
    [message] = db.scalars(select(Message).where(Message.ticket_id == ticket["id"])).all()
    assert message.author_id is None and message.kind == "reply"

    # The requester's conversation names the support team, never the admin who wrote the rule.
    ack = connect(requester).emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)
    assert ack["ok"], ack
    [shown] = ack["messages"]
    assert shown["author"] == {"id": None, "name": "Support team", "automatic": True}
    assert shown["body"] == "We know about the outage."
    assert "Ava" not in str(ack)

    # A deactivated author no longer stops the rule's replies: nobody's name is needed.
    db.rollback()
    db.get(type(admin), admin.id).active = False
    db.commit()
    second = open_ticket(login, requester, "Another outage")
    [run] = [e for e in events(db, second["id"]) if e.type == "rule_fired"]
    assert run.data["outcome"] == "done"

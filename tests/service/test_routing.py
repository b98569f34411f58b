"""The live routing driver: inference, SwarmPolicy, deadlines and evidence on a real session."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from swarm.clock import FakeClock
from swarm.dispatch.caches import RoutingCaches
from swarm.dispatch.service import RoutingService
from swarm.models import (
    AgentSkill,
    Skill,
    SkillGrowth,
    SkillRelation,
    TicketDeadline,
    TicketEvent,
)
from swarm.tickets.errors import Conflict, Invalid
from swarm.tickets.notify import RecordingNotifier
from tests.builders import make_agent, make_user


def add_skill(session: Session, name: str, *aliases: str) -> Skill:
    skill = Skill(name=name, aliases=list(aliases), description="")
    session.add(skill)
    session.commit()
    return skill


def knows(session: Session, agent, skill: Skill, level: int, learn: bool = False) -> None:
    session.add(
        AgentSkill(user_id=agent.id, skill_id=skill.id, proficiency=level, wants_to_learn=learn)
    )
    session.commit()


@pytest.fixture
def org(session: Session, clock: FakeClock):
    vpn = add_skill(session, "VPN", "AnyConnect")
    dns = add_skill(session, "DNS")
    printing = add_skill(session, "Printing", "printer")
    networking = add_skill(session, "Networking")
    session.add_all(
        [
            SkillRelation(source_id=vpn.id, target_id=networking.id, kind="is_a", weight=1.0),
            SkillRelation(source_id=dns.id, target_id=networking.id, kind="is_a", weight=1.0),
        ]
    )
    session.commit()
    vera = make_agent(session, clock, name="Vera VPN")
    dan = make_agent(session, clock, name="Dan DNS")
    pia = make_agent(session, clock, name="Pia Print")
    knows(session, vera, vpn, 5)
    knows(session, dan, dns, 4)
    knows(session, pia, printing, 4)
    requester = make_user(session, clock, name="Rita")
    return {
        "vpn": vpn,
        "dns": dns,
        "printing": printing,
        "vera": vera,
        "dan": dan,
        "pia": pia,
        "requester": requester,
    }


@pytest.fixture
def routing(session: Session, clock: FakeClock, notifier: RecordingNotifier) -> RoutingService:
    return RoutingService(session, clock, notifier, RoutingCaches())


def events(session: Session, ticket_id: int) -> list[TicketEvent]:
    query = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
    return list(session.scalars(query))


def test_a_new_ticket_gets_its_skills_and_the_best_owner_with_reasons(routing, org, session):
    ticket = routing.open_ticket(
        org["requester"], subject="AnyConnect drops every 5 minutes", body="From home."
    )

    assert ticket.owner_id == org["vera"].id and ticket.status == "open"
    assert [(s.skill_id, s.source) for s in ticket.skills] == [(org["vpn"].id, "inferred")]
    assert 'mentions "AnyConnect"' in (ticket.skills[0].why or "")
    log = events(session, ticket.id)
    assert [e.type for e in log] == ["created", "skills_set", "assigned", "status_changed"]
    assigned = log[2]
    assert assigned.actor_id is None and assigned.data["by"] == "policy"
    assert "Vera VPN" in assigned.data["why"] and "knows VPN (5/5)" in assigned.data["why"]


def test_an_absent_expert_is_passed_over_for_a_present_near_expert(routing, org, session, clock):
    org["vera"].profile.presence = "offline"
    knows(session, org["dan"], org["vpn"], 2)
    session.commit()
    ticket = routing.open_ticket(org["requester"], subject="VPN is down", body="Nothing works")
    assert ticket.owner_id == org["dan"].id


def test_a_ticket_with_no_inferable_skill_goes_to_triage(routing, org, session):
    ticket = routing.open_ticket(org["requester"], subject="Question", body="Lunch on Friday?")
    assert ticket.owner_id is None and ticket.status == "new"
    queued = [e for e in events(session, ticket.id) if e.type == "queued"]
    assert len(queued) == 1 and queued[0].data["tier"] is None
    assert "triage" in queued[0].data["why"] or "skill" in queued[0].data["why"]


def test_everyone_at_capacity_still_names_a_candidate(routing, org, session):
    for person in ("vera", "dan", "pia"):
        org[person].profile.capacity = 0
    session.commit()
    ticket = routing.open_ticket(org["requester"], subject="VPN again", body="Still broken")
    suggestions = routing.suggestions(org["vera"], ticket.id)
    assert suggestions["owners"][0]["agent"]["name"] == "Vera VPN"
    assert suggestions["owners"][0]["over_capacity"] is True
    assert ticket.owner_id is None  # nobody is assigned over capacity automatically


def test_release_routes_again_but_not_back(routing, org, session):
    knows(session, org["dan"], org["vpn"], 3)
    ticket = routing.open_ticket(org["requester"], subject="VPN tunnel", body="Drops")
    assert ticket.owner_id == org["vera"].id
    again = routing.release(org["vera"], ticket.id, "On holiday from tomorrow")
    assert again.owner_id == org["dan"].id
    kinds = [e.type for e in events(session, ticket.id)][-2:]
    assert kinds == ["unassigned", "assigned"]


def test_suggestions_list_owners_and_the_swarm_that_covers_the_rest(routing, org, session):
    ticket = routing.open_ticket(
        org["requester"], subject="VPN connects but DNS fails", body="Names do not resolve"
    )
    result = routing.suggestions(org["vera"], ticket.id)
    assert result["triage"] is None
    assert result["owners"][0]["agent"]["name"] == "Vera VPN"
    assert any("knows VPN (5/5)" in r for r in result["owners"][0]["reasons"])
    members = [m["agent"]["name"] for m in result["team"]["members"]]
    assert members == ["Dan DNS"]
    assert {s["name"] for s in result["team"]["covered"]} == {"VPN", "DNS"}
    assert result["team"]["uncovered"] == []


def test_requesters_get_no_suggestions(routing, org):
    from swarm.tickets.errors import Forbidden

    ticket = routing.open_ticket(org["requester"], subject="VPN", body="down")
    with pytest.raises(Forbidden):
        routing.suggestions(org["requester"], ticket.id)


def test_manual_skills_are_corrections_that_train_inference(routing, org, session, clock):
    ticket = routing.open_ticket(
        org["requester"], subject="Tray 2 shows paper jam", body="Cannot print invoices"
    )
    routing.set_skills(org["pia"], ticket.id, [(org["printing"].id, 1.0)])
    second = routing.open_ticket(
        org["requester"], subject="Printing", body="Tray 2 paper jam again on invoices"
    )
    assert [s.skill_id for s in second.skills] == [org["printing"].id]
    last = [e for e in events(session, ticket.id) if e.type == "skills_set"][-1]
    assert last.data == {
        "skills": [{"skill_id": org["printing"].id, "weight": 1.0}],
        "by": "manual",
    }


def test_setting_unknown_skills_is_refused(routing, org):
    ticket = routing.open_ticket(org["requester"], subject="VPN", body="down")
    with pytest.raises(Invalid, match="Unknown skill"):
        routing.set_skills(org["vera"], ticket.id, [(99999, 1.0)])
    with pytest.raises(Invalid, match="weight"):
        routing.set_skills(org["vera"], ticket.id, [(org["dns"].id, 1.5)])


def test_inferring_from_empty_text_is_invalid(routing, org):
    with pytest.raises(Invalid):
        routing.infer("   ")


def test_resolving_adds_evidence_and_records_growth(routing, org, session, clock):
    ticket = routing.open_ticket(org["requester"], subject="DNS lookups fail", body="nslookup")
    assert ticket.owner_id == org["dan"].id
    clock.advance(hours=1)
    routing.tickets.resolve(org["dan"], ticket.id, "Flushed the resolver cache")

    row = session.get(AgentSkill, (org["dan"].id, org["dns"].id))
    assert row is not None and row.evidence == 1 and row.last_used_at == clock.now()
    growth = session.scalars(select(SkillGrowth)).all()
    assert [(g.user_id, g.cause, g.ticket_id) for g in growth] == [
        (org["dan"].id, "evidence", ticket.id)
    ]


def test_a_due_retry_deadline_fires_once_and_routes(routing, org, session, clock):
    for person in ("vera", "dan", "pia"):
        org[person].profile.presence = "offline"
    session.commit()
    ticket = routing.open_ticket(org["requester"], subject="VPN down", body="all of us")
    assert ticket.owner_id is None
    due = session.scalar(select(func.count()).select_from(TicketDeadline))
    assert due == 1  # the policy asked to be called again

    assert routing.sweep() == 0  # not due yet
    org["vera"].profile.presence = "online"
    session.commit()
    clock.advance(minutes=16)
    assert routing.sweep() == 1
    assert routing.sweep() == 0
    assert routing.tickets.get(org["vera"], ticket.id).owner_id == org["vera"].id


def test_profile_changes_reach_routing_without_a_restart(routing, org, session):
    first = routing.open_ticket(org["requester"], subject="Printer offline", body="3rd floor")
    assert first.owner_id == org["pia"].id
    row = session.get(AgentSkill, (org["pia"].id, org["printing"].id))
    session.delete(row)
    session.add(
        SkillGrowth(
            user_id=org["pia"].id,
            skill_id=org["printing"].id,
            at=routing.clock.now(),
            cause="removed",
            evidence=0,
        )
    )
    knows(session, org["dan"], org["printing"], 3)
    second = routing.open_ticket(org["requester"], subject="Printer offline", body="4th floor")
    assert second.owner_id == org["dan"].id


def test_routing_failure_never_loses_the_ticket(routing, org, session, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("model file corrupt")

    monkeypatch.setattr(routing, "route_new", broken)
    ticket = routing.open_ticket(org["requester"], subject="VPN", body="keep me")
    assert ticket.id and ticket.body == "keep me" and ticket.owner_id is None


def test_escalation_decisions_are_a_handoff_in_the_log(routing, org, session, clock):
    from swarm.routing import Escalate, Queue

    ticket = routing.open_ticket(org["requester"], subject="VPN", body="down")
    routing.tickets.apply_decisions(
        ticket.id, [Escalate(to_tier=2, reason="time_limit"), Queue(2)], "tiered"
    )
    escalated = next(e for e in events(session, ticket.id) if e.type == "escalated")
    assert escalated.data == {
        "from_tier": None,
        "to_tier": 2,
        "reason": "time_limit",
        "previous_owner_id": org["vera"].id,
    }
    refreshed = routing.tickets.get(org["vera"], ticket.id)
    assert refreshed.tier == 2 and refreshed.owner_id is None
    assert clock.now() - refreshed.created_at < timedelta(seconds=1)


def test_an_inconsistent_taxonomy_pauses_routing_with_a_reason(routing, org, session):
    ticket = routing.open_ticket(org["requester"], subject="VPN", body="down")
    # As an import might leave it: two skills claiming one alias.
    session.add(Skill(name="Remote access", aliases=["anyconnect"], description=""))
    session.commit()
    with pytest.raises(Conflict, match="taxonomy is inconsistent"):
        routing.suggestions(org["vera"], ticket.id)
    # Opening tickets still works; they wait unrouted.
    later = routing.open_ticket(org["requester"], subject="VPN", body="still down")
    assert later.id > ticket.id and later.owner_id is None


def test_suggestions_on_an_unowned_ticket_propose_an_owner_and_never_claim_one(
    routing, org, session
):
    ticket = routing.open_ticket(
        org["requester"], subject="VPN connects but DNS fails", body="Names do not resolve"
    )
    routing.tickets.release(org["vera"], ticket.id, "Not mine")  # released, not routed again
    assert routing.tickets.reload(ticket.id).owner_id is None
    result = routing.suggestions(org["pia"], ticket.id)
    team = result["team"]
    assert team["owner_id"] is None
    assert team["proposed_owner_id"] == result["owners"][0]["agent"]["id"]
    assert team["summary"][0].startswith("Nobody owns this ticket yet; what follows assumes ")
    assert "The owner" not in " ".join(team["summary"])
    assert all(s["role"] != "owner" for s in team["skills"])
    assert result["owners"][0]["meaning"].startswith(f"{result['owners'][0]['score']:.2f} — ")

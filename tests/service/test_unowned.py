"""Unowned swarm tickets are routed again when someone may take them, and alert managers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from swarm.accounts import service as accounts
from swarm.clock import FakeClock
from swarm.dispatch.caches import RoutingCaches
from swarm.dispatch.service import RoutingService
from swarm.matching.policy import RETRY_DEADLINE
from swarm.models import AgentSkill, Skill, TicketDeadline, TicketEvent
from swarm.tickets.inbox import InboxService, InboxSettings
from swarm.tickets.notify import RecordingNotifier
from tests.builders import make_agent, make_manager, make_user


@pytest.fixture
def org(session: Session, clock: FakeClock):
    vpn = Skill(name="VPN", aliases=["AnyConnect"], description="")
    session.add(vpn)
    session.commit()
    vera = make_agent(session, clock, name="Vera VPN", presence="offline")
    session.add(AgentSkill(user_id=vera.id, skill_id=vpn.id, proficiency=5))
    admin = make_user(session, clock, role="admin", name="Ana Admin")
    requester = make_user(session, clock, name="Rita")
    session.commit()
    return {"vpn": vpn, "vera": vera, "admin": admin, "requester": requester}


@pytest.fixture
def routing(session: Session, clock: FakeClock, notifier: RecordingNotifier) -> RoutingService:
    return RoutingService(session, clock, notifier, RoutingCaches())


def retry_due(session: Session, ticket_id: int):
    return session.get(TicketDeadline, (ticket_id, RETRY_DEADLINE))


def test_a_ticket_nobody_could_take_is_assigned_once_its_expert_signs_in(
    routing, org, session, clock
):
    ticket = routing.open_ticket(org["requester"], subject="VPN down", body="AnyConnect fails")
    assert ticket.owner_id is None
    first_retry = retry_due(session, ticket.id).due_at
    assert first_retry == clock.now() + timedelta(minutes=15)

    clock.advance(minutes=2)
    accounts.signed_in(session, clock, org["vera"])

    assert org["vera"].profile.presence == "online"
    assert retry_due(session, ticket.id).due_at == clock.now()  # no 13 minutes' wait
    assert routing.sweep() == 1
    assert routing.tickets.get(org["vera"], ticket.id).owner_id == org["vera"].id
    query = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
    assigned = session.scalars(query.where(TicketEvent.type == "assigned")).one()
    assert assigned.data["by"] == "policy"


def test_an_admin_setting_someone_online_routes_again(routing, org, session, clock):
    ticket = routing.open_ticket(org["requester"], subject="VPN down", body="AnyConnect fails")
    accounts.update_user(session, clock, org["admin"], org["vera"].id, {"presence": "online"})
    assert routing.sweep() == 1
    assert routing.tickets.get(org["vera"], ticket.id).owner_id == org["vera"].id


def test_resolving_frees_capacity_for_a_waiting_ticket(routing, org, session, clock):
    org["vera"].profile.presence = "online"
    org["vera"].profile.capacity = 1
    session.commit()
    first = routing.open_ticket(org["requester"], subject="VPN down", body="AnyConnect fails")
    waiting = routing.open_ticket(org["requester"], subject="VPN slow", body="AnyConnect slow")
    assert first.owner_id == org["vera"].id and waiting.owner_id is None
    assert routing.sweep() == 0  # nothing changed, nothing due

    routing.tickets.resolve(org["vera"], first.id, "Reinstalled the client.")

    assert retry_due(session, waiting.id).due_at == clock.now()
    assert routing.sweep() == 1
    assert routing.tickets.get(org["vera"], waiting.id).owner_id == org["vera"].id


def test_a_ticket_sent_to_triage_for_want_of_skills_is_not_woken(routing, org, session, clock):
    ticket = routing.open_ticket(org["requester"], subject="Lunch", body="On Friday?")
    assert ticket.owner_id is None and retry_due(session, ticket.id) is None
    accounts.signed_in(session, clock, org["vera"])
    assert retry_due(session, ticket.id) is None


def test_signing_in_while_away_keeps_away_and_wakes_nothing(routing, org, session, clock):
    org["vera"].profile.presence = "away"
    session.commit()
    ticket = routing.open_ticket(org["requester"], subject="VPN down", body="AnyConnect fails")
    accounts.signed_in(session, clock, org["vera"])
    assert org["vera"].profile.presence == "away"
    assert retry_due(session, ticket.id).due_at > clock.now()


def test_an_urgent_ticket_unowned_too_long_alerts_managers_only(routing, org, session, clock):
    manager = make_manager(session, clock, name="Max Manager")
    agent = make_agent(session, clock, name="Ada Agent")
    inbox = InboxService(session, clock, InboxSettings(unowned_alert_after=timedelta(minutes=30)))
    urgent = routing.open_ticket(
        org["requester"], subject="VPN down", body="AnyConnect fails", priority="P2"
    )
    routing.open_ticket(org["requester"], subject="VPN slow", body="AnyConnect", priority="P3")

    clock.advance(minutes=29)
    assert inbox.inbox(manager).alerts == []
    clock.advance(minutes=1)
    [alert] = inbox.inbox(manager).alerts
    assert (alert.ticket.id, alert.minutes) == (urgent.id, 30)
    assert [a.ticket.id for a in inbox.inbox(org["admin"]).alerts] == [urgent.id]
    assert inbox.inbox(agent).alerts == []
    assert inbox.inbox(manager).count == 1

    # Owned, it stops alerting; released again, the clock restarts from the release.
    routing.tickets.assign(manager, urgent.id, agent.id)
    assert inbox.inbox(manager).alerts == []
    clock.advance(minutes=5)
    routing.tickets.release(manager, urgent.id)
    clock.advance(minutes=29)
    assert inbox.inbox(manager).alerts == []
    clock.advance(minutes=1)
    assert [a.ticket.id for a in inbox.inbox(manager).alerts] == [urgent.id]


def test_suggestions_put_people_online_first(routing, org, session, clock):
    # Nobody can take it: Vera knows VPN best but is offline; Olaf, a beginner, is online but
    # full. Whoever can answer now is named first.
    olaf = make_agent(session, clock, name="Olaf Online", capacity=0)
    session.add(AgentSkill(user_id=olaf.id, skill_id=org["vpn"].id, proficiency=1))
    session.commit()
    ticket = routing.tickets.open_ticket(org["requester"], subject="VPN", body="AnyConnect")
    routing.set_skills(org["admin"], ticket.id, [(org["vpn"].id, 1.0)])
    owners = routing.suggestions(org["admin"], ticket.id)["owners"]
    assert [(o["agent"]["name"], o["agent"]["present"]) for o in owners] == [
        ("Olaf Online", True),
        ("Vera VPN", False),
    ]


def test_releasing_frees_capacity_for_another_ticket_never_the_released_one(
    routing, org, session, clock
):
    org["vera"].profile.presence = "online"
    org["vera"].profile.capacity = 1
    session.commit()
    first = routing.open_ticket(org["requester"], subject="VPN down", body="AnyConnect fails")
    waiting = routing.open_ticket(org["requester"], subject="VPN slow", body="AnyConnect slow")

    routing.release(org["vera"], first.id, "Wrong team")

    assert retry_due(session, waiting.id).due_at == clock.now()
    assert retry_due(session, first.id).due_at == clock.now() + timedelta(minutes=15)
    assert routing.sweep() == 1
    assert routing.tickets.get(org["vera"], waiting.id).owner_id == org["vera"].id
    assert routing.tickets.get(org["vera"], first.id).owner_id is None

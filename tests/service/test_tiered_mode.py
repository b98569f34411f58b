"""Tiered mode, live: mode assignment, the tier clock, escalation, queues and vendors on a real
session with a fake clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from swarm.clock import FakeClock
from swarm.dispatch.caches import RoutingCaches
from swarm.dispatch.collaboration import CollaborationRefused
from swarm.dispatch.queues import QueueEmpty
from swarm.dispatch.service import RoutingService
from swarm.dispatch.tiered import TieredService
from swarm.models import AgentSkill, Skill, Ticket, TicketDeadline, TicketEvent, TicketSkill, User
from swarm.routing import ClearDeadline, Escalate, Queue
from swarm.tickets.errors import Conflict, Forbidden, IllegalTransition, Invalid
from swarm.tickets.rooms import RoomService
from swarm.tiers.modes import assign_mode, routing_config_from_dict
from tests.builders import make_agent, make_manager, make_user

MIN = timedelta(minutes=1)


@pytest.fixture
def caches() -> RoutingCaches:
    return RoutingCaches()


@pytest.fixture
def routing(session, clock, notifier, caches) -> RoutingService:
    return RoutingService(session, clock, notifier, caches)


@pytest.fixture
def tiered(session, clock, notifier, caches) -> TieredService:
    return TieredService(session, clock, notifier, caches)


def serving(session: Session, agent: User, tier: int) -> User:
    assert agent.profile is not None
    agent.profile.tier = tier
    session.commit()
    return agent


@pytest.fixture
def org(session: Session, clock: FakeClock, tiered: TieredService):
    manager = make_manager(session, clock, name="Max Manager")
    people = {
        "manager": manager,
        "l1a": serving(session, make_agent(session, clock, name="Lee One"), 1),
        "l1b": serving(session, make_agent(session, clock, name="Lou One"), 1),
        "l2": serving(session, make_agent(session, clock, name="Tess Two"), 2),
        "l3": serving(session, make_agent(session, clock, name="Theo Three"), 3),
        "vc": serving(session, make_agent(session, clock, name="Vic Vendors"), 4),
        "requester": make_user(session, clock, name="Rita"),
    }
    tiered.set_routing_config(manager, {"mode": "tiered"})
    # Every tier pushes here, so that assignment is exercised; pull has its own tests below.
    set_intake(tiered, manager, {1: "push"})
    return people


def set_intake(tiered: TieredService, manager: User, intake: dict[int, str], **more: object):
    doc = tiered.tier_settings(manager)
    for item in doc["tiers"]:
        item["intake"] = intake.get(item["tier"], item["intake"])
    return tiered.set_tier_settings(manager, {"tiers": doc["tiers"], **more})


def open_ticket(routing: RoutingService, requester: User, **kw: object) -> Ticket:
    fields = {"subject": "Printer jams", "body": "Tray 2 jams on every job.", **kw}
    return routing.open_ticket(requester, **fields)


def log(session: Session, ticket_id: int) -> list[TicketEvent]:
    query = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
    return list(session.scalars(query.execution_options(populate_existing=True)))


def types(session: Session, ticket_id: int) -> list[str]:
    return [e.type for e in log(session, ticket_id)]


def deadline(session: Session, ticket_id: int, kind: str = "tier_limit"):
    session.expire_all()
    row = session.get(TicketDeadline, (ticket_id, kind))
    return None if row is None else row.due_at


def fresh(session: Session, ticket_id: int) -> Ticket:
    session.expire_all()
    ticket = session.get(Ticket, ticket_id)
    assert ticket is not None
    return ticket


# ------------------------------------------------------------------ mode assignment


def test_a_new_ticket_gets_the_configured_mode_and_is_queued_and_assigned_in_tier_1(
    routing, tiered, org, session, clock
):
    ticket = open_ticket(routing, org["requester"])
    assert ticket.mode == "tiered" and ticket.tier == 1
    assert ticket.owner_id in (org["l1a"].id, org["l1b"].id)
    created = log(session, ticket.id)[0]
    assert created.data["mode"] == "tiered" and "split" not in created.data
    assert types(session, ticket.id) == ["created", "queued", "assigned", "status_changed"]
    assigned = log(session, ticket.id)[2]
    assert assigned.data["by"] == "policy" and assigned.data["tier"] == 1
    # P3 at Tier 1: 15 minutes, the clock started when it was queued.
    assert deadline(session, ticket.id) == clock.now() + 15 * MIN
    assert fresh(session, ticket.id).tier_entered_at == clock.now()


def test_round_robin_takes_turns_across_tickets(routing, org, session):
    owners = [open_ticket(routing, org["requester"]).owner_id for _ in range(4)]
    assert owners[0] != owners[1] and owners[0::2] == [owners[0]] * 2
    assert set(owners) == {org["l1a"].id, org["l1b"].id}


def test_split_mode_is_deterministic_by_id_and_overrides_by_category(routing, tiered, org, session):
    data = {"mode": "split", "split_ratio": 0.5, "overrides": {"hardware": "swarm"}}
    tiered.set_routing_config(org["manager"], data)
    config = routing_config_from_dict({**data, "salt": tiered.routing_config(org["l2"])["salt"]})
    tickets = [open_ticket(routing, org["requester"]) for _ in range(8)]
    assert [t.mode for t in tickets] == [assign_mode(t.id, None, config) for t in tickets]
    hardware = open_ticket(routing, org["requester"], category="hardware")
    assert hardware.mode == "swarm" and hardware.category == "hardware"
    # Only the tickets the split drew at random say so: the comparison of those is causal.
    assert all(log(session, t.id)[0].data["split"] is True for t in tickets)
    assert "split" not in log(session, hardware.id)[0].data


def test_changing_the_mode_never_rewrites_existing_tickets(routing, tiered, org, session):
    before = open_ticket(routing, org["requester"])
    tiered.set_routing_config(org["manager"], {"mode": "swarm"})
    after = open_ticket(routing, org["requester"])
    assert fresh(session, before.id).mode == "tiered" and after.mode == "swarm"


def test_new_limits_reach_the_live_policy_at_once(routing, tiered, org, session, clock):
    doc = tiered.tier_settings(org["manager"])
    doc["tiers"][1]["limits"]["P3"] = 60
    tiered.set_tier_settings(org["manager"], {"tiers": doc["tiers"]})
    ticket = open_ticket(routing, org["requester"])
    assert deadline(session, ticket.id) == clock.now() + MIN


# ------------------------------------------------------------------ time limits


def test_the_limit_fires_exactly_at_the_limit_and_escalates_as_a_handoff(
    routing, org, session, clock
):
    ticket = open_ticket(routing, org["requester"])
    first_owner = ticket.owner_id
    clock.advance(minutes=15, microseconds=-1)
    assert routing.sweep() == 0
    clock.advance(microseconds=1)
    assert routing.sweep() == 1
    events = log(session, ticket.id)
    escalated = next(e for e in events if e.type == "escalated")
    assert escalated.data["from_tier"] == 1 and escalated.data["to_tier"] == 2
    assert escalated.data["reason"] == "time_limit" and escalated.actor_id is None
    after = [e.type for e in events[events.index(escalated) :]]
    assert after == ["escalated", "unassigned", "queued", "assigned"]
    unassigned = events[events.index(escalated) + 1]
    assert unassigned.data == {"previous_owner_id": first_owner, "reason": "escalated"}
    now = fresh(session, ticket.id)
    assert now.tier == 2 and now.owner_id == org["l2"].id
    assert now.tier_entered_at == clock.now()
    assert deadline(session, ticket.id) == clock.now() + timedelta(hours=4)
    assert routing.sweep() == 0  # fired once


def test_a_chain_escalates_tier_by_tier_and_stops_at_the_last_automatic_tier(
    routing, org, session, clock
):
    ticket = open_ticket(routing, org["requester"], priority="P1")
    clock.advance(minutes=5)
    routing.sweep()
    clock.advance(minutes=30)
    routing.sweep()
    assert fresh(session, ticket.id).tier == 3
    clock.advance(hours=2)
    routing.sweep()
    # Tier 4 (vendors) is the last tier; it has no limit, so nothing waits any more.
    assert fresh(session, ticket.id).tier == 4
    assert deadline(session, ticket.id) is None
    escalations = [e for e in log(session, ticket.id) if e.type == "escalated"]
    moves = [(e.data["from_tier"], e.data["to_tier"]) for e in escalations]
    assert moves == [(1, 2), (2, 3), (3, 4)]


def test_a_pending_ticket_pauses_the_clock_and_the_limit_is_pushed_back(
    routing, org, session, clock
):
    ticket = open_ticket(routing, org["requester"])
    owner = session.get(User, ticket.owner_id)
    clock.advance(minutes=5)
    tickets = routing.tickets
    tickets.change_status(owner, ticket.id, "pending")
    assert deadline(session, ticket.id) is None
    assert fresh(session, ticket.id).tier_paused_at == clock.now()
    clock.advance(hours=1)
    assert routing.sweep() == 0  # never during a pause
    tickets.change_status(owner, ticket.id, "open")
    resumed = fresh(session, ticket.id)
    assert resumed.tier_paused_at is None and resumed.tier_paused_seconds == 3600
    # 10 minutes were left when it paused.
    assert deadline(session, ticket.id) == clock.now() + 10 * MIN
    clock.advance(minutes=10)
    assert routing.sweep() == 1
    assert fresh(session, ticket.id).tier == 2


def test_a_resolved_ticket_never_escalates_and_a_reopened_one_resumes(routing, org, session, clock):
    ticket = open_ticket(routing, org["requester"])
    owner = session.get(User, ticket.owner_id)
    clock.advance(minutes=14)
    routing.tickets.resolve(owner, ticket.id, "Cleaned the rollers.")
    assert deadline(session, ticket.id) is None
    clock.advance(hours=5)
    assert routing.sweep() == 0
    routing.tickets.reopen(org["requester"], ticket.id, "Jams again")
    assert deadline(session, ticket.id) == clock.now() + MIN


def test_release_requeues_in_the_same_tier_to_someone_else_and_keeps_the_clock(
    routing, org, session, clock
):
    ticket = open_ticket(routing, org["requester"])
    due = deadline(session, ticket.id)
    owner = session.get(User, ticket.owner_id)
    clock.advance(minutes=3)
    released = routing.release(owner, ticket.id, "Out sick")
    assert released.tier == 1 and released.owner_id not in (None, owner.id)
    assert deadline(session, ticket.id) == due


# ------------------------------------------------------------------ manual moves


def test_manual_escalation_records_the_person_the_reason_and_the_handoff(
    tiered, routing, org, session, clock
):
    ticket = open_ticket(routing, org["requester"])
    agent = session.get(User, ticket.owner_id)
    clock.advance(minutes=2)
    moved = tiered.escalate(agent, ticket.id, reason="Needs a driver rollback", to_tier=3)
    assert moved.tier == 3 and moved.owner_id == org["l3"].id
    escalated = next(e for e in log(session, ticket.id) if e.type == "escalated")
    assert escalated.actor_id == agent.id
    assert escalated.data["reason"] == "manual"
    assert escalated.data["note"] == "Needs a driver rollback"
    assert (escalated.data["from_tier"], escalated.data["to_tier"]) == (1, 3)
    assert deadline(session, ticket.id) == clock.now() + timedelta(days=1)


def test_manual_deescalation_is_its_own_event_and_restarts_the_lower_clock(
    tiered, routing, org, session, clock
):
    ticket = open_ticket(routing, org["requester"])
    tiered.escalate(org["l1a"], ticket.id, reason="Server side", to_tier=2)
    clock.advance(minutes=30)
    back = tiered.deescalate(org["l2"], ticket.id, reason="Only a password reset")
    assert back.tier == 1
    event = [e for e in log(session, ticket.id) if e.type == "deescalated"][-1]
    assert event.data["from_tier"] == 2 and event.data["to_tier"] == 1
    assert event.data["note"] == "Only a password reset"
    assert deadline(session, ticket.id) == clock.now() + 15 * MIN


@pytest.mark.parametrize(
    ("tier", "move", "to_tier", "error", "words"),
    [
        (4, "escalate", None, Invalid, "the last tier"),
        (4, "escalate", 5, Invalid, "past the last tier"),
        (1, "deescalate", None, Invalid, "below Tier 1"),
        (2, "deescalate", 0, Invalid, "below Tier 1"),
        (2, "escalate", 2, IllegalTransition, "already in Tier 2"),
        (2, "escalate", 1, Invalid, "de-escalate it instead"),
        (2, "deescalate", 3, Invalid, "escalate it instead"),
    ],
)
def test_impossible_moves_are_refused_with_a_sentence(
    tiered, routing, org, session, tier, move, to_tier, error, words
):
    ticket = open_ticket(routing, org["requester"])
    if tier > 1:
        tiered.escalate(org["manager"], ticket.id, reason="setup", to_tier=tier)
    before = types(session, ticket.id)
    with pytest.raises(error, match=words):
        getattr(tiered, move)(org["manager"], ticket.id, reason="why not", to_tier=to_tier)
    assert types(session, ticket.id) == before


def test_a_swarm_ticket_has_no_tier_to_move(tiered, routing, org, session):
    tiered.set_routing_config(org["manager"], {"mode": "swarm"})
    ticket = open_ticket(routing, org["requester"])
    with pytest.raises(IllegalTransition, match="only tiered tickets move between tiers"):
        tiered.escalate(org["manager"], ticket.id, reason="try")


def test_a_move_needs_a_reason(tiered, routing, org):
    ticket = open_ticket(routing, org["requester"])
    with pytest.raises(Invalid, match="Say why"):
        tiered.escalate(org["l1a"], ticket.id, reason="  ")


def test_requesters_cannot_move_tickets(tiered, routing, org):
    ticket = open_ticket(routing, org["requester"])
    with pytest.raises(Forbidden):
        tiered.escalate(org["requester"], ticket.id, reason="faster please")


# ------------------------------------------------------------------ concurrent moves


def test_an_automatic_escalation_decided_before_a_manual_one_is_not_applied_twice(
    tiered, routing, org, session, clock
):
    ticket = open_ticket(routing, org["requester"])
    clock.advance(minutes=15)
    # The timer's decisions were made from a Tier 1 view …
    stale = [ClearDeadline("tier_limit"), Escalate(2, "time_limit"), Queue(2)]
    # … then a person escalated first.
    tiered.escalate(org["l1a"], ticket.id, reason="Clearly a server issue", to_tier=2)
    with pytest.raises(Conflict, match="moved meanwhile"):
        routing.tickets.apply_decisions(ticket.id, stale, "tiered", expect_tier=1)
    assert types(session, ticket.id).count("escalated") == 1
    # The sweeper reads under the lock: the manual move replaced the deadline, nothing is due.
    assert routing.sweep() == 0
    assert fresh(session, ticket.id).tier == 2


def test_a_manual_escalation_after_the_automatic_one_is_checked_against_the_new_tier(
    tiered, routing, org, session, clock
):
    ticket = open_ticket(routing, org["requester"])
    clock.advance(minutes=15)
    assert routing.sweep() == 1
    with pytest.raises(Conflict, match="Tier 2 now, not Tier 1"):
        tiered.escalate(org["l1a"], ticket.id, reason="too slow", from_tier=1)
    with pytest.raises(IllegalTransition, match="already in Tier 2"):
        tiered.escalate(org["l1a"], ticket.id, reason="too slow", to_tier=2)
    assert types(session, ticket.id).count("escalated") == 1


# ------------------------------------------------------------------ queues


@pytest.fixture
def pull_only(tiered, org):
    doc = tiered.tier_settings(org["manager"])
    tiered.set_tier_settings(org["manager"], {"tiers": doc["tiers"], "strategy": "pull_only"})


def test_the_queue_lists_unowned_first_by_priority_then_age(
    pull_only, tiered, routing, org, session, clock
):
    p3_old = open_ticket(routing, org["requester"], subject="old P3")
    clock.advance(minutes=1)
    p2 = open_ticket(routing, org["requester"], subject="P2", priority="P2")
    clock.advance(minutes=1)
    p3_new = open_ticket(routing, org["requester"], subject="new P3")
    routing.tickets.claim(org["l1a"], p3_old.id)
    queue = tiered.queue(org["l1b"], 1)
    assert [item["id"] for item in queue["items"]] == [p2.id, p3_new.id, p3_old.id]
    assert queue["unowned"] == 2
    first = queue["items"][0]
    assert first["age_seconds"] == 60 and first["seconds_left"] == 9 * 60


def test_take_next_assigns_by_pull_and_says_when_the_queue_is_empty(
    pull_only, tiered, routing, org, session, clock
):
    p3 = open_ticket(routing, org["requester"])
    p1 = open_ticket(routing, org["requester"], priority="P1")
    taken = tiered.pull_next(org["l1a"], 1)
    assert taken.id == p1.id and taken.owner_id == org["l1a"].id
    assigned = [e for e in log(session, p1.id) if e.type == "assigned"][-1]
    assert assigned.data["by"] == "pull" and assigned.data["tier"] == 1
    assert tiered.pull_next(org["manager"], 1).id == p3.id  # managers may pull any queue
    with pytest.raises(QueueEmpty, match="no ticket for you"):
        tiered.pull_next(org["l1b"], 1)


def test_only_agents_of_the_tier_take_from_its_queue(pull_only, tiered, routing, org):
    open_ticket(routing, org["requester"])
    with pytest.raises(Forbidden, match="you serve Tier 2"):
        tiered.pull_next(org["l2"], 1)


def test_an_agent_may_serve_several_tiers(pull_only, tiered, routing, org, session, clock):
    # Organisations that merge L1 and L2: the L2 agent also works the Tier 1 queue.
    org["l2"].profile.tiers = [1]
    session.commit()
    ticket = open_ticket(routing, org["requester"])
    assert tiered.pull_next(org["l2"], 1).id == ticket.id
    assert org["l2"].profile.served_tiers == frozenset({1, 2})


def test_automatic_assignment_reaches_agents_who_also_serve_the_tier(tiered, routing, org, session):
    for person in ("l1a", "l1b"):
        org[person].profile.presence = "offline"
    org["l2"].profile.tiers = [1]
    session.commit()
    ticket = open_ticket(routing, org["requester"])
    assert ticket.owner_id == org["l2"].id


def test_tier_0_and_missing_tiers_have_no_queue(tiered, org):
    from swarm.tickets.errors import NotFound

    with pytest.raises(NotFound, match="self-service"):
        tiered.queue(org["l1a"], 0)
    with pytest.raises(NotFound, match="no Tier 7"):
        tiered.queue(org["l1a"], 7)


# ------------------------------------------------------------------ vendors


@pytest.fixture
def at_tier_4(tiered, routing, org, session):
    ticket = open_ticket(routing, org["requester"], priority="P2")
    tiered.escalate(org["l1a"], ticket.id, reason="Firmware bug: vendor case", to_tier=4)
    vendor = tiered.create_vendor(
        org["manager"], name="Acme Printers", sla_seconds=4 * 3600, contact="support@acme.test"
    )
    return ticket, vendor


def test_handoff_pauses_the_tier_clock_and_starts_the_vendor_clock(
    tiered, org, session, clock, at_tier_4
):
    ticket, vendor = at_tier_4
    after = tiered.hand_off(org["vc"], ticket.id, vendor.id, "ACME-4711")
    handoff = after.vendor_handoff
    assert handoff is not None and handoff.external_ref == "ACME-4711"
    assert handoff.due_at == clock.now() + timedelta(hours=4)
    assert after.tier_paused_at == clock.now()
    event = log(session, ticket.id)[-1]
    assert event.type == "vendor_handoff"
    assert event.data["vendor"] == "Acme Printers" and event.data["vendor_id"] == vendor.id
    assert deadline(session, ticket.id, "vendor_sla") == clock.now() + timedelta(hours=4)


def test_a_handoff_needs_a_vendor_a_reference_and_the_vendor_tier(
    tiered, routing, org, session, at_tier_4
):
    ticket, vendor = at_tier_4
    with pytest.raises(Invalid, match="needs a vendor"):
        tiered.hand_off(org["vc"], ticket.id, None, "X-1")
    with pytest.raises(Invalid, match="reference"):
        tiered.hand_off(org["vc"], ticket.id, vendor.id, " ")
    at_tier_1 = open_ticket(routing, org["requester"])
    with pytest.raises(IllegalTransition, match="escalate it to Tier 4"):
        tiered.hand_off(org["vc"], at_tier_1.id, vendor.id, "X-1")
    tiered.hand_off(org["vc"], ticket.id, vendor.id, "X-1")
    with pytest.raises(IllegalTransition, match="already with Acme Printers"):
        tiered.hand_off(org["vc"], ticket.id, vendor.id, "X-2")


def test_waiting_on_us_pauses_the_vendor_clock_and_overdue_is_flagged_by_the_sweeper(
    tiered, routing, org, session, clock, at_tier_4
):
    ticket, vendor = at_tier_4
    tiered.hand_off(org["vc"], ticket.id, vendor.id, "ACME-1")
    clock.advance(hours=1)
    tiered.vendor_update(org["vc"], ticket.id, "waiting_on_us", "They need the printer logs")
    assert deadline(session, ticket.id, "vendor_sla") is None
    clock.advance(hours=2)
    tiered.vendor_update(org["vc"], ticket.id, "in_progress", "Logs sent")
    due = deadline(session, ticket.id, "vendor_sla")
    assert due == clock.now() + timedelta(hours=3)
    clock.set(due)
    routing.sweep()
    # Exactly at the SLA is on time …
    assert fresh(session, ticket.id).vendor_handoff.overdue_at is None
    clock.advance(seconds=1)
    routing.sweep()
    handoff = fresh(session, ticket.id).vendor_handoff
    assert handoff.overdue and handoff.overdue_at == clock.now()
    updates = [e.data["status"] for e in log(session, ticket.id) if e.type == "vendor_update"]
    assert updates == ["waiting_on_us", "in_progress"]


def test_a_resolved_vendor_case_ends_the_handoff(tiered, org, session, clock, at_tier_4):
    ticket, vendor = at_tier_4
    tiered.hand_off(org["vc"], ticket.id, vendor.id, "ACME-2")
    clock.advance(hours=1)
    after = tiered.vendor_update(org["vc"], ticket.id, "resolved", "Firmware 2.1 fixes it")
    assert after.vendor_handoff.closed_at == clock.now()
    assert after.tier_paused_at is None
    assert deadline(session, ticket.id, "vendor_sla") is None
    with pytest.raises(IllegalTransition, match="not with a vendor"):
        tiered.vendor_update(org["vc"], ticket.id, "in_progress")


def test_a_ticket_at_a_vendor_is_not_moved_until_they_answer(tiered, org, at_tier_4):
    ticket, vendor = at_tier_4
    tiered.hand_off(org["vc"], ticket.id, vendor.id, "ACME-3")
    with pytest.raises(IllegalTransition, match="record their answer"):
        tiered.deescalate(org["vc"], ticket.id, reason="back")


def test_unknown_vendor_status_is_refused(tiered, org, at_tier_4):
    ticket, vendor = at_tier_4
    tiered.hand_off(org["vc"], ticket.id, vendor.id, "ACME-4")
    with pytest.raises(Invalid, match="Unknown vendor status 'lost'"):
        tiered.vendor_update(org["vc"], ticket.id, "lost")


def test_vendors_are_managed_by_managers_with_clear_errors(tiered, org, at_tier_4):
    ticket, vendor = at_tier_4
    with pytest.raises(Forbidden):
        tiered.create_vendor(org["l1a"], name="Other", sla_seconds=60)
    with pytest.raises(Invalid, match="more than 0 seconds"):
        tiered.create_vendor(org["manager"], name="Other", sla_seconds=0)
    with pytest.raises(Conflict, match="already a vendor named"):
        tiered.create_vendor(org["manager"], name="Acme Printers", sla_seconds=60)
    tiered.hand_off(org["vc"], ticket.id, vendor.id, "ACME-5")
    with pytest.raises(Conflict, match="deactivate it instead"):
        tiered.delete_vendor(org["manager"], vendor.id)
    assert tiered.update_vendor(org["manager"], vendor.id, {"active": False}).active is False


# ------------------------------------------------------------------ configuration


@pytest.mark.parametrize(
    ("limits", "words"),
    [
        ({"P3": 0}, "more than 0 seconds"),
        ({"P3": -5}, "more than 0 seconds"),
        ({"P3": 90 * 24 * 3600}, "more than 30 days"),
        ({"P9": 60}, "unknown priority P9"),
    ],
)
def test_bad_limits_are_refused_and_nothing_is_stored(tiered, org, limits, words):
    doc = tiered.tier_settings(org["manager"])
    doc["tiers"][1]["limits"] = limits
    with pytest.raises(Invalid, match=words):
        tiered.set_tier_settings(org["manager"], {"tiers": doc["tiers"]})
    assert tiered.tier_settings(org["manager"])["tiers"][1]["limits"]["P3"] == 900


def test_split_ratio_outside_0_1_is_refused(tiered, org):
    with pytest.raises(Invalid, match="between 0 and 1") as info:
        tiered.set_routing_config(org["manager"], {"mode": "split", "split_ratio": 1.5})
    assert info.value.fields == {"split_ratio": [info.value.message]}


def test_agents_read_the_configuration_but_only_managers_change_it(tiered, org):
    assert tiered.routing_config(org["l1a"])["mode"] == "tiered"
    with pytest.raises(Forbidden, match="managers and admins"):
        tiered.set_routing_config(org["l1a"], {"mode": "swarm"})
    with pytest.raises(Forbidden):
        tiered.routing_config(org["requester"])


# ------------------------------------------------------------------ intake and collaboration


@pytest.fixture
def rooms(session, clock, notifier) -> RoomService:
    return RoomService(session, clock, notifier)


def test_a_pull_tier_leaves_the_ticket_queued_until_an_agent_takes_it(
    tiered, routing, org, session
):
    set_intake(tiered, org["manager"], {1: "pull"})
    ticket = open_ticket(routing, org["requester"])
    assert ticket.tier == 1 and ticket.owner_id is None
    [queued] = [e for e in log(session, ticket.id) if e.type == "queued"]
    assert queued.data["intake"] == "pull"
    assert "waits in the queue for an agent to take it" in queued.data["why"]
    taken = tiered.pull_next(org["l1b"], 1)
    assert taken.id == ticket.id and taken.owner_id == org["l1b"].id
    [assigned] = [e for e in log(session, ticket.id) if e.type == "assigned"]
    assert assigned.data["by"] == "pull" and assigned.data["tier"] == 1


def test_a_ticket_escalated_from_a_pull_tier_is_pushed_in_the_next_one(
    tiered, routing, org, session, clock
):
    set_intake(tiered, org["manager"], {1: "pull"})
    ticket = open_ticket(routing, org["requester"])
    clock.advance(minutes=15)
    assert routing.sweep() == 1
    session.expire_all()
    moved = session.get(Ticket, ticket.id)
    assert moved.tier == 2 and moved.owner_id == org["l2"].id
    queued = [e.data["intake"] for e in log(session, ticket.id) if e.type == "queued"]
    assert queued == ["pull", "push"]


def test_a_new_install_s_desk_pulls_and_tiered_tickets_record_their_variant(
    session, clock, notifier
):
    caches = RoutingCaches()
    routing = RoutingService(session, clock, notifier, caches)
    manager = make_manager(session, clock)
    desk = serving(session, make_agent(session, clock, name="Dee Desk"), 1)
    TieredService(session, clock, notifier, caches).set_routing_config(manager, {"mode": "tiered"})
    ticket = open_ticket(routing, make_user(session, clock))
    assert ticket.owner_id is None  # Dee is online, but the desk pulls: "Take next" has work
    [created] = [e for e in log(session, ticket.id) if e.type == "created"]
    assert created.data["mode"] == "tiered"
    assert created.data["collaboration"] == "off"
    assert created.data["intake"] == {"1": "pull", "2": "push", "3": "push", "4": "push"}
    assert TieredService(session, clock, notifier, caches).pull_next(desk, 1).id == ticket.id


def test_a_swarm_ticket_records_no_tiered_variant(tiered, routing, org, session):
    tiered.set_routing_config(org["manager"], {"mode": "swarm"})
    ticket = open_ticket(routing, org["requester"])
    [created] = [e for e in log(session, ticket.id) if e.type == "created"]
    assert created.data["mode"] == "swarm"
    assert not {"collaboration", "intake"} & set(created.data)


def test_the_variant_in_force_at_opening_is_recorded(tiered, routing, org, session):
    set_intake(tiered, org["manager"], {2: "pull"}, collaboration="within_tier")
    ticket = open_ticket(routing, org["requester"])
    [created] = [e for e in log(session, ticket.id) if e.type == "created"]
    assert created.data["collaboration"] == "within_tier"
    assert created.data["intake"] == {"1": "push", "2": "pull", "3": "push", "4": "push"}


def owned_in_tier_1(routing, org) -> Ticket:
    ticket = open_ticket(routing, org["requester"])
    assert ticket.owner_id == org["l1a"].id or ticket.owner_id == org["l1b"].id
    return ticket


def test_with_collaboration_off_a_tiered_ticket_cannot_swarm(rooms, routing, org, session):
    ticket = owned_in_tier_1(routing, org)
    owner = session.get(User, ticket.owner_id)
    colleague = org["l1b"] if owner.id == org["l1a"].id else org["l1a"]
    before = types(session, ticket.id)
    with pytest.raises(CollaborationRefused) as invited:
        rooms.invite(owner, ticket.id, colleague.id)
    assert invited.value.message == "Tier collaboration is off: escalate instead of inviting."
    assert invited.value.status == 403 and invited.value.code == "tier_collaboration"
    with pytest.raises(CollaborationRefused, match="escalate instead of raising a hand"):
        rooms.raise_hand(owner, ticket.id, "anyone?")
    with pytest.raises(CollaborationRefused, match="escalate instead of offering help"):
        rooms.offer_help(colleague, ticket.id)
    with pytest.raises(CollaborationRefused, match="escalate instead of asking for suggested"):
        routing.suggestions(owner, ticket.id)
    assert types(session, ticket.id) == before  # nothing was recorded


def test_within_the_tier_only_the_tier_s_agents_may_be_asked_or_offer_help(
    tiered, rooms, routing, org, session
):
    set_intake(tiered, org["manager"], {}, collaboration="within_tier")
    ticket = owned_in_tier_1(routing, org)
    owner = session.get(User, ticket.owner_id)
    colleague = org["l1b"] if owner.id == org["l1a"].id else org["l1a"]
    assert rooms.invite(owner, ticket.id, colleague.id).invitee_id == colleague.id
    with pytest.raises(CollaborationRefused) as refused:
        rooms.invite(owner, ticket.id, org["l2"].id)
    assert refused.value.message == (
        "Tier collaboration stays within the tier: Tess Two does not serve Tier 1 (Service "
        "desk); escalate instead."
    )
    with pytest.raises(CollaborationRefused, match="Theo Three does not serve Tier 1"):
        rooms.offer_help(org["l3"], ticket.id)
    rooms.raise_hand(owner, ticket.id, "a second pair of eyes?")
    rooms.offer_help(colleague, ticket.id)
    # An agent who also serves the tier counts as one of its agents.
    org["l2"].profile.tiers = [1]
    session.commit()
    assert rooms.invite(owner, ticket.id, org["l2"].id).invitee_id == org["l2"].id


def test_within_the_tier_suggestions_name_only_the_tier_s_agents(tiered, routing, org, session):
    set_intake(tiered, org["manager"], {}, collaboration="within_tier")
    printers = Skill(name="Printers", aliases=[], description="")
    session.add(printers)
    session.flush()
    for agent in (org["l1a"], org["l1b"], org["l2"], org["l3"]):
        level = 5 if agent in (org["l2"], org["l3"]) else 2  # the experts sit higher up
        session.add(AgentSkill(user_id=agent.id, skill_id=printers.id, proficiency=level))
    session.commit()
    routing.caches.org.invalidate()
    ticket = owned_in_tier_1(routing, org)
    session.add(TicketSkill(ticket_id=ticket.id, skill_id=printers.id, weight=1.0))
    session.commit()
    suggested = routing.suggestions(org["manager"], ticket.id)
    named = {o["agent"]["id"] for o in suggested["owners"]}
    named |= {m["agent"]["id"] for m in suggested["team"]["members"]}
    assert named and named <= {org["l1a"].id, org["l1b"].id}
    set_intake(tiered, org["manager"], {}, collaboration="open")
    opened = routing.suggestions(org["manager"], ticket.id)
    assert org["l2"].id in {o["agent"]["id"] for o in opened["owners"]}


def test_open_collaboration_lets_a_tiered_ticket_swarm_like_any(
    tiered, rooms, routing, org, session
):
    set_intake(tiered, org["manager"], {}, collaboration="open")
    ticket = owned_in_tier_1(routing, org)
    owner = session.get(User, ticket.owner_id)
    assert rooms.invite(owner, ticket.id, org["l3"].id).invitee_id == org["l3"].id
    rooms.offer_help(org["l2"], ticket.id)


def test_swarm_tickets_swarm_whatever_the_tiered_setting(tiered, rooms, routing, org, session):
    tiered.set_routing_config(org["manager"], {"mode": "swarm"})
    ticket = open_ticket(routing, org["requester"])
    rooms.claim(org["l1a"], ticket.id)
    assert rooms.invite(org["l1a"], ticket.id, org["l3"].id).invitee_id == org["l3"].id
    rooms.raise_hand(org["l1a"], ticket.id)
    rooms.offer_help(org["l2"], ticket.id)
    assert "hand_raised" in types(session, ticket.id)


def test_the_collaboration_setting_is_validated(tiered, org):
    with pytest.raises(Invalid, match="Unknown collaboration setting 'maybe'"):
        tiered.set_tier_settings(org["manager"], {"collaboration": "maybe"})
    assert tiered.tier_settings(org["l1a"])["collaboration"] == "off"

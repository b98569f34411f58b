"""The demo organisation: what it contains, that its histories are coherent, and that seeding
is idempotent and deterministic."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, timedelta
from itertools import pairwise
from typing import Any

import networkx as nx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from swarm.accounts.passwords import verify_password
from swarm.clock import FakeClock
from swarm.db import Base, make_engine, make_session_factory
from swarm.demo import DEMO_PASSWORD, DemoSummary, seed_demo
from swarm.demo.content import TEMPLATES
from swarm.models import (
    AgentSkill,
    Invitation,
    Message,
    Participation,
    Skill,
    SkillGrowth,
    SkillRelation,
    Ticket,
    TicketEvent,
    TicketSkill,
    User,
)
from tests.conftest import START

STAFF_ROLES = ("agent", "manager", "admin")


@pytest.fixture(scope="module")
def seeded() -> Iterator[tuple[sessionmaker[Session], DemoSummary, list[tuple[str, int, int]]]]:
    """One demo database shared by the read-only tests of this module (seeding takes ~0.5 s)."""
    import swarm.models  # noqa: F401 - registers the tables

    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    calls: list[tuple[str, int, int]] = []
    summary = seed_demo(factory, FakeClock(START), progress=lambda *a: calls.append(a))
    yield factory, summary, calls
    engine.dispose()


@pytest.fixture
def demo(seeded: tuple[sessionmaker[Session], Any, Any]) -> Iterator[Session]:
    with seeded[0]() as session:
        yield session


def _tickets_with_events(session: Session) -> list[tuple[Ticket, list[TicketEvent]]]:
    events: dict[int, list[TicketEvent]] = {}
    for event in session.scalars(select(TicketEvent).order_by(TicketEvent.id)).unique():
        events.setdefault(event.ticket_id, []).append(event)
    tickets = session.scalars(select(Ticket).order_by(Ticket.id)).unique()
    return [(t, events.get(t.id, [])) for t in tickets]


# ------------------------------------------------------------------------------- contents


def test_summary_counts_what_was_written(seeded: Any, demo: Session) -> None:
    summary = seeded[1]
    assert summary.created
    assert summary.skills == len(demo.scalars(select(Skill)).all())
    assert summary.relations == len(demo.scalars(select(SkillRelation)).all())
    assert summary.tickets == len(demo.scalars(select(Ticket)).unique().all())
    assert summary.events == len(demo.scalars(select(TicketEvent)).unique().all())
    assert (summary.agents, summary.requesters) == (40, 10)


def test_demo_has_the_logins_of_the_issue(demo: Session) -> None:
    users = {u.email: u for u in demo.scalars(select(User)).unique()}
    agents = sorted(e for e, u in users.items() if u.role == "agent")
    requesters = sorted(e for e, u in users.items() if u.role == "requester")
    assert agents == [f"agent{n:02d}@example.com" for n in range(1, 41)]
    assert requesters == [f"requester{n:02d}@example.com" for n in range(1, 11)]
    assert users["admin@example.com"].role == "admin"
    assert users["admin@example.com"].profile is not None
    assert users["manager@example.com"].role == users["manager2@example.com"].role == "manager"
    assert len(users) == 53
    assert len({u.name for u in users.values()}) == 53, "names are distinct"


def test_agents_have_tiers_teams_capacities_and_mixed_presence(demo: Session) -> None:
    agents = [u for u in demo.scalars(select(User).where(User.role == "agent")).unique()]
    profiles = [a.profile for a in agents if a.profile is not None]
    assert len(profiles) == 40
    assert Counter(p.tier for p in profiles) == {1: 20, 2: 13, 3: 7}
    assert len({p.team for p in profiles}) == 7
    assert all(3 <= p.capacity <= 8 for p in profiles)
    assert set(Counter(p.presence for p in profiles)) == {"online", "away", "busy", "offline"}
    assert len({p.timezone for p in profiles}) >= 5


def test_taxonomy_is_about_a_hundred_skills_in_an_acyclic_is_a_forest(demo: Session) -> None:
    skills = {s.id: s for s in demo.scalars(select(Skill))}
    relations = demo.scalars(select(SkillRelation)).all()
    assert 90 <= len(skills) <= 120
    is_a = nx.DiGraph()
    is_a.add_edges_from((r.source_id, r.target_id) for r in relations if r.kind == "is_a")
    assert nx.is_directed_acyclic_graph(is_a)
    assert max(d for _, d in is_a.out_degree()) == 1, "each skill has at most one parent"
    assert all(r.source_id != r.target_id for r in relations)
    related = [r for r in relations if r.kind == "related_to"]
    assert len(related) >= 50
    assert all(0 < r.weight <= 1 for r in related)
    by_name = {s.name: s for s in skills.values()}
    assert {"remote access", "vpn client"} <= set(by_name["VPN"].aliases)
    parents = {
        skills[r.source_id].name: skills[r.target_id].name for r in relations if r.kind == "is_a"
    }
    assert parents["Cisco AnyConnect"] == "VPN" and parents["VPN"] == "Networking"
    assert all(s.category and s.description for s in skills.values())


def test_every_template_skill_exists_and_has_an_expert(demo: Session) -> None:
    best: dict[str, int] = {}
    for row in demo.scalars(select(AgentSkill)).unique():
        best[row.skill.name] = max(best.get(row.skill.name, 0), row.proficiency)
    names = set(demo.scalars(select(Skill.name)))
    for template in TEMPLATES:
        for skill, _ in template.skills:
            assert skill in names
            assert best.get(skill, 0) >= 3, f"nobody is good at {skill}"


def test_skill_profiles_follow_the_tiers(demo: Session) -> None:
    rows: dict[int, list[AgentSkill]] = {}
    for row in demo.scalars(select(AgentSkill)).unique():
        rows.setdefault(row.user_id, []).append(row)
    agents = demo.scalars(select(User).where(User.role == "agent")).unique()
    for agent in agents:
        assert agent.profile is not None
        levels = [r.proficiency for r in rows[agent.id] if not r.wants_to_learn]
        if agent.profile.tier == 3:
            assert max(levels) >= 4, agent.email
        if agent.profile.tier == 1:
            assert max(levels) <= 3 and len(levels) >= 5, agent.email
    goals = [r for rs in rows.values() for r in rs if r.wants_to_learn]
    assert len(goals) >= 20
    assert all(r.proficiency <= 2 for r in goals)
    used = [r for rs in rows.values() for r in rs if r.proficiency > 0]
    assert all(r.last_used_at is not None and r.evidence > 0 for r in used)


# ------------------------------------------------------------------------------- histories


def test_history_covers_sixty_days_in_both_modes_with_live_work(demo: Session) -> None:
    now = START
    tickets = demo.scalars(select(Ticket)).unique().all()
    assert 300 <= len(tickets) <= 350
    modes = Counter(t.mode for t in tickets)
    assert abs(modes["swarm"] - modes["tiered"]) <= 10
    assert all(now - timedelta(days=60) <= t.created_at < now for t in tickets)
    assert min(t.created_at for t in tickets) < now - timedelta(days=55)
    live = [t for t in tickets if t.status in ("new", "open", "pending")]
    assert 20 <= len(live) <= 30
    assert any(t.owner_id is None for t in live) and any(t.owner_id for t in live)
    assert {t.mode for t in live} == {"swarm", "tiered"}
    priorities = Counter(t.priority for t in tickets)
    assert set(priorities) == {"P1", "P2", "P3", "P4"}
    assert priorities["P1"] < 0.1 * len(tickets)
    assert len({t.requester_id for t in tickets}) == 10


def test_events_start_with_created_and_strictly_increase_before_now(demo: Session) -> None:
    for ticket, events in _tickets_with_events(demo):
        assert events[0].type == "created"
        assert events[0].at == ticket.created_at
        times = [e.at for e in events]
        assert all(a < b for a, b in pairwise(times)), ticket.id
        assert times[-1] < START
        assert all(t.tzinfo is UTC for t in times)
        assert {e.source for e in events} == {"live"}


def _replay(events: list[TicketEvent]) -> tuple[str, int | None, int | None]:
    """Status, owner and tier as the events tell them, checking each event's "from" side."""
    status, owner, tier = "new", None, None
    for e in events:
        if e.type in ("status_changed", "resolved", "closed", "reopened"):
            assert e.data["from"] == status, (e.ticket_id, e.type)
            status = e.data["to"]
        elif e.type == "assigned":
            assert e.data["previous_owner_id"] == owner, e.ticket_id
            owner = e.data["agent_id"]
        elif e.type == "unassigned":
            assert e.data["previous_owner_id"] == owner, e.ticket_id
            owner = None
        elif e.type == "queued":
            tier = e.data["tier"]
        elif e.type == "escalated":
            assert e.data["from_tier"] == tier, e.ticket_id
            tier = e.data["to_tier"]
            if "previous_owner_id" in e.data:  # as the live Escalate: the owner is let go
                assert e.data["previous_owner_id"] == owner, e.ticket_id
                owner = None
    return status, owner, tier


def test_ticket_columns_agree_with_the_events(demo: Session) -> None:
    for ticket, events in _tickets_with_events(demo):
        assert _replay(events) == (ticket.status, ticket.owner_id, ticket.tier)
        assert ticket.updated_at == events[-1].at
        resolved = [e for e in events if e.type == "resolved"]
        if ticket.status in ("resolved", "closed"):
            assert ticket.resolved_at == resolved[-1].at
            assert ticket.resolution == resolved[-1].data["resolution"]
        else:
            assert ticket.resolved_at is None
        closed = [e for e in events if e.type == "closed"]
        assert ticket.closed_at == (closed[-1].at if ticket.status == "closed" else None)
        assert ticket.response_due_at is not None and ticket.response_due_at > ticket.created_at
        if ticket.mode == "swarm":
            assert ticket.tier is None
            assert not {"queued", "escalated"} & {e.type for e in events}


def test_event_data_uses_the_documented_keys(demo: Session) -> None:
    invitations = {i.id: i for i in demo.scalars(select(Invitation))}
    messages = {m.id: m for m in demo.scalars(select(Message)).unique()}
    users = {u.id: u for u in demo.scalars(select(User)).unique()}
    expected = {
        "created": {"subject", "priority", "mode", "requester_id"},
        "status_changed": {"from", "to"},
        "resolved": {"from", "to", "resolution"},
        "closed": {"from", "to"},
        "reopened": {"from", "to", "reason"},
        "skills_set": {"skills", "by"},
        "queued": {"tier", "policy", "intake"},
        "helper_invited": {"agent_id", "invitation_id"},
        "helper_joined": {"agent_id"},
        "helper_left": {"agent_id", "seconds"},
        "invitation_declined": {"agent_id", "invitation_id"},
        "message": {"message_id", "kind"},
        "note": {"message_id"},
        "vendor_handoff": {"vendor", "external_ref"},
        "vendor_update": {"status", "note"},
    }
    seen: Counter[str] = Counter()
    for ticket, events in _tickets_with_events(demo):
        for e in events:
            seen[e.type] += 1
            if e.type == "assigned":
                assert {"agent_id", "by", "previous_owner_id"} <= set(e.data)
                assert users[e.data["agent_id"]].role in STAFF_ROLES
                by = {"swarm": {"policy", "manual"}, "tiered": {"pull"}}[ticket.mode]
                assert e.data["by"] in by
            elif e.type == "created" and ticket.mode == "tiered":
                # The tiered variant the ticket ran under, for the metrics' comparison.
                assert set(e.data) == expected["created"] | {"collaboration", "intake"}
                assert e.data["collaboration"] == "off"
            elif e.type == "escalated":
                keys = {"from_tier", "to_tier", "reason"}
                # A vendor hand-off keeps the owner, so it names no previous one.
                assert set(e.data) == keys | (
                    {"previous_owner_id"} if e.data["to_tier"] < 4 else set()
                )
            else:
                assert set(e.data) == expected[e.type], e.type
            if e.type == "escalated":
                assert e.data["reason"] in ("time_limit", "manual")
                assert e.data["to_tier"] == e.data["from_tier"] + 1 or e.data["to_tier"] == 4
            if "invitation_id" in e.data:
                invitation = invitations[e.data["invitation_id"]]
                assert invitation.ticket_id == ticket.id
                assert invitation.invitee_id == e.data["agent_id"]
            if "message_id" in e.data:
                message = messages[e.data["message_id"]]
                assert (message.ticket_id, message.created_at) == (ticket.id, e.at)
                assert message.kind == e.data.get("kind", "note")
    for kind in (
        "skills_set",
        "helper_invited",
        "helper_joined",
        "helper_left",
        "message",
        "note",
        "escalated",
        "vendor_handoff",
        "vendor_update",
        "reopened",
        "closed",
    ):
        assert seen[kind] > 0, kind


def test_skills_set_events_match_the_ticket_skills(demo: Session) -> None:
    rows: dict[int, dict[int, float]] = {}
    for row in demo.scalars(select(TicketSkill)):
        rows.setdefault(row.ticket_id, {})[row.skill_id] = row.weight
        assert row.source == "inferred" and row.why
    for ticket, events in _tickets_with_events(demo):
        assert [e.type for e in events[:2]] == ["created", "skills_set"]
        data = events[1].data
        assert data["by"] == "inferred" and events[1].actor_id is None
        assert {s["skill_id"]: s["weight"] for s in data["skills"]} == rows[ticket.id]


def test_skill_growth_follows_the_live_evidence_rule(demo: Session) -> None:
    """Each resolution gave its owner one unit of evidence per required skill, and the
    profiles end where their growth rows say."""
    growth = demo.scalars(select(SkillGrowth).order_by(SkillGrowth.at, SkillGrowth.id)).all()
    assert len(growth) > 300
    assert all(g.cause == "evidence" and g.ticket_id for g in growth)
    assert all(
        g.proficiency_before is None or g.proficiency_after >= g.proficiency_before for g in growth
    )
    last = {(g.user_id, g.skill_id): g for g in growth}
    for row in demo.scalars(select(AgentSkill)).unique():
        if (row.user_id, row.skill_id) in last:
            g = last[(row.user_id, row.skill_id)]
            assert (row.proficiency, row.evidence, row.last_used_at) == (
                g.proficiency_after,
                g.evidence,
                g.at,
            )
    skills = {}
    for row in demo.scalars(select(TicketSkill)):
        skills.setdefault(row.ticket_id, set()).add(row.skill_id)
    grown = {(g.ticket_id, g.user_id, g.skill_id) for g in growth}
    for ticket, events in _tickets_with_events(demo):
        for e in events:
            if e.type == "resolved":
                assert {(ticket.id, e.actor_id, s) for s in skills[ticket.id]} <= grown


def test_swarm_rooms_have_participations_and_tiered_tickets_have_vendors(demo: Session) -> None:
    tickets = {t.id: t for t in demo.scalars(select(Ticket)).unique()}
    participations = demo.scalars(select(Participation)).all()
    assert {tickets[p.ticket_id].mode for p in participations} == {"swarm"}
    assert {p.role for p in participations} == {"owner", "helper"}
    assert all(p.left_at is None or p.left_at > p.joined_at for p in participations)
    vendor_tickets = {
        e.ticket_id
        for e in demo.scalars(select(TicketEvent)).unique()
        if e.type == "vendor_handoff"
    }
    assert vendor_tickets and {tickets[t].mode for t in vendor_tickets} == {"tiered"}
    assert all(tickets[t].tier == 4 for t in vendor_tickets)


def test_tiered_tickets_change_owner_more_often_than_swarm_tickets(demo: Session) -> None:
    handoffs: dict[str, list[int]] = {"swarm": [], "tiered": []}
    durations: dict[str, list[float]] = {"swarm": [], "tiered": []}
    for ticket, events in _tickets_with_events(demo):
        if ticket.resolved_at is None:
            continue
        handoffs[ticket.mode].append(sum(e.type == "assigned" for e in events))
        durations[ticket.mode].append((ticket.resolved_at - ticket.created_at).total_seconds())

    def mean(values: list[Any]) -> float:
        return sum(values) / len(values)

    assert mean(handoffs["tiered"]) > mean(handoffs["swarm"]) + 0.2
    assert mean(durations["tiered"]) > mean(durations["swarm"])


def test_ids_increase_with_time(demo: Session) -> None:
    events = demo.scalars(select(TicketEvent).order_by(TicketEvent.id)).unique().all()
    assert all(a.at <= b.at for a, b in pairwise(events))
    messages = demo.scalars(select(Message).order_by(Message.id)).unique().all()
    assert all(a.created_at <= b.created_at for a, b in pairwise(messages))


def test_progress_is_reported_for_every_phase(seeded: Any) -> None:
    calls: list[tuple[str, int, int]] = seeded[2]
    phases = list(dict.fromkeys(phase for phase, _, _ in calls))
    assert phases == ["generate", "skills", "people", "tickets", "events"]
    for phase in phases:
        steps = [(done, total) for p, done, total in calls if p == phase]
        assert steps[0][0] == 0 and steps[-1][0] == steps[-1][1]
        assert all(0 <= done <= total for done, total in steps)


# ------------------------------------------------------------------ idempotent, deterministic


def test_demo_passwords_verify(demo: Session) -> None:
    hashes = {email: h for email, h in demo.execute(select(User.email, User.password_hash))}
    assert verify_password(hashes["admin@example.com"], DEMO_PASSWORD)
    assert verify_password(hashes["requester10@example.com"], "swarm-demo")
    assert not verify_password(hashes["agent40@example.com"], "wrong-password")
    # Every user shares the one hash, so verifying one of them verifies all.
    assert len(set(hashes.values())) == 1, "one argon2 hash, computed once, serves every demo user"


def test_seeding_twice_creates_nothing_the_second_time(engine: Engine, clock: FakeClock) -> None:
    factory = make_session_factory(engine)
    first = seed_demo(factory, clock)
    clock.advance(days=1)
    calls: list[tuple[str, int, int]] = []
    second = seed_demo(factory, clock, progress=lambda *a: calls.append(a))
    assert first.created and first.tickets > 0
    assert second == DemoSummary(0, 0, 0, 0, 0, 0, created=False)
    assert calls == []
    with factory() as session:
        assert len(session.scalars(select(Ticket)).unique().all()) == first.tickets
        assert len(session.scalars(select(User)).unique().all()) == 53


def _dump(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table in primary-key order; password hashes differ by their salt."""
    dump: dict[str, list[tuple[Any, ...]]] = {}
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if c.name != "password_hash"]
        query = select(*columns).order_by(*table.primary_key.columns)
        dump[table.name] = [tuple(row) for row in session.execute(query)]
    return dump


def test_two_seeds_into_fresh_databases_are_identical(
    seeded: Any, demo: Session, engine: Engine, clock: FakeClock
) -> None:
    factory = make_session_factory(engine)
    seed_demo(factory, clock)
    with factory() as other:
        first, second = _dump(demo), _dump(other)
    assert len(first["tickets"]) > 300 and len(first["ticket_events"]) > 2000
    assert first == second


def test_history_keeps_its_shape_when_the_clock_moves(demo: Session, engine: Engine) -> None:
    later = START + timedelta(days=17, hours=5, minutes=3, seconds=7)
    factory = make_session_factory(engine)
    seed_demo(factory, FakeClock(later))
    with factory() as session:
        moved = [later - at for at in session.scalars(select(TicketEvent.at))]
    original = [START - at for at in demo.scalars(select(TicketEvent.at))]
    assert sorted(moved) == sorted(original)
    assert min(moved) > timedelta(0)


def test_the_demo_taxonomy_is_one_the_router_accepts(demo: Session) -> None:
    from datetime import UTC, datetime

    from swarm.dispatch.snapshot import OrgSnapshots, load_skill_graph

    graph = load_skill_graph(demo)  # names and aliases unique, no is_a cycle
    assert len(graph.skills) == demo.scalar(select(func.count()).select_from(Skill))
    org = OrgSnapshots().org(demo, datetime.now(UTC))
    assert len(org.agents) >= 40


def test_demo_tickets_get_routed_like_live_ones(engine: Engine, clock: FakeClock) -> None:
    from swarm.dispatch.service import RoutingCaches, RoutingService
    from swarm.tickets.notify import RecordingNotifier

    factory = make_session_factory(engine)
    seed_demo(factory, clock)
    with factory() as session:
        requester = session.scalars(
            select(User).where(User.email == "requester01@example.com")
        ).one()
        routing = RoutingService(session, clock, RecordingNotifier(), RoutingCaches())
        ticket = routing.open_ticket(
            requester, subject="AnyConnect keeps disconnecting", body="Every few minutes at home."
        )
        assert "Cisco AnyConnect" in {s.skill.name for s in ticket.skills}
        assert ticket.owner is not None
        suggestions = routing.suggestions(ticket.owner, ticket.id)
        assert suggestions["owners"] and suggestions["owners"][0]["reasons"]


def test_open_tiered_demo_tickets_have_running_tier_clocks(demo: Session) -> None:
    from swarm.models import TicketDeadline

    open_tiered = (
        demo.scalars(
            select(Ticket).where(
                Ticket.mode == "tiered",
                Ticket.status.in_(["new", "open"]),
                Ticket.tier.in_([1, 2, 3]),
            )
        )
        .unique()
        .all()
    )
    assert open_tiered, "the demo has live tiered work"
    deadlines = {d.ticket_id: d for d in demo.scalars(select(TicketDeadline))}
    for ticket in open_tiered:
        assert ticket.tier_entered_at is not None
        assert ticket.id in deadlines and deadlines[ticket.id].kind == "tier_limit"
        assert deadlines[ticket.id].due_at > ticket.tier_entered_at

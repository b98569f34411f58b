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
            # As the live Escalate: it names the owner, and the `unassigned` after it lets
            # them go (there is none when nobody owned it).
            assert e.data["from_tier"] == tier, e.ticket_id
            assert e.data["previous_owner_id"] == owner, e.ticket_id
            tier = e.data["to_tier"]
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
        "queued": {"tier", "why", "policy", "intake"},
        "unassigned": {"previous_owner_id", "reason"},
        "helper_invited": {"agent_id", "invitation_id"},
        "helper_left": {"agent_id", "seconds", "reason"},
        "invitation_declined": {"agent_id", "invitation_id"},
        "hand_raised": {"note"},
        "help_offered": {"agent_id"},
        "message": {"message_id", "kind"},
        "note": {"message_id"},
        "vendor_handoff": {"vendor", "vendor_id", "external_ref", "due_at"},
        "vendor_update": {"status", "note", "vendor_id", "external_ref"},
        # The knowledge base written from the history (swarm/demo/articles.py), as live.
        "article_linked": {"article_id", "kind"},
        "article_published": {"article_id", "version"},
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
                # As live: a tiered assignment says the tier it was taken in.
                assert ("tier" in e.data) == (ticket.mode == "tiered")
            elif e.type == "created" and ticket.mode == "tiered":
                # The tiered variant the ticket ran under, for the metrics' comparison.
                assert set(e.data) == expected["created"] | {"collaboration", "intake"}
                assert e.data["collaboration"] == "off"
            elif e.type == "escalated":
                # As the live Escalate; a person's escalation carries their reason as `note`.
                keys = {"from_tier", "to_tier", "reason", "previous_owner_id"}
                assert set(e.data) == keys | ({"note"} if e.data["reason"] == "manual" else set())
            elif e.type == "helper_joined":
                via = {"invitation": {"invitation_id"}, "message": {"message_id"}}
                assert set(e.data) == {"agent_id", "via"} | via.get(e.data["via"], set())
            elif e.type == "helper_left" and e.data["reason"] == "became_owner":
                # As the live hand-over: the helper who becomes the owner leaves the swarm.
                assert set(e.data) == expected["helper_left"] | {"became_owner"}
                assert e.data["became_owner"] is True
            elif e.type == "invitation_declined":
                assert expected[e.type] <= set(e.data) <= expected[e.type] | {"reason"}
            elif e.type == "queued" and ticket.mode == "swarm":
                # Routing found nobody free: the triage queue, with the policy's reason.
                assert set(e.data) == {"tier", "why", "policy"} and e.data["tier"] is None
            elif e.type == "satisfaction_rated":
                # As live: the requester's answer, the comment only when they wrote one.
                assert set(e.data) in ({"score"}, {"score", "comment"})
                assert e.data["score"] in range(1, 6) and e.actor_id == ticket.requester_id
            else:
                assert set(e.data) == expected[e.type], e.type
            if e.type == "escalated":
                assert e.data["reason"] in ("time_limit", "manual")
                assert e.data["to_tier"] == e.data["from_tier"] + 1 or e.data["to_tier"] == 4
            if "invitation_id" in e.data:
                invitation = invitations[e.data["invitation_id"]]
                assert invitation.ticket_id == ticket.id
                assert invitation.invitee_id == e.data["agent_id"]
            if "message_id" in e.data and e.type != "helper_joined":
                message = messages[e.data["message_id"]]
                assert (message.ticket_id, message.created_at) == (ticket.id, e.at)
                assert message.kind == e.data.get("kind", "note")
            if e.type == "unassigned":
                # Tiered: an escalation let the owner go; swarm: the owner handed it on.
                assert e.data["reason"] == "escalated" or ticket.mode == "swarm"
            if e.type == "vendor_update":
                assert e.actor_id is not None, "only staff record what a vendor said"
                statuses = ("acknowledged", "in_progress", "waiting_on_us", "resolved")
                assert e.data["status"] in statuses
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
        "unassigned",
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
    from swarm.dispatch.caches import RoutingCaches
    from swarm.dispatch.service import RoutingService
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
    """Tiers 1 and 2 have a time limit that moves a ticket on; Tier 3 has none in the desk's
    settings (``last_automatic_tier``: only a person sends a ticket to the vendors)."""
    from swarm.demo.generate import TIERS
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
    timed = 0
    for ticket in open_tiered:
        assert ticket.tier_entered_at is not None
        if TIERS.next_automatic(ticket.tier or 0) is None:
            assert ticket.id not in deadlines, ticket.id
            continue
        assert ticket.id in deadlines and deadlines[ticket.id].kind == "tier_limit"
        assert deadlines[ticket.id].due_at > ticket.tier_entered_at
        timed += 1
    assert timed >= 3


# ------------------------------------------------------------- the demo tells the truth


def test_every_vendor_handoff_event_has_its_handoff_row_and_vendor(demo: Session) -> None:
    from swarm.models import Vendor, VendorHandoff

    vendors = {v.id: v for v in demo.scalars(select(Vendor))}
    rows: dict[int, list[VendorHandoff]] = {}
    for row in demo.scalars(select(VendorHandoff).order_by(VendorHandoff.id)).unique():
        rows.setdefault(row.ticket_id, []).append(row)
    handed = 0
    for ticket, events in _tickets_with_events(demo):
        handoffs = [e for e in events if e.type == "vendor_handoff"]
        assert len(rows.get(ticket.id, [])) == len(handoffs), ticket.id
        handed += len(handoffs)
        for event, row in zip(handoffs, rows.get(ticket.id, []), strict=True):
            vendor = vendors[event.data["vendor_id"]]
            assert row.vendor_id == vendor.id and vendor.name == event.data["vendor"]
            assert (row.external_ref, row.handed_off_at, row.actor_id) == (
                event.data["external_ref"],
                event.at,
                event.actor_id,
            )
            assert row.sla_seconds == vendor.sla_seconds
            due = event.at + timedelta(seconds=row.sla_seconds)
            assert event.data["due_at"] == due.isoformat()
            updates = [e for e in events if e.type == "vendor_update" and e.at > event.at]
            assert all(u.data["vendor_id"] == vendor.id for u in updates)
            if updates:
                assert (row.status, row.status_at) == (updates[-1].data["status"], updates[-1].at)
            if row.status == "resolved":
                assert row.closed_at == updates[-1].at
            else:
                # Still with the vendor: the ticket waits at the vendors' tier, and the page's
                # Vendor card shows this hand-off.
                assert row.closed_at is None and ticket.status == "pending" and ticket.tier == 4
                assert ticket.vendor_handoff is row
    assert handed >= 5
    assert any(r.closed_at is None for rs in rows.values() for r in rs), "a live vendor case"


def test_no_deadline_is_due_when_the_demo_is_seeded(engine: Engine, clock: FakeClock) -> None:
    """Run the sweeper on the seeding moment: nothing fires, so nothing escalates at start.
    Then the clocks do run: at the first deadline the sweeper escalates as it would live."""
    from swarm.dispatch.caches import RoutingCaches
    from swarm.dispatch.service import RoutingService
    from swarm.models import TicketDeadline
    from swarm.tickets.notify import RecordingNotifier
    from swarm.tickets.rooms import RoomService

    factory = make_session_factory(engine)
    seed_demo(factory, clock)
    with factory() as session:
        deadlines = session.scalars(select(TicketDeadline)).all()
        events_before = session.scalar(select(func.count()).select_from(TicketEvent))
        assert deadlines and all(d.due_at > clock.now() for d in deadlines)
        assert {d.kind for d in deadlines} == {"tier_limit", "vendor_sla"}
        pending = session.scalars(select(Invitation).where(Invitation.status == "pending")).all()
        assert all(i.expires_at > clock.now() for i in pending)
        notifier, caches = RecordingNotifier(), RoutingCaches()
        assert RoutingService(session, clock, notifier, caches).sweep() == 0
        assert RoomService(session, clock, notifier).expire_invitations() == 0
        assert session.scalar(select(func.count()).select_from(TicketEvent)) == events_before
        first = min((d for d in deadlines if d.kind == "tier_limit"), key=lambda d: d.due_at)
        clock.set(first.due_at)
        assert RoutingService(session, clock, notifier, caches).sweep() >= 1
        fired = session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == first.ticket_id)
        ).unique()
        assert [e.data["reason"] for e in fired if e.type == "escalated"][-1] == "time_limit"


def test_open_tiered_clocks_carry_on_from_their_history(demo: Session) -> None:
    """Each open tiered ticket's tier clock started at its last tier move and stands still
    while it waits, and its deadline is the live default limit after the running time."""
    from swarm.demo.generate import TIERS
    from swarm.models import TicketDeadline

    deadlines = {(d.ticket_id, d.kind): d.due_at for d in demo.scalars(select(TicketDeadline))}
    checked = 0
    for ticket, events in _tickets_with_events(demo):
        if ticket.mode != "tiered" or ticket.status not in ("new", "open", "pending"):
            continue
        moves = [e for e in events if e.type == "escalated"] or [
            e for e in events if e.type == "queued"
        ]
        assert ticket.tier_entered_at == moves[-1].at, ticket.id
        due = deadlines.get((ticket.id, "tier_limit"))
        if ticket.status == "pending" or ticket.tier == 4:
            assert ticket.tier_paused_at is not None and due is None
            continue
        assert ticket.tier_paused_at is None
        if TIERS.next_automatic(ticket.tier or 0) is None:
            assert due is None, ticket.id  # no time limit moves a ticket on from here
            continue
        limit = TIERS.limit(ticket.tier, ticket.priority)  # type: ignore[arg-type]
        assert limit is not None
        paused = timedelta(seconds=ticket.tier_paused_seconds)
        assert due == ticket.tier_entered_at + paused + limit
        checked += 1
    assert checked >= 5


def _tier_time_spent(events: list[TicketEvent]) -> list[tuple[TicketEvent, timedelta, int]]:
    """Each event of a tiered ticket with the running time its tier clock shows then (pauses
    while pending, resolved or with a vendor left out, as live) and the tier it is in."""
    out = []
    entered = paused_at = None
    paused, tier, status, vendor = timedelta(0), None, "new", False
    for e in events:
        if entered is not None:
            end = paused_at or e.at
            out.append((e, end - entered - paused, tier))
        if e.type in ("escalated", "queued") and (e.type == "escalated" or entered is None):
            entered, paused = e.at, timedelta(0)
            paused_at = None if status in ("new", "open") else e.at
            tier = e.data.get("to_tier", e.data.get("tier"))
        elif "to" in e.data and e.type != "escalated":
            was, status = status, e.data["to"]
            if was in ("new", "open") and status not in ("new", "open") and paused_at is None:
                paused_at = e.at
            elif status in ("new", "open") and paused_at is not None and not vendor:
                paused, paused_at = paused + (e.at - paused_at), None
        elif e.type == "vendor_handoff":
            vendor, paused_at = True, paused_at or e.at
        elif e.type == "vendor_update" and e.data["status"] == "resolved":
            vendor = False
    return out


def test_history_escalates_by_time_exactly_when_the_live_limits_say(demo: Session) -> None:
    from swarm.demo.generate import TIERS

    by_time = 0
    for ticket, events in _tickets_with_events(demo):
        if ticket.mode != "tiered":
            continue
        for event, spent, tier in _tier_time_spent(events):
            limit = TIERS.limit(tier, ticket.priority)  # type: ignore[arg-type]
            if limit is None or TIERS.next_automatic(tier) is None:
                continue
            if event.type == "escalated" and event.data["reason"] == "time_limit":
                assert spent == limit, ticket.id
                by_time += 1
            else:
                # Nothing else happens in a tier once its limit has passed.
                assert spent < limit, (ticket.id, event.type)
    assert by_time >= 20


def test_every_helper_stint_has_a_cause_and_an_end(demo: Session) -> None:
    invitations = {i.id: i for i in demo.scalars(select(Invitation))}
    stints = demo.scalars(select(Participation).where(Participation.role == "helper")).all()
    open_stints = {(p.ticket_id, p.user_id, p.joined_at) for p in stints if p.left_at is None}
    rows = {(p.ticket_id, p.user_id, p.joined_at): p for p in stints}
    vias: Counter[str] = Counter()
    for ticket, events in _tickets_with_events(demo):
        for n, e in enumerate(events):
            if e.type != "helper_joined":
                continue
            agent, via = e.data["agent_id"], e.data["via"]
            vias[via] += 1
            before = events[:n]
            if via == "invitation":
                invitation = invitations[e.data["invitation_id"]]
                assert (invitation.invitee_id, invitation.status) == (agent, "accepted")
                assert invitation.responded_at == e.at and invitation.ticket_id == ticket.id
            elif via == "offer":
                offers = [b for b in before if b.type == "help_offered"]
                assert offers and offers[-1].data["agent_id"] == agent
            elif via == "was_owner":
                # Right after the hand-over, as live: the previous owner stays on as a helper.
                handover = before[-1]
                assert handover.type == "assigned" and handover.data["previous_owner_id"] == agent
            else:
                assert via in ("message", "added"), via
            stint = rows.pop((ticket.id, agent, e.at))
            left = [
                a
                for a in events[n + 1 :]
                if a.type == "helper_left" and a.data["agent_id"] == agent
            ]
            if left:
                assert left[0].data["reason"] in ("left", "idle", "resolved", "became_owner")
                assert left[0].data["seconds"] == (left[0].at - e.at).total_seconds()
                assert stint.left_at == left[0].at
            else:
                assert (ticket.id, agent, e.at) in open_stints
                assert ticket.status in ("new", "open", "pending")
    assert not rows, "every helper participation began with a helper_joined"
    assert {"invitation", "message"} <= set(vias)


def test_no_helper_stint_without_a_contribution(demo: Session) -> None:
    """Looking records nothing: each helper wrote in the swarm during their stint."""
    written: dict[tuple[int, int], list[Any]] = {}
    for m in demo.scalars(select(Message)).unique():
        written.setdefault((m.ticket_id, m.author_id), []).append(m.created_at)
    # A stint begun by writing (``via: message``) has that message as its contribution; the
    # demo places a step's events a second apart, so the message precedes its helper_joined.
    began_by = {
        (e.ticket_id, e.actor_id, e.at): e.data["message_id"]
        for e in demo.scalars(select(TicketEvent).where(TicketEvent.type == "helper_joined"))
        if e.data["via"] == "message"
    }
    by_id = {m.id: m for m in demo.scalars(select(Message)).unique()}
    stints = demo.scalars(select(Participation).where(Participation.role == "helper")).all()
    assert stints
    for p in stints:
        end = p.left_at or START
        first = began_by.get((p.ticket_id, p.user_id, p.joined_at))
        if first is not None:
            assert by_id[first].author_id == p.user_id
            continue
        assert any(p.joined_at <= at <= end for at in written.get((p.ticket_id, p.user_id), []))


def test_owner_stints_run_from_assignment_to_hand_over_or_resolution(demo: Session) -> None:
    owners: dict[int, list[Participation]] = {}
    for p in demo.scalars(select(Participation).where(Participation.role == "owner")):
        owners.setdefault(p.ticket_id, []).append(p)
    for ticket, events in _tickets_with_events(demo):
        if ticket.mode != "swarm":
            continue
        expected = []
        for e in events:
            if e.type in ("assigned", "reopened") and (e.type == "assigned" or ticket.owner_id):
                if expected and expected[-1][2] is None:
                    expected[-1][2] = e.at
                agent = e.data["agent_id"] if e.type == "assigned" else expected[-1][0]
                expected.append([agent, e.at, None])
            elif e.type in ("resolved", "unassigned"):
                # Resolved, or released (live ``release``: the owner's stint ends with it).
                expected[-1][2] = e.at
        stints = sorted(owners.get(ticket.id, []), key=lambda p: p.joined_at)
        assert [[p.user_id, p.joined_at, p.left_at] for p in stints] == expected, ticket.id


def test_swarm_talk_is_chat_and_notes_are_notes(demo: Session) -> None:
    tickets = {t.id: t for t in demo.scalars(select(Ticket)).unique()}
    kinds: Counter[tuple[str, str]] = Counter()
    for m in demo.scalars(select(Message)).unique():
        kinds[(tickets[m.ticket_id].mode, m.kind)] += 1
    assert set(kinds) <= {
        ("swarm", "chat"),
        ("swarm", "solution"),
        ("tiered", "note"),
        ("swarm", "reply"),
        ("tiered", "reply"),
    }
    assert kinds[("swarm", "chat")] > 100
    # The requester's conversation is written by the requester and their ticket's owners only.
    for m in demo.scalars(select(Message).where(Message.kind == "reply")).unique():
        ticket = tickets[m.ticket_id]
        assert m.author_id == ticket.requester_id or m.author.is_staff


def test_requester_replies_when_switched_on() -> None:
    """A ticket waiting on its requester has the question and the answer as public replies, by
    owner and requester (``REQUESTER_REPLIES``, on in the demo)."""
    from swarm.demo.generate import REQUESTER_REPLIES, generate_demo

    off = generate_demo(START, replies=False)
    assert not any(m.kind == "reply" for t in off.tickets for m in t.messages)
    data = generate_demo(START, replies=True)
    replied = [t for t in data.tickets if any(m.kind == "reply" for m in t.messages)]
    assert len(replied) >= 10
    for ticket in replied:
        owners = {e.data["agent_id"].email for e in ticket.events if e.type == "assigned"}
        authors = {m.author for m in ticket.messages if m.kind == "reply"}
        assert authors <= owners | {ticket.requester}
        assert ticket.requester in authors or ticket.status == "pending"
    assert REQUESTER_REPLIES is True


def test_about_two_in_three_resolutions_are_rated_and_a_smoother_ride_scores_higher(
    demo: Session,
) -> None:
    resolved = 0
    by_handoffs: dict[bool, list[int]] = {False: [], True: []}
    by_speed: dict[bool, list[int]] = {False: [], True: []}
    for ticket, events in _tickets_with_events(demo):
        if ticket.status not in ("resolved", "closed"):
            continue
        resolved += 1
        types = [e.type for e in events]
        ratings = [e for e in events if e.type == "satisfaction_rated"]
        if not ratings:
            continue
        [rating] = ratings
        # Shortly after the last resolution, before any closing, as the requester would.
        last_resolved = max(e.at for e in events if e.type == "resolved")
        assert last_resolved < rating.at <= last_resolved + timedelta(hours=12)
        assert "closed" not in types[: types.index("satisfaction_rated")]
        handoffs = sum(
            e.type == "unassigned"
            or (e.type == "assigned" and e.data["previous_owner_id"] is not None)
            for e in events
        )
        by_handoffs[handoffs > 0].append(rating.data["score"])
        fast = last_resolved - ticket.created_at < (ticket.resolve_due_at - ticket.created_at) / 2
        by_speed[fast].append(rating.data["score"])
    rated = sum(len(scores) for scores in by_handoffs.values())
    assert 0.6 <= rated / resolved <= 0.7
    assert all(by_handoffs.values()) and all(by_speed.values())

    def mean(scores: list[int]) -> float:
        return sum(scores) / len(scores)

    assert mean(by_handoffs[False]) > mean(by_handoffs[True]) + 0.2
    assert mean(by_speed[True]) > mean(by_speed[False]) + 0.2


def test_the_demo_has_a_knowledge_base_written_from_its_own_history(
    seeded: Any, demo: Session
) -> None:
    from swarm.events import EventType
    from swarm.models import Article, ArticleTicketLink

    summary = seeded[1]
    articles = list(demo.scalars(select(Article)).unique())
    assert 24 <= len(articles) == summary.articles <= 48  # a few dozen
    assert {a.state for a in articles} == {"published"}
    assert Counter(a.visibility for a in articles).keys() == {"internal", "public"}
    links = list(demo.scalars(select(ArticleTicketLink)))
    sources = {link.article_id: link for link in links if link.kind == "source"}
    assert set(sources) == {a.id for a in articles}  # each came from a ticket
    for article in articles:
        source = demo.get(Ticket, sources[article.id].ticket_id)
        assert source is not None and source.status in ("resolved", "closed")
        assert article.title == source.subject and source.resolution in article.body
        assert article.contributors[0].user_id == source.owner_id
        assert article.contributors[0].role == "owner"
        assert article.published_at > source.resolved_at and article.reviews
    reuses = [link for link in links if link.kind == "resolved"]
    assert reuses, "later tickets with the same problem name the article that helped"
    for link in reuses:
        reused = demo.get(Ticket, link.ticket_id)
        assert timedelta(0) < link.linked_at - reused.resolved_at < timedelta(seconds=1)
        assert link.linked_at > demo.get(Article, link.article_id).published_at
    events = Counter(
        e.type
        for e in demo.scalars(
            select(TicketEvent).where(
                TicketEvent.type.in_([EventType.ARTICLE_LINKED, EventType.ARTICLE_PUBLISHED])
            )
        ).unique()
    )
    assert events == {"article_linked": len(links), "article_published": len(articles)}

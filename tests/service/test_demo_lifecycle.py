"""The demo's history is one the live lifecycle writes, event for event.

Each seeded ticket is played again through the real services (``RoomService``,
``TieredService``, ``apply_decisions`` with the policy's own decisions) on a fake clock set to
each seeded event's moment, in the same database; the events the services write must be the
seeded ones: the same types in the same order, by the same people, with the same data (ids of
messages and invitations are compared through what they point at, and the seconds a helper
stayed are left out: the demo places the events of one step a second apart where the live
service gives them one moment).

One seeded event has no live use case and is not replayed: ``closed`` by the system five days
after a resolution (the live desk has no automatic close yet).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from swarm.clock import FakeClock
from swarm.db import Base, make_engine, make_session_factory
from swarm.demo import seed_demo
from swarm.demo.generate import TIERS, generate_demo
from swarm.dispatch.caches import RoutingCaches
from swarm.dispatch.clocks import ticket_view
from swarm.dispatch.tiered import TieredService
from swarm.knowledge.service import KnowledgeService
from swarm.models import Article, Invitation, Message, Ticket, TicketEvent, TicketSkill, User
from swarm.routing import Assign, OrgView, Queue
from swarm.skills.graph import build_skill_graph
from swarm.tickets.notify import RecordingNotifier
from swarm.tickets.rooms import RoomService
from swarm.tiers.policy import TIER_LIMIT, TieredPolicy
from tests.conftest import START

#: The desk's own tier settings, as ``seed_demo`` stores them; the demo's tiers all pull, so the
#: policy assigns nobody and needs no organisation.
TIERED_POLICY = TieredPolicy(TIERS)
NOBODY = OrgView({}, build_skill_graph([]))


@pytest.fixture(scope="module")
def factory() -> Iterator[sessionmaker[Session]]:
    import swarm.models  # noqa: F401 - registers the tables

    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    sessions = make_session_factory(engine)
    seed_demo(sessions, FakeClock(START))
    yield sessions
    engine.dispose()


def _events(session: Session, ticket_id: int) -> list[TicketEvent]:
    query = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
    return list(session.scalars(query))


def _normal(session: Session, event: TicketEvent) -> tuple[str, int | None, dict[str, Any]]:
    """An event without what differs between two tickets: message and invitation ids become
    what they point at; ``seconds`` is left out (see the module's docstring)."""
    data = {k: v for k, v in event.data.items() if k != "seconds"}
    if "message_id" in data:
        message = session.get(Message, data["message_id"])
        assert message is not None
        data["message_id"] = (message.author_id, message.body, message.kind)
    if "article_id" in data:  # the replay drafts its own copy: compared by title
        article = session.get(Article, data["article_id"])
        assert article is not None
        data["article_id"] = article.title
    if "invitation_id" in data:
        invitation = session.get(Invitation, data["invitation_id"])
        assert invitation is not None
        data["invitation_id"] = (invitation.inviter_id, invitation.invitee_id, invitation.note)
    return event.type, event.actor_id, data


def _replay(session: Session, ticket: Ticket) -> tuple[list[Any], list[Any]]:
    """Play ``ticket``'s seeded events through the live services; returns (seeded, live)."""
    seeded = [e for e in _events(session, ticket.id) if e.type != "closed" or e.actor_id]
    clock = FakeClock(START)
    rooms = RoomService(session, clock, RecordingNotifier())
    # Tiered tickets: the tier clock follows their status, as live (``tier_clock_hook``).
    tiered = TieredService(session, clock, RecordingNotifier(), RoutingCaches())
    service = tiered if ticket.mode == "tiered" else rooms
    escalation: list[Any] = []
    moved_by_hand = False
    people = {u.id: u for u in session.scalars(select(User)).unique()}
    invitations: dict[int, int] = {}
    live_id = 0
    kb = KnowledgeService(session, clock)
    drafted: dict[int, int] = {}  # seeded article id -> the replay's
    for n, e in enumerate(seeded):
        clock.set(e.at)
        # The seeded event's person (None for the system), as the services take them.
        actor: Any = people.get(e.actor_id) if e.actor_id is not None else None
        d = e.data
        if e.type == "created":
            opened = service.open_ticket(
                actor,
                subject=d["subject"],
                body=ticket.body,
                priority=d["priority"],
                mode=d["mode"],
                tiered_variant={k: d[k] for k in ("collaboration", "intake") if k in d},
            )
            live_id = opened.id
        elif e.type == "skills_set":
            whys = {
                s.skill_id: s.why
                for s in session.scalars(
                    select(TicketSkill).where(TicketSkill.ticket_id == ticket.id)
                )
            }
            rooms.set_skills(
                None,
                live_id,
                [(s["skill_id"], s["weight"], whys[s["skill_id"]]) for s in d["skills"]],
                "inferred",
            )
        elif e.type == "assigned" and d["by"] == "pull":
            service.claim(actor, live_id)
        elif e.type == "assigned":
            assert d["by"] == "policy", "the swarm arm is routed by the policy"
            rooms.apply_decisions(live_id, [Assign(d["agent_id"], d["why"])], "swarm")
        elif e.type == "escalated" and d["reason"] == "manual":
            # The owner's own move, through the live use case (its checks, its plan, its
            # queueing with the note quoted); the seeded ``queued`` after it is its own.
            tiered.escalate(actor, live_id, reason=d["note"], to_tier=d["to_tier"])
            moved_by_hand = True
        elif e.type == "queued" and moved_by_hand:
            moved_by_hand = False
        elif e.type == "escalated":
            # By the time limit: the sweeper fires the live ``tier_limit`` deadline at this
            # moment and applies the production policy's decisions (the escalation and the next
            # tier's queueing). Due later, or not at all, and the policy does nothing here.
            assert d["reason"] == "time_limit" and actor is None
            live_ticket = session.get(Ticket, live_id)
            assert live_ticket is not None
            view = ticket_view(session, live_ticket)
            due = {**view.deadlines, TIER_LIMIT: e.at} if TIER_LIMIT in view.deadlines else {}
            fired = TIERED_POLICY.on_deadline(replace(view, deadlines=due), NOBODY, e.at)
            assert view.deadlines.get(TIER_LIMIT) == e.at, (ticket.id, e.at)
            tiered.apply_decisions(live_id, fired, "tiered")
            escalation = ["by the time limit"]
        elif e.type == "unassigned" and d.get("reason") == "escalated":
            continue  # written by the escalation
        elif e.type == "queued" and escalation:
            escalation = []  # written by the escalation
        elif e.type == "queued" and d["tier"] is not None:
            # A new tiered ticket: the production policy's ``on_opened``, as the dispatcher
            # applies it (the queue, and the tier clock's deadline).
            live_ticket = session.get(Ticket, live_id)
            assert live_ticket is not None
            view = ticket_view(session, live_ticket)
            tiered.apply_decisions(live_id, TIERED_POLICY.on_opened(view, NOBODY, e.at), "tiered")
        elif e.type == "queued":
            queue = Queue(d["tier"], d["why"], d.get("intake"))
            service.apply_decisions(live_id, [queue], d["policy"])
        elif e.type == "status_changed" and d == {"from": "new", "to": "open"}:
            continue  # written by the first assignment
        elif e.type == "status_changed":
            service.change_status(actor, live_id, d["to"])
        elif e.type == "note":
            message = session.get(Message, d["message_id"])
            assert message is not None
            service.add_note(actor, live_id, message.body)
        elif e.type == "vendor_handoff":
            tiered.hand_off(actor, live_id, d["vendor_id"], d["external_ref"])
        elif e.type == "vendor_update":
            tiered.vendor_update(actor, live_id, d["status"], d.get("note", ""))
        elif e.type == "unassigned" and ticket.mode == "swarm":
            rooms.release(actor, live_id, d.get("reason"))
        elif e.type == "helper_invited":
            note = session.get(Invitation, d["invitation_id"])
            assert note is not None
            made = rooms.invite(actor, live_id, d["agent_id"], note.note)
            invitations[d["invitation_id"]] = made.id
        elif e.type == "invitation_declined":
            rooms.respond(actor, invitations[d["invitation_id"]], False, d.get("reason"))
        elif e.type == "helper_joined" and d["via"] == "invitation":
            rooms.respond(actor, invitations[d["invitation_id"]], True)
        elif e.type == "message":
            message = session.get(Message, d["message_id"])
            assert message is not None
            rooms.send_message(actor, live_id, message.body, f"replay-{live_id}-{e.id}", d["kind"])
        elif e.type == "helper_left" and d["reason"] == "left":
            rooms.leave_swarm(actor, live_id)
        elif e.type == "resolved":
            # Articles that helped are named with the resolution (their events follow it).
            helped = []
            for later in seeded[n + 1 :]:
                if later.type != "article_linked" or later.data["kind"] != "resolved":
                    break
                helped.append(later.data["article_id"])
            service.resolve(actor, live_id, d["resolution"], articles=helped)
        elif e.type == "article_linked" and d["kind"] == "resolved":
            continue  # written by the resolution
        elif e.type == "article_linked":
            drafted[d["article_id"]] = kb.draft_from_ticket(actor, live_id).id
        elif e.type == "article_published":
            kb.publish(actor, drafted[d["article_id"]])
        elif e.type == "reopened":
            service.reopen(actor, live_id, d.get("reason"))
        elif e.type == "closed":
            service.close(actor, live_id)
        elif e.type == "satisfaction_rated":
            service.rate_ticket(actor, live_id, d["score"], d.get("comment"))
        elif e.type == "helper_joined" and d["via"] == "message":
            continue  # written by the message that began the stint
        elif e.type == "helper_left" and d["reason"] in ("became_owner", "resolved"):
            continue  # written by the assignment, or by the resolution
        else:
            raise AssertionError(f"no live use case replays {e.type} {d}")
    live = [e for e in _events(session, live_id)]
    return [_normal(session, e) for e in seeded], [_normal(session, e) for e in live]


def _swarm_tickets(session: Session, mode: str = "swarm") -> list[Ticket]:
    query = select(Ticket).where(Ticket.mode == mode).order_by(Ticket.id)
    return list(session.scalars(query).unique())


def test_every_swarm_history_is_what_the_live_services_write(
    factory: sessionmaker[Session],
) -> None:
    with factory() as session:
        tickets = _swarm_tickets(session)
        assert len(tickets) > 150
        for ticket in tickets:
            seeded, live = _replay(session, ticket)
            assert live == seeded, ticket.id


def test_hand_overs_write_became_owner_in_the_live_order(
    factory: sessionmaker[Session],
) -> None:
    """An owner who hands on: ``unassigned``, routing's ``assigned``, and when the new owner
    was helping, their ``helper_left {reason: became_owner, became_owner: true}`` right after
    it; the previous owner who then writes joins the swarm by that message (message first)."""
    with factory() as session:
        handed: list[list[TicketEvent]] = []
        for ticket in _swarm_tickets(session):
            events = _events(session, ticket.id)
            if any(e.type == "unassigned" for e in events):
                handed.append(events)
        assert handed, "the demo has hand-overs"
        became = 0
        for events in handed:
            types = [e.type for e in events]
            for n, e in enumerate(events):
                if e.type != "unassigned":
                    continue
                previous = e.data["previous_owner_id"]
                assigned = events[n + 1]
                assert assigned.type == "assigned"
                assert assigned.data["previous_owner_id"] is None
                new = assigned.data["agent_id"]
                left = events[n + 2]
                if left.type == "helper_left" and left.data["agent_id"] == new:
                    assert left.data["reason"] == "became_owner"
                    assert left.data["became_owner"] is True and left.actor_id == new
                    became += 1
                wrote = [
                    m
                    for m in events[n + 1 :]
                    if m.type == "helper_joined" and m.data["agent_id"] == previous
                ]
                if wrote:
                    joined = events.index(wrote[0])
                    assert wrote[0].data["via"] == "message"
                    message = events[joined - 1]
                    assert message.type == "message" and message.actor_id == previous
                    assert message.data["message_id"] == wrote[0].data["message_id"]
            assert "was_owner" not in str([e.data for e in events]), types
        assert became >= 1, "a helper took a ticket over"
        # The live service itself: a helper who becomes the owner, on a fresh ticket.
        first = session.get(Ticket, handed[0][0].ticket_id)
        assert first is not None
        seeded, live = _replay(session, first)
        assert live == seeded


def test_the_same_seed_gives_the_same_history() -> None:
    first, second = generate_demo(START), generate_demo(START)
    assert first == second
    later = generate_demo(START + timedelta(days=30))
    assert [[e.type for e in t.events] for t in first.tickets] == [
        [e.type for e in t.events] for t in later.tickets
    ]


def test_every_tiered_history_is_what_the_live_services_write(
    factory: sessionmaker[Session],
) -> None:
    with factory() as session:
        tickets = _swarm_tickets(session, "tiered")
        assert len(tickets) > 150
        for ticket in tickets:
            seeded, live = _replay(session, ticket)
            assert live == seeded, ticket.id

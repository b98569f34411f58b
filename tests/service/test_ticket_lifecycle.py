"""The ticket lifecycle service: each change writes its events in one transaction and publishes
them only after commit; refused changes leave nothing behind."""

from __future__ import annotations

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from swarm.clock import FakeClock
from swarm.models import Message, Ticket, TicketEvent
from swarm.tickets.errors import Forbidden, IllegalTransition, Invalid, NotFound, TooLarge
from swarm.tickets.notify import RecordingNotifier
from swarm.tickets.service import TicketService
from tests.builders import make_agent, make_manager, make_ticket, make_user


def event_types(session: Session, ticket_id: int) -> list[str]:
    query = select(TicketEvent.type).where(TicketEvent.ticket_id == ticket_id)
    return list(session.scalars(query.order_by(TicketEvent.id)))


def test_opening_a_ticket_records_created_and_publishes_it(session, clock, tickets, notifier):
    requester = make_user(session, clock, name="Rita")
    ticket = make_ticket(tickets, requester, priority="P2")

    assert ticket.status == "new" and ticket.owner_id is None and ticket.mode == "swarm"
    assert ticket.response_due_at == clock.now().replace(hour=10)  # P2: one hour
    assert event_types(session, ticket.id) == ["created"]
    [published] = notifier.published
    assert published["type"] == "created"
    assert published["ticket_id"] == ticket.id
    assert published["actor"] == {"id": requester.id, "name": "Rita"}
    assert published["data"]["priority"] == "P2"


def test_claiming_a_new_ticket_assigns_it_and_opens_it(session, clock, tickets, notifier):
    requester, agent = make_user(session, clock), make_agent(session, clock)
    ticket = make_ticket(tickets, requester)
    notifier.published.clear()

    clock.advance(minutes=7)
    claimed = tickets.claim(agent, ticket.id)

    assert claimed.owner_id == agent.id and claimed.status == "open"
    assert claimed.first_response_at == clock.now()
    assert notifier.types == ["assigned", "status_changed"]
    assigned = notifier.published[0]["data"]
    assert assigned == {"agent_id": agent.id, "by": "pull", "previous_owner_id": None}
    assert notifier.published[1]["data"] == {"from": "new", "to": "open"}


def test_claiming_an_owned_ticket_names_the_owner_and_changes_nothing(
    session, clock, tickets, notifier
):
    requester = make_user(session, clock)
    first = make_agent(session, clock, name="Ada")
    second = make_agent(session, clock)
    ticket = make_ticket(tickets, requester)
    tickets.claim(first, ticket.id)
    before = event_types(session, ticket.id)
    published = len(notifier.published)

    with pytest.raises(IllegalTransition, match="already owned by Ada"):
        tickets.claim(second, ticket.id)

    assert event_types(session, ticket.id) == before
    assert len(notifier.published) == published
    assert session.get(Ticket, ticket.id).owner_id == first.id


def test_a_requester_cannot_claim(session, clock, tickets):
    requester = make_user(session, clock)
    ticket = make_ticket(tickets, requester)
    with pytest.raises(Forbidden, match="Only agents"):
        tickets.claim(requester, ticket.id)


def test_a_requester_cannot_see_someone_elses_ticket(session, clock, tickets):
    owner, other = make_user(session, clock), make_user(session, clock)
    ticket = make_ticket(tickets, owner)
    with pytest.raises(NotFound):
        tickets.get(other, ticket.id)
    with pytest.raises(NotFound):
        tickets.reopen(other, ticket.id)
    assert tickets.get(owner, ticket.id).id == ticket.id


def test_reassignment_records_the_previous_owner(session, clock, tickets, notifier):
    requester, ada, bob = (
        make_user(session, clock),
        make_agent(session, clock),
        make_agent(session, clock),
    )
    ticket = make_ticket(tickets, requester)
    tickets.claim(ada, ticket.id)
    notifier.published.clear()

    tickets.assign(ada, ticket.id, bob.id, why="Bob knows the VPN concentrator")

    assert notifier.types == ["assigned"]
    assert notifier.published[0]["data"] == {
        "agent_id": bob.id,
        "by": "manual",
        "previous_owner_id": ada.id,
        "why": "Bob knows the VPN concentrator",
    }


def test_only_the_owner_or_a_manager_can_take_a_ticket_away(session, clock, tickets):
    requester = make_user(session, clock)
    ada, bob, carl = (make_agent(session, clock) for _ in range(3))
    manager = make_manager(session, clock)
    ticket = make_ticket(tickets, requester)
    tickets.claim(ada, ticket.id)

    with pytest.raises(Forbidden, match="owner"):
        tickets.assign(bob, ticket.id, carl.id)
    assert tickets.assign(manager, ticket.id, carl.id).owner_id == carl.id


def test_assigning_to_a_requester_is_invalid(session, clock, tickets):
    requester, agent = make_user(session, clock), make_agent(session, clock)
    ticket = make_ticket(tickets, requester)
    with pytest.raises(Invalid) as err:
        tickets.assign(agent, ticket.id, requester.id)
    assert err.value.fields == {"agent_id": ["Not an active agent."]}


def test_full_lifecycle_writes_each_step_in_order(session, clock, tickets):
    requester, agent = make_user(session, clock), make_agent(session, clock)
    ticket = make_ticket(tickets, requester)
    clock.advance(minutes=3)
    tickets.claim(agent, ticket.id)
    tickets.change_status(agent, ticket.id, "pending")
    tickets.change_status(agent, ticket.id, "open")
    clock.advance(minutes=30)
    resolved = tickets.resolve(agent, ticket.id, "  Replaced the VPN profile.  ")
    assert resolved.resolution == "Replaced the VPN profile."
    assert resolved.resolved_at == clock.now()
    tickets.close(requester, ticket.id)
    reopened = tickets.reopen(requester, ticket.id, "It broke again")
    assert reopened.status == "open" and reopened.owner_id == agent.id
    assert reopened.resolved_at is None and reopened.closed_at is None

    assert event_types(session, ticket.id) == [
        "created",
        "assigned",
        "status_changed",
        "status_changed",
        "status_changed",
        "resolved",
        "closed",
        "reopened",
    ]
    ids = list(session.scalars(select(TicketEvent.id).where(TicketEvent.ticket_id == ticket.id)))
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    times = list(session.scalars(select(TicketEvent.at).order_by(TicketEvent.id)))
    assert times == sorted(times) and all(t.tzinfo is not None for t in times)


@pytest.mark.parametrize(
    ("setup", "target", "message"),
    [
        ([], "pending", "cannot go from new to pending"),
        (["claim"], "open", "already open"),
        (["claim", "resolve"], "pending", "cannot go from resolved to pending"),
        (["claim", "resolve"], "open", "reopen it"),
        (["claim", "resolve", "close"], "pending", "cannot go from closed to pending"),
        (["claim"], "resolved", "resolution"),
        (["claim"], "closed", "cannot go from open to closed"),
    ],
)
def test_illegal_status_changes_are_refused_with_a_reason(
    session, clock, tickets, setup, target, message
):
    requester, agent = make_user(session, clock), make_agent(session, clock)
    ticket = make_ticket(tickets, requester)
    steps = {
        "claim": lambda: tickets.claim(agent, ticket.id),
        "resolve": lambda: tickets.resolve(agent, ticket.id, "done"),
        "close": lambda: tickets.close(agent, ticket.id),
    }
    for step in setup:
        steps[step]()
    before = event_types(session, ticket.id)

    with pytest.raises(IllegalTransition, match=message):
        tickets.change_status(agent, ticket.id, target)
    assert event_types(session, ticket.id) == before


def test_resolving_needs_a_resolution_and_an_opened_ticket(session, clock, tickets):
    requester, agent = make_user(session, clock), make_agent(session, clock)
    ticket = make_ticket(tickets, requester)
    with pytest.raises(Invalid, match="resolution is required"):
        tickets.resolve(agent, ticket.id, "   ")
    with pytest.raises(IllegalTransition, match="claim or assign it"):
        tickets.resolve(agent, ticket.id, "fixed")


def test_only_the_owner_or_a_manager_resolves(session, clock, tickets):
    requester, ada, bob = (
        make_user(session, clock),
        make_agent(session, clock),
        make_agent(session, clock),
    )
    ticket = make_ticket(tickets, requester)
    tickets.claim(ada, ticket.id)
    with pytest.raises(Forbidden, match="owner"):
        tickets.resolve(bob, ticket.id, "fixed it for Ada")


def test_reopening_an_open_ticket_is_refused(session, clock, tickets):
    requester, agent = make_user(session, clock), make_agent(session, clock)
    ticket = make_ticket(tickets, requester)
    tickets.claim(agent, ticket.id)
    with pytest.raises(IllegalTransition, match="only a resolved or closed ticket"):
        tickets.reopen(requester, ticket.id)


def test_internal_notes_are_hidden_from_the_requester(session, clock, tickets):
    requester, agent = make_user(session, clock), make_agent(session, clock)
    ticket = make_ticket(tickets, requester)
    note = tickets.add_note(agent, ticket.id, "Caller is on the 3rd floor, VLAN 12.")

    staff_view = [e.type for e in tickets.events(agent, ticket.id)]
    requester_view = [e.type for e in tickets.events(requester, ticket.id)]
    # The note also began the agent's stint in the swarm: staff business too.
    assert staff_view == ["created", "helper_joined", "note"] and requester_view == ["created"]
    assert [n.body for n in tickets.notes(agent, ticket.id)] == [note.body]
    with pytest.raises(Forbidden):
        tickets.add_note(requester, ticket.id, "let me in")
    with pytest.raises(Forbidden):
        tickets.notes(requester, ticket.id)


def test_an_oversized_body_is_refused_and_nothing_is_stored(session, clock, tickets, notifier):
    requester = make_user(session, clock)
    with pytest.raises(TooLarge):
        tickets.open_ticket(requester, subject="Logs attached", body="x" * (64 * 1024 + 1))
    assert session.scalar(select(func.count()).select_from(Ticket)) == 0
    assert notifier.published == []


def test_invalid_fields_are_all_reported_at_once(session, clock, tickets):
    requester = make_user(session, clock)
    with pytest.raises(Invalid) as err:
        tickets.open_ticket(requester, subject=" ", body="", priority="P9")
    assert set(err.value.fields or {}) == {"subject", "body", "priority"}


def test_a_failed_commit_publishes_nothing_and_stores_nothing(engine, session, clock):
    notifier = RecordingNotifier()
    service = TicketService(session, clock, notifier)
    requester = make_user(session, clock)

    def fail(_session: Session) -> None:
        raise RuntimeError("disk full")

    sa_event.listen(session, "before_commit", fail)
    try:
        with pytest.raises(RuntimeError, match="disk full"):
            make_ticket(service, requester)
    finally:
        sa_event.remove(session, "before_commit", fail)

    assert notifier.published == []
    assert session.scalar(select(func.count()).select_from(Ticket)) == 0
    assert session.scalar(select(func.count()).select_from(TicketEvent)) == 0


def test_release_gives_the_ticket_back(session, clock, tickets, notifier):
    requester, agent = make_user(session, clock), make_agent(session, clock)
    ticket = make_ticket(tickets, requester)
    tickets.claim(agent, ticket.id)
    notifier.published.clear()

    released = tickets.release(agent, ticket.id, "Out sick tomorrow")

    assert released.owner_id is None
    assert notifier.types == ["unassigned"]
    assert notifier.published[0]["data"] == {
        "previous_owner_id": agent.id,
        "reason": "Out sick tomorrow",
    }
    with pytest.raises(IllegalTransition, match="no owner"):
        tickets.release(agent, ticket.id)


def test_listing_shows_a_requester_only_their_tickets(session, clock, tickets):
    alice, bob, agent = (
        make_user(session, clock),
        make_user(session, clock),
        make_agent(session, clock),
    )
    mine = make_ticket(tickets, alice, subject="Printer jammed")
    make_ticket(tickets, bob, subject="Outlook crashes")

    assert [t.id for t in tickets.list(alice).items] == [mine.id]
    assert len(tickets.list(agent).items) == 2


def test_listing_pages_newest_first_and_filters(session, clock, tickets):
    requester, agent = make_user(session, clock), make_agent(session, clock)
    made = [make_ticket(tickets, requester, subject=f"Case {i}") for i in range(5)]
    tickets.claim(agent, made[1].id)

    first = tickets.list(agent, limit=2)
    assert [t.id for t in first.items] == [made[4].id, made[3].id]
    second = tickets.list(agent, limit=2, after=int(first.next or 0))
    assert [t.id for t in second.items] == [made[2].id, made[1].id]
    last = tickets.list(agent, limit=2, after=int(second.next or 0))
    assert [t.id for t in last.items] == [made[0].id] and last.next is None

    assert [t.id for t in tickets.list(agent, owner_id=agent.id).items] == [made[1].id]
    assert made[1].id not in [t.id for t in tickets.list(agent, unowned=True).items]
    assert [t.id for t in tickets.list(agent, status="open").items] == [made[1].id]
    assert [t.subject for t in tickets.list(agent, q="case 3").items] == ["Case 3"]
    assert tickets.list(agent, q="100%").items == []


def test_notes_are_stored_as_messages_of_kind_note(session, clock, tickets):
    requester, agent = make_user(session, clock), make_agent(session, clock)
    ticket = make_ticket(tickets, requester)
    note = tickets.add_note(agent, ticket.id, "checked the DHCP lease")
    stored = session.get(Message, note.id)
    assert stored is not None and stored.kind == "note" and stored.author_id == agent.id


def test_naive_datetimes_never_reach_the_event_log(session, clock: FakeClock):
    from datetime import datetime

    requester = make_user(session, clock)
    ticket_service = TicketService(session, clock, RecordingNotifier())
    ticket = make_ticket(ticket_service, requester)
    session.add(TicketEvent(ticket_id=ticket.id, type="note", at=datetime(2026, 1, 1), data={}))
    with pytest.raises(Exception, match="naive datetime"):
        session.flush()
    session.rollback()

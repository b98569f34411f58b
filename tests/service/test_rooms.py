"""The swarm room's use cases: idempotent messages, presence, invitations, asking for help."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from swarm.models import AgentSkill, Message, Participation, Skill, TicketEvent, TicketSkill
from swarm.tickets.errors import Conflict, Forbidden, IllegalTransition, Invalid, NotFound, TooLarge
from swarm.tickets.rooms import RoomService, message_payload
from tests.builders import make_agent, make_manager, make_ticket, make_user


@pytest.fixture
def rooms(session, clock, notifier) -> RoomService:
    return RoomService(session, clock, notifier, invitation_ttl=timedelta(minutes=10))


@pytest.fixture
def swarm(session, clock, rooms):
    requester = make_user(session, clock, name="Rita")
    owner = make_agent(session, clock, name="Olga Owner")
    helper = make_agent(session, clock, name="Hugo Helper")
    ticket = make_ticket(rooms, requester)
    rooms.claim(owner, ticket.id)
    return {"requester": requester, "owner": owner, "helper": helper, "ticket": ticket}


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def types(session, ticket_id: int) -> list[str]:
    q = select(TicketEvent.type).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
    return list(session.scalars(q))


def test_a_message_is_stored_then_published_with_its_payload(rooms, swarm, notifier, session):
    notifier.published.clear()
    message, created = rooms.send_message(swarm["owner"], swarm["ticket"].id, "Hi!", "c-1")
    assert created and message.id and session.get(Message, message.id) is not None
    [event] = notifier.published
    assert event["type"] == "message" and event["data"] == {
        "message_id": message.id,
        "kind": "chat",
    }
    assert event["message"] == {**message_payload(message), "prev_id": 0}
    assert event["message"]["author"] == {"id": swarm["owner"].id, "name": "Olga Owner"}


def test_a_repeated_client_id_returns_the_stored_message_and_stores_nothing(
    rooms, swarm, notifier, session
):
    first, _ = rooms.send_message(swarm["owner"], swarm["ticket"].id, "Restarting now", "c-2")
    before = (count(session, Message), len(types(session, swarm["ticket"].id)))
    published = len(notifier.published)

    again, created = rooms.send_message(swarm["owner"], swarm["ticket"].id, "Restarting now", "c-2")

    assert not created and again.id == first.id
    assert (count(session, Message), len(types(session, swarm["ticket"].id))) == before
    assert len(notifier.published) == published


def test_a_client_id_reused_on_another_ticket_is_a_conflict(rooms, swarm):
    other = make_ticket(rooms, swarm["requester"], subject="Another")
    rooms.send_message(swarm["owner"], swarm["ticket"].id, "one", "same-id")
    with pytest.raises(Conflict, match="another ticket"):
        rooms.send_message(swarm["owner"], other.id, "two", "same-id")


def test_message_ids_increase_strictly(rooms, swarm):
    ids = [
        rooms.send_message(swarm["owner"], swarm["ticket"].id, f"m{i}", f"k{i}")[0].id
        for i in range(5)
    ]
    assert ids == sorted(ids) and len(set(ids)) == 5


def test_live_messages_name_the_previous_one_so_gaps_show(rooms, swarm, notifier, session, clock):
    other = make_ticket(rooms, swarm["requester"], subject="Elsewhere")
    rooms.claim(swarm["owner"], other.id)
    notifier.published.clear()
    a, _ = rooms.send_message(swarm["owner"], swarm["ticket"].id, "a", "p1")
    rooms.send_message(swarm["owner"], other.id, "unrelated", "p2")
    b, _ = rooms.send_message(swarm["owner"], swarm["ticket"].id, "b", "p3")
    chain = [
        (e["message"]["id"], e["message"]["prev_id"])
        for e in notifier.published
        if e["type"] == "message" and e["ticket_id"] == swarm["ticket"].id
    ]
    assert chain == [(a.id, 0), (b.id, a.id)]


@pytest.mark.parametrize(
    ("body", "client_id", "kind", "error"),
    [
        ("  ", "a", "chat", Invalid),
        ("x" * (64 * 1024 + 1), "a", "chat", TooLarge),
        ("hi", "", "chat", Invalid),
        ("hi", "x" * 65, "chat", Invalid),
        ("hi", "a", "shout", Invalid),
    ],
)
def test_bad_messages_are_refused_and_nothing_is_stored(
    rooms, swarm, session, body, client_id, kind, error
):
    with pytest.raises(error):
        rooms.send_message(swarm["owner"], swarm["ticket"].id, body, client_id, kind)
    assert count(session, Message) == 0


def test_requesters_chat_on_their_own_ticket_only_and_never_see_notes(rooms, swarm, session, clock):
    rooms.send_message(swarm["owner"], swarm["ticket"].id, "internal: check VLAN", "n1", "note")
    rooms.send_message(swarm["requester"], swarm["ticket"].id, "any news?", "r1")
    with pytest.raises(Forbidden):
        rooms.send_message(swarm["requester"], swarm["ticket"].id, "sneaky", "r2", "note")
    stranger = make_user(session, clock)
    with pytest.raises(NotFound):
        rooms.send_message(stranger, swarm["ticket"].id, "hello?", "s1")
    with pytest.raises(NotFound):
        rooms.replay(stranger, swarm["ticket"].id)

    seen = [m.body for m in rooms.replay(swarm["requester"], swarm["ticket"].id).messages]
    assert seen == ["any news?"]
    assert len(rooms.replay(swarm["owner"], swarm["ticket"].id).messages) == 2


def test_replay_returns_what_came_after_since_oldest_first(rooms, swarm):
    ids = [
        rooms.send_message(swarm["owner"], swarm["ticket"].id, f"m{i}", f"r{i}")[0].id
        for i in range(6)
    ]
    tail = rooms.replay(swarm["helper"], swarm["ticket"].id, since=ids[2])
    assert [m.id for m in tail.messages] == ids[3:] and not tail.more
    page = rooms.replay(swarm["helper"], swarm["ticket"].id, since=None, limit=4)
    assert [m.id for m in page.messages] == ids[:4] and page.more


def test_entering_and_leaving_record_the_helpers_time_in_the_swarm(rooms, swarm, session, clock):
    assert rooms.enter(swarm["owner"], swarm["ticket"].id) is True
    assert rooms.enter(swarm["helper"], swarm["ticket"].id) is True
    assert rooms.enter(swarm["helper"], swarm["ticket"].id) is False  # a second tab
    clock.advance(minutes=12)
    assert rooms.leave(swarm["helper"], swarm["ticket"].id) is True
    assert rooms.leave(swarm["helper"], swarm["ticket"].id) is False

    log = types(session, swarm["ticket"].id)
    assert log.count("helper_joined") == 1 and log.count("helper_left") == 1
    left = session.scalars(select(TicketEvent).where(TicketEvent.type == "helper_left")).one()
    assert left.data == {"agent_id": swarm["helper"].id, "seconds": 720}
    roles = {p["name"]: p["role"] for p in rooms.participants(swarm["ticket"].id)}
    assert roles == {"Olga Owner": "owner"}


def test_opening_a_finished_tickets_room_is_not_joining_its_swarm(rooms, swarm, session):
    rooms.resolve(swarm["owner"], swarm["ticket"].id, "Done")
    assert rooms.enter(swarm["helper"], swarm["ticket"].id) is False
    assert rooms.participants(swarm["ticket"].id) == []
    assert "helper_joined" not in types(session, swarm["ticket"].id)


def test_requesters_are_not_swarm_participants(rooms, swarm):
    assert rooms.enter(swarm["requester"], swarm["ticket"].id) is False
    assert rooms.participants(swarm["ticket"].id) == []


def test_invitation_accepted_joins_the_swarm(rooms, swarm, session, notifier):
    notifier.published.clear()
    invitation = rooms.invite(swarm["owner"], swarm["ticket"].id, swarm["helper"].id, "DNS?")
    [invited] = notifier.published
    assert invited["type"] == "helper_invited"
    assert invited["invitation"]["invitee_id"] == swarm["helper"].id
    assert invited["invitation"]["ticket_subject"] == swarm["ticket"].subject
    assert [i.id for i in rooms.pending_invitations(swarm["helper"])] == [invitation.id]

    accepted = rooms.respond(swarm["helper"], invitation.id, accept=True)
    assert accepted.status == "accepted"
    assert types(session, swarm["ticket"].id)[-1] == "helper_joined"
    assert {p["name"] for p in rooms.participants(swarm["ticket"].id)} == {"Hugo Helper"}
    with pytest.raises(IllegalTransition, match="already accepted"):
        rooms.respond(swarm["helper"], invitation.id, accept=False)


def test_invitation_declined_keeps_the_reason(rooms, swarm, session):
    invitation = rooms.invite(swarm["owner"], swarm["ticket"].id, swarm["helper"].id)
    rooms.respond(swarm["helper"], invitation.id, accept=False, reason="In a P1 bridge")
    declined = session.scalars(
        select(TicketEvent).where(TicketEvent.type == "invitation_declined")
    ).one()
    assert declined.data == {
        "agent_id": swarm["helper"].id,
        "invitation_id": invitation.id,
        "reason": "In a P1 bridge",
    }


def test_who_may_invite_whom(rooms, swarm, session, clock):
    outsider = make_agent(session, clock)
    with pytest.raises(Forbidden, match="owner, people in the swarm, or a manager"):
        rooms.invite(outsider, swarm["ticket"].id, swarm["helper"].id)
    manager = make_manager(session, clock)
    rooms.invite(manager, swarm["ticket"].id, swarm["helper"].id)
    with pytest.raises(Conflict, match="invited already"):
        rooms.invite(swarm["owner"], swarm["ticket"].id, swarm["helper"].id)
    with pytest.raises(Conflict, match="already in this swarm"):
        rooms.invite(swarm["owner"], swarm["ticket"].id, swarm["owner"].id)
    with pytest.raises(Invalid):
        rooms.invite(swarm["owner"], swarm["ticket"].id, swarm["requester"].id)
    with pytest.raises(NotFound):
        rooms.respond(swarm["owner"], 1, accept=True)  # not the invitee


def test_invitations_expire_once(rooms, swarm, session, clock):
    invitation = rooms.invite(swarm["owner"], swarm["ticket"].id, swarm["helper"].id)
    assert rooms.expire_invitations() == 0
    clock.advance(minutes=11)
    with pytest.raises(IllegalTransition, match="expired"):
        rooms.respond(swarm["helper"], invitation.id, accept=True)
    assert rooms.expire_invitations() == 1
    assert rooms.expire_invitations() == 0
    assert types(session, swarm["ticket"].id).count("invitation_expired") == 1
    # Expired, the agent may be invited again.
    rooms.invite(swarm["owner"], swarm["ticket"].id, swarm["helper"].id)


def test_raising_a_hand_and_offering_help_are_events(rooms, swarm, session, notifier):
    rooms.raise_hand(swarm["owner"], swarm["ticket"].id, "Need someone who knows Exchange")
    rooms.offer_help(swarm["helper"], swarm["ticket"].id)
    with pytest.raises(IllegalTransition):
        rooms.offer_help(swarm["owner"], swarm["ticket"].id)
    with pytest.raises(Forbidden):
        rooms.raise_hand(swarm["requester"], swarm["ticket"].id)
    assert types(session, swarm["ticket"].id)[-2:] == ["hand_raised", "help_offered"]
    assert notifier.published[-1]["owner_id"] == swarm["owner"].id


def test_helpers_who_joined_gain_evidence_when_the_ticket_is_resolved(rooms, swarm, session):
    dns = Skill(name="DNS", aliases=[], description="")
    session.add(dns)
    session.flush()
    session.add(TicketSkill(ticket_id=swarm["ticket"].id, skill_id=dns.id, weight=1.0))
    session.commit()
    invitation = rooms.invite(swarm["owner"], swarm["ticket"].id, swarm["helper"].id)
    rooms.respond(swarm["helper"], invitation.id, accept=True)
    rooms.resolve(swarm["owner"], swarm["ticket"].id, "Fixed the zone file")
    helper_skill = session.get(AgentSkill, (swarm["helper"].id, dns.id))
    assert helper_skill is not None and helper_skill.evidence == 1
    assert count(session, Participation) == 1


def stints(session, ticket_id):
    query = (
        select(Participation.user_id, Participation.role, Participation.left_at.is_(None))
        .where(Participation.ticket_id == ticket_id)
        .order_by(Participation.id)
    )
    return [tuple(row) for row in session.execute(query)]


def test_a_helper_who_takes_the_ticket_over_ends_a_helper_stint_and_begins_an_owner_one(
    rooms, session, clock
):
    requester = make_user(session, clock, name="Rita")
    agent = make_agent(session, clock, name="Ann")
    ticket = make_ticket(rooms, requester)
    rooms.enter(agent, ticket.id)  # looked at it before anyone owned it: a helper
    clock.advance(minutes=3)

    rooms.claim(agent, ticket.id)

    assert stints(session, ticket.id) == [(agent.id, "helper", False), (agent.id, "owner", True)]
    left = session.scalars(select(TicketEvent).where(TicketEvent.type == "helper_left")).one()
    assert left.data == {"agent_id": agent.id, "seconds": 180, "became_owner": True}
    assert [p["role"] for p in rooms.participants(ticket.id)] == ["owner"]


def test_an_owner_who_hands_over_stays_in_the_room_as_a_helper(rooms, swarm, session, clock):
    ticket_id = swarm["ticket"].id
    rooms.enter(swarm["owner"], ticket_id)
    rooms.enter(swarm["helper"], ticket_id)
    clock.advance(minutes=5)

    rooms.assign(swarm["owner"], ticket_id, swarm["helper"].id)

    roles = {p["name"]: p["role"] for p in rooms.participants(ticket_id)}
    assert roles == {"Olga Owner": "helper", "Hugo Helper": "owner"}
    log = types(session, ticket_id)
    assert log.count("helper_joined") == 2 and log.count("helper_left") == 1
    joined = session.scalars(
        select(TicketEvent).where(TicketEvent.type == "helper_joined").order_by(TicketEvent.id)
    ).all()[-1]
    assert joined.data == {"agent_id": swarm["owner"].id, "was_owner": True}
    # Releasing leaves the new owner in the room as a helper too.
    rooms.release(swarm["helper"], ticket_id)
    assert {p["role"] for p in rooms.participants(ticket_id)} == {"helper"}

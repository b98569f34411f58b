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


def test_requesters_reply_on_their_own_ticket_only_and_never_see_the_swarm(
    rooms, swarm, session, clock
):
    rooms.send_message(swarm["owner"], swarm["ticket"].id, "internal: check VLAN", "n1", "note")
    rooms.send_message(swarm["owner"], swarm["ticket"].id, "Hugo, VLAN 12?", "c1")
    rooms.send_message(swarm["owner"], swarm["ticket"].id, "We are on it.", "p1", "reply")
    asked, _ = rooms.send_message(swarm["requester"], swarm["ticket"].id, "any news?", "r1")
    assert asked.kind == "reply"  # a requester's message goes to their conversation
    for kind in ("chat", "note", "solution"):
        with pytest.raises(Forbidden, match="requester writes replies"):
            rooms.send_message(swarm["requester"], swarm["ticket"].id, "sneaky", f"r-{kind}", kind)
    stranger = make_user(session, clock)
    with pytest.raises(NotFound):
        rooms.send_message(stranger, swarm["ticket"].id, "hello?", "s1")
    with pytest.raises(NotFound):
        rooms.replay(stranger, swarm["ticket"].id)

    seen = [m.body for m in rooms.replay(swarm["requester"], swarm["ticket"].id).messages]
    assert seen == ["We are on it.", "any news?"]
    assert len(rooms.replay(swarm["owner"], swarm["ticket"].id).messages) == 4


def test_replay_returns_what_came_after_since_oldest_first(rooms, swarm):
    ids = [
        rooms.send_message(swarm["owner"], swarm["ticket"].id, f"m{i}", f"r{i}")[0].id
        for i in range(6)
    ]
    tail = rooms.replay(swarm["helper"], swarm["ticket"].id, since=ids[2])
    assert [m.id for m in tail.messages] == ids[3:] and not tail.more
    # A room opened afresh starts at its newest messages, still oldest first among them.
    page = rooms.replay(swarm["helper"], swarm["ticket"].id, since=None, limit=4)
    assert [m.id for m in page.messages] == ids[-4:] and page.more
    whole = rooms.replay(swarm["helper"], swarm["ticket"].id, since=None, limit=1000)
    assert [m.id for m in whole.messages][-6:] == ids and not whole.more


def only_helpers(session, ticket_id):
    return [e for e in types(session, ticket_id) if e.startswith("helper_")]


def test_looking_records_nothing_and_writing_begins_a_stint(rooms, swarm, session, clock):
    ticket_id = swarm["ticket"].id
    updated = swarm["ticket"].updated_at
    rooms.replay(swarm["helper"], ticket_id)  # what opening the page reads
    assert rooms.in_swarm(swarm["helper"], ticket_id) is False
    assert only_helpers(session, ticket_id) == []
    assert count(session, Participation) == 1  # the owner's stint, from the claim
    session.refresh(swarm["ticket"])
    assert swarm["ticket"].updated_at == updated

    clock.advance(minutes=2)
    message, _ = rooms.send_message(swarm["helper"], ticket_id, "Try the VLAN", "h1")
    joined = session.scalars(select(TicketEvent).where(TicketEvent.type == "helper_joined")).one()
    assert joined.data == {
        "agent_id": swarm["helper"].id,
        "via": "message",
        "message_id": message.id,
    }
    rooms.send_message(swarm["helper"], ticket_id, "and again", "h2")
    assert only_helpers(session, ticket_id) == ["helper_joined"]  # one stint, not two
    roles = {p["name"]: p["role"] for p in rooms.participants(ticket_id)}
    assert roles == {"Olga Owner": "owner", "Hugo Helper": "helper"}

    clock.advance(minutes=12)
    rooms.leave_swarm(swarm["helper"], ticket_id)
    left = session.scalars(select(TicketEvent).where(TicketEvent.type == "helper_left")).one()
    assert left.data == {"agent_id": swarm["helper"].id, "seconds": 720, "reason": "left"}
    with pytest.raises(IllegalTransition, match="not helping"):
        rooms.leave_swarm(swarm["helper"], ticket_id)
    with pytest.raises(IllegalTransition, match="release it"):
        rooms.leave_swarm(swarm["owner"], ticket_id)


def test_a_note_begins_a_stint_and_requesters_and_finished_tickets_begin_none(
    rooms, swarm, session
):
    ticket_id = swarm["ticket"].id
    rooms.send_message(swarm["requester"], ticket_id, "hello", "r1")
    rooms.add_note(swarm["helper"], ticket_id, "Seen this at site B")
    joined = session.scalars(select(TicketEvent).where(TicketEvent.type == "helper_joined")).one()
    assert joined.data == {"agent_id": swarm["helper"].id, "via": "note"}
    assert swarm["requester"].id not in {p["id"] for p in rooms.participants(ticket_id)}

    rooms.resolve(swarm["owner"], ticket_id, "Done")
    assert rooms.participants(ticket_id) == []  # the swarm disbands with the resolution
    late = make_agent(session, rooms.clock, name="Late")
    rooms.send_message(late, ticket_id, "was it DNS?", "l1")
    assert late.id not in {
        e.data.get("agent_id")
        for e in session.scalars(select(TicketEvent).where(TicketEvent.type == "helper_joined"))
    }


def test_the_owner_adds_a_helper_who_offered_and_stints_end_when_resolved(
    rooms, swarm, session, clock
):
    ticket_id = swarm["ticket"].id
    other = make_agent(session, clock, name="Otto")
    rooms.offer_help(swarm["helper"], ticket_id)
    rooms.add_helper(swarm["owner"], ticket_id, swarm["helper"].id)
    rooms.add_helper(swarm["owner"], ticket_id, other.id)
    joins = session.scalars(
        select(TicketEvent).where(TicketEvent.type == "helper_joined").order_by(TicketEvent.id)
    ).all()
    assert [j.data["via"] for j in joins] == ["offer", "added"]
    with pytest.raises(Conflict, match="already in this swarm"):
        rooms.add_helper(swarm["owner"], ticket_id, other.id)
    with pytest.raises(Forbidden):
        rooms.add_helper(other, ticket_id, swarm["helper"].id)  # a helper is not the owner

    clock.advance(minutes=30)
    rooms.resolve(swarm["owner"], ticket_id, "Fixed")
    lefts = session.scalars(select(TicketEvent).where(TicketEvent.type == "helper_left")).all()
    assert sorted(
        (e.data["agent_id"], e.data["reason"], e.data["seconds"]) for e in lefts
    ) == sorted([(swarm["helper"].id, "resolved", 1800), (other.id, "resolved", 1800)])
    assert (
        session.scalar(
            select(func.count()).select_from(Participation).where(Participation.left_at.is_(None))
        )
        == 0
    )


def test_idle_helpers_who_are_away_stop_helping_counted_to_their_last_sign(
    rooms, swarm, session, clock
):
    ticket_id = swarm["ticket"].id
    rooms.send_message(swarm["helper"], ticket_id, "looking", "h1")
    clock.advance(minutes=10)
    rooms.mark_seen([(ticket_id, swarm["helper"].id)])  # had the room open until now
    clock.advance(minutes=25)
    idle = timedelta(minutes=30)
    # Still present: not ended, however long.
    assert rooms.end_idle_stints(idle, lambda t, u: False) == []
    clock.advance(minutes=10)
    assert rooms.end_idle_stints(idle, lambda t, u: True) == [(ticket_id, swarm["helper"].id)]
    left = session.scalars(select(TicketEvent).where(TicketEvent.type == "helper_left")).one()
    assert left.data == {"agent_id": swarm["helper"].id, "seconds": 600, "reason": "idle"}
    assert rooms.end_idle_stints(idle, lambda t, u: True) == []
    # The owner's stint is not a helper's: it follows ownership.
    assert [p["role"] for p in rooms.participants(ticket_id)] == ["owner"]


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
    joined = session.scalars(select(TicketEvent).order_by(TicketEvent.id.desc())).first()
    assert joined.type == "helper_joined"
    assert joined.data == {
        "agent_id": swarm["helper"].id,
        "via": "invitation",
        "invitation_id": invitation.id,
    }
    assert {p["name"] for p in rooms.participants(swarm["ticket"].id)} == {
        "Olga Owner",
        "Hugo Helper",
    }
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


def test_evidence_goes_to_the_owner_and_helpers_who_contributed_never_to_onlookers(
    rooms, swarm, session, clock
):
    dns = Skill(name="DNS", aliases=[], description="")
    session.add(dns)
    session.flush()
    session.add(TicketSkill(ticket_id=swarm["ticket"].id, skill_id=dns.id, weight=1.0))
    session.commit()
    silent = make_agent(session, clock, name="Sil")
    onlooker = make_agent(session, clock, name="Ona")
    invitation = rooms.invite(swarm["owner"], swarm["ticket"].id, swarm["helper"].id)
    rooms.respond(swarm["helper"], invitation.id, accept=True)
    rooms.send_message(
        swarm["helper"], swarm["ticket"].id, "Zone file has a typo", "h1", "solution"
    )
    quiet = rooms.invite(swarm["owner"], swarm["ticket"].id, silent.id)
    rooms.respond(silent, quiet.id, accept=True)  # joined, never wrote
    rooms.replay(onlooker, swarm["ticket"].id)  # only looked

    rooms.resolve(swarm["owner"], swarm["ticket"].id, "Fixed the zone file")

    assert session.get(AgentSkill, (swarm["owner"].id, dns.id)).evidence == 1
    assert session.get(AgentSkill, (swarm["helper"].id, dns.id)).evidence == 1
    assert session.get(AgentSkill, (silent.id, dns.id)) is None
    assert session.get(AgentSkill, (onlooker.id, dns.id)) is None


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
    rooms.send_message(agent, ticket.id, "I know this one", "a1")  # helped before anyone owned it
    clock.advance(minutes=3)

    rooms.claim(agent, ticket.id)

    assert stints(session, ticket.id) == [(agent.id, "helper", False), (agent.id, "owner", True)]
    left = session.scalars(select(TicketEvent).where(TicketEvent.type == "helper_left")).one()
    assert left.data == {
        "agent_id": agent.id,
        "seconds": 180,
        "reason": "became_owner",
        "became_owner": True,
    }
    assert [p["role"] for p in rooms.participants(ticket.id)] == ["owner"]


def test_an_owner_who_hands_over_does_not_stay_on_as_a_helper_by_looking(
    rooms, swarm, session, clock
):
    ticket_id = swarm["ticket"].id
    clock.advance(minutes=5)

    rooms.assign(swarm["owner"], ticket_id, swarm["helper"].id)

    roles = {p["name"]: p["role"] for p in rooms.participants(ticket_id)}
    assert roles == {"Hugo Helper": "owner"}
    assert only_helpers(session, ticket_id) == []
    # Writing afterwards makes the previous owner a helper, like anyone.
    rooms.send_message(swarm["owner"], ticket_id, "Handover notes: it's the VLAN", "o1")
    roles = {p["name"]: p["role"] for p in rooms.participants(ticket_id)}
    assert roles == {"Hugo Helper": "owner", "Olga Owner": "helper"}
    rooms.release(swarm["helper"], ticket_id)
    assert {p["role"] for p in rooms.participants(ticket_id)} == {"helper"}

"""What waits for a person: invitations, raised hands near their skills, offers of help, and
their work — all derived from stored invitations and ticket events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from swarm.accounts import service as accounts
from swarm.events import Audience, EventType, view
from swarm.models import AgentSkill, Skill, TicketEvent, TicketSkill
from swarm.tickets.errors import Forbidden, IllegalTransition, Invalid
from swarm.tickets.inbox import InboxService, InboxSettings, invitation_notice, online_first
from swarm.tickets.rooms import RoomService
from tests.builders import make_agent, make_ticket, make_user


@pytest.fixture
def rooms(session, clock, notifier) -> RoomService:
    return RoomService(session, clock, notifier, invitation_ttl=timedelta(minutes=15))


@pytest.fixture
def inbox(session, clock) -> InboxService:
    return InboxService(session, clock, InboxSettings(hand_ttl=timedelta(minutes=60)))


@pytest.fixture
def swarm(session, clock, rooms):
    vpn = Skill(name="VPN", aliases=[], description="")
    printing = Skill(name="Printing", aliases=[], description="")
    session.add_all([vpn, printing])
    session.commit()
    requester = make_user(session, clock, name="Rita")
    jonas = make_agent(session, clock, name="Jonas Owner")
    mateo = make_agent(session, clock, name="Mateo Offline", presence="offline")
    pia = make_agent(session, clock, name="Pia Print")
    session.add_all(
        [
            AgentSkill(user_id=mateo.id, skill_id=vpn.id, proficiency=4),
            AgentSkill(user_id=pia.id, skill_id=printing.id, proficiency=5),
            AgentSkill(user_id=jonas.id, skill_id=vpn.id, proficiency=5),
        ]
    )
    session.commit()
    ticket = make_ticket(rooms, requester, priority="P2")
    session.add(TicketSkill(ticket_id=ticket.id, skill_id=vpn.id, weight=1.0, source="manual"))
    session.commit()
    rooms.claim(jonas, ticket.id)
    return {"ticket": ticket, "jonas": jonas, "mateo": mateo, "pia": pia, "requester": requester}


def test_an_invitation_to_someone_offline_waits_in_their_inbox(rooms, inbox, swarm, clock, session):
    mateo = swarm["mateo"]
    assert invitation_notice(mateo) == (
        "Mateo Offline is offline — they will see it in their inbox when they sign in."
    )
    invitation = rooms.invite(swarm["jonas"], swarm["ticket"].id, mateo.id, "VPN certs?")

    clock.advance(seconds=20)
    accounts.signed_in(session, clock, mateo)
    [waiting] = inbox.inbox(mateo).invitations
    assert (waiting.id, waiting.ticket.id, waiting.note) == (
        invitation.id,
        swarm["ticket"].id,
        "VPN certs?",
    )
    assert waiting.inviter == {
        "id": swarm["jonas"].id,
        "name": "Jonas Owner",
        "online": True,
        "presence": "online",
    }
    assert inbox.inbox(swarm["pia"]).invitations == []  # nobody sees another's invitations
    assert invitation_notice(mateo).endswith("is online and has been told.")

    rooms.respond(mateo, invitation.id, accept=True)
    assert inbox.inbox(mateo).invitations == []
    assert [t.id for t in inbox.my_work(mateo).helping] == [swarm["ticket"].id]
    assert [t.id for t in inbox.my_work(swarm["jonas"]).owned] == [swarm["ticket"].id]


def test_an_expired_invitation_is_not_shown(rooms, inbox, swarm, clock):
    rooms.invite(swarm["jonas"], swarm["ticket"].id, swarm["mateo"].id)
    clock.advance(minutes=14)
    assert len(inbox.inbox(swarm["mateo"]).invitations) == 1
    clock.advance(minutes=1)
    assert inbox.inbox(swarm["mateo"]).invitations == []  # even before the sweeper marks it
    assert rooms.expire_invitations() == 1
    assert inbox.inbox(swarm["mateo"]).count == 0


def test_a_raised_hand_reaches_those_who_know_the_skill_until_someone_joins(
    rooms, inbox, swarm, clock
):
    rooms.raise_hand(swarm["jonas"], swarm["ticket"].id, "Who knows split tunnelling?")

    [hand] = inbox.inbox(swarm["mateo"]).hands
    assert hand.ticket.id == swarm["ticket"].id and hand.skills == ("VPN",)
    assert hand.note == "Who knows split tunnelling?" and hand.raised_by["name"] == "Jonas Owner"
    assert inbox.inbox(swarm["pia"]).hands == []  # printing is not near VPN
    assert inbox.inbox(swarm["jonas"]).hands == []  # their own hand

    invitation = rooms.invite(swarm["jonas"], swarm["ticket"].id, swarm["pia"].id)
    rooms.respond(swarm["pia"], invitation.id, accept=True)
    assert inbox.inbox(swarm["mateo"]).hands == []  # answered: someone joined after it


def test_a_raised_hand_goes_when_its_time_passes_or_the_ticket_ends(rooms, inbox, swarm, clock):
    rooms.raise_hand(swarm["jonas"], swarm["ticket"].id)
    clock.advance(minutes=59)
    assert len(inbox.inbox(swarm["mateo"]).hands) == 1
    clock.advance(minutes=1)
    assert inbox.inbox(swarm["mateo"]).hands == []

    rooms.raise_hand(swarm["jonas"], swarm["ticket"].id)
    assert len(inbox.inbox(swarm["mateo"]).hands) == 1
    rooms.resolve(swarm["jonas"], swarm["ticket"].id, "Fixed the profile.")
    assert inbox.inbox(swarm["mateo"]).hands == []


def test_an_offer_of_help_waits_for_the_owner_until_they_let_the_helper_in(rooms, inbox, swarm):
    rooms.offer_help(swarm["pia"], swarm["ticket"].id)

    [offer] = inbox.inbox(swarm["jonas"]).offers
    assert offer.agent["name"] == "Pia Print" and offer.ticket.id == swarm["ticket"].id
    assert inbox.inbox(swarm["pia"]).offers == [] and inbox.inbox(swarm["mateo"]).offers == []

    rooms.invite(swarm["jonas"], swarm["ticket"].id, swarm["pia"].id)
    assert inbox.inbox(swarm["jonas"]).offers == []


def test_the_owner_may_say_no_thanks_and_the_offer_leaves_the_inbox(rooms, inbox, swarm, session):
    ticket_id = swarm["ticket"].id
    with pytest.raises(IllegalTransition, match="no open offer"):
        rooms.decline_offer(swarm["jonas"], ticket_id, swarm["pia"].id)  # nothing offered yet
    rooms.offer_help(swarm["pia"], ticket_id)
    with pytest.raises(Forbidden):
        rooms.decline_offer(swarm["mateo"], ticket_id, swarm["pia"].id)  # not the owner
    with pytest.raises(Invalid):
        rooms.decline_offer(swarm["jonas"], ticket_id, swarm["pia"].id, "x" * 2001)
    assert len(inbox.inbox(swarm["jonas"]).offers) == 1  # a refused answer changed nothing

    rooms.decline_offer(swarm["jonas"], ticket_id, swarm["pia"].id, "  Covered, thanks!  ")
    assert inbox.inbox(swarm["jonas"]).offers == []
    [declined] = session.scalars(
        select(TicketEvent).where(TicketEvent.type == EventType.OFFER_DECLINED)
    ).all()
    assert (declined.actor_id, declined.data) == (
        swarm["jonas"].id,
        {"agent_id": swarm["pia"].id, "note": "Covered, thanks!"},
    )
    assert view(declined.type, declined.data, Audience.REQUESTER) is None  # staff business
    with pytest.raises(IllegalTransition):
        rooms.decline_offer(swarm["jonas"], ticket_id, swarm["pia"].id)  # already answered

    # Added anyway later, it is the owner's doing, not the declined offer's.
    rooms.add_helper(swarm["jonas"], ticket_id, swarm["pia"].id)
    [joined] = session.scalars(
        select(TicketEvent).where(TicketEvent.type == EventType.HELPER_JOINED)
    ).all()
    assert joined.data["via"] == "added"


def test_an_offer_made_again_after_a_no_waits_again(rooms, inbox, swarm):
    ticket_id = swarm["ticket"].id
    rooms.offer_help(swarm["pia"], ticket_id)
    rooms.decline_offer(swarm["jonas"], ticket_id, swarm["pia"].id)
    rooms.offer_help(swarm["pia"], ticket_id)
    [offer] = inbox.inbox(swarm["jonas"]).offers
    assert offer.agent["name"] == "Pia Print"


def test_requesters_have_an_empty_inbox(inbox, swarm):
    assert inbox.inbox(swarm["requester"]).count == 0
    assert inbox.my_work(swarm["requester"]).owned == []


def test_online_people_come_first_in_their_previous_order(swarm):
    people = [swarm["mateo"], swarm["jonas"], swarm["pia"]]
    assert [p.name for p in online_first(people)] == ["Jonas Owner", "Pia Print", "Mateo Offline"]

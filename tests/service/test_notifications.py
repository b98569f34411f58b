"""Notifications are written in the event's transaction: committed with it, rolled back with
it, delivered live only after commit, and mail rows queued only when mail is on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from swarm.clock import FakeClock
from swarm.db import make_session_factory
from swarm.models import Notification, NotificationPreference, NotificationSchedule, OutboxItem
from swarm.notifications.capture import LIVE
from swarm.notifications.kinds import DIGEST_AFTER, DIGEST_WINDOW
from swarm.tickets.notify import RecordingNotifier
from swarm.tickets.rooms import RoomService
from tests.builders import make_agent, make_ticket, make_user


@pytest.fixture
def delivered() -> list[dict]:
    return []


@pytest.fixture
def mail_session(engine: Engine, delivered: list[dict]):
    factory = make_session_factory(engine, mail=True)
    factory.kw["info"][LIVE] = delivered.extend
    with factory() as s:
        yield s


def rooms(session: Session, clock: FakeClock) -> RoomService:
    return RoomService(session, clock, RecordingNotifier())


def notes(session: Session, person: int) -> list[tuple[str, int]]:
    rows = session.execute(
        select(Notification.kind, Notification.ticket_id)
        .where(Notification.recipient_id == person)
        .order_by(Notification.id)
    )
    return [tuple(r) for r in rows]


def test_an_invitation_notifies_the_invitee_not_the_inviter(session, clock):
    service = rooms(session, clock)
    requester = make_user(session, clock)
    owner, helper = make_agent(session, clock), make_agent(session, clock)
    ticket = make_ticket(service, requester)
    service.assign(owner, ticket.id, owner.id)
    service.invite(owner, ticket.id, helper.id)
    assert notes(session, helper.id) == [("invited", ticket.id)]
    assert notes(session, owner.id) == []  # assigned themselves: never their own action
    assert notes(session, requester.id) == []


def test_rows_and_live_delivery_follow_the_transaction(mail_session, clock, delivered):
    service = rooms(mail_session, clock)
    requester = make_user(mail_session, clock)
    owner, helper = make_agent(mail_session, clock), make_agent(mail_session, clock)
    ticket = make_ticket(service, requester)
    delivered.clear()
    # A write that fails after the event was flushed leaves neither row nor emit behind.
    from swarm.models import TicketEvent

    mail_session.add(
        TicketEvent(
            ticket_id=ticket.id,
            type="helper_invited",
            actor_id=owner.id,
            at=clock.now(),
            data={"agent_id": helper.id, "invitation_id": 1},
        )
    )
    mail_session.flush()
    assert notes(mail_session, helper.id) == [("invited", ticket.id)]
    mail_session.rollback()
    assert notes(mail_session, helper.id) == []
    assert mail_session.scalars(select(OutboxItem)).all() == []
    assert delivered == []
    service.assign(owner, ticket.id, helper.id)
    assert [(d["recipient_id"], d["kind"]) for d in delivered] == [(helper.id, "assigned")]
    (mail,) = mail_session.scalars(select(OutboxItem).where(OutboxItem.kind == "mail")).all()
    assert mail.payload["recipient_id"] == helper.id
    assert mail.next_attempt_at == clock.now()


def test_no_mail_row_when_mail_is_off(session, clock):
    service = rooms(session, clock)
    requester = make_user(session, clock)
    owner = make_agent(session, clock)
    ticket = make_ticket(service, requester)
    service.assign(owner, ticket.id, owner.id)
    service.resolve(owner, ticket.id, "Replaced the VPN profile.")
    (row,) = session.scalars(select(Notification).where(Notification.recipient_id == requester.id))
    assert (row.kind, row.email) == ("requester_resolved", "off")
    assert session.scalars(select(OutboxItem)).all() == []


def test_a_mention_in_chat_notifies_staff_and_a_reply_notifies_the_requester(session, clock):
    service = rooms(session, clock)
    requester = make_user(session, clock, name="Rita Requester")
    owner = make_agent(session, clock, name="Olga Owner")
    bob = make_agent(session, clock, name="Bob Builder")
    ticket = make_ticket(service, requester)
    service.assign(owner, ticket.id, owner.id)
    service.send_message(owner, ticket.id, "@bob can you look? @rita too", "c1", "chat")
    assert notes(session, bob.id) == [("mentioned", ticket.id)]
    # A requester is never told of the swarm's chat, even when named in it.
    assert notes(session, requester.id) == []
    service.send_message(owner, ticket.id, "We are on it.", "c2", "reply")
    assert notes(session, requester.id) == [("requester_answered", ticket.id)]
    service.send_message(requester, ticket.id, "@olga thanks", "c3", "reply")
    assert notes(session, owner.id) == [("mentioned", ticket.id)]


def test_a_kind_turned_off_is_not_written(session, clock):
    service = rooms(session, clock)
    requester = make_user(session, clock)
    owner, helper = make_agent(session, clock), make_agent(session, clock)
    session.add(
        NotificationPreference(user_id=helper.id, kind="invited", in_app=False, email=False)
    )
    session.commit()
    ticket = make_ticket(service, requester)
    service.assign(owner, ticket.id, owner.id)
    service.invite(owner, ticket.id, helper.id)
    assert notes(session, helper.id) == []


def test_quiet_hours_hold_the_mail_until_they_end(mail_session, clock):
    service = rooms(mail_session, clock)
    requester = make_user(mail_session, clock)
    owner, helper = make_agent(mail_session, clock), make_agent(mail_session, clock)
    now = clock.now()
    start = (now.hour * 60 + now.minute - 60) % 1440  # began an hour ago, ends in two
    mail_session.add(
        NotificationSchedule(
            user_id=helper.id, quiet_start=start, quiet_end=(start + 180) % 1440, timezone="UTC"
        )
    )
    mail_session.commit()
    ticket = make_ticket(service, requester)
    service.assign(owner, ticket.id, helper.id)
    (mail,) = mail_session.scalars(select(OutboxItem).where(OutboxItem.kind == "mail")).all()
    assert mail.next_attempt_at == now.replace(second=0, microsecond=0) + timedelta(hours=2)


def test_mail_that_piles_up_waits_for_the_digest(mail_session, clock):
    service = rooms(mail_session, clock)
    requester = make_user(mail_session, clock)
    owner, helper = make_agent(mail_session, clock), make_agent(mail_session, clock)
    first = clock.now()
    for n in range(DIGEST_AFTER + 2):
        ticket = make_ticket(service, requester, subject=f"Ticket {n}")
        service.assign(owner, ticket.id, helper.id)
        clock.advance(seconds=10)
    due = [
        m.next_attempt_at
        for m in mail_session.scalars(
            select(OutboxItem).where(OutboxItem.kind == "mail").order_by(OutboxItem.id)
        )
    ]
    assert due[:DIGEST_AFTER] == [first + timedelta(seconds=10 * n) for n in range(DIGEST_AFTER)]
    assert due[DIGEST_AFTER:] == [first + DIGEST_WINDOW] * 2


def test_a_vendor_flagged_overdue_tells_the_owner_and_who_worked_on_it(session, clock):
    from swarm.dispatch.clocks import vendor_deadline_fired
    from swarm.models import Vendor, VendorHandoff

    service = rooms(session, clock)
    requester = make_user(session, clock)
    owner, helper = make_agent(session, clock), make_agent(session, clock)
    ticket = make_ticket(service, requester)
    service.assign(owner, ticket.id, owner.id)
    service.send_message(helper, ticket.id, "I know this vendor.", "h1", "chat")  # a stint
    vendor = Vendor(name="Acme", sla_seconds=3600, created_at=clock.now())
    session.add(vendor)
    session.flush()
    session.add(
        VendorHandoff(
            ticket_id=ticket.id,
            vendor_id=vendor.id,
            external_ref="ACME-1",
            handed_off_at=clock.now(),
            status_at=clock.now(),
            sla_seconds=3600,
        )
    )
    session.commit()
    clock.advance(hours=2)
    session.refresh(ticket)
    assert vendor_deadline_fired(ticket, clock.now()) == []  # the sweeper's flag
    session.commit()
    assert notes(session, owner.id)[-1] == ("vendor_overdue", ticket.id)
    assert notes(session, helper.id) == [("vendor_overdue", ticket.id)]
    assert notes(session, requester.id) == []


def test_a_raised_hand_tells_those_who_worked_on_the_ticket(session, clock):
    service = rooms(session, clock)
    requester = make_user(session, clock)
    owner, helper, stranger = (make_agent(session, clock) for _ in range(3))
    ticket = make_ticket(service, requester)
    service.assign(owner, ticket.id, owner.id)
    service.send_message(helper, ticket.id, "Seen this before.", "h1", "chat")
    service.raise_hand(owner, ticket.id, "Anyone?")
    assert notes(session, helper.id) == [("raised_hand", ticket.id)]
    assert notes(session, stranger.id) == []
    assert notes(session, requester.id) == []

"""Who may post which kind of message has one source: where a person stands with a ticket is
swarm/tickets/access.py's rules, what each standing may post is swarm/tickets/posting.py's
table. The message writer's PostgreSQL statement (both CASEs generated from them), its portable
Python path (SQLite), the access check on the ORM objects (``standing``, ``can_view``) and the
live rooms' default kind all agree, over every role and standing with the ticket (owner,
helper, invited agent, other agent, manager, admin, requester, vendor guest, …) and every
kind."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, update

from swarm.clock import SystemClock
from swarm.db import make_session_factory
from swarm.models import GuestPass, Ticket, User
from swarm.models.tickets import MessageKind
from swarm.models.users import Role
from swarm.realtime.handlers import Connection, _standing
from swarm.tickets import access, posting
from swarm.tickets.errors import Forbidden, NotFound
from swarm.tickets.guests import GuestService
from swarm.tickets.messages import NewMessage, StoredMessage, Unauthenticated, store_messages
from swarm.tickets.notify import RecordingNotifier
from swarm.tickets.posting import DEFAULT_KIND, Standing
from swarm.tickets.rooms import RoomService, default_kind
from swarm.tickets.service import TicketService
from tests.builders import make_agent, make_ticket, make_user

MISSING_TICKET = 999_999


@pytest.fixture(params=["postgresql", "sqlite"])
def engine(request: pytest.FixtureRequest) -> Engine:
    name = "pg_engine" if request.param == "postgresql" else "sqlite_file_engine"
    eng: Engine = request.getfixturevalue(name)
    return eng


@pytest.fixture
def people(engine: Engine) -> dict[str, Any]:
    """Every role, and every standing a person can have with one ticket."""
    factory = make_session_factory(engine)
    clock = SystemClock()
    with factory() as session:
        requester = make_user(session, clock, name="Rita")
        agent = make_agent(session, clock, name="Olga")
        service = TicketService(session, clock, RecordingNotifier())
        ticket = make_ticket(service, requester, subject="VPN down")
        # The ticket's owner, a helper in its swarm, an agent invited (not yet answered) and
        # an agent with nothing to do with it: all staff, all alike for posting.
        owner = make_agent(session, clock, name="Owen Owner")
        service.assign(owner, ticket.id, owner.id)
        rooms = RoomService(session, clock, RecordingNotifier())
        helper = make_agent(session, clock, name="Hana Helper")
        rooms.add_helper(owner, ticket.id, helper.id)
        invited = make_agent(session, clock, name="Ivo Invited")
        rooms.invite(owner, ticket.id, invited.id)
        bystander = make_agent(session, clock, name="Ola Other")
        other = make_ticket(service, make_user(session, clock), subject="Printer")
        guests = GuestService(session, clock, RecordingNotifier())
        valid, _ = guests.invite_guest(owner, ticket.id, "Sam Vendor")
        expired, _ = guests.invite_guest(agent, ticket.id, "Eve Expired")
        revoked, _ = guests.invite_guest(agent, ticket.id, "Rob Revoked")
        elsewhere, _ = guests.invite_guest(agent, other.id, "Gus Elsewhere")
        guests.revoke_guest(agent, ticket.id, revoked.id)
        session.execute(
            update(GuestPass)
            .where(GuestPass.id == expired.id)
            .values(expires_at=clock.now() - timedelta(minutes=1))
        )
        gone = make_agent(session, clock, name="Gone")
        gone.active = False
        session.commit()
        # (who, ticket) -> where they stand with it, as the table names it
        cases = {
            ("agent", ticket.id): (agent.id, Standing.STAFF),
            ("owner", ticket.id): (owner.id, Standing.STAFF),
            ("helper", ticket.id): (helper.id, Standing.STAFF),
            ("invited agent", ticket.id): (invited.id, Standing.STAFF),
            ("other agent", ticket.id): (bystander.id, Standing.STAFF),
            ("manager", ticket.id): (
                make_user(session, clock, role=Role.MANAGER).id,
                Standing.STAFF,
            ),
            ("admin", ticket.id): (make_user(session, clock, role=Role.ADMIN).id, Standing.STAFF),
            ("requester", ticket.id): (requester.id, Standing.REQUESTER),
            ("another requester", ticket.id): (
                make_user(session, clock).id,
                Standing.STRANGER,
            ),
            ("vendor guest", ticket.id): (valid.user_id, Standing.GUEST),
            ("guest, pass expired", ticket.id): (expired.user_id, Standing.STRANGER),
            # Revoking a pass also ends the guest's account.
            ("guest, pass revoked", ticket.id): (revoked.user_id, Standing.GONE),
            ("guest of another ticket", ticket.id): (elsewhere.user_id, Standing.STRANGER),
            ("deactivated agent", ticket.id): (gone.id, Standing.GONE),
            ("no such account", ticket.id): (MISSING_TICKET, Standing.GONE),
            ("agent, no such ticket", MISSING_TICKET): (agent.id, Standing.STRANGER),
        }
    return {"factory": factory, "cases": cases}


def _said(outcome: object) -> str:
    if isinstance(outcome, StoredMessage):
        return posting.ALLOWED
    if isinstance(outcome, Unauthenticated):
        return posting.UNAUTHENTICATED
    if isinstance(outcome, NotFound):
        return posting.NOT_FOUND
    if isinstance(outcome, Forbidden):
        return posting.FORBIDDEN
    raise AssertionError(f"unexpected outcome {outcome!r}")


def test_the_writer_decides_as_the_table_says_for_every_standing_and_kind(people) -> None:
    sends, expected = [], []
    for (who, ticket_id), (user_id, standing) in people["cases"].items():
        for kind in MessageKind:
            client_id = f"{who}:{kind}"[:64]
            sends.append(NewMessage(user_id, ticket_id, f"{who} writes {kind}", client_id, kind))
            expected.append((who, kind.value, posting.verdict(standing, kind)))
    with people["factory"]() as session:
        batch = store_messages(session, SystemClock().now(), sends)
        session.rollback()
    said = [
        (who, kind, _said(o)) for (who, kind, _), o in zip(expected, batch.outcomes, strict=True)
    ]
    assert said == expected
    # The table itself, in words: staff write everything, the requester replies, a guest chats.
    allowed = {(who, kind) for who, kind, verdict in said if verdict == posting.ALLOWED}
    assert allowed == {
        *((role, k.value) for role in ("agent", "manager", "admin") for k in MessageKind),
        *(
            (role, k.value)
            for role in ("owner", "helper", "invited agent", "other agent")
            for k in MessageKind
        ),
        ("requester", "reply"),
        ("vendor guest", "chat"),
    }


def test_the_access_check_stands_people_where_the_writer_does(people) -> None:
    """``access.standing`` on the ORM objects (what the REST path and the pages check) gives
    every person the standing the writer's paths give them, and ``can_view`` follows it."""
    now = SystemClock().now()
    with people["factory"]() as session:
        for (who, ticket_id), (user_id, expected) in people["cases"].items():
            user, ticket = session.get(User, user_id), session.get(Ticket, ticket_id)
            assert access.standing(user, ticket, now) == expected, who
            if user is not None and ticket is not None:
                assert access.can_view(user, ticket, now) == (expected in access.AUDIENCES), who


def test_a_send_without_a_kind_gets_one_its_author_may_post(people) -> None:
    with people["factory"]() as session:
        for (who, _ticket), (user_id, standing) in people["cases"].items():
            if standing not in DEFAULT_KIND:
                continue
            user = session.get(User, user_id)
            assert user is not None
            # The REST path (RoomService) and the live rooms (a connection's standing).
            kind = default_kind(user, guest=standing is Standing.GUEST)
            conn = Connection(user_id, guest=standing is Standing.GUEST, staff=user.is_staff)
            assert kind == DEFAULT_KIND[_standing(conn)] == DEFAULT_KIND[standing], who
            assert posting.verdict(standing, kind) == posting.ALLOWED, who

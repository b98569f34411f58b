"""Capture in the workflow and reuse (issue 14, items 2 and 6): a draft from a resolved ticket's
swarm, credited to who did the work and linked as its source; articles that helped linked on
resolve; the article_linked / article_published events (staff-only); the "still accurate?" flag;
and similar resolved tickets and articles for the ticket page."""

from __future__ import annotations

import doctest
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import swarm.knowledge.capture
import swarm.knowledge.similar
from swarm.clock import FakeClock
from swarm.events import Audience, view
from swarm.knowledge.freshness import Staleness
from swarm.knowledge.service import KnowledgeService
from swarm.models import ArticleCheck, ArticleTicketLink, Skill, TicketEvent, TicketSkill, User
from swarm.tickets.errors import Conflict, Forbidden, IllegalTransition, Invalid, NotFound
from swarm.tickets.notify import RecordingNotifier
from swarm.tickets.rooms import RoomService
from swarm.tickets.service import TicketService
from tests.builders import make_agent, make_manager, make_ticket, make_user


@pytest.fixture
def kb(session: Session, clock: FakeClock) -> KnowledgeService:
    return KnowledgeService(session, clock, Staleness(reuses=3, months=6))


@pytest.fixture
def tickets(session: Session, clock: FakeClock) -> TicketService:
    return TicketService(session, clock, RecordingNotifier())


@pytest.fixture
def rooms(session: Session, clock: FakeClock) -> RoomService:
    return RoomService(session, clock, RecordingNotifier(), invitation_ttl=timedelta(minutes=10))


@pytest.fixture
def owner(session, clock) -> User:
    return make_agent(session, clock, name="Olga Owner")


@pytest.fixture
def helper(session, clock) -> User:
    return make_agent(session, clock, name="Hal Helper")


@pytest.fixture
def lead(session, clock) -> User:
    return make_manager(session, clock, name="Max Lead")


@pytest.fixture
def requester(session, clock) -> User:
    return make_user(session, clock, name="Rita Requester")


def events_of(session: Session, ticket_id: int, type_: str) -> list[TicketEvent]:
    return list(
        session.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket_id, TicketEvent.type == type_)
            .order_by(TicketEvent.id)
        )
    )


def resolved_swarm(tickets, rooms, owner, helper, requester, clock, **kw):
    """A ticket the owner resolved after the helper and the owner wrote solution messages."""
    ticket = make_ticket(tickets, requester, **kw)
    tickets.claim(owner, ticket.id)
    rooms.send_message(helper, ticket.id, "Seen it: the MTU is 1500 on that gateway.", "c1", "chat")
    clock.advance(seconds=30)
    rooms.send_message(
        helper, ticket.id, "Set the MTU to **1400** in the client.", "s1", "solution"
    )
    clock.advance(seconds=30)
    rooms.send_message(owner, ticket.id, "Confirmed with the requester.", "s2", "solution")
    tickets.resolve(owner, ticket.id, "Lowered the VPN client's MTU to 1400.")
    return ticket


def test_the_assembly_doctests_hold():
    for module in (swarm.knowledge.capture, swarm.knowledge.similar):
        assert doctest.testmod(module).failed == 0


def test_a_draft_from_a_resolved_swarm_is_credited_and_linked_as_source(
    kb, tickets, rooms, owner, helper, lead, requester, clock, session
):
    ticket = resolved_swarm(tickets, rooms, owner, helper, requester, clock)
    article = kb.draft_from_ticket(lead, ticket.id)
    assert (article.state, article.visibility, article.author_id) == ("draft", "internal", lead.id)
    assert article.title == ticket.subject
    body = article.body
    assert "Lowered the VPN client's MTU to 1400." in body
    assert "> Set the MTU to **1400** in the client." in body and "— Hal Helper" in body
    assert "Confirmed with the requester." in body
    assert "Seen it" not in body  # chat is not a solution
    assert body.index("Set the MTU") < body.index("Confirmed with")
    assert [(c.user_id, c.role) for c in article.contributors] == [
        (owner.id, "owner"),
        (helper.id, "helper"),
    ]
    [v1] = kb.versions(lead, article.id)
    assert v1.body == body
    [link] = kb.links(lead, article.id)
    assert (link.ticket_id, link.kind, link.linked_by) == (ticket.id, "source", lead.id)
    [event] = events_of(session, ticket.id, "article_linked")
    assert event.data == {"article_id": article.id, "kind": "source"}
    assert event.actor_id == lead.id
    assert kb.captured_from(ticket.id).id == article.id


def test_a_draft_needs_a_resolved_ticket_staff_and_only_one_live_article(
    kb, tickets, rooms, owner, helper, lead, requester, clock, session
):
    other = make_user(session, clock, name="Otto Other")
    open_ticket = make_ticket(tickets, requester)
    with pytest.raises(IllegalTransition):
        kb.draft_from_ticket(owner, open_ticket.id)
    ticket = resolved_swarm(tickets, rooms, owner, helper, requester, clock)
    with pytest.raises(Forbidden):
        kb.draft_from_ticket(requester, ticket.id)  # their own ticket: not theirs to draft
    with pytest.raises(NotFound):
        kb.draft_from_ticket(other, ticket.id)  # another's ticket does not exist for them
    with pytest.raises(NotFound):
        kb.draft_from_ticket(owner, 999_999)
    first = kb.draft_from_ticket(owner, ticket.id)
    with pytest.raises(Conflict, match=f"article {first.id}"):
        kb.draft_from_ticket(helper, ticket.id)
    assert len(kb.links(owner, first.id)) == 1
    kb.archive(owner, first.id)
    second = kb.draft_from_ticket(helper, ticket.id)
    assert second.id != first.id


def test_publishing_a_captured_article_is_an_event_on_its_source_ticket(
    kb, tickets, rooms, owner, helper, lead, requester, clock, session
):
    ticket = resolved_swarm(tickets, rooms, owner, helper, requester, clock)
    article = kb.draft_from_ticket(owner, ticket.id)
    kb.submit(owner, article.id)
    clock.advance(hours=2)
    kb.publish(helper, article.id, article.version)
    [event] = events_of(session, ticket.id, "article_published")
    assert event.data == {"article_id": article.id, "version": 1}
    assert (event.actor_id, event.at) == (helper.id, clock.now())
    # Written from nothing, an article has no source ticket and no event.
    loose = kb.create(owner, title="Printers", body="Tray B.")
    kb.publish(lead, loose.id)
    assert (
        len(
            session.scalars(
                select(TicketEvent).where(TicketEvent.type == "article_published")
            ).all()
        )
        == 1
    )
    # Both events are staff-only: requesters and guests have no view of them.
    for type_, data in (("article_published", event.data), ("article_linked", {"article_id": 1})):
        assert view(type_, data, Audience.REQUESTER) is None
        assert view(type_, data, Audience.GUEST) is None
        assert view(type_, data, Audience.STAFF) == data


def published(kb, author, lead, title="VPN drops", body="Lower the MTU.", visibility="internal"):
    article = kb.create(author, title=title, body=body, visibility=visibility)
    return kb.publish(lead, article.id)


def test_articles_that_helped_are_linked_on_resolve_in_the_same_transaction(
    kb, tickets, owner, lead, requester, session
):
    article = published(kb, owner, lead)
    draft = kb.create(owner, title="Unreviewed", body="x")
    ticket = make_ticket(tickets, requester)
    tickets.claim(owner, ticket.id)
    with pytest.raises(Invalid) as refused:
        tickets.resolve(owner, ticket.id, "MTU", articles=[article.id, draft.id])
    assert refused.value.fields == {"articles": [f"No published article {draft.id}."]}
    session.expire_all()
    assert tickets.get(owner, ticket.id).status == "open"  # nothing half-stored
    assert session.scalars(select(ArticleTicketLink)).all() == []
    tickets.resolve(owner, ticket.id, "MTU", articles=[article.id, article.id])
    [link] = kb.links(owner, article.id)
    assert (link.ticket_id, link.kind, link.linked_by) == (ticket.id, "resolved", owner.id)
    [event] = events_of(session, ticket.id, "article_linked")
    assert event.data == {"article_id": article.id, "kind": "resolved"}
    published_types = [e["type"] for e in tickets.notifier.published]
    assert "article_linked" in published_types  # to the staff room, after commit


def test_a_reused_article_asks_still_accurate_and_confirming_clears_it(
    kb, tickets, owner, helper, lead, requester, clock, session
):
    article = published(kb, owner, lead)
    for n in range(3):
        t = make_ticket(tickets, requester, subject=f"VPN {n}")
        tickets.claim(owner, t.id)
        clock.advance(minutes=1)
        state = kb.freshness(owner, [article.id])[article.id]
        assert (state.flagged, state.reuses) == (False, n)
        tickets.resolve(owner, t.id, "MTU", articles=[article.id])
    state = kb.freshness(owner, [article.id])[article.id]
    assert (state.flagged, state.reason, state.reuses) == (True, "reuses", 3)
    assert kb.freshness(requester, [article.id]) == {}  # staff-only
    clock.advance(minutes=5)
    kb.confirm(helper, article.id)
    [check] = session.scalars(select(ArticleCheck)).all()
    assert (check.checked_by, check.reason, check.version, check.at) == (
        helper.id,
        "reuses",
        1,
        clock.now(),
    )
    state = kb.freshness(owner, [article.id])[article.id]
    assert (state.flagged, state.reuses, state.reviewed_at) == (False, 0, clock.now())


def test_an_article_nobody_reviewed_for_months_is_flagged(kb, owner, lead, requester, clock):
    article = published(kb, owner, lead)
    clock.advance(days=6 * 30 - 1)
    assert not kb.freshness(owner, [article.id])[article.id].flagged
    clock.advance(days=1)
    assert kb.freshness(owner, [article.id])[article.id].reason == "age"
    kb.confirm(owner, article.id)
    assert not kb.freshness(owner, [article.id])[article.id].flagged
    draft = kb.create(owner, title="Draft", body="x")
    assert draft.id not in kb.freshness(owner, [draft.id])
    with pytest.raises(IllegalTransition):
        kb.confirm(owner, draft.id)
    with pytest.raises(Forbidden):
        kb.confirm(requester, article.id)


def test_the_knowledge_around_a_ticket(kb, tickets, owner, lead, requester, session, clock):
    vpn = Skill(name="VPN")
    printing = Skill(name="Printing")
    session.add_all([vpn, printing])
    session.commit()

    def done(subject, skill, article=None):
        t = make_ticket(tickets, requester, subject=subject, body=subject)
        session.add(TicketSkill(ticket_id=t.id, skill_id=skill.id, weight=1.0))
        session.commit()
        tickets.claim(owner, t.id)
        tickets.resolve(owner, t.id, f"Fixed {subject}", articles=[article] if article else [])
        return t

    article = published(kb, owner, lead, title="VPN disconnects", body="Lower the MTU of the VPN.")
    internal_draft = kb.create(owner, title="VPN draft", body="VPN MTU unreviewed")
    alike = done("VPN disconnects every hour", vpn, article.id)
    other = done("Printer jams on tray B", printing)
    still_open = make_ticket(tickets, requester, subject="VPN disconnects again")
    shown = make_ticket(tickets, requester, subject="VPN disconnects at home", body="VPN drops")
    session.add(TicketSkill(ticket_id=shown.id, skill_id=vpn.id, weight=1.0))
    session.commit()
    around = kb.around_ticket(owner, shown.id)
    assert [t.ticket_id for t in around.similar] == [alike.id]
    assert around.similar[0].article_ids == (article.id,)
    assert other.id not in [t.ticket_id for t in around.similar]
    assert still_open.id not in [t.ticket_id for t in around.similar]
    assert [f.article.id for f in around.articles] == [article.id]  # published only
    assert internal_draft.id not in [f.article.id for f in around.articles]
    assert around.linked == [] and around.captured is None
    with pytest.raises(Forbidden):
        kb.around_ticket(requester, shown.id)
    with pytest.raises(NotFound):
        kb.around_ticket(make_user(session, clock, name="Otto"), shown.id)

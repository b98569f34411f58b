"""New or known on a real session: a ticket matching a published article is classified known
(a staff-only ``classified`` event naming the article) and routed as its mode says — the best
owner in swarming, Tier 1 in tiered mode with the article offered to the requester — and any
other ticket is new."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from swarm.clock import FakeClock
from swarm.dispatch.caches import RoutingCaches
from swarm.dispatch.service import RoutingService
from swarm.events import Audience, view
from swarm.knowledge.known import THRESHOLD, classify
from swarm.knowledge.portal import PortalService
from swarm.models import AgentSkill, Article, Skill, TicketEvent, User
from swarm.models.knowledge import ArticleState, Visibility
from swarm.tickets.notify import RecordingNotifier
from tests.builders import make_agent, make_user

MTU = "VPN drops every few minutes"
MTU_BODY = "## Resolution\n\nThe home router's MTU was too high: lowered the VPN MTU to 1380."


def publish(session: Session, clock: FakeClock, author: User, title: str, body: str, **kw) -> int:
    now = clock.now()
    article = Article(
        title=title,
        body=body,
        visibility=kw.get("visibility", Visibility.PUBLIC),
        state=kw.get("state", ArticleState.PUBLISHED),
        author_id=author.id,
        created_at=now,
        updated_at=now,
        published_at=now,
        version=1,
    )
    session.add(article)
    session.commit()
    return article.id


@pytest.fixture
def org(session: Session, clock: FakeClock):
    vpn = Skill(name="VPN", aliases=["AnyConnect"], description="")
    session.add(vpn)
    session.commit()
    vera = make_agent(session, clock, name="Vera VPN")
    session.add(AgentSkill(user_id=vera.id, skill_id=vpn.id, proficiency=5, wants_to_learn=False))
    session.commit()
    article = publish(session, clock, vera, MTU, MTU_BODY)
    publish(session, clock, vera, "Printer jams on tray 2", "Open tray 2 and remove the paper.")
    return {"vera": vera, "requester": make_user(session, clock, name="Rita"), "mtu": article}


@pytest.fixture
def routing(session: Session, clock: FakeClock, notifier: RecordingNotifier) -> RoutingService:
    return RoutingService(session, clock, notifier, RoutingCaches())


def classified(session: Session, ticket_id: int) -> TicketEvent:
    return session.scalars(
        select(TicketEvent).where(
            TicketEvent.ticket_id == ticket_id, TicketEvent.type == "classified"
        )
    ).one()


KNOWN = ("VPN drops every few minutes", "Since this morning my VPN drops every few minutes.")
NEW = ("Outlook calendar shows the wrong time zone", "Meetings appear an hour late.")


def test_a_known_issue_in_swarming_goes_to_the_best_owner_with_the_article(routing, org, session):
    ticket = routing.open_ticket(org["requester"], subject=KNOWN[0], body=KNOWN[1], mode="swarm")
    fact = classified(session, ticket.id)
    assert fact.data["kind"] == "known" and fact.data["article_id"] == org["mtu"]
    assert fact.data["score"] >= THRESHOLD and fact.data["threshold"] == THRESHOLD
    assert ticket.owner_id == org["vera"].id
    # Staff-only: the requester's view of the event log has nothing of it.
    assert view("classified", fact.data, Audience.REQUESTER) is None
    assert view("classified", fact.data, Audience.GUEST) is None
    # Attached for the owner, not offered to the requester: swarming answers it.
    assert PortalService(session, routing.clock).ticket_articles(ticket) == []


def test_a_known_issue_in_tiered_mode_stays_in_tier_1_with_the_article_offered(
    routing, org, session
):
    ticket = routing.open_ticket(org["requester"], subject=KNOWN[0], body=KNOWN[1], mode="tiered")
    assert classified(session, ticket.id).data["article_id"] == org["mtu"]
    assert ticket.tier == 1
    offered = PortalService(session, routing.clock).ticket_articles(ticket)
    assert [(a.article.id, a.why) for a in offered] == [(org["mtu"], "offered")]


@pytest.mark.parametrize("mode", ["swarm", "tiered"])
def test_a_new_issue_is_classified_new_and_offers_nothing(routing, org, session, mode):
    ticket = routing.open_ticket(org["requester"], subject=NEW[0], body=NEW[1], mode=mode)
    fact = classified(session, ticket.id)
    assert fact.data["kind"] == "new" and "article_id" not in fact.data
    assert fact.data["score"] < THRESHOLD
    assert PortalService(session, routing.clock).ticket_articles(ticket) == []


def test_an_internal_article_is_attached_but_never_offered_to_the_requester(
    routing, org, session, clock
):
    session.get(Article, org["mtu"]).visibility = Visibility.INTERNAL
    session.commit()
    ticket = routing.open_ticket(org["requester"], subject=KNOWN[0], body=KNOWN[1], mode="tiered")
    assert classified(session, ticket.id).data["kind"] == "known"
    assert PortalService(session, clock).ticket_articles(ticket) == []


def test_drafts_and_archived_articles_do_not_make_a_ticket_known(session, org, clock):
    article = session.get(Article, org["mtu"])
    article.state = ArticleState.ARCHIVED
    session.commit()
    assert classify(session, *KNOWN).kind == "new"


def test_without_any_published_article_no_verdict_is_recorded(routing, session, clock):
    requester = make_user(session, clock, name="Rita")
    ticket = routing.open_ticket(requester, subject=KNOWN[0], body=KNOWN[1], mode="swarm")
    types = session.scalars(
        select(TicketEvent.type).where(TicketEvent.ticket_id == ticket.id)
    ).all()
    assert "classified" not in types

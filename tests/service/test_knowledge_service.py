"""Knowledge-base use cases: drafts, versions and diffs, concurrent edits (the second gets a
conflict and nothing is lost), the review rule, who may read, limits, and links to tickets."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from swarm.clock import FakeClock
from swarm.db import make_engine, make_session_factory
from swarm.knowledge.service import KnowledgeService
from swarm.migrate import upgrade
from swarm.models import Article, ArticleVersion, User
from swarm.tickets.errors import Conflict, Forbidden, IllegalTransition, Invalid, NotFound, TooLarge
from swarm.tickets.notify import RecordingNotifier
from swarm.tickets.service import TicketService
from tests.builders import make_agent, make_manager, make_ticket, make_user
from tests.conftest import START
from tests.integration.conftest import _reset_postgres


@pytest.fixture
def kb(session: Session, clock: FakeClock) -> KnowledgeService:
    return KnowledgeService(session, clock)


@pytest.fixture
def author(session: Session, clock: FakeClock) -> User:
    return make_agent(session, clock, name="Ada Author")


@pytest.fixture
def colleague(session: Session, clock: FakeClock) -> User:
    return make_agent(session, clock, name="Cole Colleague")


@pytest.fixture
def lead(session: Session, clock: FakeClock) -> User:
    return make_manager(session, clock, name="Max Lead")


@pytest.fixture
def requester(session: Session, clock: FakeClock) -> User:
    return make_user(session, clock, name="Rita Requester")


def versions_of(session: Session, article_id: int) -> int:
    return int(
        session.scalar(select(func.count()).where(ArticleVersion.article_id == article_id)) or 0
    )


def test_a_new_article_is_a_draft_at_version_one(kb, author, session):
    article = kb.create(
        author, title="  VPN   drops ", body="Lower the MTU.\x00", category="Network"
    )
    assert (article.state, article.version, article.title, article.body) == (
        "draft",
        1,
        "VPN drops",
        "Lower the MTU.",
    )
    assert article.visibility == "internal" and article.author_id == author.id
    [v1] = kb.versions(author, article.id)
    assert (v1.number, v1.title, v1.author_id) == (1, "VPN drops", author.id)


def test_each_save_is_a_version_and_diffs_say_what_changed(kb, author, colleague, clock):
    article = kb.create(author, title="VPN", body="Step one.\nStep two.\n")
    clock.advance(seconds=60)
    kb.update(colleague, article.id, 1, {"body": "Step one.\nStep 2, better.\n"})
    kb.update(author, article.id, 2, {"title": "VPN drops", "visibility": "public"})
    versions = kb.versions(author, article.id)
    assert [(v.number, v.author_id) for v in versions] == [
        (1, author.id),
        (2, colleague.id),
        (3, author.id),
    ]
    diff = kb.diff(author, article.id, 1, 2)
    assert "-Step two.\n+Step 2, better.\n" in diff.body and diff.title == ""
    later = kb.diff(author, article.id, 2, 3)
    assert "-VPN\n+VPN drops\n" in later.title and later.visibility_changed
    with pytest.raises(NotFound):
        kb.diff(author, article.id, 1, 9)


def test_a_stale_edit_is_refused_and_changes_nothing(kb, author, colleague, session):
    article = kb.create(author, title="VPN", body="Mine.")
    kb.update(author, article.id, 1, {"body": "Author's text."})
    with pytest.raises(Conflict, match="version 2, not 1"):
        kb.update(colleague, article.id, 1, {"body": "Colleague's text."})
    assert kb.get(author, article.id).body == "Author's text."
    assert versions_of(session, article.id) == 2


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        url: str = request.getfixturevalue("pg_url")
        _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path / 'kb.db'}"
    upgrade(url)
    return url


def test_two_people_editing_at_once_the_second_gets_a_conflict(database_url: str):
    """Two sessions (two requests) load version 1; the first save wins, the second is told,
    and the first one's text is what the article holds."""
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    clock = FakeClock(START)
    with factory() as setup:
        one = make_agent(setup, clock, name="One")
        two = make_agent(setup, clock, name="Two")
        article = KnowledgeService(setup, clock).create(one, title="VPN", body="v1")
    with factory() as first, factory() as second:
        a = KnowledgeService(first, clock)
        b = KnowledgeService(second, clock)
        seen_a = a.get(one, article.id).version
        seen_b = b.get(two, article.id).version
        first.commit()
        second.commit()
        a.update(one, article.id, seen_a, {"body": "first"})
        with pytest.raises(Conflict):
            b.update(two, article.id, seen_b, {"body": "second"})
    with factory() as check:
        assert check.get(Article, article.id).body == "first"  # type: ignore[union-attr]
        assert versions_of(check, article.id) == 2
    engine.dispose()


def test_publishing_needs_a_reviewer_other_than_the_author(kb, author, colleague, lead):
    article = kb.create(author, title="VPN", body="Lower the MTU.", visibility="public")
    with pytest.raises(IllegalTransition, match="review first"):
        kb.publish(colleague, article.id)
    kb.submit(author, article.id)
    with pytest.raises(Forbidden, match="reviewer other than its author"):
        kb.publish(author, article.id)
    with pytest.raises(Conflict):
        kb.publish(colleague, article.id, version=7)
    published = kb.publish(colleague, article.id, version=1)
    assert published.state == "published" and published.published_at is not None
    assert [(r.reviewer_id, r.version) for r in published.reviews] == [(colleague.id, 1)]
    with pytest.raises(IllegalTransition):
        kb.submit(author, article.id)


def test_a_manager_may_publish_their_own_draft_and_bring_back_an_archived_one(kb, lead):
    article = kb.create(lead, title="Known issue", body="Fixed in 4.2.")
    assert kb.publish(lead, article.id).state == "published"
    assert kb.archive(lead, article.id).state == "archived"
    assert kb.publish(lead, article.id).state == "published"


def test_requesters_read_published_public_articles_only(kb, author, lead, requester):
    public = kb.create(author, title="Public", body="x", visibility="public")
    internal = kb.create(author, title="Internal", body="x", visibility="internal")
    for article in (public, internal):
        with pytest.raises(NotFound):
            kb.get(requester, article.id)  # drafts do not exist for them
        kb.publish(lead, article.id)
    assert kb.get(requester, public.id).title == "Public"
    with pytest.raises(NotFound):
        kb.get(requester, internal.id)
    for staff_only in (kb.versions, kb.links):
        with pytest.raises(NotFound):
            staff_only(requester, public.id)
    kb.archive(lead, public.id)
    with pytest.raises(NotFound):
        kb.get(requester, public.id)


def test_requesters_write_nothing(kb, author, requester):
    article = kb.create(author, title="VPN", body="x")
    with pytest.raises(Forbidden):
        kb.create(requester, title="Mine", body="x")
    with pytest.raises(Forbidden):
        kb.update(requester, article.id, 1, {"body": "y"})
    for change in (kb.submit, kb.publish, kb.archive, kb.delete):
        with pytest.raises(Forbidden):
            change(requester, article.id)


def test_who_may_delete(kb, author, colleague, lead, session):
    draft = kb.create(author, title="Draft", body="x")
    with pytest.raises(Forbidden):
        kb.delete(colleague, draft.id)
    kb.delete(author, draft.id)
    article = kb.create(author, title="Published", body="x")
    kb.publish(lead, article.id)
    with pytest.raises(Forbidden, match="archive it instead"):
        kb.delete(author, article.id)
    kb.delete(lead, article.id)
    assert session.scalar(select(func.count()).select_from(ArticleVersion)) == 0


@pytest.mark.parametrize(
    ("fields", "error", "says"),
    [
        ({"title": "   "}, Invalid, "needs a title"),
        ({"title": "x" * 201}, Invalid, "at most 200 characters"),
        ({"body": "x" * (100 * 1024 + 1)}, TooLarge, "at most 100 KB"),
        ({"visibility": "secret"}, Invalid, "internal' or 'public"),
        ({"category": "c" * 81}, Invalid, "at most 80"),
        ({"skills": [999]}, Invalid, "no skill 999"),
    ],
)
def test_limits_are_refused_with_a_sentence(kb, author, fields, error, says):
    values = {"title": "VPN", "body": "x", **fields}
    with pytest.raises(error, match=says):
        kb.create(author, **values)


def test_a_body_of_exactly_the_limit_is_accepted(kb, author):
    assert kb.create(author, title="Big", body="x" * 100 * 1024).id


def test_links_to_tickets_record_source_and_reuse_once_each(kb, author, session, clock, requester):
    tickets = TicketService(session, clock, RecordingNotifier())
    ticket = make_ticket(tickets, requester)
    article = kb.create(author, title="VPN", body="x")
    source = kb.link_ticket(author, article.id, ticket.id, "source")
    again = kb.link_ticket(author, article.id, ticket.id, "source")
    reuse = kb.link_ticket(author, article.id, ticket.id, "resolved")
    assert again.id == source.id and reuse.id != source.id
    assert [(link.kind, link.linked_by) for link in kb.links(author, article.id)] == [
        ("source", author.id),
        ("resolved", author.id),
    ]
    with pytest.raises(Invalid):
        kb.link_ticket(author, article.id, ticket.id, "mentioned")
    with pytest.raises(NotFound):
        kb.link_ticket(author, article.id, 999, "resolved")

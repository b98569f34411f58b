"""Article search on both engines: SQLite FTS5 (tables made by ``create_all``) and PostgreSQL
(made by the migrations). Ranked, highlighted, prefix-as-you-type, kept in step with edits,
filtered by who asks — and no query a person can type breaks it."""

from __future__ import annotations

import doctest
from collections.abc import Iterator

import pytest
from sqlalchemy import insert, text
from sqlalchemy.orm import Session

import swarm.knowledge.render
import swarm.knowledge.search
import swarm.models
from swarm.clock import FakeClock
from swarm.db import make_engine, make_session_factory
from swarm.knowledge.search import (
    PUBLIC,
    STAFF,
    Match,
    PostgresSearch,
    Scope,
    gin_only,
    parse_query,
    search,
)
from swarm.knowledge.service import KnowledgeService
from swarm.migrate import upgrade
from swarm.models import Article, User
from tests.builders import make_agent, make_manager
from tests.conftest import START
from tests.integration.conftest import _reset_postgres
from tests.service.search_databases import HOSTILE, both_databases  # noqa: F401 - the fixture ``engine``


@pytest.fixture
def kb(session: Session) -> KnowledgeService:
    return KnowledgeService(session, FakeClock(START))


@pytest.fixture
def author(session: Session) -> User:
    return make_agent(session, FakeClock(START), name="Ada Author")


@pytest.fixture
def lead(session: Session) -> User:
    return make_manager(session, FakeClock(START), name="Max Lead")


def published(
    kb: KnowledgeService, author: User, lead: User, title: str, body: str, **kw: str
) -> Article:
    article = kb.create(author, title=title, body=body, visibility=kw.get("visibility", "public"))
    return kb.publish(lead, article.id)


def found(session: Session, q: str, scope: Scope = PUBLIC, **kw: object) -> list[str]:
    hits = search(session, q, scope, **kw)  # type: ignore[arg-type]
    return [session.get(Article, hit.article_id).title for hit in hits]  # type: ignore[union-attr]


def test_finds_articles_by_their_words_title_matches_first(session, kb, author, lead):
    published(kb, author, lead, "Printer jams on floor two", "Open tray B and pull the sheet.")
    published(kb, author, lead, "Toner", "When the printer says toner low, shake the cartridge.")
    published(kb, author, lead, "VPN drops", "Lower the MTU to 1380.")
    assert found(session, "printer") == ["Printer jams on floor two", "Toner"]
    assert found(session, "PRINTER toner") == ["Toner"]  # every word must occur
    assert found(session, "mtu") == ["VPN drops"]
    assert found(session, "nothing-like-this") == []


def test_the_last_word_is_a_prefix_while_typing(session, kb, author, lead):
    published(kb, author, lead, "Printer jams", "Open tray B.")
    published(kb, author, lead, "Privacy screen", "Ask facilities.")
    assert sorted(found(session, "pri")) == ["Printer jams", "Privacy screen"]
    assert found(session, "prin") == ["Printer jams"]
    assert found(session, "jams tr") == ["Printer jams"]
    assert found(session, "pri ") == []  # a finished word is matched whole
    assert parse_query("p").prefix is False  # one letter would match half the index


def test_snippets_are_escaped_and_only_mark_is_markup(session, kb, author, lead):
    body = 'If <script>alert("x")</script> appears, the VPN client is outdated & must go.'
    published(kb, author, lead, "VPN <b>client</b>", body)
    [hit] = search(session, "vpn", PUBLIC)
    assert "<mark>" in hit.snippet_html and "<mark>VPN</mark>" in hit.title_html
    for html in (hit.snippet_html, hit.title_html):
        stripped = html.replace("<mark>", "").replace("</mark>", "")
        assert "<" not in stripped and ">" not in stripped.replace("&gt;", "")
    # PostgreSQL's headline leaves tags out, SQLite's keeps them as text: either way, inert.
    assert "<script" not in hit.snippet_html and "&amp;" in hit.snippet_html
    assert hit.title_html == "<mark>VPN</mark> &lt;b&gt;client&lt;/b&gt;"


def test_snippets_quote_the_text_a_reader_sees_not_the_markdown(session, kb, author, lead):
    body = (
        "## Steps\n\nRestart the **laptop**, then read [the guide](https://wiki.example/x) "
        "and run `ipconfig /flushdns`.\n\n- *Unplug* the dock\n- Type "
        "`<img src=x onerror=alert(1)>` if asked"
    )
    published(kb, author, lead, "Docking station", body)
    [hit] = search(session, "laptop", PUBLIC)
    assert "<mark>laptop</mark>" in hit.snippet_html
    for markup in ("**", "##", "](", "`", "wiki.example", "- *"):
        assert markup not in hit.snippet_html, markup
    [hit] = search(session, "asked", PUBLIC)  # the typed HTML is text, escaped (or dropped)
    assert "<mark>asked</mark>" in hit.snippet_html and "<img" not in hit.snippet_html
    assert found(session, "guide") == ["Docking station"]  # a link's text is text
    assert found(session, "wiki") == []  # its target is not


def test_no_typed_query_breaks_search(session, kb, author, lead):
    published(kb, author, lead, "VPN drops", "The VPN drops: lower the MTU.")
    for q in HOSTILE:
        for match in Match:
            hits = search(session, q, STAFF, match=match)
            assert all(hit.article_id for hit in hits), q
    assert found(session, "vpn*") == found(session, '"vpn"') == ["VPN drops"]
    assert found(session, "") == found(session, "((( * )") == []


def test_operators_are_words_not_syntax(session, kb, author, lead):
    published(kb, author, lead, "VPN drops", "Lower the MTU.")
    published(kb, author, lead, "Near the window", "Wi-Fi is weak near the window.")
    assert found(session, "near") == ["Near the window"]
    assert found(session, '"vpn') == ["VPN drops"]
    assert found(session, "vpn OR window") == []  # OR is a word here, and no article has it
    for half_typed in ("sco", "scope", "blo", "block"):  # no article has a word like these:
        assert found(session, half_typed, STAFF) == []  # nor does PostgreSQL's scope lexeme


def test_requesters_see_published_public_articles_only(session, kb, author, lead):
    published(kb, author, lead, "Reset VPN token (public)", "vpn token")
    published(kb, author, lead, "Reset VPN token (internal)", "vpn token", visibility="internal")
    kb.create(author, title="VPN token draft", body="vpn token", visibility="public")
    old = published(kb, author, lead, "VPN token archived", "vpn token")
    kb.archive(lead, old.id)
    assert found(session, "vpn token") == ["Reset VPN token (public)"]
    staff = found(session, "vpn token", STAFF)
    assert sorted(staff) == [
        "Reset VPN token (internal)",
        "Reset VPN token (public)",
        "VPN token draft",
    ]


def test_the_index_follows_edits_and_deletes(session, kb, author, lead):
    article = published(kb, author, lead, "Printer", "Pull the paper tray.")
    kb.update(author, article.id, article.version, {"body": "Reseat the toner cartridge."})
    assert found(session, "tray") == []
    assert found(session, "cartridge") == ["Printer"]
    kb.update(author, article.id, article.version, {"title": "Laser printer"})
    assert found(session, "laser") == ["Laser printer"]
    kb.delete(lead, article.id)
    assert found(session, "printer") == []


def test_suggestions_match_any_words_of_a_long_text(session, kb, author, lead):
    published(kb, author, lead, "VPN drops every few minutes", "Lower the MTU to 1380.")
    published(kb, author, lead, "Printer jams", "Open tray B.")
    text = "Hello, since this morning my VPN keeps dropping and I cannot work. Thanks!"
    assert [f.article.title for f in kb.suggest(author, text)] == ["VPN drops every few minutes"]
    assert kb.suggest(author, "the and of to, please!") == []


def test_suggestions_rank_every_match_of_a_rare_word_however_old(session, kb, author, lead):
    """A ticket's rare word finds its article behind a thousand newer ones that share only a
    common word with the ticket: suggestions are not the newest 1,000 matches' best."""
    old = published(kb, author, lead, "Toner smears on every page", "Shake the toner.")
    session.execute(
        insert(Article),
        [
            {"title": f"Printer note {n}", "body": "printer paper", "body_text": "printer paper",
             "state": "published", "visibility": "public", "author_id": author.id,
             "created_at": START, "updated_at": START, "version": 1}
            for n in range(swarm.knowledge.search.CANDIDATES)
        ],
    )  # fmt: skip
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE article_search"))  # the words' counts come from it
    text_ = "Our printer leaves toner smears on every page since Monday"
    [first, *_] = kb.suggest(author, text_)
    assert first.article.id == old.id
    assert len(found(session, "printer", limit=5)) == 5  # the newer ones are there


def test_ranking_and_paging_are_stable(session, kb, author, lead):
    for n in range(5):
        published(kb, author, lead, f"Note {n}", "vpn " * (n + 1))
    first = found(session, "vpn", limit=2)
    second = found(session, "vpn", limit=2, offset=2)
    assert len(first) == 2 and len(second) == 2 and not set(first) & set(second)


@pytest.mark.parametrize("module", [swarm.knowledge.search, swarm.knowledge.render])
def test_docstring_examples_hold(module):
    assert doctest.testmod(module, optionflags=doctest.ELLIPSIS).failed == 0


def test_past_the_candidate_bound_the_newest_matches_are_ranked(
    session, kb, author, lead, monkeypatch
):
    monkeypatch.setattr(swarm.knowledge.search, "CANDIDATES", 3)
    for n in range(6):
        published(kb, author, lead, f"Printer {n}", "printer " * (6 - n))
    assert sorted(found(session, "printer")) == ["Printer 3", "Printer 4", "Printer 5"]
    published(kb, author, lead, "Toner", "printer toner")
    assert found(session, "toner") == ["Toner"]  # a rarer word: every match ranked


def _plan_nodes(plan: dict[str, object]) -> Iterator[dict[str, object]]:
    yield plan
    for child in plan.get("Plans", []):  # type: ignore[attr-defined]
        yield from _plan_nodes(child)


@pytest.mark.parametrize("words", ["printer", "printer toner", "pri", "zebra"])
@pytest.mark.parametrize("scope", [PUBLIC, STAFF], ids=["public", "staff"])
def test_postgres_finds_candidates_on_the_gin_index_whatever_the_word(pg_url, words, scope):
    """The plan the bench's figures depend on: the matches in scope come from the GIN index
    of the narrow table (scope included), never from a scan that reads each row's vector —
    not even for a word in every article, where a backward scan by id with a filter looks
    cheap to the planner and reads the whole table."""
    _reset_postgres(pg_url)
    upgrade(pg_url)
    eng = make_engine(pg_url)
    with eng.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (email, name, role, active, created_at) "
                "VALUES ('a@example.test', 'A', 'agent', true, now())"
            )
        )
        conn.execute(
            text(
                "INSERT INTO articles (title, body_text, body, visibility, state, author_id, "
                "created_at, updated_at, version) SELECT 'Printer ' || i, 'printer toner ' || "
                "CASE WHEN i % 97 = 0 THEN 'zebra ' ELSE '' END || "
                "repeat(md5(i::text) || ' ', 40), '', "
                "CASE WHEN i % 7 = 0 THEN 'internal' ELSE 'public' END, "
                "CASE WHEN i % 11 = 0 THEN 'draft' ELSE 'published' END, "
                "(SELECT id FROM users), now(), now(), 1 FROM generate_series(1, 3000) AS i"
            )
        )
        conn.execute(text("ANALYZE"))
    query = parse_query(words)
    english, simple = PostgresSearch.tsquery_texts(query)
    params = {
        "english": english,
        "simple": simple,
        "found_english": english,
        "found_simple": simple,
        "scope": PostgresSearch.scope_tsquery(scope),
        "candidates": swarm.knowledge.search.CANDIDATES,
        "window": PostgresSearch.window_tsquery(3000, 1500),  # both scans are planned
        "limit": 10,
        "offset": 0,
        "options": PostgresSearch.HEADLINE_OPTIONS,
        "title_options": PostgresSearch.TITLE_OPTIONS,
        "snippet_chars": swarm.knowledge.search.SNIPPET_CHARS,
    }
    with make_session_factory(eng)() as session:
        with gin_only(session):
            [[plan]] = session.execute(
                text("EXPLAIN (FORMAT JSON) " + PostgresSearch.RANKED), params
            )
        restored = session.execute(text("SHOW enable_seqscan")).scalar()
        assert restored == session.execute(text("SHOW enable_indexscan")).scalar() == "on"
        found = search(session, words, scope)
    eng.dispose()
    nodes = list(_plan_nodes(plan[0]["Plan"]))
    assert any(
        n["Node Type"] == "Bitmap Index Scan" and n["Index Name"] == "ix_article_search_document"
        for n in nodes
    ), nodes
    for node in nodes:
        assert node["Node Type"] != "Seq Scan", node
        assert "@@" not in str(node.get("Filter", "")), node  # no vector read to find a match
    assert found  # and the statement finds what it plans for


def test_postgres_search_index_has_no_pending_list(pg_url):
    """Migration 0022: with GIN's ``fastupdate`` new vectors wait in a pending list that every
    search reads whole (407 pages on the benchmark's 50,000 articles)."""
    _reset_postgres(pg_url)
    upgrade(pg_url)
    eng = make_engine(pg_url)
    with eng.connect() as conn:
        options = conn.execute(
            text("SELECT reloptions FROM pg_class WHERE relname = 'ix_article_search_document'")
        ).scalar()
    eng.dispose()
    assert options == ["fastupdate=off"]

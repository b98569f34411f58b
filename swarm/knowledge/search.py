"""Full-text search over articles, behind one interface with two engines: SQLite FTS5 (the
embedded default) and PostgreSQL's text search (production). Both rank (BM25 / ``ts_rank_cd``),
both highlight, both match the last word of a query as a prefix while someone is typing.

What a person types never reaches either engine's query syntax: it is cut into words (letters
and digits), each word is quoted, and the engine's query is built from those words alone — so
quotes, ``*``, ``NEAR``, ``AND``, ``:``, ``!`` or unbalanced parentheses are just text, and a query
with no words finds nothing without asking the database. The visibility filter is part of the
same SQL statement as the match: there is no unfiltered result to forget to filter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from markupsafe import escape
from sqlalchemy import BindParameter, bindparam, text
from sqlalchemy.orm import Session

from swarm.models.knowledge import ArticleState, Visibility

MAX_TERMS = 16
# At most this many matches are ranked: when a query matches more (a common word, two letters
# typed), the most recently written CANDIDATES of them are, so that the cost of a search is
# bounded whatever the size of the knowledge base (docs/knowledge.md, "Search").
CANDIDATES = 1000
# On PostgreSQL the newest candidates are looked for among the newest WINDOW × CANDIDATES
# articles first: a word in more than one article in WINDOW (the words that make a search
# slow) finds them all there, without the index's other matches being read. Each vector
# holds the lexeme ``'#block <id // BLOCK>'`` for it (migration 0019).
WINDOW = 8
BLOCK = 1000
MAX_TERM_LENGTH = 64
# PostgreSQL's snippets are made from this many characters of a body's plain text at most:
# ``ts_headline`` parses all the text it is given, and a body may hold 100 KB.
SNIPPET_CHARS = 20_000
# Suggestions read a whole ticket: the words that say what it is about, not these.
_STOPWORDS = """a about after again all also am an and any are as at be been before being but by can
    cannot could did do does doing dont for from had has have having he her here hers him his
    how i if im in into is it its just me more most my no nor not now of off on once only or
    other our out over please same she should so some still such than thank thanks that the
    their them then there these they this those through to too under until up very was we
    were what when where which while who why will with would you your"""
STOPWORDS = frozenset(_STOPWORDS.split())
# Highlight markers: control characters, which clean_text removes from every stored article,
# so that in a snippet they can only come from the engine.
MARK_START, MARK_END = "\x02", "\x03"
_WORD = re.compile(r"\w+", re.UNICODE)


class Match(StrEnum):
    """``all``: every word must occur (a search box); ``any``: the more the better
    (suggestions from a ticket's text)."""

    ALL = "all"
    ANY = "any"


@dataclass(frozen=True)
class Scope:
    """Which articles a search may return: the states and visibilities allowed."""

    states: frozenset[str]
    visibilities: frozenset[str]


PUBLIC = Scope(frozenset({ArticleState.PUBLISHED}), frozenset({Visibility.PUBLIC}))
STAFF = Scope(
    frozenset({ArticleState.DRAFT, ArticleState.IN_REVIEW, ArticleState.PUBLISHED}),
    frozenset({Visibility.INTERNAL, Visibility.PUBLIC}),
)


@dataclass(frozen=True)
class Query:
    """A person's query as words; ``prefix``: the last word is still being typed."""

    terms: tuple[str, ...]
    prefix: bool
    match: Match


@dataclass(frozen=True)
class Hit:
    """One article found: its id, its score (higher is better, comparable within one
    search only) and its title and a snippet of its body as HTML — escaped text in which
    only ``<mark>`` elements are markup."""

    article_id: int
    score: float
    title_html: str
    snippet_html: str


def parse_query(raw: str, match: Match = Match.ALL) -> Query:
    """The words of ``raw``, lower-cased, at most ``MAX_TERMS``; the last is a prefix when
    ``raw`` does not end in a space and the word has two letters or more (one letter would
    match half the index). In ``any`` mode, stopwords and one-letter words are left out
    and each word counts once.

    >>> parse_query('VPN "drops" AND (wifi pri')
    Query(terms=('vpn', 'drops', 'and', 'wifi', 'pri'), prefix=True, match=<Match.ALL: 'all'>)
    """
    words = [w.lower()[:MAX_TERM_LENGTH] for w in _WORD.findall(raw.replace("_", " "))]
    if match is Match.ANY:
        words = list(dict.fromkeys(w for w in words if len(w) > 1 and w not in STOPWORDS))
        return Query(tuple(words[:MAX_TERMS]), False, match)
    words = words[:MAX_TERMS]
    typing = bool(words) and not raw[-1:].isspace() and len(words[-1]) >= 2
    return Query(tuple(words), typing, match)


def highlight_html(marked: str) -> str:
    """Escape ``marked`` and turn the engine's markers into ``<mark>`` elements, always
    balanced (a stray marker is dropped).

    >>> highlight_html("a <b> \\x02vpn\\x03 c")
    'a &lt;b&gt; <mark>vpn</mark> c'
    """
    out: list[str] = []
    open_ = False
    for part in re.split(f"([{MARK_START}{MARK_END}])", marked):
        if part == MARK_START and not open_:
            out.append("<mark>")
            open_ = True
        elif part == MARK_END and open_:
            out.append("</mark>")
            open_ = False
        elif part not in (MARK_START, MARK_END):
            out.append(str(escape(part)))
    if open_:
        out.append("</mark>")
    return "".join(out)


def selective(query: Query, matches: Mapping[str, float], bound: int) -> Query:
    """The words of an ``any`` query (suggestions) whose matches can all be ranked: the
    rarest first, as long as their estimated ``matches`` add up to ``bound`` at most — and
    at least the rarest one. An article that shares only common words with a ticket text is
    no suggestion; one that shares a rare word is, however old it is. Without estimates (or
    for ``all`` queries) the query is left as it is.

    >>> q = Query(("vpn", "drops", "mtu"), False, Match.ANY)
    >>> selective(q, {"vpn": 900, "drops": 40_000, "mtu": 40}, 1000).terms
    ('mtu', 'vpn')
    """
    if query.match is not Match.ANY or not matches:
        return query
    chosen: list[str] = []
    total = 0.0
    for term in sorted(query.terms, key=lambda t: (matches.get(t, 0.0), t)):
        total += matches.get(term, 0.0)
        if chosen and total > bound:
            break
        chosen.append(term)
    if len(chosen) == len(query.terms):
        return query  # every word fits: the plain search ranks all their matches
    return Query(tuple(chosen), False, Match.ANY)


class ArticleSearch(Protocol):
    def search(
        self, query: Query, scope: Scope, *, limit: int = 20, offset: int = 0
    ) -> list[Hit]: ...


def search_engine(session: Session, *, candidates: int | None = None) -> ArticleSearch:
    """The engine for the session's database; ``candidates`` overrides :data:`CANDIDATES`
    (bench/search.py ranks every match with it, to measure what the bound changes)."""
    if session.get_bind().dialect.name == "postgresql":
        return PostgresSearch(session, candidates=candidates)
    return SqliteSearch(session, candidates=candidates)


def search(
    session: Session,
    raw: str,
    scope: Scope,
    *,
    match: Match = Match.ALL,
    limit: int = 20,
    offset: int = 0,
) -> list[Hit]:
    """Articles in ``scope`` matching the words of ``raw``, best first."""
    query = parse_query(raw, match)
    if not query.terms:
        return []
    return search_engine(session).search(query, scope, limit=limit, offset=offset)


def _scope_params(scope: Scope) -> dict[str, list[str]]:
    return {"states": sorted(scope.states), "visibilities": sorted(scope.visibilities)}


def _expanding(*names: str) -> list[BindParameter[Any]]:
    return [bindparam(name, expanding=True) for name in names]


class SqliteSearch:
    """FTS5 with BM25 (title words weigh five times body words). The ranked ids come
    first; snippets are made for the page of hits only, not for every match."""

    TITLE_WEIGHT = 5.0

    def __init__(self, session: Session, *, candidates: int | None = None) -> None:
        self.session = session
        self.candidates = candidates

    @staticmethod
    def fts_query(query: Query) -> str:
        """An FTS5 query of quoted words (words are ``\\w+``, so they hold no quote).

        >>> SqliteSearch.fts_query(Query(("near", "vp"), True, Match.ALL))
        '"near" "vp"*'
        """
        quoted = [f'"{term}"' for term in query.terms]
        if query.prefix:
            quoted[-1] += "*"
        return (" OR " if query.match is Match.ANY else " ").join(quoted)

    def matches(self, query: Query, cap: int) -> dict[str, float]:
        """How many articles hold each word of ``query`` (counted up to ``cap``: FTS5 reads
        that many entries of a word's list at most)."""
        counts = " UNION ALL ".join(
            # Numbers only in the text; the words are bound parameters.
            f"SELECT {i} AS n, count(*) AS c FROM (SELECT 1 FROM articles_fts "  # noqa: S608
            f"WHERE articles_fts MATCH :t{i} LIMIT :cap)"
            for i in range(len(query.terms))
        )
        words = {f"t{i}": f'"{term}"' for i, term in enumerate(query.terms)}
        rows = self.session.execute(text(counts), {**words, "cap": cap}).all()
        return {query.terms[row.n]: float(row.c) for row in rows}

    def search(self, query: Query, scope: Scope, *, limit: int = 20, offset: int = 0) -> list[Hit]:
        bound = self.candidates or CANDIDATES
        found = query
        if query.match is Match.ANY and len(query.terms) > 1:
            found = selective(query, self.matches(query, bound + 1), bound)
        # Ranked by the selective words alone: looking each candidate up in a dozen words'
        # lists costs hundreds of ms in FTS5, and BM25 gives common words little weight anyway.
        # The snippets mark every word.
        params = {"q": self.fts_query(found), "limit": limit, "offset": offset}
        # The newest ``bound`` matches are those above this rowid: FTS5 walks its doclist
        # backwards to find it without ranking anything.
        floor = self.session.execute(
            text(
                "SELECT rowid FROM articles_fts WHERE articles_fts MATCH :q "
                "ORDER BY rowid DESC LIMIT 1 OFFSET :candidates"
            ),
            {"q": params["q"], "candidates": bound},
        ).scalar()
        ranked = self.session.execute(
            text(
                "SELECT a.id, bm25(articles_fts, :title_weight, 1.0) AS score "
                "FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid "
                "WHERE articles_fts MATCH :q AND articles_fts.rowid > :floor "
                "AND a.state IN :states AND a.visibility IN :visibilities "
                "ORDER BY score, a.id LIMIT :limit OFFSET :offset"
            ).bindparams(*_expanding("states", "visibilities")),
            {
                **params,
                **_scope_params(scope),
                "title_weight": self.TITLE_WEIGHT,
                "floor": floor or 0,
            },
        ).all()
        if not ranked:
            return []
        marked = {
            row.rowid: (row.title, row.snippet)
            for row in self.session.execute(
                text(
                    "SELECT rowid, highlight(articles_fts, 0, :start, :end) AS title, "
                    "snippet(articles_fts, 1, :start, :end, '…', 24) AS snippet "
                    "FROM articles_fts WHERE articles_fts MATCH :q AND rowid IN :ids"
                ).bindparams(*_expanding("ids")),
                {
                    "q": self.fts_query(query),
                    "ids": [row.id for row in ranked],
                    "start": MARK_START,
                    "end": MARK_END,
                },
            )
        }
        # bm25() is lower for better matches: negate it, so that higher is better everywhere.
        return [
            Hit(
                row.id,
                -float(row.score),
                highlight_html(marked[row.id][0]),
                highlight_html(marked[row.id][1]),
            )
            for row in ranked
        ]


@contextmanager
def gin_only(session: Session, also: str = "NULL") -> Iterator[Any]:
    """Plan the statements inside without sequential or plain index scans (bitmap scans
    only), then restore both settings. Yields the value of the SQL expression ``also``,
    evaluated by the statement that changes the settings (one round trip fewer; that
    statement is planned before it changes them). ``also`` is the caller's SQL, never input.

    The planner costs ``document @@ query`` like any operator, but on a row it means reading
    (and often detoasting) that row's whole vector. For a word it knows is common it prefers a
    backward scan by id that tests row after row until it has its candidates, and on a
    knowledge base of a few thousand articles a sequential scan of every vector: both read
    the vectors the GIN index exists to spare (bench/README.md measured 869 ms at p95). With
    bitmap scans only, the matches come from the index, whatever the word and the table's
    size; tests/service/test_knowledge_search.py checks the plan with ``EXPLAIN``."""
    before, value = session.execute(
        text(
            "SELECT current_setting('enable_seqscan') || ',' || "
            f"current_setting('enable_indexscan'), ({also}), "
            "set_config('enable_seqscan', 'off', true), "
            "set_config('enable_indexscan', 'off', true)"
        )
    ).one()[:2]
    seqscan, indexscan = before.split(",")
    try:
        yield value
    finally:
        session.execute(
            text(
                "SELECT set_config('enable_seqscan', :seqscan, true), "
                "set_config('enable_indexscan', :indexscan, true)"
            ),
            {"seqscan": seqscan, "indexscan": indexscan},
        )


class PostgresSearch:
    """``tsvector`` @@ ``tsquery`` on the GIN index of ``article_search``, ranked by
    ``ts_rank_cd``. A document matches when all words match as English stems (``printing``
    finds ``printed``) or as whole words with the last one a prefix (``simple``), so typing
    ``pri`` finds ``printer``.

    The search data lives in a narrow table of its own (article id and vector), and the scope is
    a lexeme of the vector: ``'#scope <state> <visibility>'``, with spaces, which neither a
    parsed document nor a query word (``\\w+``) can hold, and a ``#`` first, which no query
    word's prefix matches. The match and the scope are then one
    ``@@`` that the GIN index answers alone; no row outside the scope, and no row's vector, is
    read to find the candidates (tests/service/test_knowledge_search.py checks the plan)."""

    def __init__(self, session: Session, *, candidates: int | None = None) -> None:
        self.session = session
        self.candidates = candidates

    @staticmethod
    def tsquery_texts(query: Query) -> tuple[str, str]:
        """The ``english`` and ``simple`` query texts: each word single-quoted (words are
        ``\\w+``, so they hold no quote), joined by ``&`` or ``|``.

        >>> PostgresSearch.tsquery_texts(Query(("vpn", "dro"), True, Match.ALL))
        ("'vpn' & 'dro'", "'vpn' & 'dro':*")
        """
        quoted = [f"'{term}'" for term in query.terms]
        joiner = " | " if query.match is Match.ANY else " & "
        english = joiner.join(quoted)
        if query.prefix:
            quoted[-1] += ":*"
        return english, joiner.join(quoted)

    @staticmethod
    def scope_tsquery(scope: Scope) -> str:
        """The scope as a ``tsquery`` text: any of its (state, visibility) lexemes. States and
        visibilities are the application's own words (``[a-z_]+``), never a person's.

        >>> PostgresSearch.scope_tsquery(PUBLIC)
        "'#scope published public'"
        """
        lexemes = [
            f"'#scope {state} {visibility}'"
            for state in sorted(scope.states)
            for visibility in sorted(scope.visibilities)
        ]
        return " | ".join(lexemes) or "'#scope none'"

    @staticmethod
    def window_tsquery(newest: int, articles: int) -> str:
        """The ``#block`` lexemes of the newest ``articles`` articles and a little more (whole
        blocks of ``BLOCK`` ids, down from the block of the newest id ``newest``).

        >>> PostgresSearch.window_tsquery(2500, 1500)
        "'#block 2' | '#block 1'"
        """
        last = newest // BLOCK
        first = max(0, (newest - articles) // BLOCK)
        return " | ".join(f"'#block {block}'" for block in range(last, first - 1, -1))

    MATCH = "(to_tsquery('english', :english) || to_tsquery('simple', :simple))"
    FOUND = (
        "(to_tsquery('english', :found_english) || to_tsquery('simple', :found_simple)) "
        "&& CAST(:scope AS tsquery)"
    )
    # How many articles hold each word, as ANALYZE estimated it: the share of its most common
    # lexeme (``most_common_elems``: the most frequent ones; for a lexeme not among them, half
    # the least of those, as the planner reckons) times the number of rows. Nothing without
    # statistics (before the first ANALYZE), and then every word makes candidates.
    MATCHES = (
        "WITH s AS (SELECT most_common_elems::text::text[] AS elems, "
        "most_common_elem_freqs AS freqs FROM pg_stats WHERE schemaname = current_schema() "
        "AND tablename = 'article_search' AND attname = 'document'), "
        "e AS (SELECT u.elem, u.freq FROM s, unnest(s.elems, s.freqs) AS u(elem, freq)), "
        "w AS (SELECT t.term, l.lexeme FROM unnest(CAST(:terms AS text[])) AS t(term), "
        "unnest(tsvector_to_array(to_tsvector('english', t.term) "
        "|| to_tsvector('simple', t.term))) AS l(lexeme)) "
        "SELECT w.term, max(coalesce(e.freq, s.freqs[cardinality(s.elems) + 1] / 2)) "
        "* (SELECT reltuples FROM pg_class WHERE oid = 'article_search'::regclass) AS n "
        "FROM s CROSS JOIN w LEFT JOIN e ON e.elem = w.lexeme GROUP BY w.term"
    )
    # The newest candidates: first among the matches in the window (the newest blocks of
    # ids), which is where a common word finds them all; only when those are too few, among
    # the older matches as well. Each is one ``@@`` that the GIN index answers alone: no row
    # outside it is read. The second scan's condition on ``recent`` holds no column, so
    # PostgreSQL tests it once and skips the scan when it is false. The candidates' vectors
    # are then read once each, to rank them; the page of the best is joined to ``articles``
    # for its headlines, in the same statement (one round trip): ``ts_headline`` runs for
    # the ``limit`` hits shown, over the first SNIPPET_CHARS of each body's plain text (an
    # article may be 100 KB; a match further in gives a snippet from the beginning, unmarked).
    # (Built from the constants above: no input.)
    RANKED = (
        "WITH recent AS MATERIALIZED (SELECT article_id FROM article_search WHERE document "  # noqa: S608
        f"@@ ({FOUND} && CAST(:window AS tsquery)) ORDER BY article_id DESC LIMIT :candidates), "
        "candidates AS (SELECT article_id FROM recent UNION ALL (SELECT article_id "
        "FROM article_search WHERE (SELECT count(*) FROM recent) < :candidates AND document "
        f"@@ ({FOUND} && !! CAST(:window AS tsquery)) ORDER BY article_id DESC "
        "LIMIT :candidates)), "
        f"page AS (SELECT article_id, ts_rank_cd(document, {MATCH}) AS score "
        "FROM article_search WHERE article_id = ANY(ARRAY(SELECT article_id FROM candidates "
        "ORDER BY article_id DESC LIMIT :candidates)) "
        "ORDER BY score DESC, article_id LIMIT :limit OFFSET :offset) "
        f"SELECT p.article_id AS id, p.score, ts_headline('english', a.title, {MATCH}, "
        f":title_options) AS title, ts_headline('english', left(a.body_text, :snippet_chars), "
        f"{MATCH}, :options) AS snippet FROM page p JOIN articles a ON a.id = p.article_id "
        "ORDER BY p.score DESC, p.article_id"
    )
    HEADLINE_OPTIONS = (
        f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=35, MinWords=15, "
        'MaxFragments=2, FragmentDelimiter=" … "'
    )
    TITLE_OPTIONS = f"StartSel={MARK_START}, StopSel={MARK_END}, HighlightAll=true"

    def matches(self, query: Query) -> dict[str, float]:
        """Each word of ``query`` and about how many articles hold it (ANALYZE's estimate;
        empty before the first ANALYZE)."""
        rows = self.session.execute(text(self.MATCHES), {"terms": list(query.terms)}).all()
        return {row.term: float(row.n or 0.0) for row in rows}

    def search(self, query: Query, scope: Scope, *, limit: int = 20, offset: int = 0) -> list[Hit]:
        english, simple = self.tsquery_texts(query)
        params = {"english": english, "simple": simple, "limit": limit, "offset": offset}
        candidates = self.candidates or CANDIDATES
        found = query
        if query.match is Match.ANY and len(query.terms) > 1:
            found = selective(query, self.matches(query), candidates)
        params["found_english"], params["found_simple"] = self.tsquery_texts(found)
        # The newest id (for the window) comes with the planner settings: one round trip.
        with gin_only(self.session, also="SELECT max(article_id) FROM article_search") as newest:
            window = self.window_tsquery(newest or 0, min(WINDOW * candidates, 10**6))
            ranked = self.session.execute(
                text(self.RANKED),
                {
                    **params,
                    "scope": self.scope_tsquery(scope),
                    "window": window,
                    "candidates": candidates,
                    "options": self.HEADLINE_OPTIONS,
                    "title_options": self.TITLE_OPTIONS,
                    "snippet_chars": SNIPPET_CHARS,
                },
            ).all()
        return [
            Hit(row.id, float(row.score), highlight_html(row.title), highlight_html(row.snippet))
            for row in ranked
        ]

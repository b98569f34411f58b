"""Benchmark knowledge-base search on generated articles; print one JSON object.

    python bench/search.py --articles 50000 --json
    python bench/search.py --articles 50000 --json \\
        --database-url postgresql://postgres@127.0.0.1:5432/test_kb

What it does:

1. **Generates** ``--articles`` articles (seeded: the same arguments give the same articles):
   titles of 3–9 words and bodies of 60–400 words drawn from a Zipf-weighted vocabulary of
   about 8,000 words (a few hundred support words, the rest made up), so that common words
   match thousands of articles and rare ones a handful. 70 % are published and public, 15 %
   published and internal, 10 % drafts, 5 % archived.
2. **Loads** them into a fresh database whose schema is the application's own (the Alembic
   migrations): a temporary SQLite file, or — with ``--database-url`` — a scratch PostgreSQL
   database created beside the one named and dropped afterwards (the named one is never
   touched; the user needs CREATEDB). The full-text index is filled as the application fills
   it: FTS5 triggers on SQLite, the generated ``tsvector`` column on PostgreSQL (then ANALYZE).
3. **Times** ``swarm.knowledge.search.search`` — ranking and the page of highlighted snippets —
   for ``--queries`` search-box queries of one to three words (half of them with the last word
   half typed, as search-as-you-type sends them), half as a requester (published public only)
   and half as staff, 10 results each. ``p50_ms`` and ``p95_ms`` are over those queries
   (target ≤ 20 ms at 50,000 articles). ``suggest_p50_ms`` and ``suggest_p95_ms`` time the
   suggestions for a draft ticket (any of ~30 words, 5 results). ``cpu_p50_ms`` and
   ``cpu_p95_ms`` are this process's CPU time per search (on SQLite, where the engine runs in
   the process, that is the search's own cost, whatever else runs on the machine; on
   PostgreSQL the server's share is not in it: ``server_cpu_p50_ms``/``server_cpu_p95_ms`` are
   the session's backend's CPU time per search, from ``/proc/<pid>/schedstat`` when the server
   runs on this machine, and ``total_cpu_p50_ms``/``total_cpu_p95_ms`` the two added up — the
   search's cost however busy the machine is).

Progress (tqdm) goes to stderr on a terminal; ``--json`` prints only the final object on stdout.
Figures are noisy; compare them only within one run on one machine (``load_1min`` says how busy
it was).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Run as a script from a checkout: make the repository root importable without installing.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text

from swarm.db import make_engine, make_session_factory
from swarm.knowledge.search import (
    CANDIDATES,
    PUBLIC,
    STAFF,
    STOPWORDS,
    Match,
    parse_query,
    search,
    search_engine,
)
from swarm.migrate import upgrade
from swarm.models import Article, User

_SUPPORT_TEXT = """vpn printer password reset account locked email outlook calendar wifi network
    laptop monitor docking station keyboard mouse headset teams zoom meeting license office excel
    word powerpoint sharepoint onedrive backup restore disk full slow update windows macos linux
    driver install uninstall certificate expired token mfa authenticator phone mobile sync error
    crash freeze timeout proxy firewall dns dhcp address server database access permission folder
    share drive mapped toner paper jam scanner badge door payroll invoice sap crm ticket portal
    browser chrome firefox cache cookie login sso saml ldap directory group policy antivirus
    malware phishing spam quarantine mailbox quota archive retention camera microphone audio
    video bluetooth usb charger battery screen display resolution projector hdmi cable router
    switch port cisco anyconnect citrix remote desktop rdp ssh key git jira confluence slack
    signature encryption bitlocker recovery keyboard layout language font pdf adobe reader
    java python script cron job queue stuck pending approval workflow form field required
    invalid format upload download attachment size limit storage sync conflict version
    rollback patch reboot restart service agent monitoring alert dashboard report export
    import csv spreadsheet macro formula pivot chart"""
SUPPORT_WORDS = _SUPPORT_TEXT.split()
# The most frequent words of English text, most frequent first: they take most of a text's
# words, as they do in real articles (a Zipf law over content words alone would make the top
# support word occur in every article).
FUNCTION_WORDS = sorted(STOPWORDS, key=lambda w: (len(w), w))


def vocabulary(rng: random.Random, size: int = 8000) -> list[str]:
    """Function words first (the most frequent, as in any English text), then support words,
    then made-up words of 4–10 letters."""
    words = list(dict.fromkeys(FUNCTION_WORDS + SUPPORT_WORDS))
    seen = set(words)
    consonants, vowels = "bcdfghklmnprstvz", "aeiou"
    while len(words) < size:
        length = rng.randint(2, 5)
        word = "".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(length))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


class Words:
    """Zipf-weighted draws from a vocabulary (rank r has weight 1/r)."""

    def __init__(self, rng: random.Random, words: list[str]) -> None:
        self.rng = rng
        self.words = words
        self.cum: list[float] = []
        total = 0.0
        for rank in range(1, len(words) + 1):
            total += 1.0 / rank
            self.cum.append(total)

    def draw(self, n: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cum, k=n)


STATES = [
    (0.70, "published", "public"),
    (0.15, "published", "internal"),
    (0.10, "draft", "public"),
    (0.05, "archived", "public"),
]


def pick_state(roll: float) -> tuple[str, str]:
    for share, state, visibility in STATES:
        if roll < share:
            return state, visibility
        roll -= share
    return STATES[-1][1], STATES[-1][2]


def generate(n: int, words: Words, rng: random.Random) -> Iterator[dict[str, Any]]:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    for _ in range(n):
        state, visibility = pick_state(rng.random())
        title = " ".join(words.draw(rng.randint(3, 9))).capitalize()
        sentences = []
        remaining = rng.randint(60, 400)
        while remaining > 0:
            length = min(remaining, rng.randint(6, 18))
            sentences.append(" ".join(words.draw(length)).capitalize() + ".")
            remaining -= length
        body = " ".join(sentences)
        yield {
            "title": title[:200],
            "body": body,
            "body_text": body,  # plain words: the body is its own text (no Markdown in it)
            "state": state,
            "visibility": visibility,
            "published_at": now if state != "draft" else None,
        }


@contextlib.contextmanager
def scratch_database(url: str | None) -> Iterator[str]:
    """A new database for this run: a temporary SQLite file, or a PostgreSQL database beside
    the one ``url`` names, dropped afterwards."""
    if not url:
        with tempfile.TemporaryDirectory(prefix="swarm-bench-search-") as folder:
            yield f"sqlite:///{Path(folder) / 'kb.db'}"
        return
    import psycopg

    base, _, _db = url.rpartition("/")
    name = f"swarm_bench_search_{os.getpid()}"
    admin = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    try:
        admin.execute(f"CREATE DATABASE {name}")
        try:
            yield f"{base}/{name}"
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        admin.close()


def load(url: str, n: int, seed: int, *, bar: bool) -> tuple[Words, float]:
    """Create the schema and the articles; the word source (for queries) and the load time."""
    from tqdm import tqdm

    rng = random.Random(seed)
    words = Words(rng, vocabulary(rng))
    upgrade(url)
    engine = make_engine(url)
    started = time.perf_counter()
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with engine.begin() as conn:
        author = conn.execute(
            insert(User).returning(User.id),
            {
                "email": "bench@example.test",
                "name": "Bench Author",
                "role": "agent",
                "password_hash": None,
                "active": True,
                "created_at": now,
            },
        ).scalar_one()
    batch: list[dict[str, Any]] = []
    with tqdm(total=n, unit="art", unit_scale=True, disable=not bar, file=sys.stderr) as pb:
        for row in generate(n, words, rng):
            batch.append(
                {**row, "category": None, "author_id": author, "created_at": now,
                 "updated_at": now, "version": 1}
            )  # fmt: skip
            if len(batch) == 2000:
                with engine.begin() as conn:
                    conn.execute(insert(Article), batch)
                pb.update(len(batch))
                batch = []
        if batch:
            with engine.begin() as conn:
                conn.execute(insert(Article), batch)
            pb.update(len(batch))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE articles"))
        else:
            conn.execute(text("INSERT INTO articles_fts(articles_fts) VALUES ('optimize')"))
    elapsed = time.perf_counter() - started
    engine.dispose()
    return words, elapsed


def queries(words: Words, count: int, rng: random.Random) -> list[tuple[str, bool]]:
    """``(query, as_staff)`` pairs: 1–3 of the 2,000 most used content words (people search
    for what the text is about, not for "the"), half with the last word cut short to three
    letters or more, as if still being typed."""
    content = Words(rng, [w for w in words.words if w not in STOPWORDS][:2000])
    out = []
    for i in range(count):
        terms = content.draw(rng.choice((1, 1, 2, 2, 3)))
        if i % 2 and len(terms[-1]) > 3:
            terms[-1] = terms[-1][: rng.randint(3, len(terms[-1]) - 1)]
        else:
            terms[-1] += " "
        out.append((" ".join(terms), i % 4 >= 2))
    return out


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return round(statistics.median(samples), 2), round(cuts[94], 2)


def server_cpu_reader(session: Any) -> Any:
    """A function giving the CPU time (ms) the session's PostgreSQL backend has used so far,
    from ``/proc/<pid>/schedstat`` (nanoseconds; readable when the server runs on this
    machine), or None: on SQLite the engine's work is this process's own CPU time."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    pid = session.execute(text("SELECT pg_backend_pid()")).scalar()
    path = Path(f"/proc/{pid}/schedstat")
    if not path.exists():
        return None
    return lambda: int(path.read_text().split()[0]) / 1e6


def measure(url: str, words: Words, count: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed + 1)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    found = 0
    server: list[float] = []
    with factory() as session:
        server_cpu = server_cpu_reader(session)
        for q, staff in queries(words, 20, rng):  # warm the caches and the connection
            search(session, q, STAFF if staff else PUBLIC, limit=10)
        times, cpu = [], []
        for q, staff in queries(words, count, rng):
            server_started = server_cpu() if server_cpu else 0.0
            started, cpu_started = time.perf_counter(), time.process_time()
            hits = search(session, q, STAFF if staff else PUBLIC, limit=10)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            if server_cpu:
                server.append(server_cpu() - server_started)
            found += bool(hits)
            session.rollback()  # one transaction per query, as one request each
        suggest_times = []
        for _ in range(max(20, count // 5)):
            ticket = " ".join(words.draw(30))
            started = time.perf_counter()
            search(session, ticket, PUBLIC, match=Match.ANY, limit=5)
            suggest_times.append((time.perf_counter() - started) * 1000)
            session.rollback()
    engine.dispose()
    p50, p95 = percentiles(times)
    c50, c95 = percentiles(cpu)
    s50, s95 = percentiles(suggest_times)
    more: dict[str, float] = {}
    if server:
        more["server_cpu_p50_ms"], more["server_cpu_p95_ms"] = percentiles(server)
        both = [a + b for a, b in zip(cpu, server, strict=True)]
        more["total_cpu_p50_ms"], more["total_cpu_p95_ms"] = percentiles(both)
    return {
        "p50_ms": p50,
        "p95_ms": p95,
        "cpu_p50_ms": c50,
        "cpu_p95_ms": c95,
        **more,
        "max_ms": round(max(times), 2),
        "queries": count,
        "queries_with_hits": found,
        "suggest_p50_ms": s50,
        "suggest_p95_ms": s95,
    }


def recall(
    url: str, words: Words, count: int, seed: int, bounds: list[int]
) -> dict[str, dict[str, float]]:
    """What the candidate bound changes: for ``count`` search-box queries (drawn as the timed
    ones are), the top 10 with each bound in ``bounds`` against the top 10 of every match
    ranked. ``overlap``: the mean share of the exhaustive top 10 found; ``same``: the share of
    queries whose top 10 is the same set; ``bounded``: the share of queries with more matches
    than the bound (the only ones it can change); ``suggest_overlap``: the same as ``overlap``
    for the top 5 suggestions of ``count // 5`` ticket texts."""
    rng = random.Random(seed + 2)
    engine = make_engine(url)
    out: dict[str, dict[str, float]] = {}
    with make_session_factory(engine)() as session:
        pairs = [(parse_query(q), STAFF if staff else PUBLIC) for q, staff in
                 queries(words, count, rng)]  # fmt: skip
        tickets = [" ".join(words.draw(30)) for _ in range(max(10, count // 5))]
        exhaustive = []
        for query, scope in pairs:
            everything = search_engine(session, candidates=10**9)
            exhaustive.append({h.article_id for h in everything.search(query, scope, limit=10)})
            session.rollback()
        for bound in bounds:
            overlaps, same, over = [], 0, 0
            for (query, scope), best in zip(pairs, exhaustive, strict=True):
                bounded = search_engine(session, candidates=bound)
                top = {h.article_id for h in bounded.search(query, scope, limit=10)}
                # The next ranked page exists only when there are more matches than shown:
                # count the queries with more matches than the bound the same cheap way.
                more = search_engine(session, candidates=10**9).search(
                    query, scope, limit=1, offset=bound
                )
                session.rollback()
                overlaps.append(len(top & best) / len(best) if best else 1.0)
                same += top == best
                over += bool(more)
            # Suggestions: the top 5 for a 30-word ticket text against every match ranked.
            suggested = []
            for ticket in tickets:
                query = parse_query(ticket, Match.ANY)
                every = search_engine(session, candidates=10**9).search(query, PUBLIC, limit=5)
                top = search_engine(session, candidates=bound).search(query, PUBLIC, limit=5)
                session.rollback()
                best = {h.article_id for h in every}
                suggested.append(len(best & {h.article_id for h in top}) / len(best) if best else 1)
            out[str(bound)] = {
                "overlap": round(statistics.mean(overlaps), 3),
                "same": round(same / len(pairs), 3),
                "bounded": round(over / len(pairs), 3),
                "suggest_overlap": round(statistics.mean(suggested), 3),
            }
    engine.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark knowledge-base search.")
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--database-url", help="a PostgreSQL URL (default: a temporary SQLite)")
    parser.add_argument("--json", action="store_true", help="print only the JSON object")
    parser.add_argument(
        "--recall",
        type=int,
        default=0,
        metavar="N",
        help="also compare the top 10 of N queries with every match ranked",
    )
    parser.add_argument(
        "--bounds",
        default=f"{CANDIDATES}",
        help="candidate bounds compared by --recall, comma-separated (default: CANDIDATES)",
    )
    args = parser.parse_args(argv)
    with scratch_database(args.database_url) as url:
        dialect = "postgresql" if url.startswith("postgres") else "sqlite"
        print(f"[search] {args.articles} articles into {dialect}", file=sys.stderr, flush=True)
        words, load_seconds = load(url, args.articles, args.seed, bar=sys.stderr.isatty())
        print(f"[search] loaded in {load_seconds:.1f} s; timing", file=sys.stderr, flush=True)
        figures = {
            **measure(url, words, args.queries, args.seed),
            "database": dialect,
            "articles": args.articles,
            "load_seconds": round(load_seconds, 1),
            "load_1min": round(os.getloadavg()[0], 2),
        }
        if args.recall:
            bounds = [int(b) for b in args.bounds.split(",")]
            figures["recall"] = recall(url, words, args.recall, args.seed, bounds)
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:>18}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

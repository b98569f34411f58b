"""Benchmark the ticket list's search on generated tickets; print one JSON object.

    python bench/ticket_search.py --tickets 100000 --json
    python bench/ticket_search.py --tickets 100000 --json \\
        --database-url postgresql://postgres@127.0.0.1:5432/test_search

What it does:

1. **Generates** ``--tickets`` tickets (seeded), subjects of 3–9 words and bodies from the same
   Zipf-weighted vocabulary as ``bench/search.py``: most bodies 20–300 words, one in fifty a
   long paste of 2,000–8,000 words (up to the 64 KB limit), requested by 2,000 requesters.
2. **Loads** them into a fresh database built by the application's migrations (a temporary
   SQLite file, or a scratch PostgreSQL database beside the one ``--database-url`` names,
   dropped afterwards), filling whatever search index the migrations keep (then ANALYZE /
   FTS5 ``optimize``).
3. **Times** ``TicketService.list(viewer, q=…)`` — the page of 25 and its total, as the ticket
   list and ``GET /api/v1/tickets?q=`` ask for it — for ``--queries`` queries of one to three
   content words (half with the last word half typed): half as staff (every ticket), half as a
   requester (their own tickets only). ``p50_ms``/``p95_ms`` over all of them, and per role.

The same script runs against an older checkout (the ``LIKE`` scan) to give the "before" figures
(bench/README.md). Figures are noisy on a shared machine: ``load_1min`` says how busy it was.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select, text

from bench.search import STOPWORDS, Words, percentiles, scratch_database, vocabulary
from swarm.clock import FakeClock
from swarm.db import make_engine, make_session_factory
from swarm.migrate import upgrade
from swarm.models import Ticket, User
from swarm.tickets.notify import NullNotifier
from swarm.tickets.service import TicketService

NOW = datetime(2026, 12, 1, tzinfo=UTC)
REQUESTERS = 2000
STATUSES = ["new"] * 2 + ["open"] * 3 + ["pending"] + ["resolved"] * 2 + ["closed"] * 4


def generate(
    n: int, words: Words, rng: random.Random, requesters: list[int]
) -> Iterator[dict[str, Any]]:
    for _ in range(n):
        title = " ".join(words.draw(rng.randint(3, 9))).capitalize()
        length = rng.randint(2000, 8000) if rng.random() < 0.02 else rng.randint(20, 300)
        sentences, remaining = [], length
        while remaining > 0:
            chunk = min(remaining, rng.randint(6, 18))
            sentences.append(" ".join(words.draw(chunk)).capitalize() + ".")
            remaining -= chunk
        yield {
            "subject": title[:200],
            "body": " ".join(sentences)[:64_000],
            "priority": rng.choice(("P1", "P2", "P3", "P3", "P4")),
            "status": rng.choice(STATUSES),
            "mode": "swarm",
            "requester_id": rng.choice(requesters),
            "created_at": NOW,
            "updated_at": NOW,
            "tier_paused_seconds": 0.0,
            "version": 1,
        }


def load(url: str, n: int, seed: int) -> tuple[Words, float]:
    rng = random.Random(seed)
    words = Words(rng, vocabulary(rng))
    upgrade(url)
    engine = make_engine(url)
    started = time.perf_counter()
    people = [
        {"email": f"r{i}@example.test", "name": f"Requester {i}", "role": "requester",
         "password_hash": None, "active": True, "created_at": NOW}
        for i in range(REQUESTERS)
    ] + [{"email": "agent@example.test", "name": "Agent", "role": "agent",
          "password_hash": None, "active": True, "created_at": NOW}]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(User), people)
        requesters = list(
            conn.scalars(select(User.id).where(User.role == "requester").order_by(User.id))
        )
    batch: list[dict[str, Any]] = []
    for row in generate(n, words, rng, requesters):
        batch.append(row)
        if len(batch) == 2000:
            with engine.begin() as conn:
                conn.execute(insert(Ticket), batch)
            batch = []
    if batch:
        with engine.begin() as conn:
            conn.execute(insert(Ticket), batch)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))
        elif conn.scalar(text("SELECT count(*) FROM sqlite_master WHERE name = 'tickets_fts'")):
            conn.execute(text("INSERT INTO tickets_fts(tickets_fts) VALUES ('optimize')"))
    elapsed = time.perf_counter() - started
    engine.dispose()
    return words, elapsed


def queries(words: Words, count: int, rng: random.Random) -> list[str]:
    """1–3 of the 2,000 most used content words, half with the last one cut short."""
    content = Words(rng, [w for w in words.words if w not in STOPWORDS][:2000])
    out = []
    for i in range(count):
        terms = content.draw(rng.choice((1, 1, 2, 2, 3)))
        if i % 2 and len(terms[-1]) > 3:
            terms[-1] = terms[-1][: rng.randint(3, len(terms[-1]) - 1)]
        out.append(" ".join(terms))
    return out


def measure(url: str, words: Words, count: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed + 1)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    times: dict[str, list[float]] = {"staff": [], "requester": []}
    found = 0
    with factory() as session:
        agent = session.scalars(select(User).where(User.role == "agent")).one()
        requester_ids = list(session.scalars(select(User.id).where(User.role == "requester")))
        service = TicketService(session, FakeClock(NOW), NullNotifier())
        for q in queries(words, 10, rng):  # warm the caches and the connection
            service.list(agent, q=q)
            session.rollback()
        for i, q in enumerate(queries(words, count, rng)):
            role = "staff" if i % 2 == 0 else "requester"
            viewer = agent if role == "staff" else session.get(User, rng.choice(requester_ids))
            assert viewer is not None
            started = time.perf_counter()
            page = service.list(viewer, q=q, limit=25)
            times[role].append((time.perf_counter() - started) * 1000)
            found += bool(page.items)
            session.rollback()  # one transaction per query, as one request each
    engine.dispose()
    every = times["staff"] + times["requester"]
    p50, p95 = percentiles(every)
    s50, s95 = percentiles(times["staff"])
    r50, r95 = percentiles(times["requester"])
    return {
        "p50_ms": p50,
        "p95_ms": p95,
        "staff_p50_ms": s50,
        "staff_p95_ms": s95,
        "requester_p50_ms": r50,
        "requester_p95_ms": r95,
        "max_ms": round(max(every), 2),
        "queries": count,
        "queries_with_hits": found,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the ticket list's search.")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--database-url", help="a PostgreSQL URL (default: a temporary SQLite)")
    parser.add_argument("--json", action="store_true", help="print only the JSON object")
    args = parser.parse_args(argv)
    with scratch_database(args.database_url) as url:
        dialect = "postgresql" if url.startswith("postgres") else "sqlite"
        print(f"[ticket_search] {args.tickets} tickets into {dialect}", file=sys.stderr, flush=True)
        words, load_seconds = load(url, args.tickets, args.seed)
        print(
            f"[ticket_search] loaded in {load_seconds:.1f} s; timing", file=sys.stderr, flush=True
        )
        figures = {
            **measure(url, words, args.queries, args.seed),
            "database": dialect,
            "tickets": args.tickets,
            "load_seconds": round(load_seconds, 1),
            "load_1min": round(os.getloadavg()[0], 2),
        }
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:>18}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

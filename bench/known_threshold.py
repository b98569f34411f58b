"""Measure the new-vs-known threshold on the demo's history; print one JSON object.

    python bench/known_threshold.py            # the table of thresholds, as JSON
    python bench/known_threshold.py --body-only

What it does:

1. Draws the demo organisation (``swarm.demo.generate``, its fixed seed): about 300 resolved
   tickets, each an instance of one of the demo's 149 *cases* (a concrete problem with its
   cause and fix; the subject names the case).
2. Writes the knowledge base a team would have written from that history: for every other case
   (``--share`` of them, chosen by a seeded draw), one published article captured from the
   case's first resolved ticket as ``swarm/knowledge/capture.py`` assembles a draft — the
   ticket's subject as the title, its resolution and the room's ``solution`` messages as the
   body. The other cases have no article: their tickets are truly *new*.
3. Classifies every other resolved ticket with ``swarm.knowledge.known.classify`` — the very
   search (SQLite FTS5) and scoring the router uses — and, for each candidate threshold,
   counts: a ticket is *truly known* when its case has an article; a *known* verdict is
   correct only when it names that very article (a verdict naming a neighbouring case's
   article is a false positive).

``precision`` = correct known verdicts / known verdicts; ``recall`` = correct known verdicts /
truly known tickets. ``--body-only`` classifies without the subject (the demo's subjects
repeat their case's words exactly, which real requesters' do not): a harder, more honest test.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from swarm.db import Base, make_engine, make_session_factory
from swarm.demo.generate import generate_demo
from swarm.knowledge.known import THRESHOLD, classify
from swarm.models import Article, User
from swarm.models.knowledge import ArticleState, Visibility
from swarm.models.users import Role

NOW = datetime(2026, 12, 4, tzinfo=UTC)
THRESHOLDS = [round(0.05 * i, 2) for i in range(4, 19)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--share", type=float, default=0.5, help="cases that have an article")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--body-only", action="store_true")
    args = parser.parse_args()

    demo = generate_demo(NOW)
    resolved = [t for t in demo.tickets if t.resolution]
    cases = sorted({t.subject for t in resolved})
    rng = random.Random(args.seed)
    with_article = set(rng.sample(cases, round(len(cases) * args.share)))

    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    session = make_session_factory(engine)()
    author = User(
        email="kb@example.com", name="KB", role=Role.AGENT, password_hash=None, created_at=NOW
    )
    session.add(author)
    session.flush()
    article_of: dict[str, int] = {}
    sources: set[int] = set()
    for index, ticket in enumerate(resolved):
        if ticket.subject not in with_article or ticket.subject in article_of:
            continue
        solutions = [m.body for m in ticket.messages if m.kind == "solution"]
        body = "\n\n".join([f"## Resolution\n\n{ticket.resolution}", *solutions])
        article = Article(
            title=ticket.subject,
            body=body,
            visibility=Visibility.PUBLIC,
            state=ArticleState.PUBLISHED,
            author_id=author.id,
            created_at=NOW,
            updated_at=NOW,
            published_at=NOW,
            version=1,
        )
        session.add(article)
        session.flush()
        article_of[ticket.subject] = article.id
        sources.add(index)
    session.commit()

    # Scores once per ticket; the sweep over thresholds re-reads them.
    verdicts: list[tuple[bool, float, bool]] = []  # (truly known, best score, best is right)
    for index, ticket in enumerate(resolved):
        if index in sources:
            continue
        subject = "" if args.body_only else ticket.subject
        found = classify(session, subject, ticket.body, threshold=0.0)
        right = found.article_id is not None and found.article_id == article_of.get(ticket.subject)
        verdicts.append((ticket.subject in article_of, found.score, right))

    truly_known = sum(1 for known, _, _ in verdicts if known)
    table = []
    for threshold in THRESHOLDS:
        said_known = [(known, right) for known, score, right in verdicts if score >= threshold]
        correct = sum(1 for _known, right in said_known if right)
        precision = correct / len(said_known) if said_known else None
        recall = correct / truly_known if truly_known else None
        f1 = 2 * precision * recall / (precision + recall) if precision and recall else None
        table.append(
            {
                "threshold": threshold,
                "known_verdicts": len(said_known),
                "correct": correct,
                "precision": None if precision is None else round(precision, 3),
                "recall": None if recall is None else round(recall, 3),
                "f1": None if f1 is None else round(f1, 3),
            }
        )
    chosen = next(row for row in table if row["threshold"] == THRESHOLD)
    print(
        json.dumps(
            {
                "tickets": len(verdicts),
                "truly_known": truly_known,
                "articles": len(article_of),
                "cases": len(cases),
                "body_only": args.body_only,
                "threshold": THRESHOLD,
                "chosen": chosen,
                "table": table,
                "load_1min": round(os.getloadavg()[0], 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()

"""New or known: does a new ticket closely match a published article?

A *known* issue has an answer in the knowledge base already: in tiered mode the ticket stays
in Tier 1 with the article offered to the requester, in swarming it goes to the best owner
with the article attached. Anything else is *new*, and goes to the swarm as usual
(docs/knowledge.md, "New or known").

How close is close: full-text search (any word, published articles of either visibility)
finds the candidates, then :func:`score_match` gives each a similarity in ``[0, 1]`` that,
unlike a BM25 or ``ts_rank_cd`` score, means the same thing from one ticket to the next; the
best candidate at or above :data:`THRESHOLD` makes the ticket known. The threshold was
measured on the demo's history (``bench/known_threshold.py``: precision and recall of each
candidate threshold) and chosen there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from swarm.knowledge import search as kb_search
from swarm.models import Article
from swarm.models.knowledge import ArticleState, Visibility

#: The similarity at or above which a ticket is known (bench/known_threshold.py; the figures
#: and why this value are in docs/knowledge.md, "New or known").
THRESHOLD = 0.45
#: How many search results are scored: the match, if there is one, is among the best few.
CANDIDATES = 5
#: Published articles of either visibility: an internal one still helps the owner.
PUBLISHED = kb_search.Scope(
    frozenset({ArticleState.PUBLISHED}), frozenset({Visibility.INTERNAL, Visibility.PUBLIC})
)

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Words that say nothing about what a ticket is about; kept here rather than borrowed from the
# search engine's list, so that tuning one never moves the other's measured threshold.
_COMMON_TEXT = """a about after again all also am an and any are as at be been before being but by
    can cannot could did do does doing dont for from get got had has have having he her here hi
    him his how i if im in into is it its just me more most my no nor not now of off on once
    only or other our out over please same she should so some still such than thank thanks
    that the their them then there these they this those through to too under until up very
    was we were what when where which while who why will with would you your cheers regards
    since today yesterday morning last night week"""
_COMMON = frozenset(_COMMON_TEXT.split())


class Kind(StrEnum):
    KNOWN = "known"
    NEW = "new"


@dataclass(frozen=True)
class Classification:
    """The verdict on one ticket: ``known`` with the article that answers it, or ``new``;
    ``score`` is the best candidate's similarity (0 when search found none)."""

    kind: Kind
    article_id: int | None
    score: float
    threshold: float

    def as_data(self) -> dict[str, object]:
        """The ``classified`` event's data (staff only, docs/events.md)."""
        return {
            "kind": self.kind.value,
            "article_id": self.article_id,
            "score": round(self.score, 4),
            "threshold": self.threshold,
        }


def _stem(word: str) -> str:
    # Enough for "printers"/"printer" and "syncing"/"sync"; a real stemmer would move the
    # measured threshold for little gain on short tickets.
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def words(text: str) -> frozenset[str]:
    """The distinct content words of ``text``, lower-cased and lightly stemmed.

    >>> sorted(words("The printers are NOT printing, since Monday!"))
    ['monday', 'print', 'printer']
    """
    found = (w.lower() for w in _WORD.findall(text))
    return frozenset(_stem(w) for w in found if len(w) > 1 and w not in _COMMON)


def score_match(ticket: Iterable[str], title: Iterable[str], body: Iterable[str]) -> float:
    """How closely a ticket's words match an article's, in ``[0, 1]``.

    The mean of two shares: of the article's title words that the ticket uses (a title names
    the problem), and of the ticket's words that the article uses anywhere (the ticket is
    about what the article covers). Either alone is fooled: a short title shares one word
    with many tickets; a long article shares words with everything.

    >>> t = words("Locked out of my account: it says my account is locked")
    >>> round(score_match(t, words("Locked out of my account"), words("Unlock the account")), 2)
    0.83
    >>> score_match(t, words("VPN drops every hour"), words("Renew the VPN lease")) == 0.0
    True
    """
    ticket_words, title_words = frozenset(ticket), frozenset(title)
    article_words = title_words | frozenset(body)
    if not ticket_words or not title_words:
        return 0.0
    title_share = len(title_words & ticket_words) / len(title_words)
    ticket_share = len(ticket_words & article_words) / len(ticket_words)
    return (title_share + ticket_share) / 2


def any_published(session: Session) -> bool:
    """Whether there is anything to classify against: with no published article every
    ticket would be new, and the router records no verdict (docs/knowledge.md)."""
    found = session.scalar(
        select(Article.id).where(Article.state == ArticleState.PUBLISHED).limit(1)
    )
    return found is not None


def classify(
    session: Session, subject: str, body: str, *, threshold: float = THRESHOLD
) -> Classification:
    """Known (with the best-matching published article) or new, for a ticket's text."""
    text = f"{subject}\n{body}"
    hits = kb_search.search(session, text, PUBLISHED, match=kb_search.Match.ANY, limit=CANDIDATES)
    if not hits:
        return Classification(Kind.NEW, None, 0.0, threshold)
    ids = [hit.article_id for hit in hits]
    articles = session.execute(
        select(Article.id, Article.title, Article.body).where(Article.id.in_(ids))
    ).all()
    ticket_words = words(text)
    scored = sorted(
        ((score_match(ticket_words, words(a.title), words(a.body)), a.id) for a in articles),
        key=lambda pair: (-pair[0], ids.index(pair[1])),
    )
    best_score, best_id = scored[0] if scored else (0.0, None)
    if best_id is not None and best_score >= threshold:
        return Classification(Kind.KNOWN, best_id, best_score, threshold)
    return Classification(Kind.NEW, None, best_score, threshold)

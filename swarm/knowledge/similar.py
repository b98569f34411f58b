"""For agents: "similar resolved tickets and articles" beside a ticket (issue 14, item 6).

**Similar resolved tickets** are found from what routing already knows about each ticket, its
required skills (``ticket_skills``: named in the text, or predicted by the text model the router
trains — swarm/skills/inference.py), then ordered by the words they share. The candidates are
the :data:`CANDIDATES` most recently resolved tickets sharing a skill (or, for a ticket with no
skills yet, the most recently resolved ones), so the cost is bounded whatever the history's
size: two indexed queries and a few hundred word sets compared in Python.

**Articles** come from the knowledge base's search interface (swarm/knowledge/search.py) with
the ticket's own words, any of them counting (``Match.ANY``), among *published* articles,
internal and public — the ticket page is staff's — and from the links of the similar tickets:
an article that helped resolve a similar ticket is worth a look.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from swarm.knowledge import search as kb_search
from swarm.models import Article, ArticleTicketLink, Ticket, TicketSkill
from swarm.models.knowledge import ArticleState, Visibility
from swarm.models.tickets import Status

#: Resolved tickets compared with the one shown, the most recently resolved first.
CANDIDATES = 200
#: How much the shared skills weigh against the shared words (both in [0, 1]).
SKILL_SHARE = 0.5
PUBLISHED = kb_search.Scope(
    frozenset({ArticleState.PUBLISHED}), frozenset({Visibility.INTERNAL, Visibility.PUBLIC})
)


@dataclass(frozen=True)
class SimilarTicket:
    """A resolved ticket like the one shown: how alike (0–1), and the articles linked to it."""

    ticket_id: int
    subject: str
    resolution: str | None
    resolved_at: datetime | None
    score: float
    article_ids: tuple[int, ...]


def words(text: str) -> frozenset[str]:
    """The words of ``text`` that say what it is about (the search's own stopwords out).

    >>> sorted(words("The VPN drops when I print"))
    ['drops', 'print', 'vpn']
    """
    return frozenset(kb_search.parse_query(text, kb_search.Match.ANY).terms)


def similar_tickets(session: Session, ticket: Ticket, *, limit: int = 5) -> list[SimilarTicket]:
    """Up to ``limit`` resolved or closed tickets most like ``ticket`` (never itself)."""
    done = (Status.RESOLVED, Status.CLOSED)
    mine = {s.skill_id: s.weight for s in ticket.skills}
    base = select(Ticket.id).where(Ticket.status.in_(done), Ticket.id != ticket.id)
    if mine:
        base = base.join(TicketSkill, TicketSkill.ticket_id == Ticket.id).where(
            TicketSkill.skill_id.in_(mine)
        )
    ids = list(
        session.scalars(
            base.group_by(Ticket.id)
            .order_by(func.max(Ticket.resolved_at).desc(), Ticket.id.desc())
            .limit(CANDIDATES)
        )
    )
    if not ids:
        return []
    rows = session.execute(
        select(Ticket.id, Ticket.subject, Ticket.body, Ticket.resolution, Ticket.resolved_at).where(
            Ticket.id.in_(ids)
        )
    ).all()
    skills: dict[int, dict[int, float]] = defaultdict(dict)
    if mine:
        for tid, sid, weight in session.execute(
            select(TicketSkill.ticket_id, TicketSkill.skill_id, TicketSkill.weight).where(
                TicketSkill.ticket_id.in_(ids)
            )
        ):
            skills[tid][sid] = weight
    own = words(f"{ticket.subject} {ticket.body}")
    total = sum(mine.values()) or 1.0
    scored: list[tuple[float, int, tuple[str, str | None, datetime | None]]] = []
    for tid, subject, body, resolution, resolved_at in rows:
        theirs = words(f"{subject} {body}")
        union = own | theirs
        text_share = len(own & theirs) / len(union) if union else 0.0
        shared = skills.get(tid, {})
        skill_share = sum(min(w, shared[s]) for s, w in mine.items() if s in shared) / total
        score = SKILL_SHARE * skill_share + (1 - SKILL_SHARE) * text_share if mine else text_share
        if text_share > 0 or skill_share > 0:
            scored.append((score, tid, (subject, resolution, resolved_at)))
    scored.sort(key=lambda item: (-item[0], -item[1]))
    best = scored[:limit]
    linked: dict[int, list[int]] = defaultdict(list)
    if best:
        for tid, aid in session.execute(
            select(ArticleTicketLink.ticket_id, ArticleTicketLink.article_id)
            .join(Article, Article.id == ArticleTicketLink.article_id)
            .where(
                ArticleTicketLink.ticket_id.in_([tid for _, tid, _ in best]),
                Article.state == ArticleState.PUBLISHED,
            )
            .order_by(ArticleTicketLink.id)
        ):
            if aid not in linked[tid]:
                linked[tid].append(aid)
    return [
        SimilarTicket(tid, subject, resolution, resolved_at, round(score, 4), tuple(linked[tid]))
        for score, tid, (subject, resolution, resolved_at) in best
    ]


def similar_articles(session: Session, ticket: Ticket, *, limit: int = 5) -> list[kb_search.Hit]:
    """Published articles (internal or public) matching the ticket's words, best first."""
    text = f"{ticket.subject}\n{ticket.body}"
    return kb_search.search(session, text, PUBLISHED, match=kb_search.Match.ANY, limit=limit)

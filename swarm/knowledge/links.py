"""Links between articles and tickets, written by the knowledge service (capture, a link made
by hand) and by the ticket service (articles that helped, named on resolve) alike, so that
both write the same rows and the same ``article_linked`` events (docs/events.md)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from swarm.models import Article, ArticleTicketLink
from swarm.models.knowledge import ArticleState
from swarm.tickets.errors import Invalid

#: At most this many articles may be named as having helped resolve one ticket.
MAX_HELPED = 10


def helpful_articles(session: Session, article_ids: Iterable[int]) -> list[int]:
    """``article_ids`` once each, in order, checked: every one must be a published article
    (internal or public), or ``Invalid`` names those that are not."""
    wanted = list(dict.fromkeys(int(i) for i in article_ids))
    if len(wanted) > MAX_HELPED:
        raise Invalid(
            f"Name at most {MAX_HELPED} articles that helped.",
            fields={"articles": [f"More than {MAX_HELPED}."]},
        )
    if not wanted:
        return []
    found = set(
        session.scalars(
            select(Article.id).where(
                Article.id.in_(wanted), Article.state == ArticleState.PUBLISHED
            )
        )
    )
    missing = [i for i in wanted if i not in found]
    if missing:
        raise Invalid(
            "Only published articles can be linked as having helped: "
            f"there is no published article {', '.join(map(str, missing))}.",
            fields={"articles": [f"No published article {i}." for i in missing]},
        )
    return wanted


def add_link(
    session: Session, article_id: int, ticket_id: int, kind: str, actor_id: int | None, at: datetime
) -> ArticleTicketLink | None:
    """Insert the link unless that (article, ticket, kind) exists; the new row, or None when
    it was already there (so the caller writes ``article_linked`` once)."""
    existing = session.scalar(
        select(ArticleTicketLink.id).where(
            ArticleTicketLink.article_id == article_id,
            ArticleTicketLink.ticket_id == ticket_id,
            ArticleTicketLink.kind == kind,
        )
    )
    if existing is not None:
        return None
    link = ArticleTicketLink(
        article_id=article_id, ticket_id=ticket_id, kind=kind, linked_by=actor_id, linked_at=at
    )
    session.add(link)
    return link

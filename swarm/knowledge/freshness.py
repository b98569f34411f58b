"""The "still accurate?" flag: a published article that has been reused many times, or has not
been looked at for months, asks staff to check it again (docs/knowledge.md, "Still accurate?").

An article's **last review** is the latest of: its publication, a reviewer's approval
(``article_reviews``) and a confirmation that it is still accurate (``article_checks``). Since
then it is flagged when

* it was linked as having helped resolve ``reuses`` tickets or more (``SWARM_KB_STALE_REUSES``,
  10) — reason ``reuses``; or
* ``months`` months have passed (``SWARM_KB_STALE_MONTHS``, 6; a month is 30 days) — reason
  ``age``.

Confirming (:meth:`KnowledgeService.confirm`) records an ``article_checks`` row, which moves the
last review to now and so clears the flag. Computed with three grouped queries for any number
of articles, so the index page asks once for the whole page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from swarm.models import Article, ArticleCheck, ArticleReview, ArticleTicketLink
from swarm.models.knowledge import ArticleState, LinkKind

DAYS_PER_MONTH = 30


@dataclass(frozen=True)
class Staleness:
    """When an article is flagged: after ``reuses`` reuses or ``months`` months."""

    reuses: int = 10
    months: float = 6.0

    @property
    def age(self) -> timedelta:
        return timedelta(days=self.months * DAYS_PER_MONTH)


@dataclass(frozen=True)
class Freshness:
    """Where one published article stands: reused ``reuses`` times since its last review
    (``reviewed_at``); ``reason`` is ``reuses`` or ``age`` when it is flagged, else None."""

    reviewed_at: datetime
    reuses: int
    reason: str | None

    @property
    def flagged(self) -> bool:
        return self.reason is not None


def freshness(
    session: Session, article_ids: Iterable[int], now: datetime, rule: Staleness
) -> dict[int, Freshness]:
    """The freshness of each published article among ``article_ids`` (others are left out)."""
    ids = list(dict.fromkeys(article_ids))
    if not ids:
        return {}
    published = dict(
        session.execute(
            select(Article.id, Article.published_at).where(
                Article.id.in_(ids), Article.state == ArticleState.PUBLISHED
            )
        ).all()
    )
    if not published:
        return {}
    last: dict[int, datetime] = {i: at for i, at in published.items() if at is not None}
    for table, column in ((ArticleReview, ArticleReview.at), (ArticleCheck, ArticleCheck.at)):
        rows = session.execute(
            select(table.article_id, func.max(column))
            .where(table.article_id.in_(published))
            .group_by(table.article_id)
        ).all()
        for article_id, at in rows:
            if at is not None and (article_id not in last or at > last[article_id]):
                last[article_id] = at
    # Links after the earliest last review, counted per article in Python against its own: the
    # rows are few (one per reuse) and one query serves the whole page.
    since = min(last.values(), default=now)
    counts: dict[int, int] = dict.fromkeys(published, 0)
    links = session.execute(
        select(ArticleTicketLink.article_id, ArticleTicketLink.linked_at).where(
            ArticleTicketLink.article_id.in_(published),
            ArticleTicketLink.kind == LinkKind.RESOLVED,
            ArticleTicketLink.linked_at > since,
        )
    ).all()
    for article_id, linked_at in links:
        if article_id in last and linked_at > last[article_id]:
            counts[article_id] += 1
    out: dict[int, Freshness] = {}
    for article_id in published:
        reviewed = last.get(article_id, now)
        reuses = counts[article_id]
        reason = None
        if reuses >= rule.reuses:
            reason = "reuses"
        elif now - reviewed >= rule.age:
            reason = "age"
        out[article_id] = Freshness(reviewed, reuses, reason)
    return out

"""What each audience sees of an article, declared once: the API, and the pages read
:data:`ARTICLE_FIELDS`. A field not listed for an audience is not sent to it.

Requesters and guests see the published text (title, body, its HTML, category, skills, when it
was published); who wrote and reviewed it, who it was captured from (contributors), its state,
visibility, version number and "still accurate?" flag — the workings of the knowledge base —
are for staff.
"""

from __future__ import annotations

from typing import Any

from swarm.events import Audience
from swarm.knowledge.freshness import Freshness
from swarm.knowledge.render import render_markdown
from swarm.knowledge.service import Diff, Found
from swarm.models import Article, ArticleVersion, User

READER_FIELDS = frozenset(
    {"id", "title", "body", "html", "category", "skills", "published_at", "updated_at"}
)
ARTICLE_FIELDS: dict[Audience, frozenset[str]] = {
    Audience.STAFF: READER_FIELDS
    | {
        "state",
        "visibility",
        "version",
        "author",
        "reviewers",
        "created_at",
        "contributors",
        "still_accurate",
    },
    Audience.REQUESTER: READER_FIELDS,
    Audience.GUEST: READER_FIELDS,
}


def audience_for(user: User) -> Audience:
    return Audience.STAFF if user.is_staff else Audience.REQUESTER


def _person(user: User) -> dict[str, Any]:
    return {"id": user.id, "name": user.name}


def freshness_payload(state: Freshness | None) -> dict[str, Any] | None:
    """The "still accurate?" state of a published article (None for other states)."""
    if state is None:
        return None
    return {
        "flagged": state.flagged,
        "reason": state.reason,
        "reuses": state.reuses,
        "reviewed_at": state.reviewed_at,
    }


def article_payload(
    article: Article,
    audience: Audience,
    *,
    html: bool = True,
    freshness: Freshness | None = None,
) -> dict[str, Any]:
    """The article as ``audience`` may see it; ``html=False`` leaves the rendering out (lists).
    ``freshness``: its "still accurate?" state, for staff (``KnowledgeService.freshness``)."""
    full: dict[str, Any] = {
        "id": article.id,
        "title": article.title,
        "body": article.body,
        "category": article.category,
        "skills": [{"id": s.skill_id, "name": s.skill.name} for s in article.skills],
        "published_at": article.published_at,
        "updated_at": article.updated_at,
        "state": article.state,
        "visibility": article.visibility,
        "version": article.version,
        "author": _person(article.author),
        "reviewers": [
            {**_person(r.reviewer), "version": r.version, "at": r.at} for r in article.reviews
        ],
        "created_at": article.created_at,
        "contributors": [{**_person(c.user), "role": c.role} for c in article.contributors],
        "still_accurate": freshness_payload(freshness),
    }
    if html:
        full["html"] = render_markdown(article.body)
    allowed = ARTICLE_FIELDS[audience]
    return {key: value for key, value in full.items() if key in allowed}


def hit_payload(
    found: Found, audience: Audience, freshness: Freshness | None = None
) -> dict[str, Any]:
    """A search result: the article without its body, with the highlighted title and snippet
    (escaped HTML in which only ``<mark>`` is markup) and the score."""
    payload = article_payload(found.article, audience, html=False, freshness=freshness)
    payload.pop("body", None)
    return {
        **payload,
        "title_html": found.hit.title_html,
        "snippet_html": found.hit.snippet_html,
        "score": round(found.hit.score, 6),
    }


def version_payload(version: ArticleVersion) -> dict[str, Any]:
    """One saved version (staff only, as all version history)."""
    return {
        "number": version.number,
        "title": version.title,
        "body": version.body,
        "category": version.category,
        "visibility": version.visibility,
        "author": _person(version.author),
        "saved_at": version.saved_at,
    }


def diff_payload(diff: Diff) -> dict[str, Any]:
    return {
        "from": diff.from_version,
        "to": diff.to_version,
        "title": diff.title,
        "body": diff.body,
        "category_changed": diff.category_changed,
        "visibility_changed": diff.visibility_changed,
    }

"""Request and response schemas of the knowledge base (swarm/api/knowledge_views.py). Which
fields each caller receives is swarm/knowledge/payloads.py's decision; fields a caller may not
see are absent from the response, not null."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Float, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range

from swarm.api.schemas import Id, SkillRef, StrictSchema, UserRef, Whole
from swarm.models.knowledge import CATEGORY_MAX, TITLE_MAX

VISIBILITIES = ["internal", "public"]
SUGGEST_TEXT_MAX = 64 * 1024


class ArticleIn(StrictSchema):
    title = String(required=True, validate=Length(1, TITLE_MAX))
    # The 100 KB limit on the body is the service's (it answers 413, not 422).
    body = String(required=True, metadata={"description": "Markdown, at most 100 KB."})
    category = String(load_default=None, allow_none=True, validate=Length(0, CATEGORY_MAX))
    skills = List(Id(), load_default=list, validate=Length(0, 20))
    visibility = String(
        load_default="internal",
        validate=OneOf(VISIBILITIES),
        metadata={"description": "`internal` (staff only) or `public` (requesters too)."},
    )


class ArticleEdit(StrictSchema):
    version = Whole(
        required=True,
        validate=Range(1, 2**31 - 1),
        metadata={"description": "The version the edit started from; another one → 409."},
    )
    title = String(validate=Length(1, TITLE_MAX))
    body = String()
    category = String(allow_none=True, validate=Length(0, CATEGORY_MAX))
    skills = List(Id(), validate=Length(0, 20))
    visibility = String(validate=OneOf(VISIBILITIES))


class ArticlePublishIn(StrictSchema):
    version = Whole(
        load_default=None,
        allow_none=True,
        validate=Range(1, 2**31 - 1),
        metadata={"description": "Optional: the version the reviewer read; another one → 409."},
    )


class ArticleReviewerOut(Schema):
    id = Integer()
    name = String()
    version = Integer()
    at = DateTime()


class ContributorOut(Schema):
    id = Integer()
    name = String()
    role = String(metadata={"description": "owner, helper or guest"})


class StillAccurateOut(Schema):
    flagged = Boolean(metadata={"description": "Due for a check: reused or not reviewed."})
    reason = String(allow_none=True, metadata={"description": "reuses, age, or null."})
    reuses = Integer(metadata={"description": "Tickets it helped resolve since its review."})
    reviewed_at = DateTime(
        metadata={"description": "Its last publication, approval or confirmation."}
    )


STAFF_ONLY_FRESHNESS = {
    "description": "Staff only: the 'still accurate?' flag of a published article (null "
    "otherwise); see docs/knowledge.md."
}


class ArticleOut(Schema):
    id = Integer()
    title = String()
    body = String(metadata={"description": "Markdown as written."})
    html = String(metadata={"description": "The body rendered and sanitised: safe to display."})
    category = String(allow_none=True)
    skills = List(Nested(SkillRef))
    published_at = DateTime(allow_none=True)
    updated_at = DateTime()
    state = String(metadata={"description": "Staff only: draft, in_review, published, archived."})
    visibility = String(metadata={"description": "Staff only."})
    version = Integer(metadata={"description": "Staff only: send it back with an edit."})
    author = Nested(UserRef, metadata={"description": "Staff only."})
    reviewers = List(Nested(ArticleReviewerOut), metadata={"description": "Staff only."})
    created_at = DateTime(metadata={"description": "Staff only."})
    contributors = List(
        Nested(ContributorOut),
        metadata={"description": "Staff only: whose work a captured article was drafted from."},
    )
    still_accurate = Nested(StillAccurateOut, allow_none=True, metadata=STAFF_ONLY_FRESHNESS)


class ArticleHitOut(Schema):
    id = Integer()
    title = String()
    title_html = String(
        allow_none=True,
        metadata={"description": "Escaped title, matched words in `<mark>` (search only)."},
    )
    snippet_html = String(
        allow_none=True,
        metadata={"description": "Escaped excerpt, matched words in `<mark>` (search only)."},
    )
    score = Float(allow_none=True, metadata={"description": "Higher is better, within one search."})
    category = String(allow_none=True)
    skills = List(Nested(SkillRef))
    published_at = DateTime(allow_none=True)
    updated_at = DateTime()
    state = String(metadata={"description": "Staff only."})
    visibility = String(metadata={"description": "Staff only."})
    version = Integer(metadata={"description": "Staff only."})
    author = Nested(UserRef, metadata={"description": "Staff only."})
    contributors = List(Nested(ContributorOut), metadata={"description": "Staff only."})
    still_accurate = Nested(StillAccurateOut, allow_none=True, metadata=STAFF_ONLY_FRESHNESS)


class ArticleList(Schema):
    items = List(Nested(ArticleHitOut))


class ArticleQuery(StrictSchema):
    q = String(
        load_default="",
        validate=Length(0, 200),
        metadata={
            "description": "Words to find (all of them; the last as a prefix unless followed by "
            "a space). Empty: the most recently updated articles."
        },
    )
    limit = Integer(load_default=20, validate=Range(1, 50))
    offset = Integer(load_default=0, validate=Range(0, 10_000))


class ArticleSuggestIn(StrictSchema):
    text = String(
        required=True,
        validate=Length(0, SUGGEST_TEXT_MAX),
        metadata={"description": "A draft ticket's subject and description."},
    )
    limit = Integer(load_default=5, validate=Range(1, 20))


class ArticlePreviewIn(StrictSchema):
    body = String(required=True, metadata={"description": "Markdown, at most 100 KB."})


class ArticlePreviewOut(Schema):
    html = String()


class ArticleVersionOut(Schema):
    number = Integer()
    title = String()
    body = String()
    category = String(allow_none=True)
    visibility = String()
    author = Nested(UserRef)
    saved_at = DateTime()


class ArticleVersionList(Schema):
    items = List(Nested(ArticleVersionOut))


class ArticleDiffQuery(StrictSchema):
    from_ = Integer(data_key="from", required=True, validate=Range(1, 2**31 - 1))
    to = Integer(required=True, validate=Range(1, 2**31 - 1))


class ArticleDiffOut(Schema):
    from_ = Integer(data_key="from", attribute="from")
    to = Integer()
    title = String(metadata={"description": "Unified diff of the title (empty: unchanged)."})
    body = String(metadata={"description": "Unified diff of the body (empty: unchanged)."})
    category_changed = Boolean()
    visibility_changed = Boolean()


class SimilarTicketOut(Schema):
    id = Integer()
    subject = String()
    resolution = String(allow_none=True)
    resolved_at = DateTime(allow_none=True)
    score = Float(metadata={"description": "How alike, 0 to 1 (skills and words shared)."})
    article_ids = List(Integer(), metadata={"description": "Published articles linked to it."})


class TicketArticleLinkOut(Schema):
    kind = String(metadata={"description": "source (drafted from this ticket) or resolved."})
    linked_at = DateTime()
    article = Nested(ArticleHitOut)


class TicketKnowledgeOut(Schema):
    similar_tickets = List(Nested(SimilarTicketOut))
    articles = List(
        Nested(ArticleHitOut),
        metadata={"description": "Published articles (internal or public) matching its text."},
    )
    linked = List(Nested(TicketArticleLinkOut))
    captured_article_id = Integer(
        allow_none=True, metadata={"description": "The article drafted from it, if any."}
    )

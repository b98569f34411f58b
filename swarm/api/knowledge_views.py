"""The knowledge base: write, review, publish and find articles. Each view is one
``KnowledgeService`` call; what a caller sees of an article is swarm/knowledge/payloads.py's."""

from __future__ import annotations

from typing import Any

from swarm.api import api
from swarm.api.auth import authenticated, caller
from swarm.api.knowledge_schemas import (
    ArticleDiffOut,
    ArticleDiffQuery,
    ArticleEdit,
    ArticleIn,
    ArticleList,
    ArticleOut,
    ArticlePreviewIn,
    ArticlePreviewOut,
    ArticlePublishIn,
    ArticleQuery,
    ArticleSuggestIn,
    ArticleVersionList,
    TicketKnowledgeOut,
)
from swarm.knowledge.payloads import (
    article_payload,
    audience_for,
    diff_payload,
    hit_payload,
    version_payload,
)
from swarm.runtime import knowledge_service

READ = {404: "No such article (or not one you may read)"}
WRITE = {
    403: "Staff only (see docs/knowledge.md for who may publish, archive, delete)",
    404: "No such article",
    409: "Not in a state that allows this, or edited meanwhile (stale version)",
    413: "Body over 100 KB",
    422: "Invalid fields",
}


def _article(article: Any) -> dict[str, Any]:
    user = caller()
    state = knowledge_service().freshness(user, [article.id]).get(article.id)
    return article_payload(article, audience_for(user), freshness=state)


@api.post("/articles")
@api.input(ArticleIn, arg_name="data")
@api.output(ArticleOut, status_code=201)
@api.doc(summary="Write a new article (a draft; staff)", responses=WRITE)
@authenticated
def create_article(data: dict[str, Any]) -> Any:
    return _article(knowledge_service().create(caller(), **data))


@api.get("/articles")
@api.input(ArticleQuery, location="query", arg_name="query")
@api.output(ArticleList)
@api.doc(summary="Search the articles you may read, best first (or the latest, without q)")
@authenticated
def list_articles(query: dict[str, Any]) -> Any:
    user, kb = caller(), knowledge_service()
    audience = audience_for(user)
    window = {"limit": query["limit"], "offset": query["offset"]}
    if not query["q"].strip():
        articles = kb.browse(user, **window)
        fresh = kb.freshness(user, [a.id for a in articles])
        return {
            "items": [
                article_payload(a, audience, html=False, freshness=fresh.get(a.id))
                for a in articles
            ]
        }
    found = kb.search(user, query["q"], **window)
    fresh = kb.freshness(user, [f.article.id for f in found])
    return {"items": [hit_payload(f, audience, fresh.get(f.article.id)) for f in found]}


@api.post("/articles/suggest")
@api.input(ArticleSuggestIn, arg_name="data")
@api.output(ArticleList)
@api.doc(summary="Published public articles matching a draft ticket's text")
@authenticated
def suggest_articles(data: dict[str, Any]) -> Any:
    user = caller()
    found = knowledge_service().suggest(user, data["text"], limit=data["limit"])
    return {"items": [hit_payload(f, audience_for(user)) for f in found]}


@api.post("/articles/preview")
@api.input(ArticlePreviewIn, arg_name="data")
@api.output(ArticlePreviewOut)
@api.doc(summary="Render Markdown as an article would show it (staff)", responses=WRITE)
@authenticated
def preview_article(data: dict[str, Any]) -> Any:
    return {"html": knowledge_service().preview(caller(), data["body"])}


@api.get("/articles/<id:article_id>")
@api.output(ArticleOut)
@api.doc(summary="One article", responses=READ)
@authenticated
def get_article(article_id: int) -> Any:
    return _article(knowledge_service().get(caller(), article_id))


@api.put("/articles/<id:article_id>")
@api.input(ArticleEdit, arg_name="data")
@api.output(ArticleOut)
@api.doc(summary="Edit the article as it was at `version` (staff)", responses=WRITE)
@authenticated
def edit_article(article_id: int, data: dict[str, Any]) -> Any:
    version = data.pop("version")
    return _article(knowledge_service().update(caller(), article_id, version, data))


@api.delete("/articles/<id:article_id>")
@api.output({}, status_code=204)
@api.doc(summary="Delete an article with its versions and links", responses=WRITE)
@authenticated
def delete_article(article_id: int) -> Any:
    knowledge_service().delete(caller(), article_id)
    return ""


@api.post("/articles/<id:article_id>/submit")
@api.output(ArticleOut)
@api.doc(summary="Send a draft to review (staff)", responses=WRITE)
@authenticated
def submit_article(article_id: int) -> Any:
    return _article(knowledge_service().submit(caller(), article_id))


@api.post("/articles/<id:article_id>/publish")
@api.input(ArticlePublishIn, arg_name="data")
@api.output(ArticleOut)
@api.doc(
    summary="Publish: a reviewer other than the author, or a manager or admin",
    responses=WRITE,
)
@authenticated
def publish_article(article_id: int, data: dict[str, Any]) -> Any:
    return _article(knowledge_service().publish(caller(), article_id, data.get("version")))


@api.post("/articles/<id:article_id>/archive")
@api.output(ArticleOut)
@api.doc(summary="Archive: out of search and of requesters' sight", responses=WRITE)
@authenticated
def archive_article(article_id: int) -> Any:
    return _article(knowledge_service().archive(caller(), article_id))


@api.get("/articles/<id:article_id>/versions")
@api.output(ArticleVersionList)
@api.doc(summary="Every saved version, oldest first (staff)", responses=READ)
@authenticated
def article_versions(article_id: int) -> Any:
    versions = knowledge_service().versions(caller(), article_id)
    return {"items": [version_payload(v) for v in versions]}


@api.get("/articles/<id:article_id>/diff")
@api.input(ArticleDiffQuery, location="query", arg_name="query")
@api.output(ArticleDiffOut)
@api.doc(summary="What changed between two versions (unified diffs; staff)", responses=READ)
@authenticated
def article_diff(article_id: int, query: dict[str, Any]) -> Any:
    diff = knowledge_service().diff(caller(), article_id, query["from_"], query["to"])
    return diff_payload(diff)


@api.post("/articles/<id:article_id>/confirm")
@api.output(ArticleOut)
@api.doc(
    summary="Confirm a published article is still accurate (clears its flag; staff)",
    responses=WRITE,
)
@authenticated
def confirm_article(article_id: int) -> Any:
    return _article(knowledge_service().confirm(caller(), article_id))


@api.post("/tickets/<id:ticket_id>/article-draft")
@api.output(ArticleOut, status_code=201)
@api.doc(
    summary="Draft an article from a resolved ticket's swarm (staff)",
    description="Title from the subject; body from the resolution and the room's `solution` "
    "messages; the owner and their writers recorded as contributors; the ticket linked as "
    "its `source`. Open it in the editor, then review and publish as any draft.",
    responses={
        403: "Staff only",
        404: "No such ticket (or not yours)",
        409: "Not resolved yet, or an article was already drafted from it (named)",
    },
)
@authenticated
def draft_article_from_ticket(ticket_id: int) -> Any:
    return _article(knowledge_service().draft_from_ticket(caller(), ticket_id))


@api.get("/tickets/<id:ticket_id>/knowledge")
@api.output(TicketKnowledgeOut)
@api.doc(
    summary="Similar resolved tickets and articles, and the articles linked to a ticket (staff)",
    responses={403: "Staff only", 404: "No such ticket (or not yours)"},
)
@authenticated
def ticket_knowledge(ticket_id: int) -> Any:
    user, kb = caller(), knowledge_service()
    around = kb.around_ticket(user, ticket_id)
    audience = audience_for(user)
    ids = [f.article.id for f in around.articles] + [a.id for _, a in around.linked]
    fresh = kb.freshness(user, ids)
    return {
        "similar_tickets": [
            {
                "id": t.ticket_id,
                "subject": t.subject,
                "resolution": t.resolution,
                "resolved_at": t.resolved_at,
                "score": t.score,
                "article_ids": list(t.article_ids),
            }
            for t in around.similar
        ],
        "articles": [hit_payload(f, audience, fresh.get(f.article.id)) for f in around.articles],
        "linked": [
            {
                "kind": link.kind,
                "linked_at": link.linked_at,
                "article": article_payload(
                    article, audience, html=False, freshness=fresh.get(article.id)
                ),
            }
            for link, article in around.linked
        ],
        "captured_article_id": around.captured.id if around.captured else None,
    }

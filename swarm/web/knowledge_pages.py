"""Knowledge-base pages: the index with search, an article, and the editor with a live preview
(static/js/kb-editor.js asks ``POST /api/v1/articles/preview`` for the sanitised HTML).

Each change is a form posting to one route, which calls one service use case and redirects
back with a message; an edit that lost to another save keeps what the person typed.
"""

from __future__ import annotations

from typing import Any

from apiflask import abort  # flask's would drop the sentence: the error page shows it
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from swarm.api.knowledge_schemas import ArticleEdit, ArticleIn
from swarm.knowledge.payloads import article_payload, audience_for, hit_payload
from swarm.models.knowledge import Visibility
from swarm.runtime import knowledge_service
from swarm.tickets.errors import DomainError, Invalid
from swarm.web import web
from swarm.web.forms import current, form_int, load_form
from swarm.web.i18n import N_, translate

PAGE_SIZE = 20
FIELDS = ("title", "body", "category", "visibility")


@web.get("/kb")
@login_required
def kb_index() -> Any:
    user = current()
    q = (request.args.get("q") or "")[:200]
    kb = knowledge_service()
    audience = audience_for(user)
    if q.strip():
        found = kb.search(user, q, limit=PAGE_SIZE)
        fresh = kb.freshness(user, [f.article.id for f in found])
        items = [hit_payload(f, audience, fresh.get(f.article.id)) for f in found]
    else:
        articles = kb.browse(user, limit=PAGE_SIZE)
        fresh = kb.freshness(user, [a.id for a in articles])
        items = [
            article_payload(a, audience, html=False, freshness=fresh.get(a.id)) for a in articles
        ]
    return render_template("kb/index.html", q=q, items=items)


@web.get("/kb/<id:article_id>")
@login_required
def kb_article(article_id: int) -> Any:
    user = current()
    kb = knowledge_service()
    article = kb.get(user, article_id)
    fresh = kb.freshness(user, [article_id]).get(article_id)
    # Staff see where the article came from and where it helped, and who last confirmed it.
    links = kb.links(user, article_id) if user.is_staff else []
    checks = kb.checks(user, article_id) if user.is_staff else []
    return render_template(
        "kb/article.html",
        article=article_payload(article, audience_for(user), freshness=fresh),
        links=links,
        last_check=checks[-1] if checks else None,
    )


@web.route("/kb/new", methods=["GET", "POST"])
@login_required
def kb_new() -> Any:
    user = current()
    if not user.is_staff:
        abort(403, "Only agents, managers and admins write articles.")
    form = {"title": "", "body": "", "category": "", "visibility": Visibility.INTERNAL}
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        form = {key: request.form.get(key, "") for key in FIELDS}
        # The API's ArticleIn checks the form, so the page refuses what the API refuses.
        data, errors = load_form(ArticleIn(), FIELDS)
        try:
            if errors:
                raise Invalid("Not saved: see the messages beside the fields.", fields=errors)
            article = knowledge_service().create(user, **_fields(data))
        except DomainError as exc:
            flash(translate(exc.message), "error")
            errors, status = exc.fields or {}, exc.status
        else:
            flash(_("Draft saved."), "info")
            return redirect(url_for("web.kb_article", article_id=article.id))
    return render_template("kb/edit.html", form=form, errors=errors, article=None), status


@web.route("/kb/<id:article_id>/edit", methods=["GET", "POST"])
@login_required
def kb_edit(article_id: int) -> Any:
    user = current()
    kb = knowledge_service()
    if not user.is_staff:
        # Requesters edit nothing; an article they may not read does not exist for them.
        kb.get(user, article_id)
        abort(403, "Only agents, managers and admins edit articles.")
    article = kb.get(user, article_id)
    form = {key: getattr(article, key) or "" for key in FIELDS}
    version = article.version
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        form = {key: request.form.get(key, "") for key in FIELDS}
        version = form_int(request.form.get("version")) or 0
        # The API's ArticleEdit: an emptied title or body is refused, not left as it was.
        data, errors = load_form(
            ArticleEdit(), ("version", *FIELDS), cleared=("title", "body", "category")
        )
        try:
            if errors:
                raise Invalid("Not saved: see the messages beside the fields.", fields=errors)
            kb.update(user, article_id, data.pop("version"), _fields(data))
        except DomainError as exc:
            flash(translate(exc.message), "error")
            errors, status = exc.fields or {}, exc.status
        else:
            flash(_("Saved."), "info")
            return redirect(url_for("web.kb_article", article_id=article_id))
    payload = article_payload(kb.get(user, article_id), audience_for(user))
    return render_template(
        "kb/edit.html", form=form, errors=errors, article=payload, version=version
    ), status


ACTIONS = {
    "submit": N_("Sent for review."),
    "publish": N_("Published."),
    "archive": N_("Archived."),
    "confirm": N_("Confirmed as still accurate: the flag is cleared."),
}


@web.post("/kb/<id:article_id>/<action>")
@login_required
def kb_action(article_id: int, action: str) -> Any:
    if action not in ACTIONS:
        abort(404)
    kb = knowledge_service()
    user = current()
    try:
        if action == "submit":
            kb.submit(user, article_id)
        elif action == "publish":
            kb.publish(user, article_id, form_int(request.form.get("version")))
        elif action == "confirm":
            kb.confirm(user, article_id)
        else:
            kb.archive(user, article_id)
    except DomainError as exc:
        # Not found, or not staff: the error page says so. Staff see the reason on the article.
        if exc.status == 404 or not user.is_staff:
            raise
        flash(translate(exc.message), "error")
    else:
        flash(translate(ACTIONS[action]), "info")
    return redirect(url_for("web.kb_article", article_id=article_id))


def _fields(data: dict[str, Any]) -> dict[str, Any]:
    """The loaded form as the service takes it: an emptied category clears it."""
    return {
        "title": data["title"],
        "body": data["body"],
        "category": data.get("category") or None,
        "visibility": data.get("visibility") or Visibility.INTERNAL,
    }


@web.post("/tickets/<id:ticket_id>/article-draft")
@login_required
def ticket_article_draft(ticket_id: int) -> Any:
    """ "Draft an article from this swarm": assembled, saved as a draft, opened in the editor.
    A ticket that already has one opens that one instead."""
    user = current()
    kb = knowledge_service()
    try:
        article = kb.draft_from_ticket(user, ticket_id)
    except DomainError as exc:
        existing = kb.captured_from(ticket_id) if user.is_staff and exc.status == 409 else None
        if existing is not None:
            flash(translate(exc.message), "info")
            return redirect(url_for("web.kb_edit", article_id=existing.id))
        if exc.status in (403, 404):
            raise
        flash(translate(exc.message), "error")
        return redirect(url_for("web.ticket", ticket_id=ticket_id))
    flash(
        _("Draft assembled from the swarm's work. Edit it, then submit it for review."),
        "info",
    )
    return redirect(url_for("web.kb_edit", article_id=article.id))

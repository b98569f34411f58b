"""The self-service portal, the requesters' home page (docs/knowledge.md, "The portal"):
search the public knowledge base, a new-ticket form beside which matching articles appear as
one types (static/js/portal.js), and the requester's own tickets with their status.

Rendering writes nothing: what was displayed or opened is reported by the page's script, and
"this solved it" by the requester (swarm/api/portal_views.py). "Still need help" is the form's
submit: the ticket opens with the articles the requester was shown attached.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from markupsafe import Markup

from swarm.api.schemas import TicketIn
from swarm.events import Audience
from swarm.knowledge.payloads import hit_payload
from swarm.knowledge.render import render_markdown
from swarm.models.tickets import Priority
from swarm.runtime import portal_service, routing_service, ticket_service
from swarm.tickets.errors import DomainError, Invalid
from swarm.web import web
from swarm.web.forms import current, form_int, load_form
from swarm.web.i18n import translate

RESULTS = 10
MY_TICKETS = 20
FORM_FIELDS = ("subject", "body", "priority")


def _page(form: dict[str, str], errors: dict[str, list[str]], status: int = 200) -> Any:
    user = current()
    q = (request.args.get("q") or "")[:200]
    found = portal_service().search(q, limit=RESULTS) if q.strip() else []
    mine = [] if user.is_staff else ticket_service().list(user, limit=MY_TICKETS).items
    return render_template(
        "portal.html",
        q=q,
        results=[hit_payload(f, Audience.REQUESTER) for f in found],
        form=form,
        errors=errors,
        priorities=list(Priority),
        tickets=mine,
        # Staff may look at the portal; only a requester's page reports what it shows.
        reporting=not user.is_staff,
    ), status


@web.get("/portal")
@login_required
def portal() -> Any:
    return _page({"subject": "", "body": "", "priority": "P3"}, {})


@web.post("/portal/tickets")
@login_required
def portal_ticket() -> Any:
    user = current()
    form = {key: request.form.get(key, "") for key in FORM_FIELDS}
    visit = request.form.get("visit", "")
    portal = portal_service()
    # Only articles the page reported displaying in this visit are attached: the ticket's
    # events say what the requester saw, not what the form claims.
    asked = [i for i in (form_int(v) for v in request.form.getlist("shown")) if i]
    shown = portal.shown_in(user, visit, asked) if not user.is_staff else []
    # The API's TicketIn checks the form, as on /tickets/new: the portal refuses what the API
    # refuses, beside the field.
    data, errors = load_form(TicketIn(), FORM_FIELDS)
    try:
        if errors:
            raise Invalid(
                "The ticket needs a subject, a description and a priority.", fields=errors
            )
        ticket = routing_service().open_ticket(
            user,
            subject=data["subject"],
            body=data["body"],
            priority=data["priority"],
            shown_articles=shown,
            on_created=None if user.is_staff else portal.end_visit_with(user, visit),
        )
    except DomainError as exc:
        flash(translate(exc.message), "error")
        return _page(form, exc.fields or {}, exc.status)
    flash(_("Ticket #%(id)s opened.", id=ticket.id), "info")
    return redirect(url_for("web.ticket", ticket_id=ticket.id))


@web.app_template_filter("markdown")
def markdown(body: str) -> Markup:
    """An article's Markdown as sanitised HTML (swarm/knowledge/render.py)."""
    return Markup(render_markdown(body))  # noqa: S704 - sanitised by nh3's allow-list

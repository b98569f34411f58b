"""Ticket pages: the list with filters, the new-ticket form, and the ticket with its timeline.

Each change is a small form that posts to one route, which calls one service use case and
redirects back with a message (post/redirect/get), so a reload never repeats a change.
"""

from __future__ import annotations

import re
from typing import Any

from apiflask import abort  # flask's would drop the sentence: the error page shows it
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from marshmallow import Schema
from sqlalchemy import select

from swarm.api.guest_views import GuestIn
from swarm.api.schemas import (
    AssignIn,
    NoteIn,
    ReasonIn,
    ResolveIn,
    SatisfactionIn,
    StatusIn,
    TicketIn,
)
from swarm.inputs import ascii_int
from swarm.mail.attachments import AttachmentService
from swarm.models import Ticket, User
from swarm.models.tickets import Priority, Status
from swarm.runtime import (
    db_session,
    guest_service,
    knowledge_service,
    portal_service,
    profile_service,
    room_service,
    routing_service,
    runtime,
    ticket_service,
    tiered_service,
)
from swarm.tickets.candidates import candidates
from swarm.tickets.errors import DomainError, Invalid
from swarm.tickets.guests import guest_for_token
from swarm.tickets.states import TRANSITIONS
from swarm.web import web
from swarm.web.filters import people_in
from swarm.web.forms import current, form_int, load_form, refused
from swarm.web.i18n import N_, translate

PAGE_SIZE = 25


SORT_LABELS = {
    "newest": "newest first",
    "oldest": "oldest first",
    "priority": "priority (P1 first)",
    "updated": "recently updated",
}


@web.get("/tickets")
@login_required
def tickets() -> Any:
    user = current()
    args = request.args
    filters = {key: args.get(key) or None for key in ("status", "mode", "owner", "priority")}
    filters["q"] = (args.get("q") or "").strip() or None
    sort = args.get("sort") or "newest"
    if (
        filters["status"] not in (None, *Status.__members__.values())
        or filters["mode"] not in (None, "swarm", "tiered")
        or filters["priority"] not in (None, *Priority.__members__.values())
        or sort not in SORT_LABELS
    ):
        abort(400, "Unknown status, mode, priority or sort in the address.")
    # As the API's ``page``: at most 100,000, so the offset fits a 64-bit integer.
    number = min(form_int(args.get("page")) or 1, 100_000)
    owner = filters["owner"]
    page = ticket_service().list(
        user,
        status=filters["status"],
        mode=filters["mode"],
        priority=filters["priority"],
        owner_id=user.id if owner == "me" else form_int(owner),
        unowned=owner == "none",
        q=filters["q"],
        sort=sort,
        offset=(number - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    if sort != "newest":
        filters["sort"] = sort
    return render_template(
        "tickets/list.html",
        page=page,
        number=number,
        pages=max(1, -(-page.total // PAGE_SIZE)),
        filters=filters,
        sort=sort,
        sorts=SORT_LABELS,
        statuses=list(Status),
        priorities=list(Priority),
    )


def page_numbers(current_page: int, pages: int) -> list[int | None]:
    """The page links a pager shows: the first, the last, and two either side of the current
    one; ``None`` stands for the gap between them."""
    shown = sorted({1, pages, *range(max(1, current_page - 2), min(pages, current_page + 2) + 1)})
    numbers: list[int | None] = []
    for n in shown:
        if numbers and n - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(n)
    return numbers


web.add_app_template_global(page_numbers)


@web.route("/tickets/new", methods=["GET", "POST"])
@login_required
def new_ticket() -> Any:
    user = current()
    form = {"subject": "", "body": "", "priority": "P3"}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        # The API's TicketIn checks the form, so the page refuses what the API refuses.
        fields = ("subject", "body", "priority")
        data, errors = load_form(TicketIn(), fields)
        form = {key: request.form.get(key, "") for key in fields}
        try:
            if errors:
                raise Invalid(
                    "The ticket needs a subject, a description and a priority.", fields=errors
                )
            ticket = routing_service().open_ticket(
                user, subject=data["subject"], body=data["body"], priority=data["priority"]
            )
        except DomainError as exc:
            flash(translate(exc.message), "error")
            errors = exc.fields or {}
        else:
            flash(_("Ticket #%(id)s opened.", id=ticket.id), "info")
            return redirect(url_for("web.ticket", ticket_id=ticket.id))
    return render_template(
        "tickets/new.html",
        form=form,
        errors=errors,
        priorities=list(Priority),
    ), (422 if errors else 200)


#: How many entries of its timeline the ticket page shows at a time, the newest first read. A
#: long swarm writes thousands (every room message is one); the page never reads them all.
TIMELINE_PAGE = 200


def timeline_before() -> int | None:
    """The ``before`` of the address (an event id: the timeline's entries before it), or None
    for the newest; anything but ASCII digits within 1..2⁶³−1 is a 400."""
    text = request.args.get("before")
    if not text:
        return None
    before = ascii_int(text, 1)
    if before is None:
        abort(400, "The address asks for the timeline before something that is not an entry.")
    return before


def timeline_context(user: User, ticket: Ticket, before: int | None) -> dict[str, Any]:
    """What the timeline's template needs for one stretch of it: the entries, the bodies of
    the notes among them and the names of the people they mention."""
    service = ticket_service()
    timeline = service.timeline(user, ticket.id, before, TIMELINE_PAGE)
    notes = {}
    if user.is_staff:
        wanted = {e.data.get("message_id") for e in timeline.items if e.type == "note"}
        ids = {i for i in wanted if isinstance(i, int)}
        notes = {n.id: n for n in service.notes(user, ticket.id, ids)} if ids else {}
    named = people_in(timeline.items)
    people = {u.id: u.name for u in db_session().scalars(select(User).where(User.id.in_(named)))}
    return {"timeline": timeline, "notes": notes, "people": people, "before": before}


@web.get("/tickets/<id:ticket_id>")
@login_required
def ticket(
    ticket_id: int,
    new_guest_link: str | None = None,
    *,
    failed: str | None = None,
    errors: dict[str, list[str]] | None = None,
) -> Any:
    """The ticket page; after a refused form, ``failed`` names that form (an action, or
    ``guest``) and ``errors`` its refusals by field, shown beside the fields."""
    user = current()
    service = ticket_service()
    before = timeline_before()
    found = service.get(user, ticket_id)
    suggestions = None
    all_skills = []
    knowledge, fresh = None, {}
    if user.is_staff:
        # Similar resolved tickets and articles, the links, the draft button (swarm/knowledge).
        kb = knowledge_service()
        knowledge = kb.around_ticket(user, ticket_id)
        ids = [f.article.id for f in knowledge.articles] + [a.id for _link, a in knowledge.linked]
        fresh = kb.freshness(user, ids)
    # A tiered ticket swarms only as far as the tiered arm's collaboration setting allows.
    collab = tiered_service().collaboration(found, user) if user.is_staff else None
    if user.is_staff:
        all_skills = profile_service().skills()
        if found.status in ("new", "open", "pending") and collab and collab["ask"]:
            try:
                suggestions = routing_service().suggestions(user, ticket_id)
            except DomainError as exc:
                # The page still works when routing cannot; it says why instead.
                suggestions = {"triage": exc.message, "owners": [], "team": {}}
    return render_template(
        "tickets/detail.html",
        ticket=found,
        suggestions=suggestions,
        all_skills=all_skills,
        skill_names={s.id: s.name for s in all_skills}
        or {s.skill_id: s.skill.name for s in found.skills},
        **timeline_context(user, found, before),
        satisfaction=service.satisfaction(user, ticket_id),
        candidates=candidates(db_session(), found) if user.is_staff else [],
        next_statuses=sorted(TRANSITIONS[found.status]),
        # Tiered mode: where the ticket stands, its moves and the vendor panel.
        tiered=tiered_service().tier_status(found) if user.is_staff else None,
        collab=collab,
        vendors=tiered_service().vendors(user, include_inactive=False) if user.is_staff else [],
        guests=guest_service().guests(user, ticket_id) if user.is_staff else [],
        new_guest_link=new_guest_link,
        now=runtime().clock.now(),
        knowledge=knowledge,
        fresh=fresh,
        # Files the ticket's mails brought: staff and the requester alike (swarm/mail).
        attachments=AttachmentService(db_session(), runtime().clock).list(user, ticket_id),
        # The requester's view shows the public articles of their ticket inline.
        ticket_articles=[] if user.is_staff else portal_service().ticket_articles(found),
        failed=failed,
        errors=errors or {},
    )


@web.get("/tickets/<id:ticket_id>/timeline")
@login_required
def ticket_timeline(ticket_id: int) -> Any:
    """The stretch of a ticket's timeline before ``?before=``, alone: "Show earlier" on the
    ticket page fetches it and adds its entries in place (static/js/timeline.js)."""
    user = current()
    before = timeline_before()
    found = ticket_service().get(user, ticket_id)
    skills = profile_service().skills() if user.is_staff else []
    return render_template(
        "tickets/timeline.html",
        ticket=found,
        skill_names={s.id: s.name for s in skills}
        or {s.skill_id: s.skill.name for s in found.skills},
        **timeline_context(user, found, before),
    )


def helped_articles(form: Any) -> list[int]:
    """The articles that helped, from the resolve form: ticked suggestions (``articles``) and
    numbers typed (``more_articles``: "12, #15"). Anything not a number is ignored here; the
    API's schema refuses more than ten, and the service what is not a published article."""
    ids = [form_int(v) for v in form.getlist("articles")]
    ids += [form_int(w) for w in re.findall(r"\d+", (form.get("more_articles") or "")[:200])]
    return [i for i in ids if i]


#: Each action's form and the API's schema for the same change (``swarm/api/schemas.py``):
#: the page loads its fields through it, so that it refuses what the API refuses, in the
#: API's words, beside the field. An action missing here has no fields, or (``invite``) no
#: counterpart in the REST API (the live rooms invite over the socket).
FORMS: dict[str, tuple[type[Schema], tuple[str, ...]]] = {
    "assign": (AssignIn, ("agent_id", "why")),
    "release": (ReasonIn, ("reason",)),
    "status": (StatusIn, ("status",)),
    "resolve": (ResolveIn, ("resolution",)),
    "reopen": (ReasonIn, ("reason",)),
    "note": (NoteIn, ("body",)),
    "rate": (SatisfactionIn, ("score", "comment")),
}

# One route per use case; each maps the loaded form to the service call's arguments, as the
# API's view of the same change does.
ACTIONS = {
    "claim": lambda s, u, t, d: s.claim(u, t),
    "assign": lambda s, u, t, d: s.assign(u, t, d["agent_id"], d.get("why")),
    "release": lambda s, u, t, d: routing_service().release(u, t, d.get("reason")),
    "status": lambda s, u, t, d: s.change_status(u, t, d["status"]),
    "resolve": lambda s, u, t, d: s.resolve(u, t, d["resolution"], articles=d["articles"]),
    "reopen": lambda s, u, t, d: s.reopen(u, t, d.get("reason")),
    "note": lambda s, u, t, d: s.add_note(u, t, d["body"]),
    "rate": lambda s, u, t, d: s.rate_ticket(u, t, d["score"], d["comment"]),
    # The invite picker's form when JavaScript is off (with it, room.js asks over the socket).
    "invite": lambda s, u, t, d: room_service().invite(
        u, t, form_int(d.get("agent_id")) or 0, (d.get("note") or "")[:500] or None
    ),
}
DONE = {
    "claim": N_("You own this ticket now."),
    "assign": N_("Ticket assigned."),
    "release": N_("You released the ticket."),
    "status": N_("Status changed."),
    "resolve": N_("Ticket resolved."),
    "reopen": N_("Ticket reopened."),
    "note": N_("Note added."),
    "rate": N_("Thank you: your answer was recorded."),
    "invite": N_("Invitation sent."),
}


@web.post("/tickets/<id:ticket_id>/<action>")
@login_required
def ticket_action(ticket_id: int, action: str) -> Any:
    if action not in ACTIONS:
        abort(404)
    data: Any = request.form
    if action in FORMS:
        schema, names = FORMS[action]
        extra = {"articles": helped_articles(request.form)} if action == "resolve" else None
        data, errors = load_form(schema(), names, values=extra)
        if errors:
            # Nothing is changed; what the person typed is put back, each refusal beside its
            # field (ticket_pages.FORMS names the form the errors belong to).
            flash(refused(action, errors), "error")
            return ticket(ticket_id, failed=action, errors=errors), 422
    try:
        ACTIONS[action](ticket_service(), current(), ticket_id, data)
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(translate(exc.message), "error")
        # What the person typed is put back in the form instead of being lost.
        return ticket(ticket_id, failed=action, errors=exc.fields or {}), exc.status
    flash(translate(DONE[action]), "info")
    return redirect(url_for("web.ticket", ticket_id=ticket_id))


# ---------------------------------------------------------------------------- guest links


@web.post("/tickets/<id:ticket_id>/guests")
@login_required
def invite_guest(ticket_id: int) -> Any:
    """Create a guest link; the page shows it once (only its hash is kept). The form is
    checked by the API's schema for the same link (GuestIn)."""
    data, errors = load_form(GuestIn(), ("name", "hours"))
    if errors:
        flash(refused("guest", errors), "error")
        return ticket(ticket_id, failed="guest", errors=errors), 422
    try:
        _granted, token = guest_service().invite_guest(
            current(), ticket_id, data["name"], data["hours"]
        )
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(translate(exc.message), "error")
        return ticket(ticket_id, failed="guest", errors=exc.fields or {}), exc.status
    flash(_("Guest link created. Copy it now: it is shown only once."), "info")
    return ticket(ticket_id, new_guest_link=url_for("web.guest_room", token=token, _external=True))


@web.post("/tickets/<id:ticket_id>/guests/<id:pass_id>/revoke")
@login_required
def revoke_guest(ticket_id: int, pass_id: int) -> Any:
    try:
        ended = guest_service().revoke_guest(current(), ticket_id, pass_id)
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(translate(exc.message), "error")
        return redirect(url_for("web.ticket", ticket_id=ticket_id, _anchor="guests"))
    flash(_("%(name)s's link no longer works.", name=ended.user.name), "info")
    return redirect(url_for("web.ticket", ticket_id=ticket_id, _anchor="guests"))


@web.get("/guest/<token>")
def guest_room(token: str) -> Any:
    """A guest's page: the ticket's problem and its swarm room, nothing else. No sign-in: the
    link is the credential, so the page is never cached and never sent on as a referrer."""
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    guest = guest_for_token(db_session(), token, runtime().clock.now())
    if guest is None or guest.guest_pass is None:
        message = (
            "This guest link does not work: it was revoked, it ran out, or it was mistyped. "
            "Ask the support team for a new one."
        )
        return render_template("error.html", status=404, message=message), 404, headers
    granted = guest.guest_pass
    page = render_template(
        "tickets/guest.html",
        ticket=granted.ticket,
        guest=guest,
        granted=granted,
        token=token,
        guest_page=True,
    )
    return page, 200, headers

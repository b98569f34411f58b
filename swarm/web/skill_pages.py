"""Skill pages: my profile (levels and learning goals, with growth), the skill-graph explorer,
and the ticket page's skills and suggestions forms."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from swarm.profiles.service import ProfileEntry
from swarm.runtime import profile_service, routing_service
from swarm.tickets.errors import DomainError
from swarm.web import web
from swarm.web.forms import current, form_int


@web.get("/me/skills")
@login_required
def my_skills() -> Any:
    return _profile_page(current().id)


@web.get("/agents/<int:agent_id>/skills")
@login_required
def agent_skills(agent_id: int) -> Any:
    return _profile_page(agent_id)


def _profile_page(agent_id: int, status: int = 200) -> Any:
    service = profile_service()
    agent, rows = service.profile(current(), agent_id)
    growth = service.growth(current(), agent_id, limit=30)
    skills = service.skills()
    names = {s.id: s.name for s in skills}
    mine = {r.skill_id for r in rows}
    return render_template(
        "skills/profile.html",
        agent=agent,
        rows=rows,
        growth=growth,
        names=names,
        addable=[s for s in skills if s.id not in mine],
        editable=current().id == agent.id or current().has_role("manager"),
    ), status


@web.post("/agents/<int:agent_id>/skills")
@login_required
def save_skills(agent_id: int) -> Any:
    form = request.form
    entries: list[ProfileEntry] = []
    for skill_id in form.getlist("skill_id"):
        if not skill_id.isdigit() or form.get(f"remove-{skill_id}"):
            continue
        level = form_int(form.get(f"level-{skill_id}"))
        entries.append(
            ProfileEntry(
                int(skill_id),
                level if level is not None else -1,
                bool(form.get(f"learn-{skill_id}")),
            )
        )
    new_skill = form_int(form.get("new_skill"))
    if new_skill is not None:
        level = form_int(form.get("new_level"))
        entries.append(
            ProfileEntry(new_skill, level if level is not None else -1, bool(form.get("new_learn")))
        )
    try:
        profile_service().set_profile(current(), agent_id, entries)
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(exc.message, "error")
        return _profile_page(agent_id, exc.status)
    flash("Skill profile saved.", "info")
    target = "web.my_skills" if agent_id == current().id else "web.agent_skills"
    kwargs = {} if agent_id == current().id else {"agent_id": agent_id}
    return redirect(url_for(target, **kwargs))


@web.get("/skills")
@login_required
def skill_graph() -> Any:
    if not current().is_staff:
        abort(404)
    return render_template("skills/graph.html")


@web.post("/tickets/<int:ticket_id>/skills")
@login_required
def set_ticket_skills(ticket_id: int) -> Any:
    ids = [int(v) for v in request.form.getlist("skills") if v.isdigit()]
    try:
        routing_service().set_skills(current(), ticket_id, [(i, 1.0) for i in ids])
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(exc.message, "error")
    else:
        flash("Skills corrected: future tickets like this one will be inferred this way.", "info")
    return redirect(url_for("web.ticket", ticket_id=ticket_id))

"""People administration page (admins): add users, change roles, deactivate."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required

from swarm.accounts import service as accounts
from swarm.inputs import ascii_int
from swarm.realtime import access
from swarm.runtime import db_session, runtime
from swarm.tickets.errors import DomainError
from swarm.web import web
from swarm.web.forms import current, form_int

ROLES = ["requester", "agent", "manager", "admin"]


@web.get("/admin/users")
@login_required
def people() -> Any:
    role = request.args.get("role") or None
    users = accounts.list_users(db_session(), current(), role if role in ROLES else None)
    return render_template("admin/users.html", users=users, roles=ROLES, role=role, form={})


@web.post("/admin/users")
@login_required
def add_person() -> Any:
    form = {k: request.form.get(k, "") for k in ("email", "name", "role", "capacity", "tier")}
    session = db_session()
    try:
        accounts.require_admin(current())
        user = accounts.create_user(
            session,
            runtime().clock,
            email=form["email"],
            name=form["name"],
            password=request.form.get("password", ""),
            role=form["role"] or "requester",
            capacity=form_int(form["capacity"]) or 5,
            tier=form_int(form["tier"]),
        )
        session.commit()
    except DomainError as exc:
        session.rollback()
        details = " ".join(f"{k}: {' '.join(v)}" for k, v in (exc.fields or {}).items())
        flash(f"{exc.message} {details}".strip(), "error")
        users = accounts.list_users(session, current())
        return render_template(
            "admin/users.html", users=users, roles=ROLES, role=None, form=form
        ), exc.status
    flash(f"{user.name} ({user.role}) added.", "info")
    return redirect(url_for("web.people"))


@web.post("/admin/users/<id:user_id>")
@login_required
def change_person(user_id: int) -> Any:
    changes: dict[str, object] = {}
    if "role" in request.form:
        changes["role"] = request.form["role"]
    if "active" in request.form:
        changes["active"] = request.form["active"] == "1"
    if changes.get("role") not in (None, *ROLES):
        flash("Unknown role.", "error")
        return redirect(url_for("web.people"))
    if "tiers" in request.form:
        raw = [part.strip() for part in request.form["tiers"].replace(" ", ",").split(",")]
        tiers = [ascii_int(part, 0, 4) for part in raw if part]
        if None in tiers:
            flash("Tiers are numbers from 0 to 4, separated by commas (e.g. 1, 2).", "error")
            return redirect(url_for("web.people"))
        numbers = sorted({t for t in tiers if t is not None})
        # The first listed is the home tier (where Queues opens); the others are served too.
        changes["tier"] = numbers[0] if numbers else None
        changes["tiers"] = numbers[1:]
    try:
        user = accounts.update_user(
            db_session(), runtime().clock, current(), user_id, changes, access.end_person
        )
    except DomainError as exc:
        db_session().rollback()
        flash(exc.message, "error")
    else:
        state = "active" if user.active else "deactivated"
        flash(f"{user.name} is now {user.role}, {state}.", "info")
    return redirect(url_for("web.people"))

"""Admin pages: people (add users, change roles, deactivate) and the audit log."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from apiflask import abort  # flask's would drop the sentence: the error page shows it
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from swarm.accounts import audit, reset
from swarm.accounts import service as accounts
from swarm.api.schemas import UserIn, UserPatch
from swarm.inputs import ascii_int
from swarm.realtime import access
from swarm.runtime import db_session, runtime
from swarm.tickets.errors import DomainError, Invalid
from swarm.web import web
from swarm.web.forms import current, form_int, load_data, load_form
from swarm.web.i18n import say, translate

ROLES = ["requester", "agent", "manager", "admin"]


@web.get("/admin/users")
@login_required
def people() -> Any:
    role = request.args.get("role") or None
    users = accounts.list_users(db_session(), current(), role if role in ROLES else None)
    return render_template(
        "admin/users.html",
        users=users,
        roles=ROLES,
        role=role,
        form={},
        errors={},
        mail_on=_mail_on(),
    )


def _mail_on() -> bool:
    config = runtime().config
    return reset.mail_available(config.smtp_url, config.support_address, config.public_url)


@web.post("/admin/users")
@login_required
def add_person() -> Any:
    form = {k: request.form.get(k, "") for k in ("email", "name", "role", "capacity", "tier")}
    session = db_session()
    # The API's UserIn checks the form, so the page refuses what the API refuses.
    data, errors = load_form(UserIn(), ("email", "name", "password", "role", "capacity", "tier"))
    try:
        accounts.require_admin(current())
        if errors:
            raise Invalid("Not saved: see the messages beside the fields.", fields=errors)
        user = accounts.create_user(
            session,
            runtime().clock,
            email=data["email"],
            name=data["name"],
            password=data["password"],
            role=data["role"],
            capacity=data["capacity"],
            tier=data["tier"],
            actor=current(),
        )
        session.commit()
    except DomainError as exc:
        session.rollback()
        flash(translate(exc.message), "error")
        users = accounts.list_users(session, current())
        return render_template(
            "admin/users.html",
            users=users,
            roles=ROLES,
            role=None,
            form=form,
            errors=exc.fields or {},
            mail_on=_mail_on(),
        ), exc.status
    flash(_("%(name)s (%(role)s) added.", name=user.name, role=user.role), "info")
    return redirect(url_for("web.people"))


@web.post("/admin/users/<id:user_id>")
@login_required
def change_person(user_id: int) -> Any:
    changes: dict[str, object] = {}
    if "role" in request.form:
        changes["role"] = request.form["role"]
    if "active" in request.form:
        changes["active"] = request.form["active"] == "1"
    if "tiers" in request.form:
        raw = [part.strip() for part in request.form["tiers"].replace(" ", ",").split(",")]
        tiers = [ascii_int(part) for part in raw if part]
        if None in tiers:
            flash(_("Tiers are numbers from 0 to 4, separated by commas (e.g. 1, 2)."), "error")
            return redirect(url_for("web.people"))
        numbers = sorted({t for t in tiers if t is not None})
        # The first listed is the home tier (where Queues opens); the others are served too.
        changes["tier"] = numbers[0] if numbers else None
        changes["tiers"] = numbers[1:]
    # The API's UserPatch judges the change (a known role, tiers 0 to 4, at most five more).
    _data, errors = load_data(UserPatch(), changes)
    if errors:
        why = " ".join(f"{field}: {say(m)}" for field, ms in errors.items() for m in ms)
        flash(_("Not saved: %(why)s", why=why), "error")
        return redirect(url_for("web.people"))
    try:
        user = accounts.update_user(
            db_session(), runtime().clock, current(), user_id, changes, access.end_person
        )
    except DomainError as exc:
        db_session().rollback()
        flash(translate(exc.message), "error")
    else:
        state = _("active") if user.active else _("deactivated")
        flash(
            _("%(name)s is now %(role)s, %(state)s.", name=user.name, role=user.role, state=state),
            "info",
        )
    return redirect(url_for("web.people"))


@web.post("/admin/users/<id:user_id>/password-reset")
@login_required
def send_reset_link(user_id: int) -> Any:
    """The link "Forgot your password?" would mail, sent for a person who cannot sign in."""
    try:
        user = reset.send_reset_link(
            db_session(), runtime().clock, current(), user_id, mail_on=_mail_on()
        )
    except DomainError as exc:
        db_session().rollback()
        if exc.status == 403:
            abort(403, translate(exc.message))
        flash(translate(exc.message), "error")
    else:
        flash(
            _("A link to choose a new password is on its way to %(email)s.", email=user.email),
            "info",
        )
    return redirect(url_for("web.people"))


AUDIT_PAGE = 50


@web.get("/admin/audit")
@login_required
def audit_log() -> Any:
    """The audit log, newest first, filtered by person, action and days (UTC), 50 a page;
    "Older" follows the last entry shown (a cursor, so new entries never shift the pages)."""
    args = request.args
    filters = {
        "person": form_int(args.get("person")),
        "action": args.get("action") if args.get("action") in audit.ACTION_LABELS else None,
        "from": _day(args.get("from")),
        "to": _day(args.get("to")),
    }
    cursor = form_int(args.get("cursor"))
    if args.get("cursor") and cursor is None:
        abort(400, "That page link is damaged: start again from the newest entries.")
    since = datetime.combine(filters["from"], time(), UTC) if filters["from"] else None
    until = (
        datetime.combine(filters["to"], time(), UTC) + timedelta(days=1) if filters["to"] else None
    )
    page = audit.entries(
        db_session(),
        current(),
        audit.AuditQuery(
            person_id=filters["person"],
            action=filters["action"],
            since=since,
            until=until,
            before=cursor,
            limit=AUDIT_PAGE,
        ),
    )
    shown = {k: v.isoformat() if isinstance(v, date) else v for k, v in filters.items()}
    return render_template(
        "admin/audit.html",
        page=page,
        filters=shown,
        older=cursor is not None,
        people=accounts.list_users(db_session(), current()),
        actions={key: translate(label) for key, label in audit.ACTION_LABELS.items()},
    )


def _day(text: str | None) -> date | None:
    """A day typed in a date field (YYYY-MM-DD); anything else is no filter."""
    try:
        return date.fromisoformat(text) if text and len(text) == 10 else None
    except ValueError:
        return None

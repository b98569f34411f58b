"""Notifications: the bell's count in the header, the list, and the choices on the account."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from swarm.api.notification_views import PreferencesIn
from swarm.inputs import ascii_int
from swarm.notifications.kinds import kinds_for
from swarm.runtime import notification_service
from swarm.tickets.errors import DomainError, Invalid
from swarm.web import web
from swarm.web.forms import current, load_data, refused
from swarm.web.i18n import translate


@web.app_context_processor
def notification_badge() -> dict[str, Any]:
    """``unread_notifications()`` for the bell; asked only by pages that show the header."""

    def count() -> int:
        if not current_user.is_authenticated:
            return 0
        return notification_service().unread(current())

    return {"unread_notifications": count}


@web.get("/notifications")
@login_required
def notifications() -> Any:
    cursor = request.args.get("cursor")
    before = ascii_int(cursor, 1) if cursor else None
    page = notification_service().page(current(), before, 30)
    return render_template("notifications.html", page=page)


@web.post("/notifications/<id:notification_id>/read")
@login_required
def read_notification(notification_id: int) -> Any:
    try:
        item = notification_service().mark_read(current(), notification_id)
    except DomainError as exc:
        flash(translate(exc.message), "error")
        return redirect(url_for("web.notifications"))
    if request.form.get("open"):
        return redirect(url_for("web.ticket", ticket_id=item["ticket"]["id"]))
    return redirect(url_for("web.notifications"))


@web.post("/notifications/read-all")
@login_required
def read_all_notifications() -> Any:
    done = notification_service().mark_all_read(current())
    flash(
        ngettext("%(num)d notification marked read.", "%(num)d notifications marked read.", done),
        "info",
    )
    return redirect(url_for("web.notifications"))


@web.get("/account/notifications")
@login_required
def notification_settings() -> Any:
    prefs = notification_service().preferences(current())
    return render_template("notification_settings.html", prefs=prefs, errors={})


@web.post("/account/notifications")
@login_required
def save_notification_settings() -> Any:
    form = request.form
    person = current()
    service = notification_service()
    # With mail off the e-mail boxes are disabled, so the browser sends none of them: the
    # choices made before stay as they were rather than read as "no".
    data: dict[str, Any] = {
        "kinds": [
            {
                "kind": kind,
                "in_app": form.get(f"in_app_{kind}") == "on",
                **({"email": form.get(f"email_{kind}") == "on"} if service.mail else {}),
            }
            for kind in kinds_for(person.is_staff)
        ],
        "timezone": form.get("timezone", "").strip() or "UTC",
        "digest": form.get("digest") == "on",
    }
    start, end = form.get("quiet_start", "").strip(), form.get("quiet_end", "").strip()
    # Both empty: no quiet hours; one alone is refused by the service, with the form kept.
    data["quiet_hours"] = {"start": start, "end": end} if start or end else None
    # The API's PreferencesIn checks what the form says, so the page refuses what the API
    # refuses (an unknown time zone, a malformed time), beside the field.
    _loaded, errors = load_data(PreferencesIn(), data)
    try:
        if errors:
            raise Invalid(refused("notifications", errors), fields=errors)
        service.set_preferences(person, data)
    except DomainError as exc:
        flash(translate(exc.message), "error")
        prefs = {
            **service.preferences(person),
            "quiet_hours": {"start": start, "end": end},
            "timezone": data["timezone"],
            "digest": data["digest"],
        }
        return render_template(
            "notification_settings.html", prefs=prefs, errors=exc.fields or {}
        ), exc.status
    flash(_("Your notification settings are saved."), "info")
    return redirect(url_for("web.notification_settings"))

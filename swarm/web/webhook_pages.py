"""Webhooks page (admins): register a URL for event types (its secret shown once), pause,
resume or remove it, and read its deliveries with every attempt — "Send again" for one that
was delivered or died (docs/webhooks.md)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from swarm.api.webhook_views import WebhookIn
from swarm.outbox.service import EVENT_TYPES, WebhookService
from swarm.runtime import db_session, runtime
from swarm.tickets.errors import DomainError, Forbidden
from swarm.web import web
from swarm.web.forms import current, form_int, load_form
from swarm.web.i18n import translate


def _service() -> WebhookService:
    return WebhookService(db_session(), runtime().clock)


def _page(
    status: int = 200,
    *,
    secret: str | None = None,
    draft: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
) -> Any:
    service = _service()
    hooks = service.list(current())
    chosen = form_int(request.args.get("webhook"))
    if chosen is None and hooks:
        chosen = hooks[-1]["id"]
    shown = next((h for h in hooks if h["id"] == chosen), None)
    deliveries = service.deliveries(current(), shown["id"], limit=25) if shown else []
    return render_template(
        "admin/webhooks.html",
        hooks=hooks,
        shown=shown,
        deliveries=deliveries,
        event_types=EVENT_TYPES,
        secret=secret,
        draft=draft or {"event_types": ["created", "resolved"]},
        errors=errors or {},
    ), status


@web.get("/admin/webhooks")
@login_required
def webhooks() -> Any:
    try:
        return _page()
    except Forbidden as exc:
        return render_template("error.html", status=403, message=exc.message), 403


@web.post("/admin/webhooks")
@login_required
def add_webhook() -> Any:
    # The API's WebhookIn checks the form, so the page refuses what the API refuses.
    draft, errors = load_form(WebhookIn(), ("url", "description"), lists=("event_types",))
    if errors:
        flash(_("Not saved: see the messages beside the fields."), "error")
        return _page(422, draft=draft, errors=errors)
    try:
        view, secret = _service().create(
            current(), draft["url"], draft["event_types"], draft["description"]
        )
    except DomainError as exc:
        db_session().rollback()
        if exc.status == 403:
            return render_template("error.html", status=403, message=exc.message), 403
        flash(translate(exc.message), "error")
        return _page(exc.status, draft=draft, errors=exc.fields or {})
    flash(
        _("Webhook %(url)s added. Copy its secret now: it is not shown again.", url=view["url"]),
        "info",
    )
    return _page(201, secret=secret)


@web.post("/admin/webhooks/<id:webhook_id>")
@login_required
def change_webhook(webhook_id: int) -> Any:
    service = _service()
    try:
        if request.form.get("delete") == "1":
            service.delete(current(), webhook_id)
            flash(_("Webhook removed, with its deliveries."), "info")
            return redirect(url_for("web.webhooks"))
        active = request.form.get("active") == "1"
        service.update(current(), webhook_id, {"active": active})
        flash(
            _("Webhook resumed.") if active else _("Webhook paused: its deliveries wait."), "info"
        )
    except DomainError as exc:
        db_session().rollback()
        if exc.status == 403:
            return render_template("error.html", status=403, message=exc.message), 403
        flash(translate(exc.message), "error")
    return redirect(url_for("web.webhooks", webhook=webhook_id))


@web.post("/admin/deliveries/<id:delivery_id>/send-again")
@login_required
def send_delivery_again(delivery_id: int) -> Any:
    try:
        delivery = _service().send_again(current(), delivery_id)
        flash(_("Sent again: it goes out with the next round of the worker."), "info")
        return redirect(url_for("web.webhooks", webhook=delivery["webhook_id"]))
    except DomainError as exc:
        db_session().rollback()
        if exc.status == 403:
            return render_template("error.html", status=403, message=exc.message), 403
        flash(translate(exc.message), "error")
        return redirect(url_for("web.webhooks"))

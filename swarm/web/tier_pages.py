"""Tiered-mode pages: the tier queues, the routing settings, and the ticket page's tier and
vendor forms. Each form posts to one route that calls one ``TieredService`` use case and
redirects back with a message (post/redirect/get)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from marshmallow import Schema

from swarm.api.tier_schemas import HandoffIn, MoveIn, VendorIn, VendorUpdateIn
from swarm.dispatch.queues import QueueEmpty
from swarm.models.users import Role
from swarm.runtime import tiered_service
from swarm.tickets.errors import DomainError
from swarm.tiers.config import PRIORITIES
from swarm.web import web
from swarm.web.forms import current, form_int, load_form, refused
from swarm.web.i18n import translate
from swarm.web.ticket_pages import ticket as ticket_page

MODES = ["swarm", "tiered", "split"]
STRATEGIES = {
    "round_robin": "Round-robin among present agents",
    "least_loaded": "Least loaded first",
}
INTAKES = {
    "pull": "Pull: waits for Take next",
    "push": "Push: assigned in turn",
}
COLLABORATION = {
    "off": "Off: pure tiers, escalate instead",
    "within_tier": "Within the tier: invite and offer help among the tier's agents",
    "open": "Open: invite anyone, as swarming does",
}


@web.app_context_processor
def collaboration_labels() -> dict[str, Any]:
    return {"collaboration_labels": COLLABORATION}


@web.app_template_filter("duration")
def duration(seconds: float | None) -> str:
    """``930 -> "15 min 30 s"``-style, to the two largest units; ``None`` → "—"."""
    if seconds is None:
        return "—"
    left = int(abs(seconds))
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        if left >= size or (unit == "s" and not parts):
            parts.append(f"{left // size} {unit}")
            left %= size
    return " ".join(parts[:2])


# ------------------------------------------------------------------ queues


@web.get("/queues")
@login_required
def queues() -> Any:
    user = current()
    tier = user.profile.tier if user.profile and user.profile.tier else 1
    return redirect(url_for("web.queue", tier=tier))


@web.get("/queues/<int(max=4):tier>")
@login_required
def queue(tier: int) -> Any:
    service = tiered_service()
    user = current()
    queue = service.queue(user, tier)
    settings = service.tier_settings(user)
    serves = user.profile.served_tiers if user.profile else frozenset()
    return render_template(
        "tiers/queue.html",
        queue=queue,
        tiers=[t for t in settings["tiers"] if t["tier"] > 0],
        can_take=tier in serves or user.has_role(Role.MANAGER),
        limits=next(t["limits"] for t in settings["tiers"] if t["tier"] == tier),
    )


@web.post("/queues/<int(max=4):tier>/next")
@login_required
def take_next(tier: int) -> Any:
    try:
        taken = tiered_service().pull_next(current(), tier)
    except QueueEmpty as exc:
        flash(translate(exc.message), "info")
        return redirect(url_for("web.queue", tier=tier))
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(translate(exc.message), "error")
        return redirect(url_for("web.queue", tier=tier))
    flash(_("You took ticket #%(id)s from the queue.", id=taken.id), "info")
    return redirect(url_for("web.ticket", ticket_id=taken.id))


# ------------------------------------------------------------------ the ticket page's forms


def _ticket_form(ticket_id: int, form: str, names: tuple[str, ...], done: str, action: Any) -> Any:
    """One of the ticket page's tier and vendor forms: loaded through the API's schema for the
    same change (FORMS), then ``action(data)``; a refusal puts the page back with what was
    typed and each refusal beside its field."""
    data, errors = load_form(FORMS[form](), names)
    if errors:
        flash(refused(form, errors), "error")
        return ticket_page(ticket_id, failed=form, errors=errors), 422
    try:
        action(data)
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(translate(exc.message), "error")
        # What the person typed is put back in the form instead of being lost.
        return ticket_page(ticket_id, failed=form, errors=exc.fields or {}), exc.status
    flash(done, "info")
    return redirect(url_for("web.ticket", ticket_id=ticket_id))


#: The API's schema for each of the ticket page's tier and vendor forms (swarm/api/tier_views.py).
FORMS: dict[str, type[Schema]] = {
    "escalate": MoveIn,
    "deescalate": MoveIn,
    "vendor": HandoffIn,
    "vendor_update": VendorUpdateIn,
}
MOVE = ("reason", "to_tier", "from_tier")


@web.post("/tickets/<id:ticket_id>/escalate")
@login_required
def escalate_ticket(ticket_id: int) -> Any:
    return _ticket_form(
        ticket_id,
        "escalate",
        MOVE,
        _("Ticket escalated."),
        lambda d: tiered_service().escalate(
            current(), ticket_id, reason=d["reason"], to_tier=d["to_tier"], from_tier=d["from_tier"]
        ),
    )


@web.post("/tickets/<id:ticket_id>/deescalate")
@login_required
def deescalate_ticket(ticket_id: int) -> Any:
    return _ticket_form(
        ticket_id,
        "deescalate",
        MOVE,
        _("Ticket de-escalated."),
        lambda d: tiered_service().deescalate(
            current(), ticket_id, reason=d["reason"], to_tier=d["to_tier"], from_tier=d["from_tier"]
        ),
    )


@web.post("/tickets/<id:ticket_id>/vendor")
@login_required
def hand_off_ticket(ticket_id: int) -> Any:
    return _ticket_form(
        ticket_id,
        "vendor",
        ("vendor_id", "external_ref"),
        _("Handed to the vendor; their SLA clock is running."),
        lambda d: tiered_service().hand_off(
            current(), ticket_id, d["vendor_id"], d["external_ref"]
        ),
    )


@web.post("/tickets/<id:ticket_id>/vendor/updates")
@login_required
def vendor_update(ticket_id: int) -> Any:
    return _ticket_form(
        ticket_id,
        "vendor_update",
        ("status", "note"),
        _("Vendor update recorded."),
        lambda d: tiered_service().vendor_update(current(), ticket_id, d["status"], d["note"]),
    )


# ------------------------------------------------------------------ routing settings


@web.get("/settings/routing")
@login_required
def routing_settings(status: int = 200, errors: dict[str, list[str]] | None = None) -> Any:
    service = tiered_service()
    user = current()
    return render_template(
        "tiers/settings.html",
        config=service.routing_config(user),
        tiers=service.tier_settings(user),
        vendors=service.vendors(user),
        modes=MODES,
        strategies=STRATEGIES,
        intakes=INTAKES,
        collaboration=COLLABORATION,
        priorities=PRIORITIES,
        can_edit=user.has_role(Role.MANAGER),
        draft=request.form if request.method == "POST" else {},
        errors=errors or {},
    ), status


def _settings_form(done: str, action: Any) -> Any:
    try:
        action()
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(translate(exc.message), "error")
        fields = dict(exc.fields or {})
        if "sla_seconds" in fields:
            fields["sla_hours"] = fields.pop("sla_seconds")
        return routing_settings(exc.status, fields)
    flash(done, "info")
    return redirect(url_for("web.routing_settings"))


@web.post("/settings/routing")
@login_required
def save_routing() -> Any:
    f = request.form
    data: dict[str, Any] = {"mode": f.get("mode", "")}
    ratio = (f.get("split_ratio") or "").strip()
    if ratio:
        try:
            data["split_ratio"] = float(ratio)
        except ValueError:
            data["split_ratio"] = ratio  # the domain says what is wrong with it
    overrides: dict[str, str] = {}
    for line in (f.get("overrides") or "").splitlines():
        if line.strip():
            category, _equals, mode = line.partition("=")
            overrides[category.strip()] = mode.strip()
    data["overrides"] = overrides
    return _settings_form(
        _("Routing mode saved; tickets opened from now on follow it."),
        lambda: tiered_service().set_routing_config(current(), data),
    )


@web.post("/settings/tiers")
@login_required
def save_tiers() -> Any:
    f = request.form
    service = tiered_service()
    current_doc = service.tier_settings(current())
    tiers = []
    for item in current_doc["tiers"]:
        n = item["tier"]
        limits: dict[str, Any] = {}
        for priority in PRIORITIES:
            raw = (f.get(f"limit-{n}-{priority}") or "").strip()
            limits[priority] = _number(raw) if raw else None
        if n == 0:
            limits = {}
        tiers.append(
            {
                "tier": n,
                "name": f.get(f"name-{n}", item["name"]),
                "limits": limits,
                "external": item["external"],
                # Tier 0 has no queue and no intake field: it keeps what it has.
                "intake": f.get(f"intake-{n}", item["intake"]),
            }
        )
    last = form_int(f.get("last_automatic_tier"))
    data = {
        "tiers": tiers,
        "strategy": f.get("strategy", ""),
        "last_automatic_tier": last,
        "collaboration": f.get("collaboration", current_doc["collaboration"]),
    }
    return _settings_form(
        _("Tiers saved; new limits apply to tickets entering a tier from now on."),
        lambda: service.set_tier_settings(current(), data),
    )


def _number(raw: str) -> Any:
    try:
        value = float(raw)
    except ValueError:
        return raw  # the domain's sentence names the bad value
    return int(value) if value.is_integer() else value


@web.post("/settings/vendors")
@login_required
def add_vendor() -> Any:
    """The API's VendorIn checks the form (the page asks for hours, the API for seconds)."""
    hours = request.form.get("sla_hours", "").strip()
    try:
        seconds: Any = round(float(hours) * 3600) if hours else None
    except (ValueError, OverflowError):
        seconds = hours  # the service's sentence names the bad value
    data, errors = load_form(
        VendorIn(), ("name", "contact"), values={} if seconds is None else {"sla_seconds": seconds}
    )
    if errors:
        # The SLA's refusal is shown beside the hours it was typed as.
        if "sla_seconds" in errors:
            errors["sla_hours"] = errors.pop("sla_seconds")
        flash(refused("vendor_add", errors), "error")
        return routing_settings(422, errors)
    return _settings_form(
        _("Vendor %(name)s added.", name=data["name"].strip()),
        lambda: tiered_service().create_vendor(
            current(), name=data["name"], sla_seconds=data["sla_seconds"], contact=data["contact"]
        ),
    )


@web.post("/settings/vendors/<id:vendor_id>")
@login_required
def change_vendor(vendor_id: int) -> Any:
    service = tiered_service()
    if request.form.get("delete") == "1":
        return _settings_form(
            _("Vendor deleted."), lambda: service.delete_vendor(current(), vendor_id)
        )
    active = request.form.get("active") == "1"
    return _settings_form(
        _("Vendor reactivated.") if active else _("Vendor deactivated."),
        lambda: service.update_vendor(current(), vendor_id, {"active": active}),
    )

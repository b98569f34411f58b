"""What if: a manager runs the desk's tickets through both policies on virtual time, follows
the run's progress live and opens the result in the dashboard (docs/simulation.md)."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from swarm.api.simulation_views import SimulationIn, knobs_of
from swarm.models import User
from swarm.realtime.simulations import launch
from swarm.runtime import db_session, simulation_service
from swarm.tickets.errors import DomainError, Invalid
from swarm.web import web
from swarm.web.dashboard_pages import require_manager
from swarm.web.forms import current, load_form
from swarm.web.i18n import translate

ARM_CHOICES = (
    ("both", "Both"),
    ("swarm", "Swarming only"),
    ("tiered", "Tiered only"),
)

#: The form's fields, by the names the API's JSON gives them.
FIELDS = ("example", "scenario", "title", "seed", "days", "per_hour", "agents", "arms")


def _page(
    status: int = 200, problems: dict[str, list[str]] | None = None, error: str | None = None
) -> Any:
    user = current()
    service = simulation_service()
    shipped = service.examples(user)
    runs = service.runs(user)
    ids = {run["requested_by"] for run in runs}
    names = (
        dict(db_session().execute(select(User.id, User.name).where(User.id.in_(ids))).all())
        if ids
        else {}
    )
    chosen = (
        request.form.get("example")
        or request.args.get("example")
        or ("small" if "small" in shipped else next(iter(shipped), ""))
    )
    return (
        render_template(
            "simulations.html",
            runs=runs,
            names=names,
            examples=shipped,
            chosen=chosen,
            arm_choices=ARM_CHOICES,
            form=request.form,
            problems=problems or {},
            error=error,
        ),
        status,
    )


@web.get("/simulations")
@login_required
def simulations() -> Any:
    require_manager(current())
    return _page()


@web.post("/simulations")
@login_required
def start_simulation() -> Any:
    user = current()
    require_manager(user)
    # The API's SimulationIn checks the form, so the page refuses what the API refuses, in
    # the same sentences; nothing starts on a refusal.
    data, problems = load_form(SimulationIn(), FIELDS)
    if problems:
        return _page(422, problems, _("Nothing started: see the messages beside the fields."))
    try:
        run = simulation_service().start(
            user, scenario=data.get("scenario"), example=data.get("example"), knobs=knobs_of(data)
        )
    except Invalid as exc:
        return _page(422, exc.fields, translate(exc.message))
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        return _page(exc.status, exc.fields, translate(exc.message))
    db_session().commit()
    launch(current_app._get_current_object(), run.id)  # type: ignore[attr-defined]
    flash(_("Run “%(title)s” started: both arms get the same tickets.", title=run.title), "info")
    return redirect(url_for("web.simulations", _anchor=f"run-{run.id}"))

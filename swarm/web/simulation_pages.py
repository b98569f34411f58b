"""What if: a manager runs the desk's tickets through both policies on virtual time, follows
the run's progress live and opens the result in the dashboard (docs/simulation.md)."""

from __future__ import annotations

import math
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from swarm.models import User
from swarm.realtime.simulations import launch
from swarm.runtime import db_session, simulation_service
from swarm.simulation.runs import Knobs
from swarm.tickets.errors import DomainError, Invalid
from swarm.web import web
from swarm.web.dashboard_pages import require_manager
from swarm.web.forms import current, form_int

ARM_CHOICES = (
    ("both", "Both"),
    ("swarm", "Swarming only"),
    ("tiered", "Tiered only"),
)


def _number(name: str, problems: dict[str, list[str]]) -> float | None:
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        problems[name] = [f"{raw[:20]!r} is not a number."]
        return None
    if not math.isfinite(value) or value <= 0:
        problems[name] = ["Give a number above zero."]
        return None
    return value


def _knobs(problems: dict[str, list[str]]) -> Knobs:
    form = request.form
    title = (form.get("title") or "").strip() or None
    if title is not None and len(title) > 120:
        problems["title"] = ["At most 120 characters."]
    seed = agents = None
    for name in ("seed", "agents"):
        raw = (form.get(name) or "").strip()
        if raw:
            value = form_int(raw)
            if value is None or (name == "agents" and not 1 <= value <= 5_000):
                problems[name] = [
                    "Give a whole number" + (" from 1 to 5,000." if name == "agents" else ".")
                ]
            elif name == "seed":
                seed = value % 2**31
            else:
                agents = value
    arms = form.get("arms") or None
    if arms is not None and arms not in dict(ARM_CHOICES):
        problems["arms"] = ["Choose both, swarming or tiered."]
        arms = None
    return Knobs(
        title=title,
        seed=seed,
        days=_number("days", problems),
        per_hour=_number("per_hour", problems),
        agents=agents,
        arms=arms,
    )


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
    problems: dict[str, list[str]] = {}
    knobs = _knobs(problems)
    if problems:
        return _page(422, problems, "Some fields need another look.")
    scenario = request.form.get("scenario") or None
    try:
        run = simulation_service().start(
            user, scenario=scenario, example=request.form.get("example") or None, knobs=knobs
        )
    except Invalid as exc:
        return _page(422, exc.fields, exc.message)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        return _page(exc.status, exc.fields, exc.message)
    db_session().commit()
    launch(current_app._get_current_object(), run.id)  # type: ignore[attr-defined]
    flash(_("Run “%(title)s” started: both arms get the same tickets.", title=run.title), "info")
    return redirect(url_for("web.simulations", _anchor=f"run-{run.id}"))

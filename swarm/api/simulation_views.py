"""What-if runs over REST: start one from a scenario or an example, follow it, read the list
(managers and admins; docs/simulation.md, "Runs from the pages and the API")."""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Dict, Float, Integer, List, String
from apiflask.validators import OneOf, Range
from flask import current_app

from swarm.api import api
from swarm.api.auth import authenticated, caller
from swarm.api.schemas import Number, Positive, StrictSchema, Text, Whole
from swarm.phrases import N_
from swarm.realtime.simulations import launch
from swarm.runtime import db_session, simulation_service
from swarm.simulation.runs import Knobs

MANAGERS = {403: "Managers and admins only"}


class SimulationIn(StrictSchema):
    scenario = Text(
        0,
        200_000,
        blank=True,
        long=N_("Too many characters: at most 200,000 are accepted."),
        metadata={"description": "The scenario as YAML (docs/simulation-model.md)."},
    )
    example = Text(
        1,
        64,
        metadata={"description": "An example scenario by name, when `scenario` is not given."},
    )
    title = Text(1, 120, metadata={"description": "Overrides `name`."})
    # The knobs' own sentences, which the page shows beside its fields (web/forms.py).
    seed = Whole(
        validate=Range(0, 2**31 - 1, error=N_("Give a whole number from 0 to 2,147,483,647."))
    )
    days = Number(
        validate=Positive(0.01, 366, error=N_("Give a number from 0.01 to 366.")),
        metadata={"description": "duration_days"},
    )
    per_hour = Number(
        validate=Positive(0.001, 10_000, error=N_("Give a number from 0.001 to 10,000.")),
        metadata={"description": "arrivals.per_hour"},
    )
    agents = Whole(
        validate=Range(1, 5_000, error=N_("Give a whole number from 1 to 5,000.")),
        metadata={"description": "agents.count"},
    )
    arms = String(validate=OneOf(("both", "swarm", "tiered")))


class RunOut(Schema):
    id = Integer()
    title = String()
    dataset = String(metadata={"description": "Open it in the metrics: `?dataset=` this."})
    state = String(metadata={"description": "queued, running, done or failed."})
    done = Integer()
    total = Integer()
    progress = Float()
    error = String(allow_none=True)
    summary = Dict()
    requested_by = Integer()
    created_at = String()
    started_at = String(allow_none=True)
    finished_at = String(allow_none=True)


class RunsOut(Schema):
    runs = List(Dict())
    examples = List(String())


def knobs_of(data: dict[str, Any]) -> Knobs:
    return Knobs(
        title=data.get("title"),
        seed=data.get("seed"),
        days=data.get("days"),
        per_hour=data.get("per_hour"),
        agents=data.get("agents"),
        arms=data.get("arms"),
    )


@api.post("/simulations")
@api.input(SimulationIn, arg_name="data")
@api.output(RunOut, status_code=202)
@api.doc(
    summary="Start a what-if run (both arms on the same tickets); follow it by its id",
    responses={**MANAGERS, 422: "Invalid scenario, or no such example"},
)
@authenticated
def start_simulation(data: dict[str, Any]) -> Any:
    service = simulation_service()
    run = service.start(
        caller(), scenario=data.get("scenario"), example=data.get("example"), knobs=knobs_of(data)
    )
    db_session().commit()
    launch(current_app._get_current_object(), run.id)  # type: ignore[attr-defined]
    return service.run(caller(), run.id)


@api.get("/simulations")
@api.output(RunsOut)
@api.doc(
    summary="The latest what-if runs and the example scenarios (managers and admins)",
    responses=MANAGERS,
)
@authenticated
def list_simulations() -> Any:
    service = simulation_service()
    return {"runs": service.runs(caller()), "examples": sorted(service.examples(caller()))}


@api.get("/simulations/<id:run_id>")
@api.output(RunOut)
@api.doc(
    summary="One what-if run: its state and progress", responses={**MANAGERS, 404: "No such run"}
)
@authenticated
def get_simulation(run_id: int) -> Any:
    return simulation_service().run(caller(), run_id)

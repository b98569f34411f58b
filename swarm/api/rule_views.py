"""Automation rules (docs/rules.md): admins create, change and remove them; managers read
them and their runs. A definition is checked whole (``swarm.rules.spec``) before anything is
stored: an unknown field, a loop, an unsafe regex or an id that names nothing is a 422 naming
the field."""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, Dict, Integer, List, Nested, Raw, String
from apiflask.validators import Length, OneOf, Range

from swarm.api import api
from swarm.api.auth import authenticated, caller
from swarm.api.schemas import StrictSchema
from swarm.automation.service import RUNS_MAX, RuleService
from swarm.rules.spec import ACTION_TYPES, ACTIONS_MAX, NAME_MAX, TRIGGERS
from swarm.runtime import db_session, runtime

READERS = {403: "Managers and admins only", 404: "No such rule"}
EDITORS = {
    403: "Admins only (managers read)",
    404: "No such rule",
    409: "Changed meanwhile (version)",
    422: "A bad definition: unknown field, loop, unsafe regex, unknown id",
}

CONDITIONS = (
    "Conditions on the ticket, all of which must hold: priority, category, tier, status, skills "
    "(lists: any of), mode, text ({words: [...]} or {regex: ...}), opened_at_least, "
    "opened_less_than, idle_at_least (minutes). See docs/rules.md."
)
ACTIONS = f"Ordered actions ({', '.join(ACTION_TYPES)}), each {{type, …}}. See docs/rules.md."


class RuleIn(StrictSchema):
    name = String(required=True, validate=Length(1, NAME_MAX))
    trigger = String(required=True, validate=OneOf(TRIGGERS))
    conditions = Dict(load_default=dict, metadata={"description": CONDITIONS})
    actions = List(
        Dict(), required=True, validate=Length(1, ACTIONS_MAX), metadata={"description": ACTIONS}
    )
    enabled = Boolean(load_default=True)


class RulePatch(StrictSchema):
    name = String(validate=Length(1, NAME_MAX))
    trigger = String(validate=OneOf(TRIGGERS))
    conditions = Dict(metadata={"description": CONDITIONS})
    actions = List(Dict(), validate=Length(1, ACTIONS_MAX), metadata={"description": ACTIONS})
    enabled = Boolean()
    version = Integer(
        validate=Range(1, 2**31 - 1),
        metadata={"description": "The version you read: a change made meanwhile is refused"},
    )


class RuleOut(Schema):
    id = Integer()
    name = String()
    enabled = Boolean()
    trigger = String()
    conditions = Dict()
    actions = List(Dict())
    created_by = Integer()
    created_at = String()
    updated_at = String()
    version = Integer()
    runs = Dict(keys=String(), values=Integer(), metadata={"description": "Runs by outcome"})
    last_run_at = String(allow_none=True)


class RuleItem(RuleOut):
    """A rule in the list (its own class, as the webhooks' WebhookItem)."""


class RuleList(Schema):
    items = List(Nested(RuleItem))
    triggers = List(String())
    action_types = List(String())


class RuleRunOut(Schema):
    id = Integer()
    rule_id = Integer()
    rule_version = Integer()
    ticket_id = Integer()
    event_id = Integer()
    at = String()
    outcome = String(metadata={"description": "running, done or failed"})
    results = List(Raw(), metadata={"description": "[{type, outcome, error?}] per action"})
    error = String(allow_none=True)


class RuleRunList(Schema):
    items = List(Nested(RuleRunOut))


class RunQuery(StrictSchema):
    outcome = String(validate=OneOf(["running", "done", "failed"]))
    limit = Integer(strict=False, load_default=50, validate=Range(1, RUNS_MAX))


def service() -> RuleService:
    return RuleService(db_session(), runtime().clock)


@api.get("/rules")
@api.output(RuleList)
@api.doc(summary="Automation rules, with their runs counted by outcome", responses=READERS)
@authenticated
def list_rules() -> Any:
    return {
        "items": service().list(caller()),
        "triggers": list(TRIGGERS),
        "action_types": list(ACTION_TYPES),
    }


@api.post("/rules")
@api.input(RuleIn, arg_name="data")
@api.output(RuleOut, status_code=201)
@api.doc(summary="Create a rule", responses=EDITORS)
@authenticated
def create_rule(data: dict[str, Any]) -> Any:
    return service().create(caller(), data)


@api.get("/rules/<id:rule_id>")
@api.output(RuleOut)
@api.doc(summary="One rule", responses=READERS)
@authenticated
def get_rule(rule_id: int) -> Any:
    return service().get(caller(), rule_id)


@api.patch("/rules/<id:rule_id>")
@api.input(RulePatch, arg_name="data")
@api.output(RuleOut)
@api.doc(summary="Change a rule, or enable / disable it", responses=EDITORS)
@authenticated
def update_rule(rule_id: int, data: dict[str, Any]) -> Any:
    return service().update(caller(), rule_id, data)


@api.delete("/rules/<id:rule_id>")
@api.output({}, status_code=204)
@api.doc(summary="Remove a rule and its runs (its rule_fired events stay)", responses=EDITORS)
@authenticated
def delete_rule(rule_id: int) -> Any:
    service().delete(caller(), rule_id)
    return ""


@api.get("/rules/<id:rule_id>/runs")
@api.input(RunQuery, location="query", arg_name="query")
@api.output(RuleRunList)
@api.doc(summary="A rule's runs, newest first, with each action's outcome", responses=READERS)
@authenticated
def list_rule_runs(rule_id: int, query: dict[str, Any]) -> Any:
    return {"items": service().runs(caller(), rule_id, query.get("outcome"), query["limit"])}

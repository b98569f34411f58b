"""Schemathesis against the app's own OpenAPI document, in-process over WSGI (issue 16, item 6).

Every operation of ``/api/v1/openapi.json`` — read from the document at run time, so a route added
later is fuzzed without a line here — is called with schema-valid and schema-invalid requests, as
an agent and as a requester (each with an API token), in a small organisation seeded below. Each
answer must be: not a server error; a status code the document lists for that operation; a body
matching the documented schema and content type; and, for a schema-valid request, not refused as
invalid (what the service refuses, the schema must say — minLength, bounds, strict integers).

Bounded: ``EXAMPLES`` cases a generation mode an operation, derandomised (the same cases every
run, so a failure here reproduces), without shrinking. The whole module takes about a minute on
two cores; a longer hunt is ``SWARM_FUZZ_EXAMPLES=200 pytest tests/api/test_fuzz_openapi.py``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

from swarm.clock import FakeClock
from swarm.models import User
from tests.builders import make_agent, make_manager, make_user

EXAMPLES = int(os.environ.get("SWARM_FUZZ_EXAMPLES", "6"))
# Invalid input is refused by the schemas before any view knows who asks: one caller suffices.
MODES = {
    "agent": (GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
    "requester": (GenerationMode.POSITIVE,),
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    positive_data_acceptance,
]


@dataclass
class Org:
    """The seeded organisation: the ids a path may name, and each caller's API token."""

    ids: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    token_ids: dict[str, int] = field(default_factory=dict)


def _ok(response: Any) -> Any:
    assert response.status_code < 400, (response.status_code, response.get_data(as_text=True))
    return response.get_json(silent=True)


@pytest.fixture
def org(
    app: Flask, db: Session, clock: FakeClock, login: Callable[[User], FlaskClient]
) -> Iterator[Org]:
    found = Org()
    people = {
        "requester": make_user(db, clock, name="Rita Requester"),
        "agent": make_agent(db, clock, name="Ada Agent"),
        "helper": make_agent(db, clock, name="Hal Helper"),
        "manager": make_manager(db, clock, name="Max Manager"),
        "admin": make_user(db, clock, role="admin", name="Ann Admin"),
    }
    clients = {name: login(user) for name, user in people.items()}
    for name in ("requester", "agent"):
        token = _ok(clients[name].post("/api/v1/auth/tokens", json={"name": "fuzz"}))
        found.tokens[name], found.token_ids[name] = token["token"], token["id"]
    admin, agent, requester = clients["admin"], clients["agent"], clients["requester"]
    skill = _ok(admin.post("/api/v1/skills", json={"name": "VPN", "aliases": ["tunnel"]}))
    parent = _ok(admin.post("/api/v1/skills", json={"name": "Networking"}))
    relation = _ok(
        admin.post(
            "/api/v1/skills/relations",
            json={"source_id": skill["id"], "target_id": parent["id"], "kind": "is_a"},
        )
    )
    vendor = _ok(admin.post("/api/v1/vendors", json={"name": "Acme", "sla_seconds": 86400}))
    tickets = [
        _ok(requester.post("/api/v1/tickets", json={"subject": f"VPN {n}", "body": "It drops"}))
        for n in range(3)
    ]
    for ticket in tickets[:2]:
        _ok(agent.post(f"/api/v1/tickets/{ticket['id']}/claim", json={}))
    _ok(agent.post(f"/api/v1/tickets/{tickets[1]['id']}/resolve", json={"resolution": "Fixed"}))
    guest = _ok(agent.post(f"/api/v1/tickets/{tickets[0]['id']}/guests", json={"name": "Sam"}))
    found.ids.update(
        ticket_id=tickets[0]["id"],
        skill_id=skill["id"],
        relation_id=relation["id"],
        parent_id=parent["id"],
        helper_id=people["helper"].id,
        vendor_id=vendor["id"],
        pass_id=guest["id"],
        agent_id=people["agent"].id,
        user_id=people["requester"].id,
    )
    yield found


def _steer(case: Any, org: Org, role: str, real: bool) -> None:
    """Point half the cases' paths at rows that exist (a random id is nearly always a 404),
    never let the caller revoke the token it is calling with, and keep out of a schema-valid
    case what a JSON Schema cannot say, so that the service's 422 for it is no lie of the
    document: ids in a body of rows that do not exist (an article's ``skills`` too, and the
    ``articles`` named on resolve), the same
    skill twice in a list,
    ``cursor`` with ``page`` or with a sort it does not page, a period that ends before it
    starts, and object keys that are blank or hold a NUL (apispec writes no ``propertyNames``).
    Negative cases are sent as drawn."""
    if real:
        for name in case.path_parameters or {}:
            if name in org.ids:
                case.path_parameters[name] = org.ids[name]
    if case.path_parameters and case.path_parameters.get("token_id") == org.token_ids[role]:
        case.path_parameters["token_id"] = org.token_ids[role] + 1_000
    if case.meta is None or case.meta.generation.mode is not GenerationMode.POSITIVE:
        return
    query = case.query or {}
    if "cursor" in query and case.operation.path.endswith("/tickets"):
        query.pop("page", None)
        query["sort"] = "newest"
    if isinstance(query.get("from"), str) and isinstance(query.get("to"), str):
        query.pop("to")
    if isinstance(case.body, dict):
        case.body = _real_rows(case.body, org)


def _real_rows(value: Any, org: Org) -> Any:
    if isinstance(value, list):
        items = [_real_rows(v, org) for v in value]
        if all(isinstance(item, dict) and "skill_id" in item for item in items):
            items = list({item["skill_id"]: item for item in items}.values())
        return items
    if not isinstance(value, dict):
        return value
    out = {}
    for key, inner in value.items():
        if not key.strip() or "\x00" in key:
            continue
        if (
            key == "skills"
            and isinstance(inner, list)
            and all(isinstance(v, int | float) for v in inner)
        ):  # an article's skills: ids of rows, like REFERENCES below
            out[key] = [org.ids["skill_id"]] if inner else []
            continue
        if key == "articles" and isinstance(inner, list):
            # Articles that helped, on resolve: ids of published articles, which the fuzzed
            # organisation has none of (a schema cannot say "published"); the service's 422
            # for them is tested in tests/api/test_knowledge_capture_api.py.
            out[key] = []
            continue
        row = REFERENCES.get(key)
        real = row is not None and isinstance(inner, int | float)
        out[key] = org.ids[row] if real else _real_rows(inner, org)
    return out


# Body fields that name a row, and the seeded row they are pointed at.
REFERENCES = {
    "agent_id": "helper_id",
    "requester_id": "user_id",
    "skill_id": "skill_id",
    "source_id": "skill_id",
    "target_id": "parent_id",
    "vendor_id": "vendor_id",
}


def _operations(app: Flask) -> list[Any]:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("role", ["agent", "requester"])
def test_every_operation_answers_as_documented(
    app: Flask, org: Org, role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A what-if run's child process is not what this measures (managers only, and agents here).
    monkeypatch.setattr("swarm.api.simulation_views.launch", lambda *a: None)
    headers = {"Authorization": f"Bearer {org.tokens[role]}"}
    failures: dict[str, str] = {}
    operations = _operations(app)
    assert len(operations) > 50  # the document was read, not an empty one
    for operation in operations:
        for mode in MODES[role]:
            strategy = st.tuples(operation.as_strategy(generation_mode=mode), st.booleans())

            @given(drawn=strategy)
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                phases=(Phase.explicit, Phase.generate),
                suppress_health_check=list(HealthCheck),
            )
            def run(drawn: tuple[Any, bool]) -> None:
                case, real = drawn
                _steer(case, org, role, real)
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:  # nothing to make invalid (an operation without input)
                continue
            # Every operation is tried and every failure reported (schemathesis raises a
            # FailureGroup, a BaseExceptionGroup).
            except (Exception, BaseExceptionGroup) as exc:
                failures[f"{operation.label} [{mode.value}]"] = str(exc)[:1500]
    report = "\n\n".join(f"{label}\n{message}" for label, message in sorted(failures.items()))
    assert not failures, f"{len(failures)} failing operations as {role}:\n\n{report}"

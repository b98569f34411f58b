"""The OpenAPI document tells the truth (issue 16, item 4): one regression test for each lie the
fuzzer (tests/api/test_fuzz_openapi.py) found, on the document and on the answer it describes."""

from __future__ import annotations

import re

import pytest

from swarm.inputs import MAX_ID, NON_BLANK, at_most


@pytest.fixture
def spec(app):
    return app.test_client().get("/api/v1/openapi.json").json


def operations(spec):
    for path, items in spec["paths"].items():
        for method, operation in items.items():
            yield f"{method.upper()} {path}", operation


def test_the_socket_endpoint_is_no_http_operation(spec):
    assert "/socket.io/" not in spec["paths"]
    assert all(path.startswith("/api/v1/") for path in spec["paths"])


def test_every_refusal_is_documented_with_the_shape_it_has(app, spec):
    schemas = spec["components"]["schemas"]
    for name in ("HTTPError", "ValidationError"):
        assert schemas[name]["required"] == ["error"]
        assert schemas[name]["properties"]["error"]["required"] == ["code", "message"]
    body = app.test_client().get("/api/v1/tickets/1").json  # a 401, as documented
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"])


def test_signed_in_operations_document_401_and_public_ones_need_no_credential(spec):
    ops = dict(operations(spec))
    assert ops["POST /api/v1/auth/login"]["security"] == []
    assert "401" not in ops["POST /api/v1/auth/logout"]["responses"]
    for label in ("GET /api/v1/tickets", "POST /api/v1/tickets/{ticket_id}/notes"):
        assert "401" in ops[label]["responses"], label
        assert {"BearerToken": []} in ops[label]["security"]


def test_a_body_that_is_not_json_is_a_documented_400(login, agent, spec):
    response = login(agent).put(
        "/api/v1/tiers", data=b"\x00", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    for label, operation in operations(spec):
        if label.split()[0] in {"POST", "PUT", "PATCH", "DELETE"}:
            assert {"400", "413"} <= set(operation["responses"]), label


def test_staff_only_reads_document_their_403(login, requester, spec):
    ops = dict(operations(spec))
    client = login(requester)
    for path in ("/api/v1/agents", "/api/v1/skills", "/api/v1/tiers", "/api/v1/metrics/datasets"):
        assert client.get(path).status_code == 403
        assert "403" in ops[f"GET {path}"]["responses"], path


def test_the_taxonomy_csv_is_documented_as_csv(login, agent, spec):
    response = login(agent).get("/api/v1/skills/taxonomy.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    documented = spec["paths"]["/api/v1/skills/taxonomy.csv"]["get"]["responses"]["200"]
    assert list(documented["content"]) == ["text/csv"]


@pytest.mark.parametrize(
    ("schema", "field"),
    [
        ("NoteIn", "body"),
        ("ResolveIn", "resolution"),
        ("TicketIn", "subject"),
        ("TicketIn", "body"),
        ("GuestIn", "name"),
        ("MoveIn", "reason"),
        ("VendorIn", "name"),
        ("TierIn", "name"),
        ("HandoffIn", "external_ref"),
    ],
)
def test_texts_the_service_refuses_empty_are_not_empty_in_the_schema(spec, schema, field):
    prop = spec["components"]["schemas"][schema]["properties"][field]
    assert prop["minLength"] == 1
    assert prop["pattern"] == NON_BLANK
    assert field in spec["components"]["schemas"][schema]["required"]


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("fixed", True),
        (" x ", True),
        ("", False),
        ("   ", False),
        ("\x1c\u3000", False),
        ("a\x00", False),
    ],
)
def test_the_non_blank_pattern_is_what_strip_means(text, valid):
    assert bool(re.match(NON_BLANK, text)) is valid
    assert (bool(text.strip()) and "\x00" not in text) is valid


def test_a_blank_note_is_refused_by_its_schema(login, agent, claimed_ticket):
    ticket = claimed_ticket("VPN")
    response = login(agent).post(f"/api/v1/tickets/{ticket['id']}/notes", json={"body": " \t"})
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"body": ["Empty, or has a NUL character."]}


def test_a_required_body_is_documented_as_required(spec):
    ops = dict(operations(spec))
    assert ops["POST /api/v1/tickets/{ticket_id}/notes"]["requestBody"]["required"] is True
    assert ops["POST /api/v1/tickets/{ticket_id}/release"]["requestBody"]["required"] is False


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/tickets/{id}/assign", {"agent_id": 1.5}, "agent_id"),
        ("/api/v1/tickets/{id}/guests", {"name": "Sue", "hours": 1.5}, "hours"),
        ("/api/v1/tickets/{id}/escalate", {"reason": "Tier 2", "to_tier": 2.5}, "to_tier"),
    ],
)
def test_a_fraction_is_no_integer(login, agent, claimed_ticket, path, body, field):
    # Not cut to 1, 1 and 2: refused, with the field named.
    ticket = claimed_ticket("VPN")
    response = login(agent).post(path.format(id=ticket["id"]), json=body)
    assert response.status_code == 422, response.json
    assert list(response.json["error"]["fields"]) == [field]


def test_an_integer_written_with_a_zero_fraction_is_that_integer(
    login, agent, manager, claimed_ticket
):
    # JSON Schema counts 7.0 as an integer, so the service must too (not 422 it).
    ticket = claimed_ticket("VPN")
    response = login(agent).post(
        f"/api/v1/tickets/{ticket['id']}/assign", json={"agent_id": float(manager.id)}
    )
    assert response.status_code == 200, response.json
    assert response.json["owner"]["id"] == manager.id


def test_capacity_is_a_strict_integer(login, db, clock):
    from tests.builders import make_user

    admin = make_user(db, clock, role="admin")
    response = login(admin).post(
        "/api/v1/users",
        json={"email": "x@example.test", "name": "X", "password": "long enough", "capacity": 2.5},
    )
    assert response.status_code == 422
    assert "capacity" in response.json["error"]["fields"]


def test_a_weight_is_documented_as_more_than_zero(spec):
    weight = spec["components"]["schemas"]["TicketSkillIn"]["properties"]["weight"]
    assert weight["exclusiveMinimum"] == 0


@pytest.mark.parametrize("ticket_id", ["0", str(MAX_ID + 1), "007"])
def test_an_id_outside_the_converter_is_404_for_every_method(login, agent, ticket_id):
    # GET and PUT share the address: a failed conversion of one used to answer 405 for it.
    response = login(agent).put(f"/api/v1/tickets/{ticket_id}/skills", json={"skills": []})
    assert response.status_code == 404, response.json


def test_the_id_pattern_is_exactly_one_to_max_id():
    pattern = re.compile(at_most(MAX_ID))
    for number in (1, 9, 10, MAX_ID // 2, MAX_ID - 1, MAX_ID):
        assert pattern.fullmatch(str(number)), number
    for text in ("0", str(MAX_ID + 1), "9" * 19, "1" * 20, "01"):
        assert not pattern.fullmatch(text), text


@pytest.mark.parametrize(("name", "bad"), [("owner", "agent7"), ("cursor", "next")])
def test_ticket_query_formats_are_in_the_document(login, agent, spec, name, bad):
    parameter = next(
        p for p in spec["paths"]["/api/v1/tickets"]["get"]["parameters"] if p["name"] == name
    )
    assert not re.match(parameter["schema"]["pattern"], bad)
    response = login(agent).get(f"/api/v1/tickets?{name}={bad}")
    assert response.status_code == 422
    assert name in response.json["error"]["fields"]


def test_counts_the_tiers_package_judges_take_a_zero_fraction(login, manager, spec):
    # Documented as integers, so 3600.0 is one; the package used to answer "not 3600.0".
    sla = spec["components"]["schemas"]["VendorIn"]["properties"]["sla_seconds"]
    assert sla["type"] == "integer" and sla["minimum"] == 1
    client = login(manager)
    made = client.post("/api/v1/vendors", json={"name": "Acme", "sla_seconds": 3600.0})
    assert made.status_code == 201, made.json
    assert made.json["sla_seconds"] == 3600
    fraction = client.post("/api/v1/vendors", json={"name": "Beta", "sla_seconds": 3600.5})
    assert fraction.status_code == 422

"""Hostile input gets a JSON refusal with a sentence, never a 500 (issue #16, item 2).

Integers beyond 64 bits, digits that are not ASCII ("²"), lone surrogates, JSON nested a
thousand deep and bodies over the limit sent without a Content-Length; and, for what is still
unexpected, one last-resort answer with a request id that names the logged traceback.
"""

from __future__ import annotations

import json
import logging

import pytest
from werkzeug.test import EnvironBuilder, run_wsgi_app

from tests.builders import make_user

HUGE = "99999999999999999999"  # above 2**63 - 1


def open_ticket(client):
    response = client.post("/api/v1/tickets", json={"subject": "Printer", "body": "Queued."})
    assert response.status_code == 201, response.json
    return response.json


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", f"/api/v1/tickets/{HUGE}"),
        ("get", f"/api/v1/tickets/{HUGE}/events"),
        ("post", f"/api/v1/tickets/{HUGE}/claim"),
        ("get", f"/api/v1/skills/{HUGE}"),
        ("get", f"/api/v1/agents/{HUGE}/skills"),
        ("delete", f"/api/v1/auth/tokens/{HUGE}"),
        ("patch", f"/api/v1/users/{HUGE}"),
        ("get", f"/api/v1/queues/{HUGE}"),
        ("get", "/api/v1/tickets/0"),
    ],
)
def test_an_id_out_of_range_in_the_path_is_a_json_404(login, manager, method, path):
    response = getattr(login(manager), method)(path, json={})
    assert response.status_code == 404, response.data
    assert response.json["error"]["code"] == "not_found"


@pytest.mark.parametrize("path", [f"/tickets/{HUGE}", f"/agents/{HUGE}/skills", f"/queues/{HUGE}"])
def test_an_id_out_of_range_in_a_page_path_is_the_404_page(login, manager, path):
    response = login(manager).get(path)
    assert response.status_code == 404
    assert b"<html" in response.data.lower()


@pytest.mark.parametrize(
    "query",
    [
        "owner=%C2%B2",
        f"owner={HUGE}",
        "cursor=%C2%B2",
        f"cursor={HUGE}",
        f"page={HUGE}",
        f"limit={HUGE}",
    ],
)
def test_query_integers_that_are_not_plain_bounded_digits_are_422(login, agent, query):
    response = login(agent).get(f"/api/v1/tickets?{query}")
    assert response.status_code == 422, response.data
    assert response.json["error"]["code"] == "invalid"
    assert response.json["error"]["message"].endswith(".")


def test_page_filters_ignore_digits_that_are_not_ascii(login, agent):
    assert login(agent).get("/tickets?owner=%C2%B2&page=%C2%B2").status_code == 200


def test_a_dashboard_period_ending_on_the_last_date_there_is_is_refused(login, manager):
    response = login(manager).get("/dashboard?to=9999-12-31")
    assert response.status_code == 422
    assert b"Give a last day before 9999-12-31." in response.data


def test_a_page_number_too_large_for_an_offset_is_no_500(login, agent):
    client = login(agent)
    assert client.get("/tickets?page=9223372036854775807").status_code == 200
    assert client.get(f"/tickets?owner={2**63 - 1}").status_code == 200


def test_an_agent_id_beyond_64_bits_is_refused_as_invalid(login, requester, manager):
    ticket = open_ticket(login(requester))
    response = login(manager).post(
        f"/api/v1/tickets/{ticket['id']}/assign", json={"agent_id": int(HUGE)}
    )
    assert response.status_code == 422, response.data
    assert "agent_id" in response.json["error"]["fields"]


LONE_SURROGATE = '{"email": "a\\ud800@example.com", "password": "x"}'


def test_a_lone_surrogate_is_refused_before_login(app):
    response = app.test_client().post(
        "/api/v1/auth/login", data=LONE_SURROGATE, content_type="application/json"
    )
    assert response.status_code == 400, response.data
    assert response.json["error"] == {
        "code": "bad_request",
        "message": "The JSON has an invalid character (a lone surrogate).",
        "request_id": response.headers["X-Request-Id"],
    }


def test_a_lone_surrogate_in_a_ticket_is_refused_and_nothing_is_stored(login, requester):
    client = login(requester)
    response = client.post(
        "/api/v1/tickets",
        data='{"subject": "s\\udc00", "body": "b"}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "lone surrogate" in response.json["error"]["message"]
    assert client.get("/api/v1/tickets").json["total"] == 0


def test_a_nul_character_is_refused(login, requester):
    response = login(requester).post(
        "/api/v1/tickets",
        data='{"subject": "s\\u0000", "body": "b"}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json["error"]["message"] == (
        "The JSON has an invalid character (a NUL, which no text column holds)."
    )


def test_a_paired_surrogate_escape_is_an_ordinary_character(login, requester):
    response = login(requester).post(
        "/api/v1/tickets",
        data='{"subject": "Printer \\ud83d\\udda8", "body": "b"}',
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json["subject"] == "Printer \U0001f5a8"


def test_json_nested_too_deeply_is_refused(app):
    deep = "[" * 1000 + "]" * 1000
    response = app.test_client().post(
        "/api/v1/auth/login", data=deep, content_type="application/json"
    )
    assert response.status_code == 400, response.data
    assert response.json["error"]["message"] == "The JSON is nested too deeply (over 64 levels)."


def test_json_nested_within_the_bound_is_parsed(login, requester):
    body = {"subject": "s", "body": "b", "colour": [[[["deep"]]]]}
    response = login(requester).post("/api/v1/tickets", json=body)
    assert response.status_code == 422 and "colour" in response.json["error"]["fields"]


def chunks(total: int, size: int = 64 * 1024):
    sent = 0
    yield b'{"subject": "s", "body": "'
    while sent < total:
        yield b"x" * size
        sent += size
    yield b'"}'


def post_chunked(app, client, path, pieces, *, terminated):
    """POST ``pieces`` with ``Transfer-Encoding: chunked`` and no Content-Length, as a server
    hands such a request on (the test client always counts the body, so it cannot send one).
    ``terminated``: the server says it ends the stream itself, as gevent's does."""
    cookie = client.get_cookie("session")
    environ = EnvironBuilder(
        path=path,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Transfer-Encoding": "chunked",
            "Cookie": f"session={cookie.value}",
        },
    ).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ["wsgi.input"] = _Stream(pieces)
    if terminated:
        environ["wsgi.input_terminated"] = True
    body, status, _ = run_wsgi_app(app, environ, buffered=True)
    return int(status.split()[0]), json.loads(b"".join(body))


@pytest.mark.parametrize("terminated", [False, True])
def test_a_chunked_body_over_the_limit_is_413(app, login, requester, terminated):
    client = login(requester)
    status, body = post_chunked(
        app, client, "/api/v1/tickets", chunks(10 * 1024 * 1024), terminated=terminated
    )
    assert status == 413, body
    assert body["error"]["code"] == "too_large"
    assert client.get("/api/v1/tickets").json["total"] == 0


@pytest.mark.parametrize("terminated", [False, True])
def test_a_chunked_body_within_the_limit_is_read(app, login, requester, terminated):
    pieces = iter([b'{"subject": "Printer", ', b'"body": "Queued."}'])
    status, body = post_chunked(
        app, login(requester), "/api/v1/tickets", pieces, terminated=terminated
    )
    assert status == 201, body
    assert body["subject"] == "Printer"


class _Stream:
    """A request body read piece by piece, with no length known in advance."""

    def __init__(self, pieces):
        self._pieces = pieces
        self._left = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._left) < size:
            piece = next(self._pieces, None)
            if piece is None:
                break
            self._left += piece
        if size < 0:
            out, self._left = self._left, b""
        else:
            out, self._left = self._left[:size], self._left[size:]
        return out

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


def test_every_response_carries_a_request_id(app, login, requester):
    first = app.test_client().get("/api/v1/tickets")
    second = app.test_client().get("/login")
    ids = {first.headers.get("X-Request-Id"), second.headers.get("X-Request-Id")}
    assert None not in ids and len(ids) == 2
    assert all(len(i) == 32 for i in ids)


@pytest.fixture
def broken(app):
    def explode():
        raise RuntimeError("the test route always breaks")

    app.add_url_rule("/api/v1/test-broken", "test_broken_api", explode)
    app.add_url_rule("/test-broken", "test_broken_page", explode)
    return app


def test_an_unexpected_error_is_a_json_500_naming_the_logged_request(broken, caplog):
    with caplog.at_level(logging.ERROR, logger="swarm.app"):
        response = broken.test_client().get("/api/v1/test-broken")
    assert response.status_code == 500
    request_id = response.headers["X-Request-Id"]
    assert response.json == {
        "error": {
            "code": "internal",
            "message": f"Something went wrong; it was logged as request {request_id}.",
            "request_id": request_id,
        }
    }
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged and logged[0].exc_info and "always breaks" in str(logged[0].exc_info[1])


def test_an_unexpected_error_on_a_page_is_the_error_page(broken):
    response = broken.test_client().get("/test-broken")
    assert response.status_code == 500
    assert response.headers["X-Request-Id"].encode() in response.data


def test_http_errors_keep_their_own_answers(app):
    response = app.test_client().get("/api/v1/no-such-thing")
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_the_openapi_document_says_path_ids_are_bounded_integers(app):
    spec = app.test_client().get("/api/v1/openapi.json").json
    ticket = spec["paths"]["/api/v1/tickets/{ticket_id}"]["get"]["parameters"]
    tier = spec["paths"]["/api/v1/queues/{tier}"]["get"]["parameters"]
    assert {"type": "integer", "minimum": 1, "maximum": 2**63 - 1} in [p["schema"] for p in ticket]
    assert {"type": "integer", "minimum": 0, "maximum": 4} in [p["schema"] for p in tier]


# Not float(i): 7.0 is an integer to JSON Schema, so to the OpenAPI document, and is read as 7
# (tests/api/test_openapi_truth.py); 7.5 is still refused, never cut to 7.
@pytest.mark.parametrize("spell", [str, lambda i: i + 0.5, lambda i: True])
def test_an_id_that_is_not_a_json_integer_is_refused_not_converted(
    login, claimed_ticket, agent, spell
):
    ticket = claimed_ticket("Laptop fan loud")

    answer = login(agent).post(
        f"/api/v1/tickets/{ticket['id']}/assign", json={"agent_id": spell(agent.id)}
    )

    assert answer.status_code == 422, answer.json
    assert answer.json["error"]["fields"]["agent_id"] == ["Not a valid integer."]


# A JSON body says true and numbers as JSON does: "yes", "0", 1 for a boolean and "0.5" or
# true for a number are refused (422, the field named), never read as a guess.
@pytest.mark.parametrize("spelled", ["no", "false", 0, None])
def test_a_flag_that_is_not_a_json_boolean_is_refused_and_nothing_changes(
    login, db, clock, agent, spelled
):
    admin = make_user(db, clock, role="admin", name="Ava Admin")
    client = login(admin)

    answer = client.patch(f"/api/v1/users/{agent.id}", json={"active": spelled})

    assert answer.status_code == 422, answer.json
    assert "active" in answer.json["error"]["fields"]
    db.commit()  # end this session's read: see what the request left
    db.refresh(agent)
    assert agent.active is True


@pytest.mark.parametrize("spelled", ["0.5", True, "NaN"])
def test_a_weight_that_is_not_a_json_number_is_refused(
    login, db, clock, claimed_ticket, agent, spelled
):
    from swarm.models import Skill

    skill = Skill(name="VPN", aliases=[], description="")
    db.add(skill)
    db.commit()
    ticket = claimed_ticket("VPN drops")
    client = login(agent)
    before = client.get(f"/api/v1/tickets/{ticket['id']}/skills").json

    answer = client.put(
        f"/api/v1/tickets/{ticket['id']}/skills",
        json={"skills": [{"skill_id": skill.id, "weight": spelled}]},
    )

    assert answer.status_code == 422, answer.json
    assert client.get(f"/api/v1/tickets/{ticket['id']}/skills").json == before

"""Logs, request ids, /metrics and /readyz (issue 17, item 5; docs/deploy.md, "Logs and
metrics")."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from swarm.app import create_app
from swarm.cli import cli
from swarm.logs import JsonFormatter, TextFormatter, configure_logging
from swarm.migrate import upgrade
from swarm.models import OutboxItem, TicketDeadline
from swarm.outbox.service import WebhookService
from tests.builders import make_agent, make_user
from tests.conftest import make_config

TOKEN = "metrics-token-for-the-tests"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


def access_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "swarm.access"]


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the exposition, keyed by name and sorted labels."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_the_access_log_is_one_json_line_with_request_id_method_path_status_duration(
    app, login, requester, caplog
):
    caplog.set_level(logging.INFO, logger="swarm.access")
    response = login(requester).get("/api/v1/tickets/424242")
    assert response.status_code == 404
    record = access_records(caplog)[-1]
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == response.headers["X-Request-Id"]
    assert line["method"] == "GET" and line["path"] == "/api/v1/tickets/424242"
    assert line["status"] == 404 and line["endpoint"] == "/api/v1/tickets/<id:ticket_id>"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "INFO" and line["logger"] == "swarm.access"
    assert line["message"] == "GET /api/v1/tickets/424242 404"
    # The same id is in the error's body: a user's report finds its log line.
    assert response.json["error"]["request_id"] == line["request_id"]
    readable = TextFormatter().format(record)
    assert f"request_id={line['request_id']}" in readable and " 404 (" in readable


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("post", "/api/v1/auth/login", {"email": "x"}, 422),  # APIFlask's validation error
        ("get", "/api/v1/auth/me", None, 401),  # an abort()
        ("get", "/api/v1/nowhere", None, 404),  # no route at all
    ],
)
def test_every_json_error_carries_the_request_id_of_its_header(app, method, path, body, status):
    response = getattr(app.test_client(), method)(path, json=body)
    assert response.status_code == status
    assert response.json["error"]["request_id"] == response.headers["X-Request-Id"]


def test_a_guest_links_token_never_reaches_the_log(app, caplog):
    caplog.set_level(logging.INFO, logger="swarm.access")
    app.test_client().get("/guest/not-a-real-but-secret-link")
    record = access_records(caplog)[-1]
    assert record.path == "/guest/<token>"  # type: ignore[attr-defined]
    assert "secret" not in JsonFormatter().format(record)


def test_json_logs_go_to_stderr_one_object_a_line(capsys):
    configure_logging("json", "INFO")
    logging.getLogger("swarm.test").info("hello %s", "there", extra={"request_id": "abc"})
    logging.getLogger("swarm.test").debug("not at INFO")
    lines = capsys.readouterr().err.strip().splitlines()
    assert [json.loads(line)["message"] for line in lines] == ["hello there"]
    assert json.loads(lines[0])["request_id"] == "abc"


def test_a_cli_command_logs_json_lines_when_asked(tmp_path: Path):
    env = {
        "SWARM_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "SWARM_INSTANCE_PATH": str(tmp_path),
        "SWARM_LOG_FORMAT": "json",
    }
    result = CliRunner().invoke(cli, ["init-db"], env=env)
    assert result.exit_code == 0, result.output
    logged = [json.loads(line) for line in result.stderr.splitlines()]
    # Alembic tells each migration it runs, through the same handler.
    assert logged and all(line["level"] == "INFO" for line in logged)
    assert any(line["logger"].startswith("alembic") for line in logged)
    assert "Database ready" in result.stdout


def test_a_bad_log_format_is_a_usage_error():
    result = CliRunner().invoke(cli, ["init-db"], env={"SWARM_LOG_FORMAT": "xml"})
    assert result.exit_code == 2 and "SWARM_LOG_FORMAT" in result.output


# ------------------------------------------------------------------------------------ /metrics


def test_metrics_are_off_without_a_configured_token(app):
    assert app.test_client().get("/metrics", headers=BEARER).status_code == 404


@pytest.mark.app_config(metrics_token=TOKEN)
def test_metrics_refuse_any_other_credential(app, login, manager):
    signed_in = login(manager)
    api_token = signed_in.post("/api/v1/auth/tokens", json={"name": "x"}).json["token"]
    for client, headers in (
        (app.test_client(), {}),
        (app.test_client(), {"Authorization": "Bearer wrong"}),
        (app.test_client(), {"Authorization": f"Basic {TOKEN}"}),
        (signed_in, {}),  # a manager's session is not the scraper's token
        (app.test_client(), {"Authorization": f"Bearer {api_token}"}),
    ):
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 401
        assert b"swarm_" not in response.data


@pytest.mark.app_config(metrics_token=TOKEN)
def test_metrics_count_requests_sockets_room_messages_and_routing(
    app, login, connect, requester, agent, claimed_ticket, db, clock
):
    client = app.test_client()
    before = samples(client.get("/metrics", headers=BEARER).text)
    ticket = claimed_ticket("Printer on fire", "Smoke from tray 2")
    owner = connect(agent)
    assert owner.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)["ok"]
    sent = owner.emit(
        "send_message",
        {"ticket_id": ticket["id"], "body": "Unplug it", "client_id": "m-1"},
        callback=True,
    )
    assert sent["ok"], sent
    login(requester).get(f"/api/v1/tickets/{ticket['id']}")

    response = client.get("/metrics", headers=BEARER)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    after = samples(response.text)

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    read = {"endpoint": "/api/v1/tickets/<id:ticket_id>", "method": "GET", "status": "200"}
    assert grew("swarm_http_request_duration_seconds_count", **read) >= 1
    assert grew("swarm_room_messages_total") == 1
    assert grew("swarm_socket_connections", kind="staff") == 1
    assert ("swarm_sweeper_lag_seconds", ()) in after
    owner.disconnect()
    gone = samples(client.get("/metrics", headers=BEARER).text)
    assert gone[("swarm_socket_connections", (("kind", "staff"),))] == before.get(
        ("swarm_socket_connections", (("kind", "staff"),)), 0.0
    )


@pytest.mark.app_config(metrics_token=TOKEN)
def test_routing_decisions_are_counted_by_mode(app, login, requester, db, clock):
    make_agent(db, clock, name="Ada Agent")
    db.commit()
    client = app.test_client()

    def decisions() -> float:
        text = client.get("/metrics", headers=BEARER).text
        return sum(
            value
            for (name, labels), value in samples(text).items()
            if name == "swarm_routing_decisions_total" and ("mode", "swarm") in labels
        )

    first = decisions()
    opened = login(requester).post("/api/v1/tickets", json={"subject": "VPN", "body": "Down"})
    assert opened.status_code == 201
    assert decisions() > first


@pytest.mark.app_config(metrics_token=TOKEN)
def test_metrics_hold_no_personal_data(app, login, connect, requester, agent, claimed_ticket):
    ticket = claimed_ticket("Salary slip of Zoe Zimmermann", "Her IBAN is wrong")
    client = login(requester)
    client.get(f"/api/v1/tickets/{ticket['id']}")
    client.get("/api/v1/tickets?q=Zimmermann")
    app.test_client().get("/guest/some-secret-guest-link")
    app.test_client().post("/api/v1/auth/login", json={"email": "who@example.com", "password": "x"})
    text = app.test_client().get("/metrics", headers=BEARER).text
    for personal in (
        requester.email,
        requester.name,
        agent.email,
        agent.name,
        "Zimmermann",
        "IBAN",
        "who@example.com",
        "some-secret-guest-link",
        f'/api/v1/tickets/{ticket["id"]}"',
    ):
        assert personal not in text
    # Route labels are rules, never raw paths: the requests above are counted under their
    # rules, and no label anywhere on the page (the registry is the process's: other tests'
    # apps count there too) holds a number as a path segment, an address or a space.
    endpoints = set(re.findall(r'endpoint="([^"]*)"', text))
    assert {"/api/v1/tickets/<id:ticket_id>", "/guest/<token>", "/api/v1/tickets"} <= endpoints
    for label in re.findall(r'="([^"]*)"', text):
        assert not re.search(r"/\d+(/|$)|@|\s", label), label


# ------------------------------------------------------------------------------------- /readyz


def test_readyz_is_degraded_not_failing_when_redis_is_unreachable(tmp_path: Path, clock):
    # Port 1 on loopback: nothing listens there, the connection is refused at once.
    config = make_config(
        tmp_path,
        message_queue="redis://127.0.0.1:1/0",
        ratelimit_storage_url="redis://127.0.0.1:1/0",
    )
    upgrade(config.database_url)
    app = create_app(config, clock=clock)
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.json["status"] == "degraded"
    assert response.json["database"] == "ok"
    assert response.json["redis"].startswith("unreachable: ")
    app.extensions["swarm"].engine.dispose()


@pytest.mark.redis
def test_readyz_says_redis_is_ok_when_it_answers(tmp_path: Path, clock, redis_url):
    config = make_config(tmp_path, message_queue=redis_url)
    upgrade(config.database_url)
    app = create_app(config, clock=clock)
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.json["status"] == "ok" and response.json["redis"] == "ok"
    app.extensions["swarm"].engine.dispose()


@pytest.mark.app_config(metrics_token=TOKEN)
def test_sweeper_lag_is_the_age_of_the_oldest_due_deadline(app, claimed_ticket, db, clock):
    client = app.test_client()

    def lag() -> float:
        text = client.get("/metrics", headers=BEARER).text
        return samples(text)[("swarm_sweeper_lag_seconds", ())]

    assert lag() == 0.0
    ticket = claimed_ticket("Due soon", "Body")
    now = clock.now()
    db.add(
        TicketDeadline(
            ticket_id=ticket["id"], kind="retry", due_at=now + timedelta(seconds=60), created_at=now
        )
    )
    db.commit()
    assert lag() == 0.0  # not due yet
    clock.advance(seconds=90)
    assert lag() == pytest.approx(30.0)


@pytest.mark.app_config(metrics_token=TOKEN)
def test_outbox_depth_counts_pending_and_dead_deliveries(app, db, clock, claimed_ticket):
    client = app.test_client()

    def depth() -> dict[str, float]:
        found = samples(client.get("/metrics", headers=BEARER).text)
        return {s: found[("swarm_outbox_depth", (("state", s),))] for s in ("pending", "dead")}

    assert depth() == {"pending": 0.0, "dead": 0.0}
    admin = make_user(db, clock, role="admin")
    WebhookService(db, clock).create(admin, "https://example.test/h", ["created"])
    claimed_ticket("One", "Body")
    claimed_ticket("Two", "Body")
    db.execute(update(OutboxItem).where(OutboxItem.id == 1).values(state="dead"))
    db.commit()
    assert depth() == {"pending": 1.0, "dead": 1.0}

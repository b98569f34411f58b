"""The OpenAPI document, its docs page, and the health endpoints."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic.script import ScriptDirectory

from swarm.app import create_app
from swarm.dispatch.background import InlineRunner
from swarm.dispatch.inference import InfererCache
from swarm.dispatch.service import RoutingService
from swarm.migrate import alembic_config, upgrade
from tests.conftest import make_config


def test_openapi_document_describes_the_api(app):
    spec = app.test_client().get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    for path in (
        "/api/v1/auth/login",
        "/api/v1/tickets",
        "/api/v1/tickets/{ticket_id}",
        "/api/v1/tickets/{ticket_id}/events",
        "/api/v1/tickets/{ticket_id}/claim",
        "/api/v1/tickets/{ticket_id}/resolve",
        "/api/v1/tickets/{ticket_id}/satisfaction",
    ):
        assert path in spec["paths"], path
    ticket_in = spec["components"]["schemas"]["TicketIn"]
    assert set(ticket_in["required"]) == {"subject", "body"}
    assert ticket_in["additionalProperties"] is False
    assert "BearerToken" in spec["components"]["securitySchemes"]


def test_docs_page_loads_its_assets_locally(app):
    client = app.test_client()
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page
    assert "cdn." not in page
    with client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js") as asset:
        assert asset.status_code == 200


def test_healthz_is_always_ok(app):
    assert app.test_client().get("/healthz").json == {"status": "ok"}


def test_readyz_needs_the_schema_at_head(tmp_path: Path, clock):
    config = make_config(tmp_path)
    app = create_app(config, clock=clock)
    unmigrated = app.test_client().get("/readyz")
    assert unmigrated.status_code == 503
    assert unmigrated.json["status"] == "unavailable"

    upgrade(config.database_url)
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 200
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert ready.json == {
        "status": "ok",
        "database": "ok",
        "migration": head,
        "inference": {
            "status": "ok",
            "model": "names and aliases only",
            "examples": 0,
            "trained_at": None,
            "training": False,
            "error": None,
        },
    }
    app.extensions["swarm"].engine.dispose()


def test_readyz_reports_an_unreachable_database(tmp_path: Path, clock):
    app = create_app(make_config(tmp_path, database_url="sqlite:////nonexistent/dir/x.db"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert "unreachable" in response.json["database"]


def test_readyz_says_when_the_skill_model_failed_to_train(tmp_path: Path, clock, caplog):
    config = make_config(tmp_path)
    upgrade(config.database_url)
    app = create_app(config, clock=clock)
    rt = app.extensions["swarm"]

    def broken(*_args: object) -> None:
        raise RuntimeError("out of memory")

    rt.routing.inference = InfererCache(InlineRunner(), train=broken)
    with rt.sessions() as session, caplog.at_level(logging.ERROR):
        found = RoutingService(session, rt.clock, rt.notifier, rt.routing).infer("printer jam")
    assert found == []  # an empty taxonomy names nothing; the failure did not raise
    assert "training the skill model failed; names only" in caplog.text

    ready = app.test_client().get("/readyz")
    assert ready.status_code == 200  # names and aliases still route
    assert ready.json["status"] == "degraded"
    assert ready.json["inference"]["status"] == "degraded"
    assert ready.json["inference"]["error"] == "RuntimeError: out of memory"
    assert ready.json["inference"]["model"] == "names and aliases only"
    rt.engine.dispose()


def test_readyz_finds_the_migration_head_once(tmp_path: Path, clock, monkeypatch):
    import swarm.web.health as health

    config = make_config(tmp_path)
    upgrade(config.database_url)
    app = create_app(config, clock=clock)
    reads = []
    real = health.ScriptDirectory.from_config

    def counted(*args: object) -> object:
        reads.append(args)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(health.ScriptDirectory, "from_config", counted)
    health.migration_head.cache_clear()
    client = app.test_client()
    assert [client.get("/readyz").status_code for _ in range(3)] == [200, 200, 200]
    assert len(reads) == 1
    health.migration_head.cache_clear()
    app.extensions["swarm"].engine.dispose()

"""An app on a fresh SQLite file, with a fake clock, and signed-in clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from swarm.app import create_app
from swarm.clock import FakeClock
from swarm.db import Base
from swarm.models import User
from swarm.runtime import Runtime
from tests.builders import PASSWORD, make_agent, make_manager, make_user
from tests.conftest import make_config


@pytest.fixture
def app(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[Flask]:
    # ``@pytest.mark.app_config(name=value)`` overrides the test app's configuration.
    marker = request.node.get_closest_marker("app_config")
    overrides = marker.kwargs if marker else {}
    application = create_app(make_config(tmp_path, **overrides), clock=clock)
    rt: Runtime = application.extensions["swarm"]
    Base.metadata.create_all(rt.engine)
    yield application
    if rt.messages is not None:
        rt.messages.close()
    rt.engine.dispose()


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    rt: Runtime = app.extensions["swarm"]
    with rt.sessions() as session:
        yield session


@pytest.fixture
def login(app: Flask) -> Callable[[User], FlaskClient]:
    def sign_in(user: User) -> FlaskClient:
        client = app.test_client()
        response = client.post(
            "/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}
        )
        assert response.status_code == 200, response.json
        return client

    return sign_in


@pytest.fixture
def requester(db: Session, clock: FakeClock) -> User:
    return make_user(db, clock, name="Rita Requester")


@pytest.fixture
def agent(db: Session, clock: FakeClock) -> User:
    return make_agent(db, clock, name="Ada Agent")


@pytest.fixture
def manager(db: Session, clock: FakeClock) -> User:
    return make_manager(db, clock, name="Max Manager")


@pytest.fixture
def claimed_ticket(
    login: Callable[[User], FlaskClient], requester: User, agent: User
) -> Callable[..., dict[str, Any]]:
    """Opens a ticket as the requester and lets the agent claim it; returns the ticket JSON."""

    def open_claimed(subject: str, body: str = "Details") -> dict[str, Any]:
        created: dict[str, Any] = (
            login(requester).post("/api/v1/tickets", json={"subject": subject, "body": body}).json
        )
        login(agent).post(f"/api/v1/tickets/{created['id']}/claim", json={})
        return created

    return open_claimed


@pytest.fixture
def socketio(app: Flask) -> Any:
    return app.extensions["socketio"]


@pytest.fixture
def connect(
    app: Flask, socketio: Any, login: Callable[[User], FlaskClient]
) -> Iterator[Callable[..., Any]]:
    """Opens Socket.IO test clients signed in as a user (sharing the login cookie); closes
    them afterwards."""
    clients: list[Any] = []

    def open_for(user: User, **kwargs: Any) -> Any:
        client = socketio.test_client(app, flask_test_client=login(user), **kwargs)
        clients.append(client)
        return client

    yield open_for
    for client in clients:
        if client.is_connected():
            client.disconnect()

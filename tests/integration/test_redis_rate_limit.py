"""With Redis as the rate-limit store, every server process shares one count of sign-ins."""

from __future__ import annotations

import uuid
from pathlib import Path

from swarm.app import create_app
from swarm.db import Base
from tests.builders import PASSWORD, make_user
from tests.conftest import make_config


def test_login_limit_is_shared_by_two_processes_through_redis(
    tmp_path: Path, redis_url: str, clock
):
    # A fresh namespace per run, so earlier runs' counts do not leak in.
    namespace = f"swarm-test-{uuid.uuid4().hex}"
    database = f"sqlite:///{tmp_path / 'shared.db'}"
    config = make_config(
        tmp_path,
        database_url=database,
        ratelimit_storage_url=redis_url,
        ratelimit_namespace=namespace,
        login_rate_limit="4/minute",
    )
    first, second = create_app(config, clock=clock), create_app(config, clock=clock)
    Base.metadata.create_all(first.extensions["swarm"].engine)
    with first.extensions["swarm"].sessions() as session:
        user = make_user(session, clock)
    wrong = {"email": user.email, "password": "not-the-password"}

    codes = [
        app.test_client().post("/api/v1/auth/login", json=wrong).status_code
        for app in (first, second, first, second)
    ]
    assert codes == [401, 401, 401, 401]
    right = {"email": user.email, "password": PASSWORD}
    assert second.test_client().post("/api/v1/auth/login", json=right).status_code == 429
    assert first.test_client().post("/api/v1/auth/login", json=right).status_code == 429
    for app in (first, second):
        app.extensions["swarm"].engine.dispose()

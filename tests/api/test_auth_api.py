"""Sign-in, sessions, API tokens and the login rate limit, through HTTP."""

from __future__ import annotations

from pathlib import Path

from swarm.app import create_app
from swarm.db import Base
from tests.builders import PASSWORD, make_user
from tests.conftest import make_config


def test_login_returns_the_user_and_a_session_cookie(app, requester):
    client = app.test_client()
    response = client.post(
        "/api/v1/auth/login", json={"email": requester.email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.json["user"]["email"] == requester.email
    assert "password_hash" not in response.json["user"]
    assert "HttpOnly" in response.headers["Set-Cookie"]
    assert "SameSite=Lax" in response.headers["Set-Cookie"]
    assert client.get("/api/v1/auth/me").json["user"]["id"] == requester.id


def test_wrong_password_is_401_with_a_message(app, requester):
    response = app.test_client().post(
        "/api/v1/auth/login", json={"email": requester.email, "password": "nope nope"}
    )
    assert response.status_code == 401
    assert response.json == {
        "error": {
            "code": "unauthenticated",
            "message": "Wrong e-mail or password.",
            "request_id": response.headers["X-Request-Id"],
        }
    }


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(app):
    response = app.test_client().post(
        "/api/v1/auth/login", json={"email": "ghost@example.test", "password": "whatever1"}
    )
    assert response.status_code == 401
    assert response.json["error"]["message"] == "Wrong e-mail or password."


def test_me_without_credentials_is_401(app):
    response = app.test_client().get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthenticated"


def test_logout_ends_the_session(login, requester):
    client = login(requester)
    assert client.post("/api/v1/auth/logout", json={}).status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 401


def test_login_is_rate_limited_per_address(tmp_path: Path, clock):
    app = create_app(make_config(tmp_path, login_rate_limit="3 per minute"), clock=clock)
    Base.metadata.create_all(app.extensions["swarm"].engine)
    with app.extensions["swarm"].sessions() as session:
        user = make_user(session, clock)
    client = app.test_client()
    wrong = {"email": user.email, "password": "wrong-password"}
    codes = [client.post("/api/v1/auth/login", json=wrong).status_code for _ in range(3)]
    assert codes == [401, 401, 401]

    blocked = client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert blocked.json["error"]["code"] == "rate_limited"
    assert int(blocked.headers["Retry-After"]) >= 1


def test_tokens_are_shown_once_stored_hashed_and_revocable(app, login, requester, db):
    from sqlalchemy import select

    from swarm.models import ApiToken

    client = login(requester)
    created = client.post("/api/v1/auth/tokens", json={"name": "backup script"})
    assert created.status_code == 201
    token = created.json["token"]
    assert token.startswith("swm_") and created.json["prefix"] == token[:8]

    stored = db.scalars(select(ApiToken)).one()
    assert token not in (stored.token_hash, stored.prefix) and len(stored.token_hash) == 64

    bearer = {"Authorization": f"Bearer {token}"}
    anonymous = app.test_client()
    assert anonymous.get("/api/v1/auth/me", headers=bearer).json["user"]["id"] == requester.id
    listed = client.get("/api/v1/auth/tokens").json["items"]
    assert [t["name"] for t in listed] == ["backup script"] and "token" not in listed[0]

    assert client.delete(f"/api/v1/auth/tokens/{created.json['id']}").status_code == 204
    revoked = anonymous.get("/api/v1/auth/me", headers=bearer)
    assert revoked.status_code == 401
    assert "revoked" in revoked.json["error"]["message"]


def test_someone_elses_token_cannot_be_revoked(app, login, requester, agent):
    token_id = login(requester).post("/api/v1/auth/tokens", json={"name": "x"}).json["id"]
    response = login(agent).delete(f"/api/v1/auth/tokens/{token_id}")
    assert response.status_code == 404


def test_a_malformed_authorization_header_is_401(app):
    response = app.test_client().get("/api/v1/auth/me", headers={"Authorization": "Basic abc"})
    assert response.status_code == 401
    assert "Bearer" in response.json["error"]["message"]


def test_deactivated_users_cannot_sign_in(app, db, clock):
    user = make_user(db, clock)
    user.active = False
    db.commit()
    response = app.test_client().post(
        "/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 401


def test_passwords_are_stored_as_argon2id(requester):
    assert requester.password_hash.startswith("$argon2id$")

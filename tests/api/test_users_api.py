"""User administration: only admins, and never locking the organisation out."""

from __future__ import annotations

import pytest

from tests.builders import PASSWORD, make_user


@pytest.fixture
def admin(db, clock):
    return make_user(db, clock, role="admin", name="Ava Admin")


def test_only_admins_manage_users(login, agent, manager):
    for user in (agent, manager):
        client = login(user)
        assert client.get("/api/v1/users").status_code == 403
        response = client.post(
            "/api/v1/users", json={"email": "x@example.test", "name": "X", "password": "12345678"}
        )
        assert response.status_code == 403
        assert response.json["error"]["message"] == "Only an admin can manage users."


def test_admin_adds_an_agent_who_can_sign_in(app, login, admin):
    client = login(admin)
    response = client.post(
        "/api/v1/users",
        json={
            "email": "New.Agent@Example.test",
            "name": "New Agent",
            "password": "a-good-password",
            "role": "agent",
            "capacity": 3,
            "tier": 2,
        },
    )
    assert response.status_code == 201
    assert response.json["email"] == "new.agent@example.test"
    assert response.json["profile"]["capacity"] == 3 and response.json["profile"]["tier"] == 2
    signed_in = app.test_client().post(
        "/api/v1/auth/login",
        json={"email": "new.agent@example.test", "password": "a-good-password"},
    )
    assert signed_in.status_code == 200

    duplicate = client.post(
        "/api/v1/users",
        json={"email": "new.agent@example.test", "name": "Again", "password": "a-good-password"},
    )
    assert duplicate.status_code == 422 and "email" in duplicate.json["error"]["fields"]


def test_deactivating_a_user_ends_their_access(app, login, admin, requester):
    token = login(requester).post("/api/v1/auth/tokens", json={"name": "t"}).json["token"]
    client = login(admin)
    response = client.patch(f"/api/v1/users/{requester.id}", json={"active": False})
    assert response.status_code == 200 and response.json["active"] is False

    bearer = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/auth/me", headers=bearer).status_code == 401
    again = app.test_client().post(
        "/api/v1/auth/login", json={"email": requester.email, "password": PASSWORD}
    )
    assert again.status_code == 401


def test_promoting_a_requester_gives_them_an_agent_profile(login, admin, requester):
    response = login(admin).patch(
        f"/api/v1/users/{requester.id}", json={"role": "agent", "capacity": 4}
    )
    assert response.status_code == 200
    assert response.json["role"] == "agent" and response.json["profile"]["capacity"] == 4


def test_the_last_admin_cannot_be_demoted_or_deactivated(login, admin):
    client = login(admin)
    for change in ({"role": "agent"}, {"active": False}):
        response = client.patch(f"/api/v1/users/{admin.id}", json=change)
        assert response.status_code == 409
        assert "last active admin" in response.json["error"]["message"]


def test_user_changes_are_validated(login, admin, requester):
    client = login(admin)
    assert client.patch(f"/api/v1/users/{requester.id}", json={"role": "root"}).status_code == 422
    assert client.patch(f"/api/v1/users/{requester.id}", json={"capacity": 5}).status_code == 422
    assert client.patch(f"/api/v1/users/{requester.id}", json={"shoe": 44}).status_code == 422
    assert client.patch("/api/v1/users/987654", json={"name": "Ghost"}).status_code == 404


def test_admin_sets_the_tiers_an_agent_serves(login, admin, agent):
    client = login(admin)
    response = client.patch(f"/api/v1/users/{agent.id}", json={"tier": 1, "tiers": [2, 2, 3]})
    assert response.status_code == 200
    assert response.json["profile"]["tier"] == 1 and response.json["profile"]["tiers"] == [2, 3]
    assert client.patch(f"/api/v1/users/{agent.id}", json={"tiers": [5]}).status_code == 422

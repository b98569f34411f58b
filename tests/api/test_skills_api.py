"""Skills over HTTP: taxonomy administration, inference, profiles and suggestions."""

from __future__ import annotations

import pytest

from tests.builders import make_agent, make_user


@pytest.fixture
def admin(db, clock):
    return make_user(db, clock, role="admin", name="Ava Admin")


@pytest.fixture
def taxonomy(login, admin):
    client = login(admin)

    def skill(name, *aliases, category="Networking"):
        response = client.post(
            "/api/v1/skills", json={"name": name, "aliases": list(aliases), "category": category}
        )
        assert response.status_code == 201, response.json
        return response.json["id"]

    ids = {
        "networking": skill("Networking"),
        "vpn": skill("VPN", "AnyConnect", "GlobalProtect"),
        "dns": skill("DNS"),
        "printing": skill("Printing", "printer", category="Workplace"),
    }
    for child in ("vpn", "dns"):
        response = client.post(
            "/api/v1/skills/relations",
            json={"source_id": ids[child], "target_id": ids["networking"], "kind": "is_a"},
        )
        assert response.status_code == 201
    return ids


def test_only_admins_change_the_taxonomy(login, agent, taxonomy):
    client = login(agent)
    assert client.post("/api/v1/skills", json={"name": "Kubernetes"}).status_code == 403
    assert client.delete(f"/api/v1/skills/{taxonomy['dns']}").status_code == 403
    assert [s["name"] for s in client.get("/api/v1/skills").json["items"]] == [
        "DNS",
        "Networking",
        "Printing",
        "VPN",
    ]


def test_an_is_a_cycle_is_refused_and_nothing_changes(login, admin, taxonomy):
    client = login(admin)
    response = client.post(
        "/api/v1/skills/relations",
        json={"source_id": taxonomy["networking"], "target_id": taxonomy["vpn"], "kind": "is_a"},
    )
    assert response.status_code == 422
    assert "cycle" in response.json["error"]["message"]
    assert len(client.get("/api/v1/skills/graph").json["edges"]) == 2


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"source_id": 1, "target_id": 1, "kind": "related_to"}, 422),
        ({"source_id": 1, "target_id": 999, "kind": "related_to"}, 422),
        ({"source_id": 1, "target_id": 2, "kind": "likes"}, 422),
        ({"source_id": 1, "target_id": 2, "kind": "related_to", "weight": 0}, 422),
        ({"source_id": 1, "target_id": 2, "kind": "related_to", "weight": 2}, 422),
    ],
)
def test_bad_relations_are_refused(login, admin, taxonomy, payload, status):
    response = login(admin).post("/api/v1/skills/relations", json=payload)
    assert response.status_code == status


def test_duplicate_skill_names_are_refused(login, admin, taxonomy):
    client = login(admin)
    exact = client.post("/api/v1/skills", json={"name": "DNS"})
    assert exact.status_code in (409, 422)
    alias = client.post("/api/v1/skills", json={"name": "anyconnect"})
    assert alias.status_code == 422  # clashes with VPN's alias
    assert len(client.get("/api/v1/skills").json["items"]) == 4


def test_graph_lists_nodes_with_experts_and_edges(login, agent, taxonomy):
    client = login(agent)
    client.put(
        f"/api/v1/agents/{agent.id}/skills",
        json={"skills": [{"skill_id": taxonomy["vpn"], "proficiency": 4}]},
    )
    graph = client.get("/api/v1/skills/graph").json
    vpn = next(n for n in graph["nodes"] if n["name"] == "VPN")
    assert vpn["experts"] == 1 and vpn["aliases"] == ["AnyConnect", "GlobalProtect"]
    assert {(e["source"], e["kind"]) for e in graph["edges"]} == {
        (taxonomy["vpn"], "is_a"),
        (taxonomy["dns"], "is_a"),
    }


def test_taxonomy_exports_as_json_and_csv(login, agent, taxonomy):
    client = login(agent)
    exported = client.get("/api/v1/skills/taxonomy.json")
    assert exported.status_code == 200 and "GlobalProtect" in exported.get_data(as_text=True)
    csv = client.get("/api/v1/skills/taxonomy.csv")
    assert csv.mimetype == "text/csv" and "Networking" in csv.get_data(as_text=True)


def test_inference_says_why_and_falls_back_to_triage(login, agent, taxonomy):
    client = login(agent)
    found = client.post("/api/v1/skills/infer", json={"text": "GlobalProtect will not connect"})
    assert found.status_code == 200
    assert found.json["triage"] is False
    assert found.json["skills"][0]["skill"]["name"] == "VPN"
    assert 'mentions "GlobalProtect"' in found.json["skills"][0]["why"]
    nothing = client.post("/api/v1/skills/infer", json={"text": "When is lunch?"})
    assert nothing.json == {"skills": [], "triage": True}
    assert client.post("/api/v1/skills/infer", json={}).status_code == 422


def test_requesters_cannot_use_inference_or_see_profiles(login, requester, agent):
    client = login(requester)
    assert client.post("/api/v1/skills/infer", json={"text": "vpn"}).status_code == 403
    assert client.get(f"/api/v1/agents/{agent.id}/skills").status_code == 403


def test_agents_keep_their_own_profile_and_growth_is_recorded(login, agent, taxonomy):
    client = login(agent)
    response = client.put(
        f"/api/v1/agents/{agent.id}/skills",
        json={
            "skills": [
                {"skill_id": taxonomy["vpn"], "proficiency": 4},
                {"skill_id": taxonomy["dns"], "proficiency": 1, "wants_to_learn": True},
            ]
        },
    )
    assert response.status_code == 200
    profile = {s["skill"]["name"]: s for s in response.json["skills"]}
    assert profile["VPN"]["proficiency"] == 4 and profile["DNS"]["wants_to_learn"] is True

    client.put(
        f"/api/v1/agents/{agent.id}/skills",
        json={"skills": [{"skill_id": taxonomy["vpn"], "proficiency": 5}]},
    )
    growth = client.get(f"/api/v1/agents/{agent.id}/growth").json["items"]
    assert [(g["cause"], g["proficiency_before"], g["proficiency_after"]) for g in growth[:2]] == [
        ("removed", 1, None),
        ("self", 4, 5),
    ] or [(g["cause"], g["proficiency_before"], g["proficiency_after"]) for g in growth[:2]] == [
        ("self", 4, 5),
        ("removed", 1, None),
    ]


def test_only_the_agent_or_a_manager_changes_a_profile(login, agent, manager, db, clock, taxonomy):
    other = make_agent(db, clock)
    body = {"skills": [{"skill_id": taxonomy["dns"], "proficiency": 3}]}
    assert login(other).put(f"/api/v1/agents/{agent.id}/skills", json=body).status_code == 403
    assert login(manager).put(f"/api/v1/agents/{agent.id}/skills", json=body).status_code == 200


@pytest.mark.parametrize(
    "entry",
    [
        {"skill_id": 1, "proficiency": 6},
        {"skill_id": 1, "proficiency": -1},
        {"skill_id": 4242, "proficiency": 3},
        {"skill_id": 1, "proficiency": 3, "stars": 5},
    ],
)
def test_invalid_profiles_are_refused(login, agent, taxonomy, entry):
    response = login(agent).put(f"/api/v1/agents/{agent.id}/skills", json={"skills": [entry]})
    assert response.status_code == 422
    assert login(agent).get(f"/api/v1/agents/{agent.id}/skills").json["skills"] == []


def test_suggestions_explain_the_best_owner(login, requester, agent, db, clock, taxonomy):
    expert = make_agent(db, clock, name="Vera VPN")
    login(expert).put(
        f"/api/v1/agents/{expert.id}/skills",
        json={"skills": [{"skill_id": taxonomy["vpn"], "proficiency": 5}]},
    )
    ticket = (
        login(requester)
        .post("/api/v1/tickets", json={"subject": "AnyConnect fails", "body": "error 412"})
        .json
    )
    assert ticket["owner"]["name"] == "Vera VPN"
    result = login(agent).get(f"/api/v1/tickets/{ticket['id']}/suggestions").json
    best = result["owners"][0]
    assert best["agent"]["name"] == "Vera VPN"
    assert "knows VPN (5/5)" in " ".join(best["reasons"])
    assert login(requester).get(f"/api/v1/tickets/{ticket['id']}/suggestions").status_code == 403


def test_agents_correct_a_tickets_skills(login, requester, agent, taxonomy):
    ticket = (
        login(requester)
        .post("/api/v1/tickets", json={"subject": "Printer on 2nd floor", "body": "jams"})
        .json
    )
    client = login(agent)
    assert [
        s["skill"]["name"]
        for s in client.get(f"/api/v1/tickets/{ticket['id']}/skills").json["items"]
    ] == ["Printing"]
    corrected = client.put(
        f"/api/v1/tickets/{ticket['id']}/skills",
        json={"skills": [{"skill_id": taxonomy["dns"], "weight": 0.5}]},
    )
    assert corrected.status_code == 200
    assert corrected.json["items"] == [
        {
            "skill": {"id": taxonomy["dns"], "name": "DNS"},
            "weight": 0.5,
            "source": "manual",
            "why": None,
        }
    ]
    bad = client.put(f"/api/v1/tickets/{ticket['id']}/skills", json={"skills": [{"skill_id": 999}]})
    assert bad.status_code == 422

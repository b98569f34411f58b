"""The ticket page's coverage panel says what the suggestions API says, and never contradicts it."""

from __future__ import annotations

import html
import re

import pytest

from tests.builders import make_agent, make_user


@pytest.fixture
def skills(login, db, clock):
    admin = login(make_user(db, clock, role="admin", name="Ava Admin"))

    def skill(name):
        response = admin.post("/api/v1/skills", json={"name": name, "category": "IT"})
        assert response.status_code == 201, response.json
        return response.json["id"]

    return {name: skill(name) for name in ("VPN", "DNS", "Printing")}


@pytest.fixture
def people(login, db, clock, skills):
    def person(name, **levels):
        user = make_agent(db, clock, name=name)
        entries = [{"skill_id": skills[s], "proficiency": p} for s, p in levels.items()]
        assert login(user).put(f"/api/v1/agents/{user.id}/skills", json={"skills": entries})
        return user

    # The shape of demo ticket #326: the owner knows one skill, the helper one fully, one partly.
    return {
        "nadia": person("Nadia Haddad", VPN=4),
        "lucia": person("Lucía Fernández", DNS=3, Printing=2),
    }


def open_ticket(login, requester, staff, skills, needs):
    ticket = login(requester).post(
        "/api/v1/tickets", json={"subject": "Lunch on Friday?", "body": "Anyone?"}
    )
    ticket_id = ticket.json["id"]
    chosen = [{"skill_id": skills[s], "weight": 1.0} for s in needs]
    response = login(staff).put(f"/api/v1/tickets/{ticket_id}/skills", json={"skills": chosen})
    assert response.status_code == 200, response.json
    return ticket_id


def panel(page: str) -> str:
    start = page.index('<div class="coverage-panel"')
    return page[start : page.index("</section>", start)]


def text(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def test_the_page_shows_the_same_colours_and_sentences_as_the_api(login, requester, people, skills):
    nadia = login(people["nadia"])
    ticket_id = open_ticket(login, requester, people["nadia"], skills, ["VPN", "DNS", "Printing"])
    assert nadia.post(f"/api/v1/tickets/{ticket_id}/claim", json={}).status_code == 200

    team = nadia.get(f"/api/v1/tickets/{ticket_id}/suggestions").json["team"]
    shown = panel(nadia.get(f"/tickets/{ticket_id}").get_data(as_text=True))

    expected = [(s["state"], s["name"], s["sentence"]) for s in team["skills"]]
    assert expected == [
        ("covered", "VPN", "covered: Nadia Haddad (owner) knows VPN (4/5)"),
        ("covered", "DNS", "covered: Lucía Fernández (suggested helper) knows DNS (3/5)"),
        (
            "partial",
            "Printing",
            "partly, 0.80 of a full cover: at best Lucía Fernández (suggested helper) "
            "knows Printing (2/5)",
        ),
    ]
    rows = re.findall(
        r'<li data-state="(\w+)"><span class="chip (\w+)">([^<]+)</span>(.*?)</li>', shown, re.S
    )
    assert [(state, name, text(rest)) for state, chip, name, rest in rows] == expected
    assert all(state == chip for state, chip, _, _ in rows)
    # The bar is the same skills in the same order, as wide as their weights.
    states = re.findall(r'<span class="(\w+)" title="', shown)
    assert states == [s["state"] for s in team["skills"]]
    widths = re.findall(r"span:nth-child\((\d+)\) \{ width: ([\d.]+)%; \}", shown)
    assert [int(n) for n, _ in widths] == list(range(1, len(states) + 1))
    assert sum(float(width) for _, width in widths) == pytest.approx(100, abs=0.01)
    assert f"Covered now: {team['percent']} %" in shown
    assert team["percent"] == 66
    for sentence in team["summary"]:
        assert html.escape(sentence, quote=False) in shown
    assert "would cover DNS; partly Printing" in text(shown)
    assert "not covered" not in text(shown) and "nobody available" not in text(shown)


def test_an_unowned_ticket_says_nobody_owns_it(login, requester, people, skills):
    lucia = login(people["lucia"])
    ticket_id = open_ticket(login, requester, people["lucia"], skills, ["VPN", "Printing"])
    assert lucia.get(f"/api/v1/tickets/{ticket_id}").json["owner"] is None

    shown = text(panel(lucia.get(f"/tickets/{ticket_id}").get_data(as_text=True)))
    assert "Nobody owns this ticket yet; what follows assumes " in shown
    assert "The owner covers" not in shown and "(owner)" not in shown
    assert "(proposed owner)" in shown
    assert "Swarm if the proposed owner takes it" in shown

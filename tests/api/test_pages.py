"""The pages a support team uses all day, read through the Flask test client: the ticket list,
the ticket page's pickers and cards, the account page, the skill explorer and the error pages."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from swarm.accounts.passwords import verify_password
from swarm.models import AgentSkill, Invitation, Skill, User
from tests.builders import PASSWORD, make_agent, make_user


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def html(response) -> str:
    return response.get_data(as_text=True)


def open_ticket(client, subject="Printer on the 3rd floor jams", priority="P3"):
    body = {"subject": subject, "body": "Paper jam light.", "priority": priority}
    response = client.post("/api/v1/tickets", json=body)
    assert response.status_code == 201, response.json
    return response.json


def post_form(client, path, page_path, **data):
    token = csrf(html(client.get(page_path)))
    return client.post(path, data={"csrf_token": token, **data})


def rows(page: str) -> list[str]:
    return re.findall(r"<tr>(.*?)</tr>", page.split("<tbody>")[1], re.S)


# ------------------------------------------------------------------------- the ticket list


def test_a_requester_list_says_who_handles_each_ticket_not_their_own_name(login, requester, agent):
    customer = login(requester)
    first = open_ticket(customer, subject="Monitor flickers")
    second = open_ticket(customer, subject="Mouse lost")
    login(agent).post(f"/api/v1/tickets/{first['id']}/claim", json={})
    login(agent).post(f"/api/v1/tickets/{second['id']}/release", json={})

    page = html(customer.get("/tickets"))

    assert "Handled by" in page and ">Requester<" not in page
    assert requester.name not in page.split("<tbody>")[1]
    handled = dict(
        (re.search(r">([^<]+)</a></td>", row).group(1), re.search(r'"Handled by">([^<]*)<', row))
        for row in rows(page)
    )
    assert handled["Monitor flickers"].group(1) == "Ada Agent"
    assert handled["Mouse lost"].group(1) == "not picked up yet"


def test_the_list_counts_pages_sorts_and_filters_by_priority(login, requester, agent, monkeypatch):
    monkeypatch.setattr("swarm.web.ticket_pages.PAGE_SIZE", 2)
    customer = login(requester)
    for i, priority in enumerate(["P3", "P1", "P4", "P2", "P1"]):
        open_ticket(customer, subject=f"Laptop {i} will not boot", priority=priority)
    staff = login(agent)

    first = html(staff.get("/tickets"))
    assert "5 tickets · page 1 of 3" in first
    assert 'aria-label="Page 2"' in first and 'aria-label="Page 3"' in first
    assert "Laptop 4 will not boot" in first and "Laptop 2 will not boot" not in first

    by_priority = html(staff.get("/tickets?sort=priority&page=1"))
    assert re.findall(r"prio-(P\d)\">", by_priority.split("<tbody>")[1]) == ["P1", "P1"]
    last = html(staff.get("/tickets?sort=priority&page=3"))
    assert "Laptop 2 will not boot" in last and "Next →" not in last
    # Page links keep the sort and the filters.
    assert "sort=priority" in re.search(r'href="([^"]+)"[^>]*rel="prev"', last).group(1)

    only_p1 = html(staff.get("/tickets?priority=P1"))
    assert "2 tickets" in only_p1 and "Laptop 1 will not" in only_p1
    assert staff.get("/tickets?sort=sideways").status_code == 400
    assert staff.get("/tickets?priority=P7").status_code == 400


# ----------------------------------------------------------------------- the ticket page


@pytest.fixture
def vpn(db) -> Skill:
    skill = Skill(name="VPN", category="Networking", aliases=[])
    db.add(skill)
    db.commit()
    return skill


def test_pickers_choose_nobody_by_default_and_show_presence_load_and_skills(
    login, db, clock, requester, agent, vpn
):
    away = make_agent(db, clock, name="Zoe Away", presence="away")
    expert = make_agent(db, clock, name="Vic Vpn")
    db.add(AgentSkill(user_id=expert.id, skill_id=vpn.id, proficiency=4))
    db.commit()
    ticket = open_ticket(login(requester), subject="Tunnel drops")
    staff = login(agent)
    page_path = f"/tickets/{ticket['id']}"
    saved = post_form(staff, f"/tickets/{ticket['id']}/skills", page_path, skills=str(vpn.id))
    assert saved.status_code == 302

    page = html(staff.get(page_path))
    assign = re.search(r'<select id="assign-agent".*?</select>', page, re.S).group(0)
    assert "selected" not in assign and '<option value="">Choose a person…</option>' in assign
    names = re.findall(r'<option value="\d+"[^>]*>([^·<]+) ·', assign)
    # Online before away; among the online, who knows the ticket's skills first.
    assert names.index("Vic Vpn") == 0 and names[-1] == "Zoe Away"
    assert "Vic Vpn · online · 0/5 tickets · knows VPN 4/5" in assign
    assert 'data-presence="away"' in assign and away.name in assign
    skills = re.search(r'<select id="ticket-skills".*?</select>', page, re.S).group(0)
    assert f'<option value="{vpn.id}" data-sub="Networking" selected>VPN</option>' in skills


def test_the_invite_picker_posts_without_javascript(login, db, clock, requester, agent):
    helper = make_agent(db, clock, name="Hugo Helper")
    ticket = open_ticket(login(requester))
    staff = login(agent)
    staff.post(f"/api/v1/tickets/{ticket['id']}/claim", json={})
    page_path = f"/tickets/{ticket['id']}"

    nobody = post_form(staff, f"/tickets/{ticket['id']}/invite", page_path, agent_id="")
    assert nobody.status_code == 422 and "There is no active agent" in html(nobody)

    sent = post_form(staff, f"/tickets/{ticket['id']}/invite", page_path, agent_id=str(helper.id))
    assert sent.status_code == 302
    assert "Invitation sent." in html(staff.get(page_path))
    db.expire_all()
    invited = db.scalars(select(Invitation).where(Invitation.ticket_id == ticket["id"])).one()
    assert invited.invitee_id == helper.id and invited.inviter_id == agent.id


def test_names_link_to_skill_profiles_for_staff_only(login, requester, agent):
    ticket = open_ticket(login(requester))
    login(agent).post(f"/api/v1/tickets/{ticket['id']}/claim", json={})
    profile = f'<a class="person" href="/agents/{agent.id}/skills">Ada Agent</a>'

    assert profile in html(login(agent).get("/tickets"))
    assert profile in html(login(agent).get("/tickets?owner=me"))
    assert "/agents/" not in html(login(requester).get("/tickets"))
    # The ticket page too: its owner in Details and the timeline's actors.
    page = html(login(agent).get(f"/tickets/{ticket['id']}"))
    assert f"<dd>{profile}</dd>" in page and f"<strong>{profile}</strong>" in page
    assert "/agents/" not in html(login(requester).get(f"/tickets/{ticket['id']}"))


def test_a_requester_sees_the_actions_card_only_when_there_is_something_to_do(
    login, requester, agent
):
    customer = login(requester)
    ticket = open_ticket(customer)
    assert "<h2>Actions</h2>" not in html(customer.get(f"/tickets/{ticket['id']}"))
    assert "<h2>Actions</h2>" in html(login(agent).get(f"/tickets/{ticket['id']}"))

    staff = login(agent)
    staff.post(f"/api/v1/tickets/{ticket['id']}/claim", json={})
    staff.post(f"/api/v1/tickets/{ticket['id']}/resolve", json={"resolution": "New toner."})
    resolved = html(customer.get(f"/tickets/{ticket['id']}"))
    assert "<h2>Actions</h2>" in resolved and "Close ticket" in resolved and "Reopen" in resolved


# ---------------------------------------------------------------------------- the account


@pytest.mark.parametrize(
    ("current", "new", "again", "field", "sentence"),
    [
        (
            "not-my-password",
            "a brand new one",
            "a brand new one",
            "current_password",
            "Your current password is not right.",
        ),
        (PASSWORD, "short", "short", "new_password", "Use at least 8 characters."),
        (PASSWORD, "aaaaaaaaaaa", "aaaaaaaaaaa", "new_password", "One character repeated"),
        (PASSWORD, PASSWORD, PASSWORD, "new_password", "That is your current password"),
        (
            PASSWORD,
            "a brand new one",
            "a brand new two",
            "confirm_password",
            "The two new passwords differ.",
        ),
    ],
)
def test_a_password_change_is_refused_with_a_clear_reason(
    login, db, requester, current, new, again, field, sentence
):
    client = login(requester)
    response = post_form(
        client,
        "/account/password",
        "/account",
        current_password=current,
        new_password=new,
        confirm_password=again,
    )
    page = html(response)
    assert response.status_code == 422 and sentence in page
    assert f'id="{field}" name="{field}" type="password" required' in page
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', page)
    db.expire_all()
    assert verify_password(db.get(User, requester.id).password_hash, PASSWORD)


def test_a_person_changes_their_password_and_signs_in_with_the_new_one(app, login, db, requester):
    client = login(requester)
    response = post_form(
        client,
        "/account/password",
        "/account",
        current_password=PASSWORD,
        new_password="four unrelated words here",
        confirm_password="four unrelated words here",
    )
    assert response.status_code == 302
    assert "Your password is changed." in html(client.get("/account"))
    db.expire_all()
    stored = db.get(User, requester.id).password_hash
    assert stored.startswith("$argon2id$")
    fresh = app.test_client()
    old = fresh.post("/api/v1/auth/login", json={"email": requester.email, "password": PASSWORD})
    assert old.status_code == 401
    new = fresh.post(
        "/api/v1/auth/login",
        json={"email": requester.email, "password": "four unrelated words here"},
    )
    assert new.status_code == 200


def test_a_password_change_needs_the_csrf_token(login, requester):
    response = login(requester).post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "x" * 12 + "y",
            "confirm_password": "x" * 12 + "y",
        },
    )
    assert response.status_code == 400


def test_api_tokens_are_offered_to_staff_only(login, requester, agent):
    assert "Create token" in html(login(agent).get("/account"))
    customer = login(requester)
    account = html(customer.get("/account"))
    assert "Create token" not in account and "API tokens" not in account
    refused = post_form(customer, "/account/tokens", "/account", name="script")
    assert refused.status_code == 403


# ------------------------------------------------------------------- skills and refusals


def test_the_skill_explorer_opens_by_category_and_lists_everyone_who_knows_a_skill(
    login, db, clock, agent, vpn
):
    experts = [make_agent(db, clock, name=f"Expert {n:02d}") for n in range(21)]
    db.add_all(AgentSkill(user_id=e.id, skill_id=vpn.id, proficiency=3) for e in experts)
    db.commit()
    staff = login(agent)

    start = html(staff.get("/skills"))
    assert "Skills by category" in start and 'id="graph"' not in start
    assert f'href="/skills?skill={vpn.id}">VPN</a>' in start

    page = html(staff.get("/skills?find=vpn"))
    assert "Who knows it (21)" in page
    listed = re.findall(r'<a class="person" href="/agents/\d+/skills">(Expert \d\d)</a>', page)
    assert sorted(listed) == [e.name for e in experts]
    assert f'data-focus="{vpn.id}"' in page
    assert 'data-focus=""' in html(staff.get("/skills?view=all"))
    assert staff.get("/skills?skill=99999").status_code == 404


@pytest.mark.parametrize(
    ("path", "status", "title", "meaning"),
    [
        ("/skills", 403, "Not allowed", "Your account cannot open this page or do this."),
        ("/queues/1", 403, "Not allowed", "Your account cannot open this page or do this."),
        ("/admin/users", 403, "Not allowed", "Your account cannot open this page or do this."),
        ("/tickets/99999", 404, "Not found", "There is nothing here, or it is not yours to see."),
        ("/no/such/page", 404, "Not found", "There is nothing here, or it is not yours to see."),
    ],
)
def test_refusals_of_one_kind_read_alike(login, requester, path, status, title, meaning):
    response = login(requester).get(path)
    page = html(response)
    assert response.status_code == status
    assert f"<h1>{title}</h1>" in page and meaning in page
    assert "Not Found</p>" not in page  # a bare reason phrase adds nothing


def test_someone_elses_ticket_is_refused_like_a_missing_one(login, db, clock, requester):
    other = make_user(db, clock, name="Otto Other")
    ticket = open_ticket(login(other))
    theirs = login(requester).get(f"/tickets/{ticket['id']}")
    missing = login(requester).get("/tickets/99999")
    assert theirs.status_code == missing.status_code == 404
    strip = lambda page: re.sub(r"\d+", "N", page.split("<main")[1])  # noqa: E731
    assert strip(html(theirs)) == strip(html(missing))


def test_api_paths_still_answer_errors_in_json(login, requester):
    response = login(requester).get("/api/v1/tickets/99999")
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


# ----------------------------------------------------------------------- "How did we do?"


def test_the_requester_rates_a_resolved_ticket_on_its_page_and_is_thanked(login, requester, agent):
    customer, staff = login(requester), login(agent)
    ticket = open_ticket(customer)
    page_path = f"/tickets/{ticket['id']}"
    assert "How did we do?" not in html(customer.get(page_path))
    staff.post(f"/api/v1/tickets/{ticket['id']}/claim", json={})
    staff.post(f"/api/v1/tickets/{ticket['id']}/resolve", json={"resolution": "New toner."})

    form = html(customer.get(page_path))
    assert "<legend><h2" in form and "How did we do?" in form
    assert len(re.findall(r'<input type="radio" id="score-\d" name="score"', form)) == 5
    assert '<label class="score" for="score-5">' in form
    assert "How did we do?" not in html(staff.get(page_path))
    without_token = customer.post(f"{page_path}/rate", data={"score": "4"})
    assert without_token.status_code == 400

    done = post_form(customer, f"{page_path}/rate", page_path, score="4", comment="Quick and kind.")

    assert done.status_code == 302
    thanked = html(customer.get(page_path))
    assert "Thank you: your answer was recorded." in thanked
    assert "<strong>4 of 5 (Good)</strong>" in thanked and "Quick and kind." in thanked
    assert "How did we do?" not in thanked
    assert "rated the help 4 of 5 (Good): “Quick and kind.”" in thanked
    seen_by_staff = html(staff.get(page_path))
    assert "<dt>Satisfaction</dt>" in seen_by_staff and "<strong>4 of 5</strong>" in seen_by_staff


def test_a_rating_without_a_score_is_refused_and_keeps_the_comment(login, requester, agent):
    customer, staff = login(requester), login(agent)
    ticket = open_ticket(customer)
    staff.post(f"/api/v1/tickets/{ticket['id']}/claim", json={})
    staff.post(f"/api/v1/tickets/{ticket['id']}/resolve", json={"resolution": "Reseated."})
    page_path = f"/tickets/{ticket['id']}"

    refused = post_form(customer, f"{page_path}/rate", page_path, comment="Pretty good")

    assert refused.status_code == 422
    page = html(refused)
    assert "The score is a whole number from 1 (bad) to 5 (great)." in page
    assert ">Pretty good</textarea>" in page
    assert "not rated yet" in html(staff.get(page_path))

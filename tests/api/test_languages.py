"""Swarm in the reader's language: the person's choice on /account, else the browser's
Accept-Language, else English; API refusals keep their code and change their sentence
(docs/translations.md)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from swarm.models import User
from tests.builders import PASSWORD


def html(response) -> str:
    return response.get_data(as_text=True)


def choose(client, locale: str, **headers: str):
    page = html(client.get("/account", headers=headers))
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post(
        "/account/language", data={"csrf_token": token, "locale": locale}, headers=headers
    )


def test_a_german_browser_gets_the_sign_in_page_in_german(app):
    client = app.test_client()

    german = html(client.get("/login", headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}))
    english = html(client.get("/login", headers={"Accept-Language": "fr, en;q=0.5"}))

    assert '<html lang="de">' in german
    assert "Bei Swarm anmelden" in german and "Passwort" in german
    assert "Sign in to Swarm" not in german
    assert '<html lang="en">' in english and "Sign in to Swarm" in english


def test_a_language_swarm_lacks_falls_back_to_english(app):
    page = html(app.test_client().get("/login", headers={"Accept-Language": "fr-FR, ja"}))

    assert '<html lang="en">' in page and "Sign in to Swarm" in page


def test_the_language_chosen_on_the_account_page_beats_the_browser(app, login, agent, db):
    client = login(agent)

    saved = choose(client, "de", **{"Accept-Language": "en"})
    page = html(client.get("/account", headers={"Accept-Language": "en"}))

    assert saved.status_code == 302
    assert db.scalar(select(User.locale).where(User.id == agent.id)) == "de"
    assert "Ihre Sprache ist gespeichert." in page  # the flash, in the language just chosen
    assert '<html lang="de">' in page and "Passwort ändern" in page
    assert '<option value="de" lang="de" selected>Deutsch</option>' in page


def test_clearing_the_choice_hands_the_language_back_to_the_browser(app, login, agent, db):
    client = login(agent)
    choose(client, "de")

    choose(client, "", **{"Accept-Language": "en"})

    assert db.scalar(select(User.locale).where(User.id == agent.id)) is None
    assert "Change password" in html(client.get("/account", headers={"Accept-Language": "en"}))
    assert "Passwort ändern" in html(client.get("/account", headers={"Accept-Language": "de"}))


def test_a_language_swarm_is_not_translated_into_is_refused(app, login, agent, db):
    client = login(agent)

    refused = choose(client, "xx")

    assert refused.status_code == 422
    assert "Swarm is not translated into that language." in html(refused)
    assert db.scalar(select(User.locale).where(User.id == agent.id)) is None


def test_an_api_refusal_in_german_keeps_its_code(app, login, requester):
    anonymous = app.test_client()
    customer = login(requester)

    unauthenticated = anonymous.get("/api/v1/tickets", headers={"Accept-Language": "de"})
    invalid = customer.post(
        "/api/v1/tickets", json={"subject": "", "body": "x"}, headers={"Accept-Language": "de"}
    )
    english = customer.post(
        "/api/v1/tickets", json={"subject": "", "body": "x"}, headers={"Accept-Language": "en"}
    )

    assert unauthenticated.status_code == 401
    assert unauthenticated.json["error"]["code"] == "unauthenticated"
    assert unauthenticated.json["error"]["message"] == (
        "Melden Sie sich an oder senden Sie ein API-Token."
    )
    assert invalid.status_code == english.status_code == 422
    assert invalid.json["error"]["code"] == english.json["error"]["code"] == "invalid"
    assert invalid.json["error"]["message"].startswith("Einige Felder sind ungültig")
    assert english.json["error"]["message"].startswith("Some fields are invalid")


def test_a_domain_refusal_is_translated_by_its_sentence(app, login, agent, db):
    """The services write English; the adapter looks their sentence up (swarm/web/i18n.py)."""
    client = login(agent)
    agent.locale = "de"
    db.commit()

    response = client.get("/api/v1/audit")

    assert response.status_code == 403, response.json
    assert response.json["error"]["code"] == "forbidden"
    assert response.json["error"]["message"] == "Nur ein Admin kann das Audit-Protokoll lesen."


def test_dates_and_numbers_follow_the_locale(app):
    from swarm.web.filters import day, number, when

    moment = datetime(2026, 12, 4, 13, 5, tzinfo=UTC)
    with app.test_request_context(headers={"Accept-Language": "de"}):
        german = (day(moment), number(12345), str(when(moment)))
    with app.test_request_context(headers={"Accept-Language": "en"}):
        english = (day(moment), number(12345), str(when(moment)))

    assert german[:2] == ("04.12.2026", "12.345") and ">04.12.26, 13:05 UTC<" in german[2]
    assert english[:2] == ("2026-12-04", "12,345") and ">2026-12-04 13:05 UTC<" in english[2]


def test_sign_in_keeps_working_for_a_person_with_a_language(app, agent, db):
    agent.locale = "de"
    db.commit()
    client = app.test_client()

    response = client.post("/api/v1/auth/login", json={"email": agent.email, "password": PASSWORD})

    assert response.status_code == 200
    assert '<html lang="de">' in html(client.get("/my-work"))


def test_the_timeline_reads_in_german(app, login, requester, db):
    requester.locale = "de"
    db.commit()
    client = login(requester)
    ticket = client.post(
        "/api/v1/tickets", json={"subject": "Drucker", "body": "Papierstau.", "priority": "P3"}
    ).json

    page = html(client.get(f"/tickets/{ticket['id']}"))

    assert "hat das Ticket eröffnet (P3)" in page
    assert "opened the ticket" not in page


def test_a_refused_socket_event_keeps_its_code_and_speaks_german(connect, requester, db):
    requester.locale = "de"
    db.commit()
    socket = connect(requester)

    ack = socket.emit("watch_dashboard", {}, callback=True)

    assert ack["ok"] is False
    assert ack["error"]["code"] == "forbidden"
    assert ack["error"]["message"] == "Nur Manager und Admins beobachten das Dashboard."

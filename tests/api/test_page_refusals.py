"""A page's refusal says why: the error page carries the view's own sentence, not only the
status's name (Flask's ``abort`` dropped it under APIFlask; the pages use APIFlask's)."""

from __future__ import annotations

import re

import pytest

from tests.builders import make_user


@pytest.fixture
def admin(db, clock):
    return make_user(db, clock, role="admin", name="Ava Admin")


@pytest.mark.parametrize(
    ("who", "path", "status", "sentence"),
    [
        ("requester", "/kb/new", 403, "Only agents, managers and admins write articles."),
        ("agent", "/skills?skill=999999", 404, "There is no such skill."),
        (
            "admin",
            "/admin/audit?cursor=abc",
            400,
            "That page link is damaged: start again from the newest entries.",
        ),
    ],
)
def test_a_refused_page_says_why(request, login, who, path, status, sentence):
    client = login(request.getfixturevalue(who))
    page = client.get(path)
    assert page.status_code == status
    assert sentence in page.get_data(as_text=True)


def test_a_requester_asking_for_an_api_token_is_told_who_may(login, requester):
    client = login(requester)
    account = client.get("/account").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', account)
    token = token.group(1) if token else ""  # a requester's page has no token form: any form's
    page = client.post("/account/tokens", data={"name": "mine", "csrf_token": token})
    assert page.status_code == 403
    assert "API tokens are for agents, managers and admins." in page.get_data(as_text=True)


def csrf(client) -> str:
    found = re.search(
        r'name="csrf_token" value="([^"]+)"', client.get("/account").get_data(as_text=True)
    )
    assert found, "the account page has a form"
    return found.group(1)


@pytest.mark.parametrize(
    ("current", "new", "said", "beside"),
    [
        (
            "correct horse battery",
            "short",
            "Das neue Passwort ist zu schwach.",
            "Verwenden Sie mindestens 8 Zeichen.",
        ),
        (
            "not my password",
            "a much longer one",
            "Ihr aktuelles Passwort stimmt nicht.",
            "Nicht Ihr aktuelles Passwort.",
        ),
    ],
)
def test_a_refused_password_change_is_said_in_the_readers_language(
    login, requester, current, new, said, beside
):
    """The account page's refusal and the field's reason are fixed sentences from the
    catalogue (the refusal used to be an f-string, English in every language)."""
    client = login(requester)
    client.post("/account/language", data={"csrf_token": csrf(client), "locale": "de"})
    page = client.post(
        "/account/password",
        data={
            "csrf_token": csrf(client),
            "current_password": current,
            "new_password": new,
            "confirm_password": new,
        },
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 422
    assert said in text and beside in text

"""Browser protections on every response: the content policy and its nonce, framing, sniffing
and referrer headers, Secure cookies over HTTPS (behind a trusted proxy too) and a CSRF refusal
that says why. tests/browser/test_csp.py proves in Chromium that the pages live with the policy."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import request

from swarm.app import create_app
from swarm.config import load_config
from tests.builders import PASSWORD, make_agent, make_user
from tests.conftest import make_config

TEMPLATES = Path(__file__).resolve().parents[2] / "swarm" / "web" / "templates"
FIXED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = [part.split() for part in header.split(";")]
    return {name: sources for name, *sources in directives}


def nonce(response) -> str:
    (found,) = [s for s in policy(response)["script-src"] if s.startswith("'nonce-")]
    return found.removeprefix("'nonce-").removesuffix("'")


def assert_protected(response) -> None:
    for name, value in FIXED.items():
        assert response.headers.get(name) == value, name
    csp = policy(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'", f"'nonce-{nonce(response)}'"]
    assert csp["style-src"] == ["'self'", f"'nonce-{nonce(response)}'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["connect-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    assert not any("unsafe" in source for sources in csp.values() for source in sources)


def test_a_page_an_api_answer_a_static_file_and_error_pages_carry_every_header(
    app, login, requester
):
    client = login(requester)
    responses = {
        "page": client.get("/tickets"),
        "api": client.get("/api/v1/auth/me"),
        "static": client.get("/static/css/swarm.css"),
        "missing page": client.get("/no-such-page"),
        "api error": app.test_client().get("/api/v1/auth/me"),
    }
    assert [r.status_code for r in responses.values()] == [200, 200, 200, 404, 401]
    for response in responses.values():
        assert_protected(response)
        response.close()


def test_an_unexpected_error_still_carries_the_headers(app):
    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    app.testing = False  # answer 500 instead of re-raising into the test
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert_protected(response)


def test_each_request_has_its_own_nonce_and_the_page_uses_it(login, requester, agent):
    client = login(requester)
    first, second = client.get("/login"), client.get("/login")
    assert nonce(first) != nonce(second)
    assert len(nonce(first)) >= 22
    # The coverage panel's bar widths are the one inline <style>; it carries this request's nonce.
    ticket = client.post("/api/v1/tickets", json={"subject": "VPN drops", "body": "Hourly."}).json
    staff = login(agent)
    page = staff.get(f"/tickets/{ticket['id']}")
    text = page.get_data(as_text=True)
    inline = re.findall(r"<(script|style)\b([^>]*)>", text)
    assert inline, "the ticket page has no script or style element at all"
    for kind, attributes in inline:
        if "src=" in attributes or 'type="application/json"' in attributes:
            continue
        assert f'nonce="{nonce(page)}"' in attributes, (kind, attributes)


def test_the_coverage_bar_style_carries_the_nonce(login, db, clock):
    admin = login(make_user(db, clock, role="admin"))
    skill = admin.post("/api/v1/skills", json={"name": "VPN", "category": "IT"}).json["id"]
    agent = make_agent(db, clock, name="Nadia Haddad")
    staff = login(agent)
    entries = [{"skill_id": skill, "proficiency": 4}]
    assert staff.put(f"/api/v1/agents/{agent.id}/skills", json={"skills": entries})
    requester = login(make_user(db, clock))
    ticket = requester.post("/api/v1/tickets", json={"subject": "VPN", "body": "Down."}).json
    needs = {"skills": [{"skill_id": skill, "weight": 1.0}]}
    assert staff.put(f"/api/v1/tickets/{ticket['id']}/skills", json=needs).status_code == 200
    page = staff.get(f"/tickets/{ticket['id']}")
    text = page.get_data(as_text=True)
    styles = re.findall(r'<style nonce="([^"]+)">(.*?)</style>', text, re.S)
    assert [n for n, _ in styles] == [nonce(page)]
    assert "nth-child(1) { width: 100.000%; }" in styles[0][1]


def test_the_api_docs_page_allows_exactly_its_own_inline_blocks(app):
    response = app.test_client().get("/api/v1/docs")
    assert response.status_code == 200
    csp = policy(response)
    hashes = [s for s in csp["script-src"] + csp["style-src"] if s.startswith("'sha256-")]
    assert len(hashes) == 2
    assert not any("unsafe" in source for sources in csp.values() for source in sources)
    # Other pages get no hash.
    other = policy(app.test_client().get("/login"))
    assert not [s for s in other["script-src"] + other["style-src"] if "sha256" in s]


class _Attributes(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, _ in attrs:
            if name.startswith("on") or name == "style":
                self.found.append((tag, name))


@pytest.mark.parametrize(
    "template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES))
)
def test_no_template_has_an_inline_handler_or_style_attribute(template: Path):
    # Jinja comments may mention the attributes they avoid; drop them before parsing.
    source = re.sub(r"\{#.*?#\}", "", template.read_text(), flags=re.S)
    parser = _Attributes()
    parser.feed(source)
    assert parser.found == []
    assert not re.search(r"""\bhref=["']?\s*javascript:""", source, re.I)


def test_the_parser_would_see_a_handler():
    parser = _Attributes()
    parser.feed('<input value="{{ x }}" onfocus="this.select()"><p style="width: 1%">')
    assert parser.found == [("input", "onfocus"), ("p", "style")]


def cookie(response, name: str = "session") -> str:
    (header,) = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    return header


HTTPS = {"base_url": "https://localhost"}


def sign_in(client, user, **options):
    body = {"email": user.email, "password": PASSWORD}
    response = client.post("/api/v1/auth/login", json=body, **options)
    assert response.status_code == 200, response.json
    return response


def test_the_session_cookie_is_secure_over_https_only(app, requester):
    plain = cookie(sign_in(app.test_client(), requester))
    assert "Secure" not in plain
    assert "HttpOnly" in plain and "SameSite=Lax" in plain
    https = cookie(sign_in(app.test_client(), requester, **HTTPS))
    assert "Secure" in https
    assert "HttpOnly" in https and "SameSite=Lax" in https


def test_a_forwarded_proto_is_ignored_without_a_trusted_proxy(app, requester):
    client = app.test_client()
    forwarded = {"X-Forwarded-Proto": "https"}
    body = {"email": requester.email, "password": PASSWORD}
    response = client.post("/api/v1/auth/login", json=body, headers=forwarded)
    assert response.status_code == 200
    assert "Secure" not in cookie(response)


@pytest.mark.app_config(trusted_proxies=1)
def test_behind_a_trusted_proxy_https_makes_the_cookie_secure(app, requester):
    body = {"email": requester.email, "password": PASSWORD}
    over_https = app.test_client().post(
        "/api/v1/auth/login", json=body, headers={"X-Forwarded-Proto": "https"}
    )
    assert "Secure" in cookie(over_https)
    over_http = app.test_client().post(
        "/api/v1/auth/login", json=body, headers={"X-Forwarded-Proto": "http"}
    )
    assert "Secure" not in cookie(over_http)


@pytest.mark.parametrize("trusted", [0, 1])
def test_forwarded_headers_count_only_from_a_trusted_proxy(tmp_path, trusted):
    application = create_app(make_config(tmp_path, trusted_proxies=trusted))

    @application.get("/seen")
    def seen():
        return {"address": request.remote_addr, "scheme": request.scheme, "host": request.host}

    forwarded = {
        "X-Forwarded-For": "203.0.113.5",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "help.example.com",
    }
    answer = application.test_client().get("/seen", headers=forwarded).json
    if trusted:
        # The browser's address (the login limit counts per browser), scheme and host.
        assert answer == {"address": "203.0.113.5", "scheme": "https", "host": "help.example.com"}
    else:
        assert answer == {"address": "127.0.0.1", "scheme": "http", "host": "localhost"}
    rt = application.extensions["swarm"]
    if rt.messages is not None:
        rt.messages.close()
    rt.engine.dispose()


@pytest.mark.app_config(session_cookie_secure=True)
def test_secure_cookies_can_still_be_forced(app, requester):
    assert "Secure" in cookie(sign_in(app.test_client(), requester))


def test_trusted_proxies_is_read_from_the_environment(tmp_path):
    env = {"SWARM_INSTANCE_PATH": str(tmp_path), "SWARM_SECRET_KEY": "k"}
    assert load_config(env).trusted_proxies == 0
    assert load_config({**env, "SWARM_TRUSTED_PROXIES": "2"}).trusted_proxies == 2


def test_a_form_without_its_token_is_refused_with_the_reason(login, requester):
    response = login(requester).post("/account/password", data={"current_password": PASSWORD})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "security token is missing: reload the page and send the form again." in text
    assert_protected(response)


def test_a_form_with_a_forged_token_is_refused_with_the_reason(login, requester):
    client = login(requester)
    never_shown_a_form = client.post("/account/password", data={"csrf_token": "forged"})
    assert "Your session has no security token" in never_shown_a_form.get_data(as_text=True)
    client.get("/account")  # a form page puts the session's token in place
    response = client.post("/account/password", data={"csrf_token": "forged"})
    assert response.status_code == 400
    assert "security token is not valid" in response.get_data(as_text=True)


def test_a_form_over_https_from_another_site_is_refused_with_the_reason(app, requester):
    client = app.test_client()
    sign_in(client, requester, **HTTPS)
    page = client.get("/account", **HTTPS).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/account/password",
        data={"csrf_token": token, "current_password": PASSWORD},
        headers={"Referer": "https://evil.example/form"},
        **HTTPS,
    )
    assert response.status_code == 400
    assert "The form was sent from another site" in response.get_data(as_text=True)

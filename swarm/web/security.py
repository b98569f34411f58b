"""Browser protections on every response: the content policy and its per-request nonce, the
framing, sniffing and referrer headers, ``Secure`` cookies over HTTPS, and a CSRF refusal
that says why.

docs/deploy.md ("Security headers") says what each header is for and what the API docs page
is allowed beyond the rest.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Any

from flask import Flask, Response, g, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError

from swarm.web.request_ids import request_id

# The nonce of this request's <script> and <style> elements is added to script-src and
# style-src; everything else comes from our own origin. 'self' covers the same origin's ws://
# and wss:// for Socket.IO (CSP Level 3, as Chromium implements it).
POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

# Referrer-Policy: same-origin keeps Flask-WTF's HTTPS referrer check working (it needs our
# own pages' Referer) while no address — a guest link carries its token in the path — ever
# reaches another site.
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}

_INLINE = re.compile(rb"<(script|style)>(.*?)</\1>", re.S)

CSRF_REASONS = {
    "The CSRF token is missing.": "The form's security token is missing",
    "The CSRF session token is missing.": "Your session has no security token (it expired or "
    "cookies are blocked)",
    "The CSRF token has expired.": "The form's security token has expired",
    "The CSRF token is invalid.": "The form's security token is not valid",
    "The CSRF tokens do not match.": "The form's security token belongs to another session",
    "The referrer header is missing.": "The browser sent no Referer header, which a form "
    "sent over HTTPS must carry",
    "The referrer does not match the host.": "The form was sent from another site",
}


def csp_nonce() -> str:
    """This request's nonce, made on first use; templates write it as ``nonce="…"``."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    nonce: str = g.csp_nonce
    return nonce


def content_policy(extra: dict[str, str] | None = None) -> str:
    nonce = f"'nonce-{csp_nonce()}'"
    policy = dict(POLICY)
    policy["script-src"] += f" {nonce}"
    policy["style-src"] += f" {nonce}"
    for name, sources in (extra or {}).items():
        policy[name] += f" {sources}"
    return "; ".join(f"{name} {sources}" for name, sources in policy.items())


def _docs_hashes(response: Response) -> dict[str, str]:
    """The API docs page (APIFlask's Swagger UI template) carries one inline <script> and one
    inline <style> without a nonce: allow exactly those, by their hashes, on that page only."""
    extra = {"script-src": "", "style-src": ""}
    for kind, body in _INLINE.findall(response.get_data()):
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
        extra[f"{kind.decode()}-src"] += f" 'sha256-{digest}'"
    return {name: sources.strip() for name, sources in extra.items() if sources}


def _set_headers(response: Response, docs_path: str | None) -> Response:
    extra = None
    if request.path == docs_path and response.mimetype == "text/html":
        extra = _docs_hashes(response)
    # A response may tighten the policy for itself (a mailed file is served under ``sandbox``,
    # swarm/mail/attachments.py); it then keeps its own.
    if "sandbox" not in response.headers.get("Content-Security-Policy", ""):
        response.headers["Content-Security-Policy"] = content_policy(extra)
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie (which also holds the CSRF token) is ``Secure`` whenever the request
    came over HTTPS — behind a proxy, as ``SWARM_TRUSTED_PROXIES`` lets it tell — and on
    plain http://127.0.0.1 it still works."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def csrf_refusal(error: CSRFError) -> Any:
    reason = CSRF_REASONS.get(str(error.description), "The form's security token was refused")
    message = f"{reason}: reload the page and send the form again."
    if request.path.startswith("/api/"):
        return {"error": {"code": "csrf", "message": message, "request_id": request_id()}}, 400
    return render_template("error.html", status=400, message=message), 400


def init_security(app: Flask, docs_path: str | None) -> None:
    app.session_interface = SessionInterface()
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.register_error_handler(CSRFError, csrf_refusal)

    @app.after_request
    def security_headers(response: Response) -> Response:
        return _set_headers(response, docs_path)

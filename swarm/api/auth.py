"""Who is calling the API: a bearer token, or the browser's session cookie.

A cookie rides along on cross-site requests; a bearer token does not. So requests that change
something and are authenticated by cookie must come from our own origin and be JSON (which a
cross-site HTML form cannot send without a CORS preflight we never grant).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from apiflask import abort
from flask import g, request
from flask_login import current_user

from swarm.accounts.service import user_for_token
from swarm.api.openapi import SIGNED_IN_ONLY
from swarm.models import User
from swarm.runtime import db_session, runtime

F = TypeVar("F", bound=Callable[..., Any])
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def api_user() -> User | None:
    """The authenticated caller, or None; a bad bearer token is an error, not anonymity."""
    if "api_user" in g:
        return cast(User | None, g.api_user)
    user: User | None = None
    header = request.headers.get("Authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            abort(401, "Use 'Authorization: Bearer <token>'.")
        user = user_for_token(db_session(), token.strip(), runtime().clock.now())
        if user is None:
            abort(401, "That API token is unknown or revoked.")
        g.auth_method = "token"
    elif current_user.is_authenticated:
        user = cast(User, current_user._get_current_object())
        g.auth_method = "session"
    g.api_user = user
    return user


def check_cookie_request() -> None:
    """Refuse cookie-authenticated changes that a foreign page could have triggered."""
    if request.method not in UNSAFE_METHODS or request.headers.get("Authorization"):
        return
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if origin:
        parts = urlsplit(origin)
        if f"{parts.scheme}://{parts.netloc}" != request.host_url.rstrip("/"):
            abort(403, "Cross-origin requests are refused.")
    if request.content_length and not request.is_json:
        abort(415, "Send the body as application/json.")


def authenticated(view: F) -> F:
    """The view needs a signed-in caller (401 otherwise); ``g.api_user`` is that caller."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if api_user() is None:
            abort(401, "Sign in, or send an API token.")
        return view(*args, **kwargs)

    setattr(wrapper, SIGNED_IN_ONLY, True)  # the OpenAPI document lists its 401 (api/openapi.py)
    return cast(F, wrapper)


def caller() -> User:
    user = api_user()
    assert user is not None, "caller() is only used in @authenticated views"
    return user

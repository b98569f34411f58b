"""Sign-in, sign-out, the current user, and API tokens."""

from __future__ import annotations

from typing import Any

from apiflask import abort
from flask import request, session
from flask_login import current_user, login_user, logout_user

from swarm.accounts import service as accounts
from swarm.accounts import sessions
from swarm.api import api
from swarm.api.auth import authenticated, caller
from swarm.api.schemas import (
    LoginIn,
    LoginOut,
    NewTokenOut,
    TokenIn,
    TokenList,
)
from swarm.realtime import access
from swarm.runtime import RateLimited, db_session, runtime


def login_rate_check() -> None:
    """Count a sign-in attempt from this address; raises ``RateLimited`` past the limit."""
    rt = runtime()
    rt.limits.hit(rt.config.login_rate_limit, "login", request.remote_addr or "unknown")


@api.post("/auth/login")
@api.input(LoginIn, arg_name="data")
@api.output(LoginOut)
@api.doc(
    summary="Sign in with e-mail and password; sets the session cookie",
    responses={401: "Wrong e-mail or password", 429: "Too many attempts"},
)
def login(data: dict[str, Any]) -> Any:
    try:
        login_rate_check()
    except RateLimited as exc:
        abort(429, str(exc), headers={"Retry-After": str(exc.retry_after)})
    found = accounts.sign_in(db_session(), runtime().clock, data["email"], data["password"])
    if found is None:
        abort(401, "Wrong e-mail or password.")
    user, key = found
    session.clear()  # a fresh session at sign-in: no fixation of an old one
    session[sessions.COOKIE_KEY] = key
    login_user(user)
    accounts.signed_in(db_session(), runtime().clock, user)
    return {"user": user}


@api.post("/auth/logout")
@api.output({}, status_code=204)
@api.doc(summary="Sign out: ends this session and its sockets (not your other sessions)")
def logout() -> Any:
    key = session.get(sessions.COOKIE_KEY)
    if current_user.is_authenticated:
        accounts.sign_out(db_session(), runtime().clock, current_user, key)
        access.end_session_key(key)
    logout_user()
    session.clear()
    return ""


@api.post("/auth/logout-everywhere")
@api.output({}, status_code=204)
@api.doc(
    summary="Sign out everywhere: ends every session of yours and their sockets (API tokens stay)",
    responses={401: "Not signed in"},
)
@authenticated
def logout_everywhere() -> Any:
    user = caller()
    ended = accounts.sign_out_everywhere(db_session(), runtime().clock, user)
    access.end_access(sessions=ended)
    if not request.headers.get("Authorization"):
        logout_user()
        session.clear()
    return ""


@api.get("/auth/me")
@api.output(LoginOut)
@api.doc(summary="The signed-in user", responses={401: "Not signed in"})
@authenticated
def me() -> Any:
    return {"user": caller()}


@api.post("/auth/tokens")
@api.input(TokenIn, arg_name="data")
@api.output(NewTokenOut, status_code=201)
@api.doc(summary="Create an API token (shown once)")
@authenticated
def create_token(data: dict[str, Any]) -> Any:
    row, token = accounts.issue_token(db_session(), runtime().clock, caller(), data["name"])
    fields = ("id", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    return {**{name: getattr(row, name) for name in fields}, "token": token}


@api.get("/auth/tokens")
@api.output(TokenList)
@api.doc(summary="Your API tokens (without the secrets)")
@authenticated
def list_tokens() -> Any:
    return {"items": accounts.list_tokens(db_session(), caller())}


@api.delete("/auth/tokens/<id:token_id>")
@api.output({}, status_code=204)
@api.doc(summary="Revoke an API token", responses={404: "No such token of yours"})
@authenticated
def revoke_token(token_id: int) -> Any:
    user = caller()
    accounts.revoke_token(db_session(), runtime().clock, user, token_id)
    access.end_access(token_id=token_id)
    return ""

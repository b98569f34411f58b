"""Sign-in and sign-out pages, and the account page: password change and (staff) API tokens."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from apiflask import abort  # flask's would drop the sentence: the error page shows it
from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user

from swarm.accounts import service as accounts
from swarm.accounts import sessions
from swarm.api.schemas import TokenIn
from swarm.realtime import access
from swarm.runtime import RateLimited, db_session, inbox_service, runtime
from swarm.tickets.errors import DomainError, Invalid
from swarm.web import web
from swarm.web.forms import current, load_form
from swarm.web.i18n import translate


def _safe_next(target: str | None) -> str:
    """Only follow a relative ``next`` link: an absolute one would be an open redirect."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return landing()


def landing() -> str:
    """Staff start on My work (what waits for them); requesters on the self-service portal
    (search, a ticket form with suggestions, and their tickets)."""
    staff = current_user.is_authenticated and current_user.is_staff
    return url_for("web.my_work" if staff else "web.portal")


@web.get("/")
def home() -> Any:
    return redirect(landing() if current_user.is_authenticated else url_for("web.login"))


@web.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(landing())
        return render_template("login.html", email="", next=request.args.get("next", ""))
    email = request.form.get("email", "")
    password = request.form.get("password", "")
    next_url = request.form.get("next", "")
    rt = runtime()
    try:
        rt.limits.hit(rt.config.login_rate_limit, "login", request.remote_addr or "unknown")
    except RateLimited as exc:
        flash(
            _(
                "Too many sign-in attempts. Try again in %(seconds)s seconds.",
                seconds=exc.retry_after,
            ),
            "error",
        )
        return render_template("login.html", email=email, next=next_url), 429
    found = accounts.sign_in(db_session(), rt.clock, email, password)
    if found is None:
        flash(_("Wrong e-mail or password."), "error")
        return render_template("login.html", email=email, next=next_url), 401
    user, key = found
    session.clear()  # a fresh session at sign-in: no fixation of an old one
    session[sessions.COOKIE_KEY] = key
    login_user(user)
    accounts.signed_in(db_session(), rt.clock, user)
    waiting = inbox_service().inbox(user).count
    if waiting:
        # Said at sign-in, wherever ``next`` leads: an invitation sent while away is not lost.
        flash(
            ngettext(
                "%(num)d item waits for you in your inbox.",
                "%(num)d items wait for you in your inbox.",
                waiting,
            ),
            "info",
        )
    return redirect(_safe_next(next_url))


@web.post("/logout")
def logout() -> Any:
    """Ends this browser's session (and its sockets); the person's other sessions stay."""
    key = session.get(sessions.COOKIE_KEY)
    if current_user.is_authenticated:
        user = current()
        accounts.sign_out(db_session(), runtime().clock, user, key)
        access.end_session_key(key)
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("web.login"))


@web.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere() -> Any:
    """Ends every session of the person, this one too, and their sockets; tokens stay."""
    user = current()
    ended = accounts.sign_out_everywhere(db_session(), runtime().clock, user)
    access.end_access(sessions=ended)
    logout_user()
    session.clear()
    flash(
        ngettext(
            "You are signed out everywhere (%(num)d browser). API tokens still work.",
            "You are signed out everywhere (%(num)d browsers). API tokens still work.",
            len(ended),
        ),
        "info",
    )
    return redirect(url_for("web.login"))


def _account_page(new_token: str | None = None, errors: dict[str, list[str]] | None = None) -> Any:
    # API tokens are for staff, whose scripts and integrations use the API; a requester who
    # made one before still sees it here, to revoke it (docs/api.md, "Authentication").
    tokens = accounts.list_tokens(db_session(), current())
    return render_template(
        "account.html",
        tokens=tokens,
        new_token=new_token,
        errors=errors or {},
        browsers=sessions.count_sessions(
            db_session(), current().id, runtime().sessions_started_after()
        ),
    )


@web.get("/account")
@login_required
def account() -> Any:
    return _account_page()


@web.post("/account/password")
@login_required
def change_password() -> Any:
    form = request.form
    key = session.get(sessions.COOKIE_KEY)
    try:
        ended = accounts.change_password(
            db_session(),
            runtime().clock,
            current(),
            form.get("current_password", ""),
            form.get("new_password", ""),
            form.get("confirm_password", ""),
            keep_session=key,
        )
    except DomainError as exc:
        flash(translate(exc.message), "error")
        return _account_page(errors=exc.fields), exc.status
    access.end_access(sessions=ended)
    others = (
        " " + _("You were signed out of %(num)s other browser(s).", num=len(ended)) if ended else ""
    )
    flash(
        _("Your password is changed. Use the new one next time you sign in.")
        + others
        + " "
        + _("API tokens still work: revoke any you did not make."),
        "info",
    )
    return redirect(url_for("web.account"))


@web.post("/account/language")
@login_required
def change_language() -> Any:
    try:
        accounts.set_locale(db_session(), current(), request.form.get("locale", ""))
    except DomainError as exc:
        flash(translate(exc.message), "error")
        return _account_page(errors=exc.fields), exc.status
    # Said after the change, so in the language just chosen.
    flash(_("Your language is saved."), "info")
    return redirect(url_for("web.account"))


@web.post("/account/tokens")
@login_required
def create_token() -> Any:
    if not current().is_staff:
        abort(403, "API tokens are for agents, managers and admins.")
    # The API's TokenIn checks the name, so the page refuses what the API refuses; a refused
    # name stays in the form (the page is shown again, not redirected to).
    data, errors = load_form(TokenIn(), ("name",))
    try:
        if errors:
            raise Invalid("Not saved: see the messages beside the fields.", fields=errors)
        _row, token = accounts.issue_token(db_session(), runtime().clock, current(), data["name"])
    except DomainError as exc:
        flash(translate(exc.message), "error")
        return _account_page(errors=exc.fields), exc.status
    return _account_page(new_token=token)


@web.post("/account/tokens/<id:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> Any:
    try:
        row = accounts.revoke_token(db_session(), runtime().clock, current(), token_id)
        access.end_access(token_id=row.id)
        flash(_("Token “%(name)s” revoked.", name=row.name), "info")
    except DomainError as exc:
        flash(translate(exc.message), "error")
    return redirect(url_for("web.account"))

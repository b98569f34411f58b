""" "Forgot your password?": asking for a reset link by mail, and setting a new password with
it (swarm/accounts/reset.py says what the link is and why it stops working)."""

from __future__ import annotations

from math import ceil
from typing import Any

from flask import flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user

from swarm.accounts import reset, sessions
from swarm.accounts import service as accounts
from swarm.accounts.service import normalize_email
from swarm.realtime import access
from swarm.runtime import RateLimited, db_session, runtime
from swarm.tickets.errors import DomainError, NotFound
from swarm.web import web
from swarm.web.account_views import landing
from swarm.web.i18n import select_locale, translate


def _available() -> bool:
    config = runtime().config
    return reset.mail_available(config.smtp_url, config.support_address, config.public_url)


@web.route("/forgot-password", methods=["GET", "POST"])
def forgot_password() -> Any:
    """The same answer for every address typed: whether it names an account is not said."""
    if current_user.is_authenticated:
        return redirect(url_for("web.account"))  # signed in: the password changes there
    available = _available()
    if request.method == "GET" or not available:
        return render_template("password_forgot.html", available=available, email="")
    rt = runtime()
    email = request.form.get("email", "")[:254]
    try:
        # Per client, as sign-in attempts are; and per address typed, so that nobody fills a
        # person's inbox. Both count whether or not the address names anyone.
        rt.limits.hit(rt.config.login_rate_limit, "reset", request.remote_addr or "unknown")
        rt.limits.hit(rt.config.password_reset_rate_limit, "reset-address", normalize_email(email))
    except RateLimited as exc:
        minutes = ceil(exc.retry_after / 60)
        flash(
            ngettext(
                "Too many requests for a link. Try again in %(num)d minute.",
                "Too many requests for a link. Try again in %(num)d minutes.",
                minutes,
            ),
            "error",
        )
        return render_template("password_forgot.html", available=True, email=email), 429
    reset.request_reset(db_session(), rt.clock, email, locale=select_locale())
    minutes = max(1, round(rt.config.password_reset_ttl.total_seconds() / 60))
    flash(
        ngettext(
            "If that address belongs to an account here, a link to set a new password is on "
            "its way to it. It works for %(num)d minute; look in the spam folder too.",
            "If that address belongs to an account here, a link to set a new password is on "
            "its way to it. It works for %(num)d minutes; look in the spam folder too.",
            minutes,
        ),
        "info",
    )
    return redirect(url_for("web.login"))


def _reset_page(token: str, status: int = 200, errors: dict[str, list[str]] | None = None) -> Any:
    rt = runtime()
    user = reset.user_for_token(
        db_session(), rt.config.secret_key, token, rt.clock.now(), rt.config.password_reset_ttl
    )
    if user is None:
        page = render_template("password_reset.html", dead=True, available=_available())
        status = 404
    else:
        shown = {name: [translate(m) for m in ms] for name, ms in (errors or {}).items()}
        page = render_template("password_reset.html", dead=False, email=user.email, errors=shown)
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"  # the page holds a working link
    return response


@web.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Any:
    """Opening the link only shows the form (a mail scanner that follows links uses
    nothing up); the password is set by the form's POST, which signs the person in."""
    if request.method == "GET":
        return _reset_page(token)
    rt = runtime()
    try:
        rt.limits.hit(rt.config.login_rate_limit, "reset-set", request.remote_addr or "unknown")
    except RateLimited as exc:
        flash(
            _("Too many attempts. Try again in %(seconds)s seconds.", seconds=exc.retry_after),
            "error",
        )
        return _reset_page(token, 429)
    form = request.form
    try:
        done = reset.reset_password(
            db_session(),
            rt.clock,
            rt.config.secret_key,
            rt.config.password_reset_ttl,
            token,
            form.get("new_password", ""),
            form.get("confirm_password", ""),
        )
    except NotFound:
        return _reset_page(token)
    except DomainError as exc:
        flash(translate(exc.message), "error")
        return _reset_page(token, exc.status, exc.fields)
    access.end_access(sessions=done.ended)
    logout_user()
    session.clear()  # a fresh session, as at sign-in
    session[sessions.COOKIE_KEY] = done.session_key
    login_user(done.user)
    accounts.signed_in(db_session(), rt.clock, done.user)  # an agent comes online, as at sign-in
    flash(
        _("Your new password is set and you are signed in.")
        + " "
        + _("Every other browser signed in as you was signed out. API tokens still work."),
        "info",
    )
    return redirect(landing())

"""create_app(): configuration, extensions, blueprints — nothing else."""

from __future__ import annotations

from typing import Any

from apiflask import APIFlask
from apiflask.exceptions import HTTPError
from flask import render_template, request
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.middleware.proxy_fix import ProxyFix

from swarm.clock import Clock, SystemClock
from swarm.config import PROJECT_ROOT, Config, load_config
from swarm.db import make_engine, make_session_factory
from swarm.dispatch.service import RoutingCaches
from swarm.models import User
from swarm.realtime import init_realtime
from swarm.realtime.notifier import FanoutNotifier, MetricsPulse, SocketNotifier
from swarm.runtime import RateLimits, Runtime, db_session, init_runtime
from swarm.tickets.errors import DomainError
from swarm.tickets.messages import MessageWriter
from swarm.tickets.notify import Notifier, NullNotifier
from swarm.web.security import init_security

ERROR_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "internal",
}


def create_app(
    config: Config | None = None,
    *,
    clock: Clock | None = None,
    notifier: Notifier | None = None,
) -> APIFlask:
    config = config or load_config()
    app = APIFlask(
        __name__,
        title="Swarm API",
        version="1",
        spec_path="/api/v1/openapi.json",
        docs_path="/api/v1/docs",
        docs_oauth2_redirect_path=None,
        static_folder=str(PROJECT_ROOT / "static"),
        template_folder="web/templates",
    )
    app.config.update(
        SECRET_KEY=config.secret_key,
        TESTING=config.testing,
        MAX_CONTENT_LENGTH=1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.session_cookie_secure,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        # The API docs page loads its scripts from our own static folder, never a CDN.
        SWAGGER_UI_CSS="/static/vendor/swagger-ui/swagger-ui.css",
        SWAGGER_UI_BUNDLE_JS="/static/vendor/swagger-ui/swagger-ui-bundle.js",
        SWAGGER_UI_STANDALONE_PRESET_JS="/static/vendor/swagger-ui/swagger-ui-standalone-preset.js",
        DOCS_FAVICON="/static/favicon.svg",
        SECURITY_SCHEMES={
            "BearerToken": {"type": "http", "scheme": "bearer"},
            "SessionCookie": {"type": "apiKey", "in": "cookie", "name": "session"},
        },
        INFO={"description": "Swarm: intelligent swarming support platform. See docs/api.md."},
    )
    pool = (
        {"pool_size": config.db_pool_size, "max_overflow": config.db_max_overflow}
        if config.database_url.startswith("postgres")
        else {}
    )
    engine = make_engine(config.database_url, **pool)
    init_runtime(
        app,
        Runtime(
            config=config,
            engine=engine,
            sessions=make_session_factory(engine),
            clock=clock or SystemClock(),
            notifier=NullNotifier(),
            limits=RateLimits(config.ratelimit_storage_url, config.ratelimit_namespace),
            routing=RoutingCaches(),
        ),
    )
    _init_login(app)
    socketio = init_realtime(app, config)
    rt = app.extensions["swarm"]
    socket_notifier = SocketNotifier(socketio, MetricsPulse(socketio, rt.clock))
    rt.notifier = FanoutNotifier(socket_notifier, notifier) if notifier else socket_notifier
    rt.messages = MessageWriter(rt.engine, rt.clock, rt.notifier)

    @app.spec_processor
    def _security(spec: dict[str, Any]) -> dict[str, Any]:
        # Every operation accepts either credential; the few public ones say so in docs/api.md.
        spec["security"] = [{"BearerToken": []}, {"SessionCookie": []}]
        return spec

    csrf = CSRFProtect(app)
    _init_errors(app)
    init_security(app, app.docs_path)
    if config.trusted_proxies:
        # Outermost, around Socket.IO's middleware too: its origin check sees the browser's host.
        hops = config.trusted_proxies
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )

    from swarm.api import api
    from swarm.web import web
    from swarm.web.health import health

    # The API authenticates by token or by a same-origin JSON request (see api/auth.py);
    # the HTML forms carry Flask-WTF's CSRF token.
    csrf.exempt(api)
    app.register_blueprint(api)
    app.register_blueprint(web)
    app.register_blueprint(health)
    return app


def _init_login(app: APIFlask) -> None:
    login = LoginManager(app)
    login.login_view = "web.login"
    login.login_message = "Sign in to continue."
    login.session_protection = "basic"

    @login.user_loader
    def load_user(user_id: str) -> User | None:
        if not user_id.isdigit():
            return None
        user = db_session().get(User, int(user_id))
        return user if user is not None and user.active else None


def _init_errors(app: APIFlask) -> None:
    @app.error_processor
    def http_error(error: HTTPError) -> Any:
        status = error.status_code
        if not request.path.startswith("/api/"):
            return _error_page(status, str(error.message))
        body: dict[str, Any] = {
            "code": ERROR_CODES.get(status, "error"),
            "message": _sentence(error, status),
        }
        fields = _fields(error)
        if fields:
            body["fields"] = fields
        return {"error": body}, status, error.headers

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError) -> Any:
        if not request.path.startswith("/api/"):
            return _error_page(error.status, error.message)
        body: dict[str, Any] = {"code": error.code, "message": error.message}
        if error.fields:
            body["fields"] = error.fields
        return {"error": body}, error.status


def _error_page(status: int, message: str) -> Any:
    """One page for every refusal; error.html words each kind alike. A bare reason phrase
    ("Not Found") adds nothing to that wording, so it is left out."""
    detail = None if message == HTTP_STATUS_CODES.get(status) else message
    return render_template("error.html", status=status, message=detail), status


def _sentence(error: HTTPError, status: int) -> str:
    if status == 422 and _fields(error):
        names = ", ".join(sorted(_fields(error)))
        return f"Some fields are invalid: {names}."
    if status == 400 and request.is_json and request.get_json(silent=True) is None:
        return "The request body is not valid JSON."
    return str(error.message)


def _fields(error: HTTPError) -> dict[str, list[str]]:
    """Flatten webargs' ``{"json": {"field": [...]}}`` into ``{"field": [...]}``."""
    detail = error.detail if isinstance(error.detail, dict) else {}
    flat: dict[str, list[str]] = {}
    for location in ("json", "query", "form", "path"):
        for name, messages in (detail.get(location) or {}).items():
            flat[str(name)] = _flatten_messages(messages)
    return flat


def _flatten_messages(messages: Any) -> list[str]:
    if isinstance(messages, list):
        return [str(m) for m in messages]
    if isinstance(messages, dict):
        return [
            f"{key}: {msg}" for key, msgs in messages.items() for msg in _flatten_messages(msgs)
        ]
    return [str(messages)]

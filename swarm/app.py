"""create_app(): configuration, extensions, blueprints — nothing else."""

from __future__ import annotations

import logging
import time
from typing import Any

from apiflask import APIFlask, abort
from apiflask.exceptions import HTTPError
from flask import Request, Response, g, render_template, request, session
from flask_babel import gettext as _
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream

from swarm.accounts import audit
from swarm.accounts.sessions import COOKIE_KEY, user_for_session
from swarm.clock import Clock, SystemClock
from swarm.config import Config, load_config
from swarm.db import (
    DATABASE_UNAVAILABLE,
    RETRY_AFTER_SECONDS,
    database_unavailable,
    make_engine,
    make_session_factory,
)
from swarm.dispatch.background import background_runner
from swarm.dispatch.caches import RoutingCaches
from swarm.dispatch.inference import InfererCache
from swarm.inputs import MAX_ID, BadJSON, CheckedJSON, IdConverter, ascii_int
from swarm.models import User
from swarm.notifications.capture import LIVE
from swarm.realtime import init_realtime
from swarm.realtime.notifier import (
    FanoutNotifier,
    MetricsPulse,
    SocketNotifications,
    SocketNotifier,
)
from swarm.resources import static_dir
from swarm.runtime import RateLimits, Runtime, db_session, init_runtime, runtime
from swarm.telemetry import REQUEST_SECONDS
from swarm.tickets.errors import DomainError
from swarm.tickets.messages import MessageWriter
from swarm.tickets.notify import Notifier, NullNotifier
from swarm.web.i18n import init_i18n, translate
from swarm.web.request_ids import request_id
from swarm.web.security import init_security

log = logging.getLogger(__name__)
#: One line per HTTP request answered (not per Socket.IO event): see :func:`_init_access_log`.
access_log = logging.getLogger("swarm.access")

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
    # Imported here, as the blueprints below are: swarm.api imports the runtime of this app.
    from swarm.api.openapi import describe_shared_answers
    from swarm.api.schemas import ERROR
    from swarm.automation.runner import RuleRunner

    config = config or load_config()
    app = APIFlask(
        __name__,
        title="Swarm API",
        version="1",
        spec_path="/api/v1/openapi.json",
        docs_path="/api/v1/docs",
        docs_oauth2_redirect_path=None,
        static_folder=str(static_dir()),
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
        # Every refusal has one shape (see _init_errors); the document says so.
        HTTP_ERROR_SCHEMA=ERROR,
        VALIDATION_ERROR_SCHEMA=ERROR,
    )
    app.request_class = BoundedRequest
    app.json = CheckedJSON(app)
    app.url_map.converters["id"] = IdConverter
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
            sessions=make_session_factory(
                engine, mail=bool(config.smtp_url and config.support_address)
            ),
            clock=clock or SystemClock(),
            notifier=NullNotifier(),
            limits=RateLimits(config.ratelimit_storage_url, config.ratelimit_namespace),
            # The skill model trains beside the request path, never on it.
            routing=RoutingCaches(inference=InfererCache(background_runner())),
        ),
    )
    if config.smtp_url and config.support_address and not config.public_url:
        # Not guessed from a request's Host header: see Config.public_url.
        log.warning("SWARM_PUBLIC_URL is not set: password reset by mail is off")
    _init_login(app)
    init_i18n(app)
    socketio = init_realtime(app, config)
    rt = app.extensions["swarm"]
    socket_notifier = SocketNotifier(socketio, MetricsPulse(socketio, rt.clock))
    # The rules run last, on events already delivered to the rooms (swarm/automation/runner.py).
    rules = RuleRunner(rt, socketio)
    rt.notifier = (
        FanoutNotifier(socket_notifier, notifier, rules)
        if notifier
        else FanoutNotifier(socket_notifier, rules)
    )
    # Notifications reach their people's rooms after the commit that wrote them.
    rt.sessions.kw["info"][LIVE] = SocketNotifications(socketio).deliver
    rt.messages = MessageWriter(rt.engine, rt.clock, rt.notifier, sessions=rt.sessions)

    @app.spec_processor
    def _shared(spec: dict[str, Any]) -> dict[str, Any]:
        describe_shared_answers(app, spec)
        _path_integers(spec)
        return spec

    csrf = CSRFProtect(app)
    _init_access_log(app)
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


def _path_integers(spec: dict[str, Any]) -> None:
    """APIFlask describes only ``<int:...>`` path parts as integers: say what the ``id`` and
    the tier converters accept."""
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("in") != "path":
                    continue
                if parameter["name"].endswith("_id"):
                    parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
                elif parameter["name"] == "tier":
                    parameter["schema"] = {"type": "integer", "minimum": 0, "maximum": 4}


def _init_login(app: APIFlask) -> None:
    login = LoginManager(app)
    login.login_view = "web.login"
    login.login_message = "Sign in to continue."
    # Flask-Login flashes the sentence above through this, in the request's language.
    login.localize_callback = translate
    login.session_protection = "basic"

    @login.user_loader
    def load_user(user_id: str) -> User | None:
        # The cookie counts only while its session's row does (swarm/accounts/sessions.py):
        # the person and the row in one query, as the person alone was loaded before.
        number = ascii_int(user_id, 1)
        if number is None:
            return None
        cutoff = runtime().sessions_started_after()
        return user_for_session(db_session(), number, session.get(COOKIE_KEY), cutoff)


class BoundedRequest(Request):
    """Flask's request, with a chunked body (no Content-Length) read up to
    ``MAX_CONTENT_LENGTH`` like any other — past it, 413 — where Werkzeug would otherwise
    hand the view an empty body (when the server does not say it ends the stream itself), and
    with a JSON body that :mod:`swarm.inputs` refuses answered by its sentence."""

    @cached_property
    def stream(self) -> Any:
        chunked = self.headers.get("Transfer-Encoding", "").lower() == "chunked"
        limit = self.max_content_length
        if chunked and "wsgi.input_terminated" not in self.environ and limit is not None:
            return LimitedStream(self.environ["wsgi.input"], limit, is_max=True)
        return super().stream

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if isinstance(e, BadJSON):
            abort(400, str(e))
        return super().on_json_loading_failed(e)


def _init_access_log(app: APIFlask) -> None:
    """Time every request from its first hook; after the answer, log one line and observe
    the latency histogram. Registered before every other hook, so a request refused by a
    later one (a body too large, say) is timed and logged too."""

    @app.before_request
    def start_clock() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        seconds = time.perf_counter() - g.get("started", time.perf_counter())
        # The rule, not the path: no ids and no guest link in the metric's labels.
        endpoint = request.url_rule.rule if request.url_rule is not None else "unmatched"
        REQUEST_SECONDS.labels(endpoint, request.method, str(response.status_code)).observe(seconds)
        access_log.info(
            "%s %s %s",
            request.method,
            _loggable_path(),
            response.status_code,
            extra={
                "request_id": request_id(),
                "method": request.method,
                "path": _loggable_path(),
                "endpoint": endpoint,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 2),
                "remote_addr": request.remote_addr,
            },
        )
        return response


def _loggable_path() -> str:
    """The request's path with a guest link's token blanked out: that token is a credential.
    The query string is left out (a search holds what someone typed)."""
    path = request.path
    token = (request.view_args or {}).get("token")
    if isinstance(token, str) and token:
        path = path.replace(token, "<token>")
    return path


def _init_errors(app: APIFlask) -> None:
    @app.before_request
    def audit_origin() -> None:
        # The audit entries this request writes name its client: behind SWARM_TRUSTED_PROXIES
        # proxies ProxyFix has already put the forwarded address in remote_addr.
        audit.set_origin(request.remote_addr)

    @app.teardown_request
    def audit_origin_done(_error: BaseException | None) -> None:
        audit.set_origin(None)

    @app.before_request
    def check_json_body() -> None:
        # Parse (and so check) a JSON body once, before any view or schema reads it; a body
        # over MAX_CONTENT_LENGTH is 413 here, chunked or not.
        if request.method not in ("POST", "PUT", "PATCH", "DELETE") or not request.is_json:
            return
        data = request.get_data(cache=True)
        limit = request.max_content_length
        if request.content_length is None and limit is not None and len(data) >= limit:
            # Werkzeug stops reading a stream of unknown length at the limit, silently: what
            # it read is the body cut short (and so "not valid JSON"), not the body.
            raise RequestEntityTooLarge
        if data:
            request.get_json()

    @app.after_request
    def tag_response(response: Response) -> Response:
        response.headers["X-Request-Id"] = request_id()
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Any:
        if isinstance(error, HTTPException):  # answered by the handlers above
            return error
        rid = request_id()
        if database_unavailable(error):
            # Down, restarting or cut off: the transaction rolled back (nothing half-saved),
            # and the pool opens new connections once it is back — no restart needed.
            log.warning(
                "request %s (%s %s): database unreachable: %s",
                rid,
                request.method,
                request.path,
                error,
            )
            retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
            unavailable = translate(DATABASE_UNAVAILABLE)
            if not request.path.startswith("/api/"):
                page, status = _error_page(503, unavailable)
                return page, status, retry
            body = {"code": "unavailable", "message": unavailable, "request_id": rid}
            return {"error": body}, 503, retry
        log.error("request %s (%s %s) failed", rid, request.method, request.path, exc_info=error)
        message = _("Something went wrong; it was logged as request %(rid)s.", rid=rid)
        if not request.path.startswith("/api/"):
            return _error_page(500, message)
        return {"error": {"code": "internal", "message": message, "request_id": rid}}, 500

    @app.error_processor
    def http_error(error: HTTPError) -> Any:
        status = error.status_code
        if not request.path.startswith("/api/"):
            return _error_page(status, translate(str(error.message)))
        body: dict[str, Any] = {
            "code": ERROR_CODES.get(status, "error"),
            "message": _sentence(error, status),
        }
        fields = _fields(error)
        if fields:
            body["fields"] = fields
        body["request_id"] = request_id()
        return {"error": body}, status, error.headers

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError) -> Any:
        # The code stays as it is in every language; the sentence is the reader's.
        message = translate(error.message)
        if not request.path.startswith("/api/"):
            return _error_page(error.status, message)
        body: dict[str, Any] = {"code": error.code, "message": message}
        if error.fields:
            body["fields"] = error.fields
        body["request_id"] = request_id()
        return {"error": body}, error.status


def _error_page(status: int, message: str) -> Any:
    """One page for every refusal; error.html words each kind alike. A bare reason phrase
    ("Not Found") adds nothing to that wording, so it is left out."""
    detail = None if message == HTTP_STATUS_CODES.get(status) else message
    return render_template("error.html", status=status, message=detail), status


def _sentence(error: HTTPError, status: int) -> str:
    if status == 422 and _fields(error):
        names = ", ".join(sorted(_fields(error)))
        return _("Some fields are invalid: %(names)s.", names=names)
    if status == 400 and request.is_json and error.message == HTTP_STATUS_CODES[400]:
        return _("The request body is not valid JSON.")
    return translate(str(error.message))


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

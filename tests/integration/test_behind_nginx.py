"""Swarm behind a real nginx on loopback, configured by the repository's own
``deploy/nginx/swarm.conf`` (the file docs/deploy.md tells operators to install), with TLS: the
login limit counts each browser's address, the origin checks accept the browser's ``https://``
origin, a client's forged ``X-Forwarded-For`` changes nothing, and Socket.IO upgrades to a
WebSocket through the proxy (issue 17, item 1).

nginx comes from Debian's packages (``apt-get install nginx-light``); without it (or without the
``openssl`` command for the test's certificate) the tests skip, unless ``SWARM_REQUIRE_NGINX=1``
(CI, ``.ci/run``), where they fail. Clients on 127.0.0.2, 127.0.0.3 … are other browsers: all of
127.0.0.0/8 is loopback on Linux.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import socketio

from swarm.accounts.service import issue_token
from swarm.clock import SystemClock
from swarm.db import make_engine, make_session_factory
from swarm.migrate import upgrade
from swarm.tickets.notify import NullNotifier
from swarm.tickets.service import TicketService
from tests.builders import PASSWORD, make_user
from tests.integration.servers import ROOT, Server, free_port

CONFIG = ROOT / "deploy" / "nginx" / "swarm.conf"
#: Sign-in attempts per address in these tests: small, so a few requests reach the limit.
LOGIN_LIMIT = 3
METRICS_TOKEN = "scraper-token"


def _tools() -> tuple[str, str]:
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    openssl = shutil.which("openssl")
    missing = [name for name, path in (("nginx", nginx), ("openssl", openssl)) if path is None]
    if missing:
        reason = f"{' and '.join(missing)} not installed (apt-get install nginx-light openssl)"
        if os.environ.get("SWARM_REQUIRE_NGINX") == "1":
            pytest.fail(f"SWARM_REQUIRE_NGINX=1 but {reason}")
        pytest.skip(f"{reason}: the reverse-proxy tests skipped")
    assert nginx is not None and openssl is not None
    return nginx, openssl


def _ports(count: int) -> list[int]:
    """Free ports: from ``SWARM_TEST_PORT_RANGE`` (``5350-5399``) when set — machines shared by
    several test runs give each its own range — else any the system offers."""
    span = os.environ.get("SWARM_TEST_PORT_RANGE")
    if not span:
        return [free_port() for _ in range(count)]
    low, high = (int(p) for p in span.split("-"))
    found: list[int] = []
    for port in range(low, high + 1):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        found.append(port)
        if len(found) == count:
            return found
    raise RuntimeError(f"no {count} free ports in {span}")


def render(swarm_port: int, http_port: int, https_port: int, cert: Path, key: Path) -> str:
    """deploy/nginx/swarm.conf with only its addresses and certificate paths replaced; each
    replaced text must be there exactly once, so an edit of the file that these tests would no
    longer cover fails here."""
    text = CONFIG.read_text()
    replacements = {
        "    server 127.0.0.1:5001;\n    server 127.0.0.1:5002;\n": (
            f"    server 127.0.0.1:{swarm_port};\n"
        ),
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;",
        "/etc/ssl/certs/support.example.com.pem": str(cert),
        "/etc/ssl/private/support.example.com.key": str(key),
    }
    for old, new in replacements.items():
        assert text.count(old) == 1, f"{CONFIG.name} no longer has {old!r} once"
        text = text.replace(old, new)
    return text


@dataclass
class Site:
    """nginx on ``https://127.0.0.1:<port>`` in front of one Swarm server."""

    port: int
    server: Server
    ticket_id: int
    token: str
    email: str

    @property
    def origin(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        client: str = "127.0.0.1",
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], Any]:
        """One HTTPS request through nginx from the address ``client``."""
        # The test's certificate is self-signed: nothing to verify it against.
        context = ssl._create_unverified_context()  # noqa: S323
        conn = http.client.HTTPSConnection(
            "127.0.0.1", self.port, source_address=(client, 0), context=context, timeout=30
        )
        sent = {"Content-Type": "application/json", **(headers or {})}
        try:
            conn.request(method, path, json.dumps(body) if body is not None else None, sent)
            response = conn.getresponse()
            data = response.read()
            answer = {k.lower(): v for k, v in response.getheaders()}
            if "set-cookie" in answer:
                answer["set-cookie"] = "\n".join(response.headers.get_all("Set-Cookie") or [])
        finally:
            conn.close()
        parsed = json.loads(data) if data.startswith(b"{") else data.decode()
        return response.status, answer, parsed

    def sign_in(self, client: str, password: str = PASSWORD) -> tuple[int, dict[str, str]]:
        status, headers, _ = self.request(
            "POST",
            "/api/v1/auth/login",
            {"email": self.email, "password": password},
            client=client,
        )
        return status, headers


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx stopped:\n{log.read_text()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nginx did not listen on {port}:\n{log.read_text()}")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    nginx, openssl = _tools()
    tmp = tmp_path_factory.mktemp("nginx")
    database_url = f"sqlite:///{tmp / 'swarm.db'}"
    upgrade(database_url)
    engine = make_engine(database_url)
    clock = SystemClock()
    with make_session_factory(engine)() as session:
        person = make_user(session, clock, name="Bea Browser")
        ticket = TicketService(session, clock, NullNotifier()).open_ticket(
            person, subject="Behind the proxy", body="Does the room work?"
        )
        token = issue_token(session, clock, person, "socket")[1]
        session.commit()
        email, ticket_id = person.email, ticket.id
    engine.dispose()

    cert, key = tmp / "cert.pem", tmp / "key.pem"
    certificate = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    subprocess.run(
        [openssl, *certificate, "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    swarm_port, http_port, https_port = _ports(3)
    (tmp / "swarm.conf").write_text(render(swarm_port, http_port, https_port, cert, key))
    for folder in ("client_body", "proxy"):
        (tmp / folder).mkdir()
    # One process in the foreground (no daemon, no master/worker split: no user switch, so it
    # runs as whoever runs the tests), every file in the temporary folder.
    (tmp / "nginx.conf").write_text(
        f"""daemon off;
master_process off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    include {tmp}/swarm.conf;
}}
"""
    )
    server = Server(
        {
            "SWARM_DATABASE_URL": database_url,
            "SWARM_INSTANCE_PATH": str(tmp),
            "SWARM_SECRET_KEY": "behind-nginx",
            "SWARM_TRUSTED_PROXIES": "1",
            "SWARM_LOGIN_RATE_LIMIT": f"{LOGIN_LIMIT} per hour",
            "SWARM_LOG_FORMAT": "json",
            "SWARM_METRICS_TOKEN": METRICS_TOKEN,
        },
        tmp,
        port=swarm_port,
    ).start()
    log = tmp / "nginx.out"
    with log.open("wb") as out:
        proxy = subprocess.Popen(
            [nginx, "-p", str(tmp), "-e", str(tmp / "error.log"), "-c", str(tmp / "nginx.conf")],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(https_port, proxy, tmp / "error.log")
        yield Site(https_port, server, ticket_id, token, email)
    finally:
        proxy.terminate()
        try:
            proxy.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proxy.kill()
        server.stop()


def test_ci_fails_without_nginx_where_others_skip(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(shutil, "which", lambda *_args, **_kwargs: None)
    monkeypatch.setenv("SWARM_REQUIRE_NGINX", "1")
    with pytest.raises(pytest.fail.Exception, match="SWARM_REQUIRE_NGINX=1 but nginx and openssl"):
        _tools()
    monkeypatch.delenv("SWARM_REQUIRE_NGINX")
    with pytest.raises(pytest.skip.Exception, match="the reverse-proxy tests skipped"):
        _tools()


def server_lines(site: Site) -> list[dict[str, Any]]:
    """Every line the server wrote (standard output and error): with SWARM_LOG_FORMAT=json,
    each is a JSON object."""
    return [json.loads(line) for line in site.server.log.read_text().splitlines()]


def test_the_login_limit_counts_each_browser_not_the_proxy(site: Site):
    for _ in range(LOGIN_LIMIT):
        assert site.sign_in("127.0.0.2", password="wrong")[0] == 401
    status, headers = site.sign_in("127.0.0.2", password="wrong")
    assert status == 429 and int(headers["retry-after"]) > 0
    # Another browser behind the same nginx is not limited by the first one's attempts.
    assert site.sign_in("127.0.0.3", password="wrong")[0] == 401
    assert site.sign_in("127.0.0.3")[0] == 200
    # The access log names the browser, through nginx, as the limit did.
    seen = {line["remote_addr"] for line in server_lines(site) if line["logger"] == "swarm.access"}
    assert {"127.0.0.2", "127.0.0.3"} <= seen


def test_a_forged_forwarded_for_is_not_believed(site: Site):
    """nginx appends the address it saw to what the client sent; with one trusted hop Swarm
    takes that last entry, so a client naming another address is still itself."""
    for _ in range(LOGIN_LIMIT):
        assert site.sign_in("127.0.0.4", password="wrong")[0] == 401
    forged = {"X-Forwarded-For": "198.51.100.7"}
    status, _, answer = site.request(
        "POST",
        "/api/v1/auth/login",
        {"email": site.email, "password": "wrong"},
        client="127.0.0.4",
        headers=forged,
    )
    assert status == 429, answer
    rid = answer["error"]["request_id"]
    (line,) = [entry for entry in server_lines(site) if entry.get("request_id") == rid]
    assert line["remote_addr"] == "127.0.0.4" and line["status"] == 429


def test_the_origin_check_accepts_the_browsers_https_origin(site: Site):
    status, headers = site.sign_in("127.0.0.5")
    assert status == 200
    # nginx said https: the session cookie is Secure.
    cookie_line = headers["set-cookie"]
    assert "Secure" in cookie_line
    cookie = cookie_line.split(";", 1)[0]
    same = {"Cookie": cookie, "Origin": site.origin}
    status, _, answer = site.request(
        "POST", "/api/v1/auth/tokens", {"name": "from the page"}, client="127.0.0.5", headers=same
    )
    assert status == 201, answer
    # The same request from a page on another origin, or over plain http, is refused.
    for origin in ("https://evil.example", f"http://127.0.0.1:{site.port}"):
        status, _, answer = site.request(
            "POST",
            "/api/v1/auth/tokens",
            {"name": "forged"},
            client="127.0.0.5",
            headers={"Cookie": cookie, "Origin": origin},
        )
        assert status == 403, (origin, answer)


def test_socketio_upgrades_to_a_websocket_through_nginx(site: Site):
    # The WebSocket client sends the page's origin, https://127.0.0.1:<port>, as a browser
    # does: accepted, because nginx said https and passed the host with its port.
    client = socketio.Client(reconnection=False, ssl_verify=False)
    try:
        client.connect(
            site.origin, auth={"token": site.token}, transports=["websocket"], wait_timeout=20
        )
        assert client.transport() == "websocket"
        ack = client.call("join_ticket", {"ticket_id": site.ticket_id}, timeout=20)
        assert ack["ok"] and ack["ticket"]["id"] == site.ticket_id
    finally:
        client.disconnect()
    # A page on another origin may not open the socket, through the proxy as directly (over
    # polling, where the Origin header is the test's to set).
    foreign = socketio.Client(reconnection=False, ssl_verify=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        foreign.connect(
            site.origin,
            auth={"token": site.token},
            headers={"Origin": "https://evil.example"},
            transports=["polling"],
            wait_timeout=20,
        )
    foreign.disconnect()


def test_metrics_are_served_to_the_scraper_but_not_through_the_proxy(site: Site):
    bearer = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    assert site.request("GET", "/metrics", headers=bearer)[0] == 404
    request = urllib.request.Request(f"{site.server.url}/metrics", headers=bearer)  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as direct:  # noqa: S310
        assert direct.status == 200
        assert b"swarm_http_request_duration_seconds_count" in direct.read()


def test_the_server_writes_json_lines_only(site: Site):
    status, headers, _ = site.request("GET", "/healthz", client="127.0.0.6")
    assert status == 200
    lines = server_lines(site)
    loggers = {line["logger"] for line in lines}
    assert "swarm.cli" in loggers  # "Swarm is serving on …"
    (access,) = [line for line in lines if line.get("request_id") == headers["x-request-id"]]
    assert access["logger"] == "swarm.access" and access["remote_addr"] == "127.0.0.6"
    # gevent-websocket's own access line (the proxy's address, no request id) is not written.
    assert not any(name.startswith("geventwebsocket") for name in loggers)

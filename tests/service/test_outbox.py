"""The outbox and webhooks (issue 15, items 1 and 4): rows written with the change that calls
for them, delivered by the worker to a real HTTP server on loopback with Standard Webhooks
signatures (checked by the reference library), retried with back-off, dead after the last
attempt, sent again by hand; a time-out, a 500 and a redirect are failures, never followed."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks import Webhook as Verifier

from swarm.clock import FakeClock, SystemClock
from swarm.db import make_session_factory
from swarm.models import DeliveryAttempt, OutboxItem, Ticket, TicketEvent
from swarm.outbox import retries, worker
from swarm.outbox.guard import AddressGuard
from swarm.outbox.service import WebhookService
from swarm.tickets.errors import Forbidden, IllegalTransition, Invalid
from swarm.tickets.notify import NullNotifier
from swarm.tickets.service import TicketService
from tests.builders import make_agent, make_user

#: The receivers here listen on loopback, which the worker refuses unless allowed (guard.py).
LOOPBACK = worker.guarded_post(AddressGuard.allowing("127.0.0.0/8"))


class Receiver:
    """An HTTP server on loopback that answers by path: /ok 200, /fail 500, /slow after 2 s,
    /redirect 302 to /ok; it keeps every request it got."""

    def __init__(self) -> None:
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                received.append((self.path, headers, body))
                if self.path == "/slow":
                    time.sleep(2)
                if self.path == "/redirect":
                    self.send_response(302)
                    self.send_header("Location", "/ok")
                    self.end_headers()
                    return
                status = 200 if self.path in ("/ok", "/slow") else 500
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"thanks" if status == 200 else b"receiver broke")

            def log_message(self, *_args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # /slow answers a client that gave up: its broken pipe is expected

        self.server = Server(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def sessions(engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def org(session: Session, clock: FakeClock) -> dict[str, Any]:
    return {
        "admin": make_user(session, clock, role="admin", name="Ava Admin"),
        "agent": make_agent(session, clock, name="Ada Agent"),
        "requester": make_user(session, clock, name="Rita Requester"),
    }


def hook(session, clock, org, url, types=("created", "resolved")) -> tuple[int, str]:
    view, secret = WebhookService(session, clock).create(org["admin"], url, list(types))
    return view["id"], secret


def open_ticket(session, clock, org, subject="VPN drops") -> Ticket:
    return TicketService(session, clock, NullNotifier()).open_ticket(
        org["requester"], subject=subject, body="Every hour."
    )


def items(session) -> list[OutboxItem]:
    session.expire_all()
    found = list(session.scalars(select(OutboxItem).order_by(OutboxItem.id)))
    session.commit()  # end the read: the worker's sessions share the in-memory database
    return found


# ---------------------------------------------------------------------------- written with it


def test_an_event_writes_one_row_per_subscribed_webhook_in_its_transaction(session, clock, org):
    first, _ = hook(session, clock, org, "http://127.0.0.1:9/a")
    hook(session, clock, org, "http://127.0.0.1:9/b", types=("resolved",))
    ticket = open_ticket(session, clock, org)
    [row] = items(session)
    assert (row.webhook_id, row.event_type, row.state) == (first, "created", "pending")
    assert row.payload["type"] == "ticket.created"
    data = row.payload["data"]
    assert (data["type"], data["ticket_id"]) == ("created", ticket.id)
    assert data["actor"] == {"id": org["requester"].id, "name": "Rita Requester"}
    assert data["data"]["subject"] == "VPN drops"


def test_rows_are_written_with_the_events_or_not_at_all(session, clock, org):
    ticket = open_ticket(session, clock, org)
    hook(session, clock, org, "http://127.0.0.1:9/a", types=("reopened",))
    session.add(TicketEvent(ticket_id=ticket.id, type="reopened", at=clock.now(), data={}))
    session.flush()  # the event and its outbox row, in the open transaction
    assert len(session.scalars(select(OutboxItem)).all()) == 1
    session.rollback()  # the change fails: both go
    assert items(session) == []


def test_paused_webhooks_and_other_types_get_nothing(session, clock, org):
    hook_id, _ = hook(session, clock, org, "http://127.0.0.1:9/a", types=("resolved",))
    paused, _ = hook(session, clock, org, "http://127.0.0.1:9/p", types=("created",))
    WebhookService(session, clock).update(org["admin"], paused, {"active": False})
    open_ticket(session, clock, org)
    assert items(session) == []
    assert hook_id


# ---------------------------------------------------------------------------------- delivery


def test_a_delivery_is_signed_so_the_reference_verifier_accepts_it(
    session, sessions, clock, org, receiver
):
    _, secret = hook(session, clock, org, f"{receiver.base}/ok")
    open_ticket(session, clock, org)
    # The reference checks the signed timestamp against the real time: deliver on it.
    assert worker.deliver_due(sessions, SystemClock(), post=LOOPBACK) == 1
    [(path, headers, body)] = receiver.received
    [row] = items(session)
    assert (path, row.state, row.attempts) == ("/ok", "delivered", 1)
    assert headers["webhook-id"] == row.key
    verified = Verifier(secret).verify(body, headers)
    assert verified["data"]["type"] == "created"
    assert json.loads(body) == row.payload
    [attempt] = session.scalars(select(DeliveryAttempt)).all()
    assert (attempt.status_code, attempt.response) == (200, "thanks")


def test_a_tampered_body_fails_verification(session, sessions, clock, org, receiver):
    _, secret = hook(session, clock, org, f"{receiver.base}/ok")
    open_ticket(session, clock, org)
    worker.deliver_due(sessions, SystemClock(), post=LOOPBACK)
    [(_, headers, body)] = receiver.received
    from standardwebhooks import WebhookVerificationError

    with pytest.raises(WebhookVerificationError):
        Verifier(secret).verify(body.replace(b"VPN", b"XXX"), headers)


def test_failures_back_off_then_the_delivery_is_dead_and_can_be_sent_again(
    session, sessions, clock, org, receiver
):
    hook_id, _ = hook(session, clock, org, f"{receiver.base}/fail")
    open_ticket(session, clock, org)
    waits = []
    for attempt in range(1, retries.MAX_ATTEMPTS + 1):
        assert worker.deliver_due(sessions, clock, post=LOOPBACK) == 1
        [row] = items(session)
        assert row.attempts == attempt
        assert row.last_error == "HTTP 500"
        if attempt < retries.MAX_ATTEMPTS:
            assert row.state == "pending"
            waits.append((row.next_attempt_at - clock.now()).total_seconds())
            assert worker.deliver_due(sessions, clock, post=LOOPBACK) == 0  # not due yet
            clock.set(row.next_attempt_at)
    assert row.state == "dead"
    assert (
        worker.deliver_due(sessions, clock, post=LOOPBACK) == 0
    )  # a dead letter waits for a person
    assert waits[0] == pytest.approx(30, rel=0.11)
    assert all(b > a for a, b in itertools.pairwise(waits))
    service = WebhookService(session, clock)
    [listed] = service.deliveries(org["admin"], hook_id)
    assert listed["state"] == "dead" and len(listed["tries"]) == retries.MAX_ATTEMPTS
    assert listed["tries"][0]["response"] == "receiver broke"

    service.update(org["admin"], hook_id, {"url": f"{receiver.base}/ok"})
    again = service.send_again(org["admin"], row.id)
    assert again["state"] == "pending"
    with pytest.raises(IllegalTransition):
        service.send_again(org["admin"], row.id)
    session.rollback()  # as the request's end does
    assert worker.deliver_due(sessions, clock, post=LOOPBACK) == 1
    assert items(session)[0].state == "delivered"


def test_redirects_are_not_followed_and_time_outs_are_failures(
    session, sessions, clock, org, receiver, monkeypatch
):
    monkeypatch.setattr(worker, "TIMEOUT_SECONDS", 0.3)
    hook(session, clock, org, f"{receiver.base}/redirect", types=("created",))
    hook(session, clock, org, f"{receiver.base}/slow", types=("created",))
    open_ticket(session, clock, org)
    assert worker.deliver_due(sessions, clock, post=LOOPBACK) == 2
    redirected, slow = items(session)
    assert [p for p, _, _ in receiver.received].count("/ok") == 0
    assert (redirected.state, redirected.last_error) == ("pending", "HTTP 302")
    assert slow.state == "pending" and "timed out" in (slow.last_error or "")


def test_a_worker_that_died_leaves_its_rows_to_the_next_after_the_lease(
    session, sessions, clock, org, receiver
):
    hook(session, clock, org, f"{receiver.base}/ok")
    open_ticket(session, clock, org)
    with sessions() as s:
        [claimed] = worker.claim(s, clock)  # ... and the worker dies before calling
    assert worker.deliver_due(sessions, clock, post=LOOPBACK) == 0  # leased
    clock.set(clock.now() + worker.LEASE + timedelta(seconds=1))
    assert worker.deliver_due(sessions, clock, post=LOOPBACK) == 1
    [row] = items(session)
    assert (row.state, row.attempts, row.key) == ("delivered", 2, claimed.key)


# ---------------------------------------------------------------------------------- admins


def test_only_admins_manage_webhooks_and_urls_and_types_are_checked(session, clock, org):
    service = WebhookService(session, clock)
    with pytest.raises(Forbidden):
        service.create(org["agent"], "https://example.test/h", ["created"])
    for url in ("ftp://example.test/h", "javascript:alert(1)", "https://"):
        with pytest.raises(Invalid):
            service.create(org["admin"], url, ["created"])
    for types in ([], ["message"], ["no_such_type"]):
        with pytest.raises(Invalid):
            service.create(org["admin"], "https://example.test/h", types)
    view, secret = service.create(org["admin"], "https://example.test/h", ["created"])
    assert secret.startswith("whsec_") and "secret" not in view
    assert all("secret" not in w for w in service.list(org["admin"]))


# ------------------------------------------------------------------ where a webhook may call


def test_the_default_worker_refuses_a_loopback_receiver_and_says_why(
    session, sessions, clock, org, receiver
):
    hook(session, clock, org, f"{receiver.base}/ok")
    open_ticket(session, clock, org)
    assert worker.deliver_due(sessions, clock) == 1  # the production default: public only
    assert receiver.received == []  # nothing reached the receiver
    [row] = items(session)
    assert row.state == "pending"
    assert "127.0.0.1 is not a public address" in row.last_error
    assert "SWARM_WEBHOOK_ALLOWED_NETWORKS" in row.last_error


def test_a_name_is_judged_by_every_address_it_resolves_to_and_called_only_there(monkeypatch):
    """DNS rebinding: the address checked is the address called, so a name that answers a
    private address gets no connection at all; a public answer is the one connected to."""
    from swarm.outbox import guard as guard_module

    called: list[object] = []
    monkeypatch.setattr(
        guard_module,
        "_resolve",
        lambda host, port: [
            (2, 1, 6, "", ("10.0.0.7", port)),
            (2, 1, 6, "", ("169.254.169.254", port)),
        ],
    )
    monkeypatch.setattr(guard_module.socket.socket, "connect", lambda s, w: called.append(w))
    with pytest.raises(guard_module.RefusedAddress) as refused:
        AddressGuard().connect(("hooks.example", 443), 1.0)
    assert called == []
    assert "10.0.0.7 is not a public address" in str(refused.value)
    assert "169.254.169.254 is not a public address" in str(refused.value)

    monkeypatch.setattr(
        guard_module,
        "_resolve",
        lambda host, port: [
            (2, 1, 6, "", ("192.168.1.9", port)),
            (2, 1, 6, "", ("93.184.215.14", port)),
        ],
    )
    AddressGuard().connect(("hooks.example", 443), 1.0).close()
    assert called == [("93.184.215.14", 443)]


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.0.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104 (an address refused, not bound)
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fd00::1",
        "::ffff:10.0.0.1",
        "::",
    ],
)
def test_non_public_addresses_are_refused_unless_their_network_is_allowed(address):
    assert AddressGuard().refusal(address) is not None
    assert AddressGuard.allowing("0.0.0.0/0", "::/0").refusal(address) is None


def test_a_bad_allowed_network_stops_the_start_with_its_name():
    from swarm.config import load_config

    with pytest.raises(ValueError, match=r"'10\.0\.0\.300/8' is not a network"):
        load_config({"SWARM_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8, 10.0.0.300/8"})
    config = load_config({"SWARM_WEBHOOK_ALLOWED_NETWORKS": " 127.0.0.1 ,fd00::/8"})
    assert config.webhook_allowed_networks == "127.0.0.1/32,fd00::/8"

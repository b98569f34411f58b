"""Prometheus metrics of one process, served at ``/metrics`` (docs/deploy.md, "Metrics").

Every serving process keeps and exposes its own figures; Prometheus scrapes each process on its
own port and tells them apart by its ``instance`` label, then sums them. prometheus_client's
multiprocess mode is for servers that fork workers sharing one port (gunicorn), which Swarm's
processes do not: each ``serve`` listens on its own.

Labels are bounded sets chosen by code — a route's rule, a method, a status, a mode — never a
raw path, an id, a name or an address, so the page holds no personal data and its size does not
grow with traffic.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

#: The process's own registry (not the library's global one): what ``/metrics`` shows is
#: exactly what is declared here, plus the process's CPU, memory and open files.
REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

REQUEST_SECONDS = Histogram(
    "swarm_http_request_duration_seconds",
    "Time to answer an HTTP request, by route rule (not path), method and status.",
    ["endpoint", "method", "status"],
    registry=REGISTRY,
    # From a cached page (~1 ms) to a routed ticket with a model retrain (seconds).
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
SOCKET_CONNECTIONS = Gauge(
    "swarm_socket_connections",
    "Socket.IO connections open on this process, by kind of caller.",
    ["kind"],
    registry=REGISTRY,
)
SOCKET_EVENTS_IN_FLIGHT = Gauge(
    "swarm_socket_events_in_flight",
    "Socket events received by this process and not yet answered. At SWARM_SOCKET_BACKLOG, "
    "further events are answered unavailable (nothing stored; send again) instead of queued.",
    registry=REGISTRY,
)
SOCKET_SEND_BACKLOG = Gauge(
    "swarm_socket_send_backlog",
    "Packets queued in this process for clients that have not read them yet (all "
    "connections), read at each presence beat; a client with more than SWARM_SOCKET_SEND_QUEUE "
    "is disconnected.",
    registry=REGISTRY,
)
ROOM_MESSAGES = Counter(
    "swarm_room_messages",
    "Messages stored in ticket rooms by this process (sockets and the API alike).",
    registry=REGISTRY,
)
MAIL_INTAKE = Counter(
    "swarm_mail_intake",
    "Mails taken in by this process, by source (smtp, imap) and outcome (ticket, reply, "
    "ignored: auto-replies, loops and bounces; refused; duplicate: delivered again).",
    ["source", "outcome"],
    registry=REGISTRY,
)
ROUTING_DECISIONS = Counter(
    "swarm_routing_decisions",
    "Decisions a routing policy took, by the ticket's mode, the hook that asked and the kind.",
    ["mode", "hook", "decision"],
    registry=REGISTRY,
)
SWEEPER_LAG = Gauge(
    "swarm_sweeper_lag_seconds",
    "How long the oldest due deadline has waited to be fired (0 when none is due), read from "
    "the database at each scrape: it covers every sweeper, inside ``serve`` or on its own.",
    registry=REGISTRY,
)
OUTBOX_DEPTH = Gauge(
    "swarm_outbox_depth",
    "Webhook deliveries waiting (pending: due or backing off; dead: every attempt failed, "
    "waiting for an admin), read from the database at each scrape (docs/webhooks.md).",
    ["state"],
    registry=REGISTRY,
)

#: The Content-Type of :func:`exposition` (Prometheus' text format 0.0.4).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def exposition() -> bytes:
    """The current figures in Prometheus' text format."""
    return generate_latest(REGISTRY)


def socket_kind(*, guest: bool, staff: bool) -> str:
    """The ``kind`` label of a connection: three values, never who it is."""
    return "guest" if guest else "staff" if staff else "requester"

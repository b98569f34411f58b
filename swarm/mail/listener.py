"""The SMTP listener (``SWARM_MAIL_LISTEN=host:port``): mail relayed by the site's mail server.

An ``aiosmtpd`` server on its own thread and event loop. Each mail is taken in (on a worker
thread, off the loop) before the server answers the end of DATA, so ``250`` means the ticket
or reply is committed; a failure of the database answers ``451`` and the sending server
keeps the mail and tries again — nothing is lost. A refused sender (``SWARM_MAIL_UNKNOWN=
refuse``, a deactivated account) is answered ``550``, so that the sending server, not Swarm,
tells them. Auto-replies and loops are accepted (``250``) and dropped: a refusal would only
make another bounce. Mails larger than :data:`swarm.mail.parse.MAX_MESSAGE_BYTES` are refused
at DATA (``552``).

The listener has no authentication and relays nothing: bind it to loopback or to the network
of the relaying mail server only (docs/mail.md). When its port is taken at start it tries
again every :data:`RETRY_SECONDS` until it gets it or is stopped.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from aiosmtpd.controller import Controller

from swarm.mail.intake import IntakeResult
from swarm.mail.parse import MAX_MESSAGE_BYTES, one_line
from swarm.models import MailOutcome

log = logging.getLogger(__name__)

RETRY_SECONDS = 5.0

Take = Callable[[bytes, Sequence[str]], IntakeResult]


class IntakeHandler:
    """aiosmtpd's handler: every mail to ``take`` (the raw bytes and the envelope's RCPTs)."""

    def __init__(self, take: Take) -> None:
        self.take = take

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        recipients = tuple(envelope.rcpt_tos or ())
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(None, self.take, raw, recipients)
        except Exception:
            log.exception("mail from %s not taken in; asked to send again", envelope.mail_from)
            return "451 4.3.0 Could not store the mail now; try again later"
        if result.outcome == MailOutcome.REFUSED:
            return f"550 5.7.1 {one_line(result.reason or 'Refused', 200)}"
        return "250 2.0.0 OK"


def parse_listen(value: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:2525`` for IPv6) → (host, port); raises ValueError."""
    host, sep, port = value.strip().rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"SWARM_MAIL_LISTEN={value!r}: use host:port, e.g. 127.0.0.1:2525")
    return host.strip("[]") or "127.0.0.1", int(port)


class MailListener:
    """Start, retry while the port is taken, stop."""

    def __init__(self, take: Take, listen: str) -> None:
        self.host, self.port = parse_listen(listen)
        self.take = take
        self.controller: Controller | None = None
        self._stop = threading.Event()
        self._started = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start listening, in the background: returns at once; :meth:`wait_started` waits."""
        self._thread = threading.Thread(target=self._run, name="swarm-mail-listener", daemon=True)
        self._thread.start()

    def wait_started(self, timeout: float) -> bool:
        return self._started.wait(timeout)

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            controller = Controller(
                IntakeHandler(self.take),
                hostname=self.host,
                port=self.port,
                server_hostname="swarm",
                ident="Swarm mail intake",
                data_size_limit=MAX_MESSAGE_BYTES,
            )
            try:
                controller.start()
            except Exception as exc:
                if not controller.loop.is_running():
                    controller.loop.close()
                attempt += 1
                if attempt == 1 or attempt % 60 == 0:
                    log.warning(
                        "SMTP listener cannot listen on %s:%s (%s); trying again every %g s",
                        self.host,
                        self.port,
                        exc,
                        RETRY_SECONDS,
                    )
                self._stop.wait(RETRY_SECONDS)
                continue
            self.controller = controller
            log.info("SMTP listener takes mail on %s:%s", self.host, self.port)
            self._started.set()
            return

    def stop(self) -> None:
        self._stop.set()
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def start_mail_listener(runtime: Any) -> MailListener:
    """The listener of a running app (``serve`` with ``SWARM_MAIL_LISTEN`` set)."""
    from swarm.mail.intake import Intake

    intake = Intake.of(runtime)

    def take(raw: bytes, recipients: Sequence[str]) -> IntakeResult:
        return intake.receive(raw, "smtp", recipients)

    # aiosmtpd logs every connection and command at INFO; Swarm logs each mail taken in.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    listener = MailListener(take, runtime.config.mail_listen)
    listener.start()
    return listener

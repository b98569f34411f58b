"""IMAP polling (``SWARM_IMAP_URL=imaps://user:pass@host/INBOX``): mail left in a mailbox.

Every ``SWARM_IMAP_SECONDS`` the poller connects (``imaplib``), selects the mailbox, and takes
in each unread (``UNSEEN``) mail, oldest first: it reads the mail with ``BODY.PEEK[]`` (which
leaves it unread), takes it in, and only once the ticket or reply is committed marks it
``\\Seen``. Nothing is deleted: the mailbox keeps what was received (expunge it by the mail
server's own rules). So:

- the database down: the mail stays unread and is read again next round;
- the IMAP server down at start or gone mid-round: the poller waits (doubling up to
  :data:`MAX_BACKOFF_SECONDS`) and connects again;
- the server gone between the commit and ``\\Seen``: the mail is read again next round and
  recognised by its Message-ID (``duplicate``), so it opens nothing twice.

A mail larger than :data:`swarm.mail.parse.MAX_MESSAGE_BYTES` is read only up to that size
(its text, none of its attachments; the ticket says so).
"""

from __future__ import annotations

import imaplib
import logging
import re
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from swarm.mail.intake import IntakeResult
from swarm.mail.parse import MAX_MESSAGE_BYTES

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30.0
MAX_BACKOFF_SECONDS = 300.0
BATCH = 100  # mails per round at most; the rest wait for the next
FAILURES_PER_ROUND = 3  # mails that could not be taken in, in a row, before the round ends

#: The raw mail and whether it was cut at MAX_MESSAGE_BYTES.
Take = Callable[[bytes, bool], IntakeResult]


@dataclass(frozen=True)
class ImapTarget:
    secure: bool
    host: str
    port: int
    user: str
    password: str
    mailbox: str

    def __repr__(self) -> str:  # never the password in a log line
        scheme = "imaps" if self.secure else "imap"
        return f"{scheme}://{self.user}@{self.host}:{self.port}/{self.mailbox}"


def parse_imap_url(url: str) -> ImapTarget:
    """``imap://user:pass@host:143/INBOX`` or ``imaps://…`` (993); raises ValueError."""
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps") or not parts.hostname:
        raise ValueError("SWARM_IMAP_URL: use imaps://user:password@host/INBOX (or imap://)")
    if parts.username is None or parts.password is None:
        raise ValueError("SWARM_IMAP_URL: the user and password are part of the URL")
    secure = parts.scheme == "imaps"
    mailbox = unquote(parts.path.lstrip("/")) or "INBOX"
    return ImapTarget(
        secure,
        parts.hostname,
        parts.port or (993 if secure else 143),
        unquote(parts.username),
        unquote(parts.password),
        mailbox,
    )


def _connect(target: ImapTarget) -> imaplib.IMAP4:
    if target.secure:
        context = ssl.create_default_context()
        return imaplib.IMAP4_SSL(
            target.host, target.port, ssl_context=context, timeout=TIMEOUT_SECONDS
        )
    return imaplib.IMAP4(target.host, target.port, timeout=TIMEOUT_SECONDS)


def _quoted(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fetched(data: list[Any]) -> bytes:
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return b""


def poll_once(target: ImapTarget, take: Take) -> int:
    """One round: take in the unread mails; returns how many were taken in. Connection and
    protocol errors propagate (the caller waits and tries again)."""
    conn = _connect(target)
    taken = 0
    try:
        conn.login(target.user, target.password)
        typ, _ = conn.select(_quoted(target.mailbox))
        if typ != "OK":
            raise imaplib.IMAP4.error(f"cannot select mailbox {target.mailbox!r}")
        typ, found = conn.uid("SEARCH", "UNSEEN")
        if typ != "OK":
            raise imaplib.IMAP4.error("UID SEARCH UNSEEN failed")
        uids = (found[0] or b"").split()[:BATCH]
        failures = 0
        for uid in uids:
            if failures >= FAILURES_PER_ROUND:  # the database is away: wait for the next round
                break
            uid_text = uid.decode()
            typ, sized = conn.uid("FETCH", uid_text, "(RFC822.SIZE)")
            match = re.search(
                rb"RFC822\.SIZE (\d+)", b" ".join(x for x in sized if isinstance(x, bytes))
            )
            size = int(match.group(1)) if match else 0
            truncated = size > MAX_MESSAGE_BYTES
            part = f"BODY.PEEK[]<0.{MAX_MESSAGE_BYTES}>" if truncated else "BODY.PEEK[]"
            typ, data = conn.uid("FETCH", uid_text, f"({part})")
            if typ != "OK":
                log.warning("IMAP: cannot read mail %s of %r; next round", uid_text, target)
                continue
            try:
                take(_fetched(data), truncated)
            except Exception:
                log.exception("IMAP: mail %s of %r not taken in; left unread", uid_text, target)
                failures += 1
                continue
            failures = 0
            conn.uid("STORE", uid_text, "+FLAGS.SILENT", "(\\Seen)")
            taken += 1
    finally:
        try:
            conn.logout()
        except Exception:  # the server is gone: nothing to say goodbye to
            log.debug("IMAP logout failed", exc_info=True)
    return taken


def run_poller(target: ImapTarget, take: Take, seconds: float, stop: threading.Event) -> None:
    """Poll until ``stop`` is set; errors of the server wait, doubling, up to five minutes."""
    backoff = seconds
    while not stop.is_set():
        try:
            poll_once(target, take)
        except (OSError, imaplib.IMAP4.error, EOFError) as exc:
            log.warning("IMAP %r unavailable (%s); trying again in %g s", target, exc, backoff)
            stop.wait(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
            continue
        except Exception:
            log.exception("IMAP round failed; trying again in %g s", backoff)
            stop.wait(backoff)
            continue
        backoff = seconds
        stop.wait(seconds)


def start_imap_poller(runtime: Any, stop: threading.Event | None = None) -> threading.Thread:
    """The poller of a running app (the worker, inside ``serve`` or ``swarm worker``)."""
    from swarm.mail.intake import Intake

    intake = Intake.of(runtime)
    target = parse_imap_url(runtime.config.imap_url)

    def take(raw: bytes, truncated: bool) -> IntakeResult:
        return intake.receive(raw, "imap", truncated=truncated)

    thread = threading.Thread(
        target=run_poller,
        args=(target, take, runtime.config.imap_seconds, stop or threading.Event()),
        name="swarm-imap-poller",
        daemon=True,
    )
    thread.start()
    log.info("Polling %r every %g s", target, runtime.config.imap_seconds)
    return thread


def poll_mailbox_once(runtime: Any) -> int:
    """One round for ``swarm worker --once``."""
    from swarm.mail.intake import Intake

    intake = Intake.of(runtime)

    def take(raw: bytes, truncated: bool) -> IntakeResult:
        return intake.receive(raw, "imap", truncated=truncated)

    return poll_once(parse_imap_url(runtime.config.imap_url), take)

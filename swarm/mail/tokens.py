"""Reply tokens: which ticket (and whose copy) a reply to one of our mails belongs to.

A notification about ticket 42 sent to person 7 goes out with

- ``Reply-To: support+r42.7.<mac>@example.org`` — the support address, plus-addressed;
- ``Message-ID: <swarm.42.7.<nonce>.<mac>@example.org>`` — so a client that drops the
  plus-address but keeps ``In-Reply-To``/``References`` still threads;

where ``<mac>`` is an HMAC-SHA256 of ``ticket.person`` (and the nonce, for Message-IDs) under
the instance's secret key, cut to 16 base-32 characters (80 bits). Nobody can forge a token for
a ticket they were not sent mail about, and a guessed ticket id alone is worth nothing.
Parsing never raises: anything that is not a well-formed, correctly signed token is ``None``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

_MAC_CHARS = 16
_REPLY = re.compile(
    r"^r(?P<ticket>[1-9][0-9]{0,18})\.(?P<person>[1-9][0-9]{0,18})\.(?P<mac>[a-z2-7]{16})$"
)
_MESSAGE_ID = re.compile(
    r"^<?swarm\.(?P<ticket>[1-9][0-9]{0,18})\.(?P<person>[1-9][0-9]{0,18})\."
    r"(?P<nonce>[a-z2-7]{8,32})\.(?P<mac>[a-z2-7]{16})@(?P<domain>[^<>@\s]+)>?$"
)


@dataclass(frozen=True)
class ReplyTo:
    """What a token says: the ticket the mail was about and the person it was sent to."""

    ticket_id: int
    person_id: int


def _mac(secret: str, *parts: str) -> str:
    digest = hmac.new(secret.encode(), ".".join(parts).encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:_MAC_CHARS]


def _split(address: str) -> tuple[str, str]:
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain:
        raise ValueError(f"{address!r} is not an e-mail address")
    return local, domain


def reply_address(secret: str, support_address: str, ticket_id: int, person_id: int) -> str:
    """The support address with a signed token for (ticket, person) as its plus-part."""
    local, domain = _split(support_address)
    local = local.split("+", 1)[0]
    mac = _mac(secret, "reply", str(ticket_id), str(person_id))
    return f"{local}+r{ticket_id}.{person_id}.{mac}@{domain}"


def read_reply_address(secret: str, address: str) -> ReplyTo | None:
    """The (ticket, person) of a plus-addressed reply address we issued, else ``None``."""
    try:
        local, _domain = _split(address)
    except ValueError:
        return None
    _base, plus, token = local.partition("+")
    match = _REPLY.match(token.lower()) if plus else None
    if match is None:
        return None
    ticket, person = match["ticket"], match["person"]
    if not hmac.compare_digest(match["mac"], _mac(secret, "reply", ticket, person)):
        return None
    return ReplyTo(int(ticket), int(person))


def message_id(secret: str, domain: str, ticket_id: int, person_id: int) -> str:
    """A fresh ``Message-ID`` (with angle brackets) that names and signs (ticket, person)."""
    nonce = base64.b32encode(secrets.token_bytes(10)).decode().lower()
    mac = _mac(secret, "mid", str(ticket_id), str(person_id), nonce)
    return f"<swarm.{ticket_id}.{person_id}.{nonce}.{mac}@{domain}>"


def read_message_id(secret: str, value: str) -> ReplyTo | None:
    """The (ticket, person) of a ``Message-ID`` we issued (as found in ``In-Reply-To`` or
    ``References``), else ``None``. Also how intake recognises our own mail coming back."""
    match = _MESSAGE_ID.match(value.strip().lower())
    if match is None:
        return None
    ticket, person = match["ticket"], match["person"]
    expected = _mac(secret, "mid", ticket, person, match["nonce"])
    if not hmac.compare_digest(match["mac"], expected):
        return None
    return ReplyTo(int(ticket), int(person))


def read_references(secret: str, *headers: str | None) -> ReplyTo | None:
    """The first of our signed Message-IDs among ``In-Reply-To``/``References`` values."""
    for header in headers:
        for value in re.findall(r"<[^<>]+>", header or ""):
            found = read_message_id(secret, value)
            if found is not None:
                return found
    return None

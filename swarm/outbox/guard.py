"""Where a webhook may call: public addresses only, unless an admin allowed a network.

A webhook URL is typed by an admin, but the request is made by the server, from inside the
network it runs in: ``http://169.254.169.254/`` (a cloud's metadata service),
``http://127.0.0.1:6379/`` or ``http://db.internal/`` would let whoever can register a webhook
reach what only the server can (server-side request forgery). So every call resolves the host
itself, refuses each address that is not globally routable (loopback, private, link-local,
shared, reserved, multicast, unspecified; an IPv4-mapped IPv6 address is judged as its IPv4
one) unless it lies in ``SWARM_WEBHOOK_ALLOWED_NETWORKS``, and connects to the very address it
checked — so a name that resolves to a public address for the check and to a private one for
the connection (DNS rebinding) gains nothing. Redirects are never followed (``worker.py``), and
proxies from the environment are not used: the address checked is the address called.

Examples
--------
>>> guard = AddressGuard.allowing("10.20.0.0/16")
>>> guard.refusal("93.184.215.14") is None
True
>>> guard.refusal("10.20.3.4") is None
True
>>> guard.refusal("10.21.0.1")
'10.21.0.1 is not a public address (allow its network with SWARM_WEBHOOK_ALLOWED_NETWORKS)'
>>> AddressGuard().refusal("::ffff:127.0.0.1") is not None
True
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["AddressGuard", "RefusedAddress", "parse_networks"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedAddress(OSError):
    """Every address the host resolved to was refused; the message says which and why."""


def parse_networks(text: str) -> tuple[Network, ...]:
    """``"10.0.0.0/8, fd00::/8"`` → networks; a bad entry raises ``ValueError`` naming it.

    >>> parse_networks("127.0.0.1, 10.0.0.0/8")
    (IPv4Network('127.0.0.1/32'), IPv4Network('10.0.0.0/8'))
    >>> parse_networks("10.0.0.1/8")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: SWARM_WEBHOOK_ALLOWED_NETWORKS: '10.0.0.1/8' is not a network (...)
    """
    networks = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry))
        except ValueError as exc:
            message = f"SWARM_WEBHOOK_ALLOWED_NETWORKS: {entry!r} is not a network ({exc})"
            raise ValueError(message) from None
    return tuple(networks)


@dataclass(frozen=True)
class AddressGuard:
    """Refuses non-public addresses outside ``allowed``."""

    allowed: tuple[Network, ...] = ()

    @classmethod
    def allowing(cls, *networks: str) -> AddressGuard:
        return cls(parse_networks(",".join(networks)))

    def refusal(self, host_address: str) -> str | None:
        """Why ``host_address`` (an IP address as text) may not be called, or ``None``."""
        address: Address = ipaddress.ip_address(host_address.split("%", 1)[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in network for network in self.allowed):
            return None
        if address.is_global and not address.is_multicast:
            return None
        return (
            f"{address} is not a public address "
            "(allow its network with SWARM_WEBHOOK_ALLOWED_NETWORKS)"
        )

    def connect(
        self,
        address: tuple[str, int],
        timeout: float | None = None,
        source_address: tuple[str, int] | None = None,
    ) -> socket.socket:
        """``socket.create_connection`` that checks every resolved address before calling it
        and calls only the addresses it checked."""
        host, port = address
        refused: list[str] = []
        error: OSError | None = None
        for family, kind, proto, _, where in _resolve(host, port):
            reason = self.refusal(str(where[0]))
            if reason is not None:
                refused.append(reason)
                continue
            sock = socket.socket(family, kind, proto)
            try:
                if timeout is not None:
                    sock.settimeout(timeout)
                if source_address is not None:
                    sock.bind(source_address)
                sock.connect(where)
            except OSError as exc:
                sock.close()
                error = exc
                continue
            return sock
        if error is not None:
            raise error
        if refused:
            raise RefusedAddress(f"refused to call {host}: " + "; ".join(dict.fromkeys(refused)))
        raise OSError(f"{host} resolved to no address")


def _resolve(host: str, port: int) -> Iterable[tuple[int, int, int, str, tuple[object, ...]]]:
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)  # type: ignore[return-value]

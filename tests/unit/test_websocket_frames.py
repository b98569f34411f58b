"""The WebSocket frame masking swarm/server.py puts into gevent-websocket (C when wsaccel is
installed, Python's big integers otherwise) gives exactly the bytes of the reference XOR."""

from __future__ import annotations

import os

import pytest
from geventwebsocket.websocket import Header

from swarm import server


def reference(payload: bytes, mask: bytes) -> bytes:
    return bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


@pytest.mark.parametrize("size", [0, 1, 3, 4, 5, 125, 126, 65_535, 64 * 1024 + 100])
@pytest.mark.parametrize("accelerated", [True, False])
def test_masking_matches_the_reference_both_ways(size, accelerated, monkeypatch):
    assert server.createXorMasker is not None  # wsaccel is in requirements.txt
    if not accelerated:
        monkeypatch.setattr(server, "createXorMasker", None)
    payload, mask = os.urandom(size), os.urandom(4)
    header = Header(
        fin=1, opcode=Header.OPCODE_TEXT if hasattr(Header, "OPCODE_TEXT") else 1, length=size
    )
    header.mask = mask

    masked = header.mask_payload(payload)

    assert bytes(masked) == reference(payload, mask)
    assert bytes(header.unmask_payload(masked)) == payload


def test_gevent_websocket_checks_utf8_in_c():
    from geventwebsocket import utf8validator

    assert utf8validator.Utf8Validator.__module__.startswith("wsaccel")

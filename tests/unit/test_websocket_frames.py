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


class PartialSocket:
    """Takes at most ``room`` bytes per send, like a kernel buffer that is nearly full."""

    def __init__(self, room: int) -> None:
        self.room = room
        self.sends: list[bytes] = []
        self.sendalls: list[bytes] = []

    def send(self, data: bytes) -> int:
        self.sends.append(bytes(data[: self.room]))
        return min(self.room, len(data))

    def sendall(self, data: memoryview) -> None:
        self.sendalls.append(bytes(data))


def test_a_frame_the_kernel_takes_whole_is_one_send():
    sock = PartialSocket(room=1 << 20)
    server.frame_writer(sock)(b"x" * 500)
    assert sock.sends == [b"x" * 500] and sock.sendalls == []


def test_what_one_send_leaves_goes_out_with_sendall_in_order():
    sock = PartialSocket(room=3)
    server.frame_writer(sock)(b"abcdefgh")
    assert sock.sends == [b"abc"] and sock.sendalls == [b"defgh"]


def test_a_large_frame_arrives_whole_over_a_real_socket():
    import socket
    import threading

    left, right = socket.socketpair()
    frame = os.urandom(4 * 1024 * 1024)  # more than the kernel buffers: send is partial
    received = bytearray()

    def read() -> None:
        while len(received) < len(frame):
            received.extend(right.recv(1 << 16))

    reader = threading.Thread(target=read)
    reader.start()
    server.frame_writer(left)(frame)
    reader.join(timeout=30)
    left.close()
    right.close()
    assert bytes(received) == frame


def test_gevent_websocket_writes_frames_through_it():
    import geventwebsocket.handler

    assert geventwebsocket.handler.Stream.__name__ == "_FrameStream"

"""Ask a broker, over a plain socket, which brokers it can serve: the readiness check for a fresh JVM.

A hand-rolled Metadata v4 request keeps the check synchronous, quiet and usable from any thread (the
broker may be restarted from inside a running event loop), which an asyncio client would not be.
"""

from __future__ import annotations

import socket
import struct

METADATA_API_KEY = 3
METADATA_VERSION = 4  # the lowest version every Kafka 4.x broker still accepts
CLIENT_ID = b"devtools-probe"


def live_brokers(host: str, port: int, timeout: float = 2.0) -> set[tuple[int, str, int]]:
    """(node id, host, port) of each broker the cluster reports as unfenced; OSError if none answers."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(_metadata_request())
        (size,) = struct.unpack(">i", _read_exactly(sock, 4))
        return _parse_brokers(_read_exactly(sock, size))


def _metadata_request() -> bytes:
    header = struct.pack(">hhih", METADATA_API_KEY, METADATA_VERSION, 1, len(CLIENT_ID)) + CLIENT_ID
    body = struct.pack(">ib", 0, 0)  # no topics, do not auto-create any
    return struct.pack(">i", len(header) + len(body)) + header + body


def _parse_brokers(payload: bytes) -> set[tuple[int, str, int]]:
    _correlation_id, _throttle_ms, count = struct.unpack_from(">iii", payload, 0)
    offset = 12
    brokers = set()
    for _ in range(count):
        node_id, host_len = struct.unpack_from(">ih", payload, offset)
        offset += 6
        host = payload[offset : offset + host_len].decode()
        offset += host_len
        port, rack_len = struct.unpack_from(">ih", payload, offset)
        offset += 6 + max(rack_len, 0)
        brokers.add((node_id, host, port))
    return brokers


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise ConnectionError("broker closed the connection mid-response")
        chunks += chunk
    return bytes(chunks)

"""Slow-client load shared by the slow-client benchmark and tests: raw sockets that trickle bytes.

`SlowClients(host, port, count, mode)` opens `count` connections and, from one
background thread, sends each one byte every `interval_s`:
  - "headers": a request line, then its headers one byte at a time;
  - "body":    complete headers announcing a multipart upload of `body_bytes` (1 MB), then its body
               one byte at a time (keep it under the server's upload limit, or it is refused at once).
Bounded: it stops by itself after `duration_s`, or when closed.
"""

from __future__ import annotations

import socket
import threading
import time

_BOUNDARY = "slowclientboundary"


def _request_bytes(mode: str, path: str, body_bytes: int) -> bytes:
    if mode == "headers":
        head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        return head.encode() + b"X-Slow: " + b"a" * 4000 + b"\r\n\r\n"
    body = (
        f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="image"; filename="slow.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode() + b"\x00" * body_bytes
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: multipart/form-data; boundary={_BOUNDARY}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class SlowClients:
    """`count` connections that each send one byte per `interval_s`, for at most `duration_s`."""

    def __init__(
        self,
        host: str,
        port: int,
        count: int,
        mode: str = "headers",
        path: str = "/v1/colorize",
        interval_s: float = 1.0,
        duration_s: float = 30.0,
        body_bytes: int = 1_000_000,
    ) -> None:
        self.address = (host, port)
        self.count = count
        self.payload = _request_bytes(mode, path if mode == "body" else "/v1/health", body_bytes)
        # "headers": the request line and the first header arrive at once, the rest trickles.
        self.first = self.payload.index(b"\r\n") + 2 if mode == "headers" else self.payload.index(b"\r\n\r\n") + 4
        self.interval_s = interval_s
        self.duration_s = duration_s
        self.sockets: list[socket.socket] = []
        self.closed_by_server = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="slow-clients", daemon=True)

    def __enter__(self) -> SlowClients:
        for _ in range(self.count):
            connection = socket.create_connection(self.address, timeout=5)
            connection.sendall(self.payload[: self.first])
            self.sockets.append(connection)
        self._thread.start()
        return self

    def _run(self) -> None:
        deadline = time.monotonic() + self.duration_s
        position = self.first
        while not self._stop.wait(self.interval_s) and time.monotonic() < deadline:
            if position >= len(self.payload) - 1:
                break  # never complete the request: the point is to hold it open
            for connection in list(self.sockets):
                try:
                    connection.sendall(self.payload[position : position + 1])
                except OSError:
                    self.sockets.remove(connection)
                    self.closed_by_server += 1
            position += 1

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for connection in self.sockets:
            connection.close()

"""Scoring servers on 127.0.0.1 that answer like ``mlflow models serve``, and record.

``ScoringServer(reply)`` runs a stdlib ``ThreadingHTTPServer`` (HTTP/1.1, keep-alive) in a
thread. Every POST is recorded (path, headers, parsed body, the client's port = which
connection) and answered by ``reply(server, request)``; the default reply echoes the
``id`` column the way the churn model answers: ``prediction`` and ``probability`` per row.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    client_port: int

    @property
    def ids(self) -> list[Any]:
        split = self.body["dataframe_split"]
        column = split["columns"].index("id")
        return [row[column] for row in split["data"]]


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def echo_reply(server: ScoringServer, request: Recorded) -> Reply:
    split = request.body["dataframe_split"]
    rows = split["data"]
    ids = request.ids if "id" in split["columns"] else list(range(len(rows)))
    predictions = [{"prediction": int(i) % 2, "probability": (int(i) % 100) / 100} for i in ids]
    return Reply(body={"predictions": predictions}, delay=server.delay)


class ScoringServer:
    def __init__(self, reply: Callable[[ScoringServer, Recorded], Reply] = echo_reply) -> None:
        self.reply = reply
        self.delay = 0.0
        self.requests: list[Recorded] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as uvicorn does
            # Headers and body in one write (flushed per request by the base class): two
            # small writes meet the client's delayed ACK and cost ~40 ms per request.
            wbufsize = 1 << 16
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                # databricks-sdk probes /.well-known/databricks-config when it builds a Config.
                self._send(Reply(404, {"error_code": "NOT_FOUND", "message": "no such path"}))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                request = Recorded(
                    "POST", self.path, dict(self.headers.items()), body, self.client_address[1]
                )
                with server._lock:
                    server.requests.append(request)
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    reply = server.reply(server, request)
                    if reply.delay:
                        time.sleep(reply.delay)
                finally:
                    with server._lock:
                        server.in_flight -= 1
                self._send(reply)

            def _send(self, reply: Reply) -> None:
                payload = json.dumps(reply.body).encode() if reply.body is not None else b""
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> ScoringServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def connections(self) -> set[int]:
        return {request.client_port for request in self.requests}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])

"""A real HTTP receiver on loopback for the webhook tests: it records every request and answers from a script."""
from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORTS = range(18800, 18900)  # this engineer's range (see PROTOCOL.md), so parallel runs do not collide


@dataclass
class Received:
    headers: dict
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """``script``: what to answer next, one entry per request (an HTTP status, or "hang" to hold the request
    until ``release`` is set); an empty script answers 200. ``got`` is set on each request received."""

    url: str = ""
    script: list = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    got: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    server: ThreadingHTTPServer | None = None

    def ids(self) -> list[str]:
        return [r.json["id"] for r in self.requests]


def start() -> Receiver:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.requests.append(Received(dict(self.headers), body))
            action = receiver.script.pop(0) if receiver.script else 200
            receiver.got.set()
            if action == "hang":
                receiver.release.wait(30)
                action = 200
            try:
                self.send_response(action)
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:  # the sender gave up (timeout) or was killed: nobody is listening
                pass

        def log_message(self, *args):
            pass

    for port in random.sample(PORTS, len(PORTS)):
        try:
            server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
            break
        except OSError:
            continue
    else:  # pragma: no cover - every port of the range taken
        raise RuntimeError("no free port in 18800-18899")
    server.daemon_threads = True
    receiver.server, receiver.url = server, f"http://127.0.0.1:{server.server_address[1]}/hook"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver


def stop(receiver: Receiver) -> None:
    receiver.release.set()
    receiver.server.shutdown()
    receiver.server.server_close()

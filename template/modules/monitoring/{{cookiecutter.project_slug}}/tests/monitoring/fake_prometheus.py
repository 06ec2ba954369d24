"""A local Prometheus HTTP API: answers `/api/v1/query` and `/api/v1/query_range` in
Prometheus's own JSON shapes, from answers a test registers by a fragment of the query, and
records what it was asked. A real HTTP server on a free port, in a thread."""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class FakePrometheus:
    url: str = ""
    # (path, fragment of the query) -> the `data` of a success answer
    answers: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    asked: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    broken: bool = False

    def vector(self, fragment: str, *samples: tuple[dict[str, str], float]) -> None:
        self.answers[("/api/v1/query", fragment)] = {
            "resultType": "vector",
            "result": [
                {"metric": labels, "value": [1700000000.0, repr(value)]}
                for labels, value in samples
            ],
        }

    def matrix(
        self, fragment: str, *series: tuple[dict[str, str], list[tuple[float, float]]]
    ) -> None:
        self.answers[("/api/v1/query_range", fragment)] = {
            "resultType": "matrix",
            "result": [
                {"metric": labels, "values": [[t, repr(v)] for t, v in points]}
                for labels, points in series
            ],
        }

    def answer(self, path: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.asked.append((path, params))
        if self.broken:
            return 503, {"status": "error", "errorType": "unavailable", "error": "overloaded"}
        if "query" not in params:
            return 400, {"status": "error", "errorType": "bad_data", "error": "no query"}
        for (where, fragment), data in self.answers.items():
            if where == path and fragment in params["query"]:
                return 200, {"status": "success", "data": data}
        kind = "matrix" if path.endswith("query_range") else "vector"
        return 200, {"status": "success", "data": {"resultType": kind, "result": []}}


@contextmanager
def serve() -> Iterator[FakePrometheus]:
    fake = FakePrometheus()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            parts = urlsplit(self.path)
            params = {key: values[-1] for key, values in parse_qs(parts.query).items()}
            status, body = fake.answer(parts.path, params)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

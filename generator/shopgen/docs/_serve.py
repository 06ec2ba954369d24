"""`serve`: the page on 127.0.0.1, rebuilt whenever the contract or the theme changes."""

from __future__ import annotations

import html
import sys
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from shopgen.errors import UserError
from shopgen.resources import bundled_contract

from ._build import build
from ._options import DocsOptions

__all__ = ["serve"]

_MAX_WATCHED = 1000
_SKIP_DIRS = frozenset({".git", "node_modules", "__pycache__", ".venv", "venv"})
_WATCHED_SUFFIXES = frozenset({".yaml", ".yml", ".json"})


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def serve(
    contract: Path | None,
    output: Path,
    options: DocsOptions | None = None,
    *,
    port: int = 8000,
    ready: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
    log: Callable[[str], None] = _stderr,
    interval: float = 0.3,
) -> None:
    """Build, serve `output` at `http://127.0.0.1:<port>/`, and rebuild on every change.

    Blocks until `stop` is set (or Ctrl-C). A failed rebuild is reported and the previous page
    stays served. `ready` receives the URL once the server listens (port 0 picks a free one).
    """
    options = options or DocsOptions()
    path = contract if contract is not None else bundled_contract()
    state = _State(output)

    def rebuild() -> None:
        try:
            result = build(path, output, options)
        except UserError as error:
            state.error = str(error)
            log(f"shopgen: {error}")
            return
        state.error = None
        for line in result.messages:
            log(line)
        log(f"Wrote {result.output}")

    watched = [p for p in (path, options.theme, options.redoc_js) if p is not None]
    stamp = _stamp(watched, path.parent)
    rebuild()
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), _handler(state))
    except OSError as error:
        raise UserError(
            f"cannot listen on 127.0.0.1:{port}: {error.strerror}; choose another --port"
        ) from None
    thread = threading.Thread(target=server.serve_forever, name="shopgen-docs", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    log(f"Serving {url} (Ctrl-C stops); the page is rebuilt when {path.name} changes")
    if ready is not None:
        ready(url)
    stop = stop or threading.Event()
    try:
        while not stop.wait(interval):
            current = _stamp(watched, path.parent)
            if current != stamp:
                stamp = current
                rebuild()
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class _State:
    def __init__(self, output: Path) -> None:
        self.output = output
        self.error: str | None = None


def _stamp(files: list[Path], directory: Path) -> tuple[tuple[str, int, int], ...]:
    """Modification stamps of the given files and of the documents beside the contract."""
    candidates = list(files)
    for count, candidate in enumerate(_documents(directory)):
        if count >= _MAX_WATCHED:
            break
        candidates.append(candidate)
    stamps = []
    for candidate in candidates:
        try:
            stat = candidate.stat()
        except OSError:
            stamps.append((str(candidate), -1, -1))
            continue
        stamps.append((str(candidate), stat.st_mtime_ns, stat.st_size))
    return tuple(sorted(set(stamps)))


def _documents(directory: Path) -> list[Path]:
    found: list[Path] = []
    pending = [directory]
    while pending and len(found) < _MAX_WATCHED:
        current = pending.pop()
        try:
            entries = list(current.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith(".") or entry.name in _SKIP_DIRS:
                continue
            if entry.is_dir():
                pending.append(entry)
            elif entry.suffix in _WATCHED_SUFFIXES:
                found.append(entry)
    return found


def _handler(state: _State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "shopgen-docs"

        def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
            self._respond(body=True)

        def do_HEAD(self) -> None:  # noqa: N802
            self._respond(body=False)

        def _respond(self, *, body: bool) -> None:
            route = self.path.split("?", 1)[0]
            if route not in ("/", "/index.html", "/" + state.output.name):
                self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain", body=body)
                return
            try:
                page = state.output.read_bytes()
            except OSError:
                message = state.error or "the page has not been built yet"
                text = (
                    f"<!DOCTYPE html><title>Build failed</title><pre>{html.escape(message)}</pre>"
                )
                self._send(HTTPStatus.SERVICE_UNAVAILABLE, text.encode(), "text/html", body=body)
                return
            self._send(HTTPStatus.OK, page, "text/html", body=body)

        def _send(self, status: HTTPStatus, data: bytes, kind: str, *, body: bool) -> None:
            self.send_response(status)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if body:
                self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            """Requests are not worth a line each while writing docs."""

    return Handler

"""`serve`: the mock over HTTP, rebuilt whenever the contract (or a file beside it) changes."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from shopgen.contract import Contract
from shopgen.errors import UserError

from ._app import Mock, MockOptions
from ._exchange import Code, MockRequest, MockResponse, envelope_error

__all__ = ["lint_errors", "load_mock", "serve"]

MAX_BODY = 1024 * 1024
"""The generated service's default `MAX_BODY_BYTES`: a larger body is a 413 (41301) there too."""
_MAX_WATCHED = 1000
_SKIP_DIRS = frozenset({".git", "node_modules", "__pycache__", ".venv", "venv"})
_WATCHED_SUFFIXES = frozenset({".yaml", ".yml", ".json"})


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def load_mock(contract: Path, options: MockOptions) -> Mock:
    """Load `contract` and build its mock; `UserError` when it cannot be read."""
    from shopgen.contract import load_contract

    return Mock(load_contract(contract), options)


def lint_errors(contract: Contract) -> list[str]:
    """The contract's lint errors, one line each: the mock serves them anyway, but says so."""
    from shopgen import lint

    return [
        f"{contract.path}:{f.line}:{f.column}: {f.message} [{f.rule}]"
        for f in lint.lint_contract(contract).errors
    ]


def serve(
    contract: Path,
    options: MockOptions | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 4010,
    ready: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
    log: Callable[[str], None] = _stderr,
    interval: float = 0.3,
) -> None:
    """Serve the mock of `contract` until `stop` is set (or Ctrl-C).

    The server listens as soon as the contract is loaded; the contract is then linted while
    requests are answered, and its lint errors are printed (a mock is for trying a contract
    while it is being written, so they do not stop it). The contract is reloaded when it or a
    YAML/JSON file beside it changes; one that no longer loads is reported and the previous
    mock keeps answering. A reload starts the stateful store afresh. `ready` receives the base
    URL once the server listens.
    """
    options = options or MockOptions()
    state = _State(load_mock(contract, options))
    stamp = _stamp(contract)
    try:
        server = ThreadingHTTPServer((host, port), _handler(state, log))
    except OSError as error:
        raise UserError(
            f"cannot listen on {host}:{port}: {error.strerror}; choose another --port"
        ) from None
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="shopgen-mock", daemon=True)
    thread.start()
    url = f"http://{host}:{server.server_address[1]}"
    mode = "stateful" if options.stateful else "stateless"
    log(
        f"Mocking {state.mock.contract.title} ({len(state.mock.contract.operations)} operations, "
        f"{mode}, seed {options.seed}) at {url} (Ctrl-C stops); the contract is at "
        f"{url}/openapi.json and is reloaded when {contract.name} changes"
    )
    if ready is not None:
        ready(url)
    _check(state.mock, log)
    stop = stop or threading.Event()
    try:
        while not stop.wait(interval):
            current = _stamp(contract)
            if current == stamp:
                continue
            stamp = current
            try:
                state.mock = load_mock(contract, options)
            except UserError as error:
                log(f"shopgen: {error}; still serving the previous contract")
                continue
            log(f"Reloaded {contract.name}: {len(state.mock.contract.operations)} operations")
            _check(state.mock, log)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _check(mock: Mock, log: Callable[[str], None]) -> None:
    """Ready the validators and lint, while the server thread already answers.

    This runs on the main thread on purpose: openapi-spec-validator-rs crashes the process when
    a second thread uses it after a first one has ended.
    """
    mock.schemas.prepare()
    errors = lint_errors(mock.contract)
    if errors:
        log(f"shopgen: {len(errors)} lint error(s); the mock serves the contract anyway:")
        for line in errors:
            log(f"  {line}")


class _State:
    def __init__(self, mock: Mock) -> None:
        self.mock = mock


def _stamp(contract: Path) -> tuple[tuple[str, int, int], ...]:
    """Modification stamps of the contract and the documents beside it (its `$ref` targets)."""
    candidates = [contract, *_documents(contract.parent)]
    stamps = []
    for candidate in candidates[:_MAX_WATCHED]:
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


def _handler(state: _State, log: Callable[[str], None]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "shopgen-mock"
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self.close_connection = True
                msg = f"Request body is larger than {MAX_BODY} bytes"
                self._send(
                    envelope_error(
                        413, 41301, msg, headers={"Connection": "close"}, note="body too large"
                    ),
                    body=True,
                )
                return
            body = self.rfile.read(length) if length > 0 else b""
            request = MockRequest(
                method=self.command,
                path=parts.path or "/",
                query=parse_qs(parts.query, keep_blank_values=True),
                headers={name.lower(): value for name, value in self.headers.items()},
                body=body,
            )
            mock = state.mock
            try:
                response = mock.handle(request)
            except Exception as error:  # a bug in the mock must not take the server down
                log(f"shopgen mock: internal error on {self.command} {parts.path}: {error!r}")
                response = envelope_error(500, Code.INTERNAL, "Internal mock error")
            self._send(response, body=self.command != "HEAD")
            match = f" {response.note}" if response.note else ""
            log(f"{self.command} {self.path} → {response.status}{match}")

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve  # noqa: N815

        def _send(self, response: MockResponse, *, body: bool) -> None:
            data = response.encode()
            self.send_response(response.status, _phrase(response.status))
            for name, value in response.headers.items():
                self.send_header(name, value)
            if data:
                kind = response.media_type or "application/json"
                charset = (
                    "; charset=utf-8" if kind.endswith("json") or kind.startswith("text/") else ""
                )
                self.send_header("Content-Type", kind + charset)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if body and data:
                self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            """Requests are logged by `_serve`, one line each, with why they got their answer."""

    return Handler


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""

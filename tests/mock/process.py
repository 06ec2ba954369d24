"""`shopgen mock` run as a process on a free port, for the tests that talk to it over HTTP."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from ..e2e.conftest import free_port

DEADLINE = 20.0


def wait_for(condition: Callable[[], bool], what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            detail = f"\n{log.read_text()}" if log is not None else ""
            raise AssertionError(f"timed out waiting for {what}{detail}")
        time.sleep(0.02)


@contextmanager
def run_mock(tmp_path: Path, *args: str) -> Iterator[tuple[httpx.Client, Path]]:
    port = free_port()
    log = tmp_path / f"mock-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "shopgen", "mock", "--port", str(port), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:

            def up() -> bool:
                assert process.poll() is None, log.read_text()
                try:
                    http.get("/openapi.json")
                except httpx.TransportError:
                    return False
                return True

            wait_for(up, "the mock to listen", log)
            yield http, log
    finally:
        process.terminate()
        process.wait(timeout=10)

"""The processes a run starts: the service, the ceiling and the profiled service."""

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

STARTUP_DEADLINE = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def uvicorn_command(app: str, port: int, *, workers: int, factory: bool = True) -> list[str]:
    """uvicorn as the image runs it, without the access log (a log line per request would be
    measured too; put one in front, at the proxy)."""
    command = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    if factory:
        command.append("--factory")
    command += ["--workers", str(workers), "--no-access-log", "--no-server-header"]
    return command + ["--log-level", "warning"]


@contextmanager
def running(
    command: list[str], env: Mapping[str, str], log: Path, port: int, ready_path: str
) -> Iterator[str]:
    """Start `command`, wait until `ready_path` answers, yield the base URL, stop it."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=dict(env), stdout=out, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_DEADLINE
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command[3]} exited; see {log}:\n{_tail(log)}")
            try:
                if httpx.get(base_url + ready_path, timeout=2).status_code < 500:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{command[3]} did not start; see {log}:\n{_tail(log)}")
            time.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])

"""A real redis-server for the tests, as pytest-redis runs one: a process per test session
on a free port, with nothing saved to disk.

Where `redis-server` is missing, tests that need it skip, unless `CI` is set: there it is
installed on purpose, so its absence is a failure.
"""

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis

STARTUP_DEADLINE = 10.0


def redis_server_executable() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    reason = "redis-server is not installed (apt install redis-server)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must provide it")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """One redis-server process that tests may stop and start again on the same port."""

    def __init__(self, executable: str, directory: Path) -> None:
        self.executable = executable
        self.directory = directory
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        command = [
            self.executable,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.directory),
        ]
        self._process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        client = redis.Redis(port=self.port, socket_timeout=0.5, socket_connect_timeout=0.5)
        deadline = time.monotonic() + STARTUP_DEADLINE
        try:
            while True:
                if self._process.poll() is not None:
                    raise RuntimeError(f"redis-server exited with {self._process.returncode}")
                try:
                    if client.ping():
                        return
                except redis.ConnectionError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("redis-server did not answer in time") from None
                    time.sleep(0.02)
        finally:
            client.close()

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None


def fresh_redis_url(request: pytest.FixtureRequest) -> str:
    """The session's redis-server (started on first use), emptied for this test.

    Taken through `request` so that the variants of a test that run without Redis do not
    need `redis-server` at all.
    """
    server: RedisServer = request.getfixturevalue("redis_server")
    if not server.running:
        server.start()
    with redis.Redis.from_url(server.url) as client:
        client.flushall()
    return server.url

"""A redis-server process that a test can stop and start again on the same port."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import redis

from .conftest import free_port

STARTUP_DEADLINE = 10.0


def redis_server_executable() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    reason = "redis-server is not installed (.ci/run installs it)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must provide it")
    pytest.skip(reason)


class RedisProcess:
    def __init__(self, directory: Path) -> None:
        self.executable = redis_server_executable()
        self.directory = directory
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=2, socket_connect_timeout=2)

    def start(self) -> None:
        command = [self.executable, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.directory)]
        self._process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + STARTUP_DEADLINE
        with self.client() as client:
            while True:
                if self._process.poll() is not None:
                    raise AssertionError(f"redis-server exited with {self._process.returncode}")
                try:
                    if client.ping():
                        return
                except redis.ConnectionError:
                    assert time.monotonic() < deadline, "redis-server did not answer"
                    time.sleep(0.02)

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

"""Many instances of one service behind a real nginx: separate uvicorn processes (one worker
each, own ports) that a test can kill, and nginx balancing them as a load balancer in front
of a cluster would."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import httpx
import pytest

from .conftest import STARTUP_DEADLINE, free_port


def nginx_executable() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").is_file() else None
    )
    if found:
        return found
    reason = "nginx is not installed (.ci/run installs it)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must provide it")
    pytest.skip(reason)


def _wait_until(
    description: str, ready: Callable[[], bool], process: subprocess.Popen[bytes], log: Path
) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE
    while not ready():
        if process.poll() is not None:
            raise AssertionError(f"{description} exited:\n{log.read_text(errors='replace')}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{description} did not start:\n{log.read_text(errors='replace')}")
        time.sleep(0.05)


class Instance:
    """One uvicorn process serving the project, as one replica would."""

    def __init__(self, project: Path, env: Mapping[str, str], name: str) -> None:
        self.project = project
        self.env = dict(env)
        self.name = name
        self.port = free_port()
        self.log = project / f"uvicorn-{name}.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory"]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--no-server-header"]
        command += ["--timeout-graceful-shutdown", "20"]
        with self.log.open("ab") as out:
            self._process = subprocess.Popen(
                command, cwd=self.project, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        _wait_until(f"instance {self.name}", self._live, self._process, self.log)

    def _live(self) -> bool:
        try:
            return httpx.get(f"{self.base_url}/livez", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def kill(self) -> None:
        """SIGKILL: the instance dies mid-request, as on a crash or an OOM kill."""
        assert self._process is not None
        self._process.send_signal(signal.SIGKILL)
        self._process.wait()
        self._process = None

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None


class Nginx:
    """nginx round-robin over `upstreams`; retries another instance only for a request none
    has seen (connection refused or reset before sending), as its default is."""

    def __init__(self, upstreams: Sequence[int]) -> None:
        self.executable = nginx_executable()
        self.upstreams = list(upstreams)
        self.port = free_port()
        # nginx's workers drop root; they must reach their temporary directories.
        self.directory = Path(tempfile.mkdtemp(prefix="shopgen-nginx-"))
        self.directory.chmod(0o755)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def access_log(self) -> Path:
        return self.directory / "access.log"

    def start(self) -> None:
        d = self.directory
        servers = "".join(
            f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;\n"
            for port in self.upstreams
        )
        temp = "".join(
            f"    {kind}_temp_path {d}/{kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        config = d / "nginx.conf"
        config.write_text(
            f"daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n"
            "events { worker_connections 1024; }\n"
            "http {\n"
            "    log_format upstream '$status $upstream_addr $upstream_status $request_uri';\n"
            f"    access_log {d}/access.log upstream;\n"
            f"{temp}"
            "    upstream shop {\n"
            f"{servers}"
            "        keepalive 32;\n"
            "    }\n"
            "    server {\n"
            f"        listen 127.0.0.1:{self.port};\n"
            "        location / {\n"
            "            proxy_pass http://shop;\n"
            "            proxy_http_version 1.1;\n"
            '            proxy_set_header Connection "";\n'
            "            proxy_set_header Host $host;\n"
            "            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
            "            proxy_connect_timeout 2s;\n"
            "            proxy_read_timeout 60s;\n"
            "            proxy_next_upstream error timeout;\n"
            "        }\n"
            "    }\n"
            "}\n"
        )
        log = d / "nginx.out"
        with log.open("wb") as out:
            self._process = subprocess.Popen(
                [self.executable, "-p", str(d), "-c", str(config)],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        _wait_until("nginx", self._listening, self._process, log)

    def _listening(self) -> bool:
        try:
            httpx.get(f"{self.base_url}/livez", timeout=1)
        except httpx.TransportError:
            return False
        return True

    def served_by(self) -> dict[str, int]:
        """How many answers each upstream gave, from the access log."""
        counts: dict[str, int] = {}
        for line in self.access_log.read_text().splitlines():
            for upstream in line.split()[1].split(","):
                counts[upstream.strip()] = counts.get(upstream.strip(), 0) + 1
        return counts

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        shutil.rmtree(self.directory, ignore_errors=True)

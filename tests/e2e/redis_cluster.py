"""A real Redis Cluster of three masters, from the same `redis-server` binary: each node on a
free port (and a free cluster-bus port), joined by `redis-cli --cluster create`."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import redis

from .conftest import free_port
from .redis_process import redis_server_executable

MASTERS = 3
STARTUP_DEADLINE = 20.0


def redis_cli_executable() -> str:
    redis_server_executable()  # skips or fails exactly as a missing server does
    found = shutil.which("redis-cli")
    assert found, "redis-cli comes with redis-server (package redis-tools)"
    return found


class RedisCluster:
    def __init__(self, directory: Path) -> None:
        self.server = redis_server_executable()
        self.cli = redis_cli_executable()
        self.directory = directory
        self.ports = [free_port() for _ in range(MASTERS)]
        self._processes: list[subprocess.Popen[bytes]] = []

    @property
    def url(self) -> str:
        """What a service is configured with: any one node, the client finds the rest."""
        return f"redis-cluster://127.0.0.1:{self.ports[0]}"

    def client(self) -> redis.RedisCluster:
        return redis.RedisCluster(
            host="127.0.0.1", port=self.ports[0], socket_timeout=2, socket_connect_timeout=2
        )

    def node(self, port: int) -> redis.Redis:
        return redis.Redis(port=port, socket_timeout=2, socket_connect_timeout=2)

    def start(self) -> None:
        for port in self.ports:
            node_dir = self.directory / str(port)
            node_dir.mkdir()
            command = [self.server, "--port", str(port), "--bind", "127.0.0.1"]
            command += ["--cluster-enabled", "yes", "--cluster-port", str(free_port())]
            command += ["--cluster-config-file", str(node_dir / "nodes.conf")]
            command += ["--cluster-node-timeout", "2000", "--dir", str(node_dir)]
            command += ["--save", "", "--appendonly", "no"]
            self._processes.append(
                subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            )
        for port in self.ports:
            self._wait(port, lambda client: bool(client.ping()))
        nodes = [f"127.0.0.1:{port}" for port in self.ports]
        created = subprocess.run(
            [self.cli, "--cluster", "create", *nodes, "--cluster-replicas", "0", "--cluster-yes"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert created.returncode == 0, created.stdout + created.stderr
        for port in self.ports:
            self._wait(port, _covers_every_slot)

    def _wait(self, port: int, ready: Callable[[redis.Redis], bool]) -> None:
        deadline = time.monotonic() + STARTUP_DEADLINE
        with self.node(port) as client:
            while True:
                try:
                    if ready(client):
                        return
                except redis.ConnectionError:
                    pass
                for process in self._processes:
                    assert process.poll() is None, f"redis-server exited ({process.returncode})"
                assert time.monotonic() < deadline, f"cluster node {port} not ready"
                time.sleep(0.05)

    def flush(self) -> None:
        for port in self.ports:
            with self.node(port) as client:
                client.flushall()

    def stop(self) -> None:
        for process in self._processes:
            process.terminate()
        for process in self._processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._processes = []


def _covers_every_slot(client: redis.Redis) -> bool:
    info = client.cluster("info")
    assert isinstance(info, dict)
    return info.get("cluster_state") == "ok" and int(info.get("cluster_slots_ok", 0)) == 16384

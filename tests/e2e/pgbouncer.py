"""A real PgBouncer in transaction pooling mode in front of the test PostgreSQL server, and
databases of their own for the tests that use it."""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import URL, make_url

from .conftest import POSTGRES_ENV, free_port

STARTUP_DEADLINE = 15.0


def postgres_url() -> URL:
    """The test PostgreSQL server, from SHOPGEN_TEST_POSTGRES_URL; CI always sets it."""
    value = os.environ.get(POSTGRES_ENV)
    if not value:
        if os.environ.get("CI"):
            pytest.fail(f"{POSTGRES_ENV} is not set; CI must provide PostgreSQL")
        pytest.skip(f"set {POSTGRES_ENV} to a PostgreSQL database URL")
    return make_url(value)


def pgbouncer_executable() -> str:
    found = shutil.which("pgbouncer") or (
        "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").is_file() else None
    )
    if found:
        return found
    reason = "pgbouncer is not installed (.ci/run installs it)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must provide it")
    pytest.skip(reason)


async def _recreate(server: URL, name: str) -> None:
    connection = await asyncpg.connect(
        host=server.host, port=server.port, user=server.username, database=server.database
    )
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


def fresh_database(suffix: str) -> URL:
    """An empty database named after the test server's (`<database>_<suffix>`), made anew."""
    server = postgres_url()
    name = f"{server.database}_{suffix}"
    asyncio.run(_recreate(server, name))
    return server.set(database=name)


class PgBouncer:
    """pgbouncer with `pool_mode = transaction` and few server connections, so consecutive
    transactions of one client do land on different server connections."""

    def __init__(self, server: URL, pool_size: int = 4) -> None:
        self.executable = pgbouncer_executable()
        self.server = server
        self.pool_size = pool_size
        self.port = free_port()
        # Outside pytest's private temporary directories: pgbouncer drops root for another
        # user, who must still read its files.
        self.directory = Path(tempfile.mkdtemp(prefix="shopgen-pgbouncer-"))
        self.directory.chmod(0o755)
        self._process: subprocess.Popen[bytes] | None = None

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://{self.server.username}@127.0.0.1:{self.port}/{database}"

    @property
    def log(self) -> Path:
        return self.directory / "pgbouncer.log"

    def start(self) -> None:
        users = self.directory / "users.txt"
        users.write_text(f'"{self.server.username}" ""\n')
        config = self.directory / "pgbouncer.ini"
        config.write_text(
            "[databases]\n"
            f"* = host={self.server.host} port={self.server.port}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {users}\n"
            f"pool_mode = transaction\ndefault_pool_size = {self.pool_size}\n"
            "max_client_conn = 1000\n"
        )
        for path in (users, config):
            path.chmod(0o644)
        command = [self.executable]
        if os.geteuid() == 0:  # pgbouncer refuses to run as root
            command += ["-u", _unprivileged_user()]
        with self.log.open("wb") as out:
            self._process = subprocess.Popen(
                [*command, str(config)], stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + STARTUP_DEADLINE
        while True:
            assert self._process.poll() is None, f"pgbouncer exited:\n{self.log.read_text()}"
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                assert time.monotonic() < deadline, "pgbouncer did not listen in time"
                time.sleep(0.05)

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


def _unprivileged_user() -> str:
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise AssertionError("no unprivileged user to run pgbouncer as")

"""Baked projects, shared by the whole session: baking is fast, but every test here runs the
generated project in subprocesses, so each contract is baked once."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from shopgen import render
from shopgen.resources import specs_dir

if TYPE_CHECKING:
    from .pgbouncer import PgBouncer
    from .redis_cluster import RedisCluster

POSTGRES_ENV = "SHOPGEN_TEST_POSTGRES_URL"
STARTUP_DEADLINE = 30.0


def bake(root: Path, contract: Path | None, **overrides: str) -> Path:
    return render.new(
        contract,
        output_dir=root,
        no_input=True,
        overrides=overrides,
        force=False,
        skip_lint=False,
    )


@pytest.fixture(scope="session")
def canonical_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bake(tmp_path_factory.mktemp("canonical"), None)


@pytest.fixture(scope="session")
def shopify_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The canonical contract with Shopify sync on."""
    return bake(tmp_path_factory.mktemp("shopify"), None, shopify_sync="true")


@pytest.fixture(scope="session")
def catalogue_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    contract = specs_dir() / "examples" / "catalogue.openapi.yaml"
    return bake(tmp_path_factory.mktemp("catalogue"), contract, project_name="Tea Catalogue")


@pytest.fixture(scope="session")
def coupons_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Products gain `brand`, `weight_grams` and `tags`; orders gain coupon amounts."""
    contract = specs_dir() / "examples" / "coupons.openapi.yaml"
    return bake(tmp_path_factory.mktemp("coupons"), contract)


@pytest.fixture(scope="session")
def b2b_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Products, users and orders all gain fields, some only responses carry."""
    contract = specs_dir() / "examples" / "b2b.openapi.yaml"
    return bake(tmp_path_factory.mktemp("b2b"), contract)


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisCluster]:
    """A real three-master Redis Cluster, one per session: tests flush it when they start."""
    from .redis_cluster import RedisCluster

    cluster = RedisCluster(tmp_path_factory.mktemp("redis-cluster"))
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def pgbouncer() -> Iterator[PgBouncer]:
    """A real PgBouncer in transaction pooling mode in front of the test PostgreSQL server."""
    from .pgbouncer import PgBouncer, postgres_url

    bouncer = PgBouncer(postgres_url())
    bouncer.start()
    yield bouncer
    bouncer.stop()


def project_env(**extra: str) -> dict[str, str]:
    """The environment a generated project runs in: ours, minus anything that would steer it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TEST_"))}
    env.pop("DATABASE_URL", None)
    env.update(extra)
    return env


def run(
    args: list[str], project: Path, env: Mapping[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=project,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve(project: Path, env: Mapping[str, str], *, workers: int = 1) -> Iterator[httpx.Client]:
    """Run the project under uvicorn on a free port until the block ends."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "app.main:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        # As the image runs it: no `server: uvicorn` banner.
        "--no-server-header",
    ]
    if workers > 1:
        command += ["--workers", str(workers)]
    log = project / "uvicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=project, env=dict(env), stdout=out, stderr=subprocess.STDOUT
        )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            deadline = time.monotonic() + STARTUP_DEADLINE
            while True:
                if process.poll() is not None:
                    raise AssertionError(f"uvicorn exited:\n{log.read_text()}")
                try:
                    client.get("/metrics")
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise AssertionError(f"uvicorn did not start:\n{log.read_text()}") from None
                    time.sleep(0.05)
            yield client
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def ruff() -> str | None:
    found = shutil.which("ruff")
    if found:
        return found
    candidate = Path(sys.executable).with_name("ruff")
    return str(candidate) if candidate.is_file() else None

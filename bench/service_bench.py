#!/usr/bin/env python3
"""Generated-service benchmark: `listProducts` and `createOrder` over HTTP, against a ceiling.

Bakes the canonical contract, migrates a SQLite database and serves the project with uvicorn
(one worker, no access log), first without Redis and then with a real `redis-server` in front
of the stock. The ceiling is a bare FastAPI app under the same uvicorn flags that returns, from
memory, the very JSON the service answers for the product list.

The load generator is this script in `--drive` mode, in a process of its own: an asyncio loop
(uvloop) over raw sockets, HTTP/1.1 keep-alive, a fixed number of connections each sending its
next request as soon as the previous answer is read. `wrk` is not installed here; one driver
serves every target in the same run, so the ratios compare like with like (on 2 cores the
driver and the server share the machine; absolute figures are lower than wrk's).

After the `createOrder` throughput run, a flash sale checks for oversell under load: the same
connections hammer a product with few units; exactly that many orders may succeed and the
stock must end at 0 in the database (and in Redis). The service bench section of
`bench/RESULTS.md` is rewritten between this script's markers.

    python bench/service_bench.py                  # 10 s per measurement, updates RESULTS.md
    python bench/service_bench.py --seconds 3 --no-write
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
BEGIN = "<!-- BEGIN service-bench: written by bench/service_bench.py -->"
END = "<!-- END service-bench -->"
HEADING = "## Generated service"
TARGET_RATIO = 0.5
LIST = "/api/v1/products"
PRODUCTS = 20
FLASH_STOCK = 100
ADMIN = {"email": "bench-admin@example.com", "password": "bench-admin-password"}
CUSTOMER = {"email": "bench-buyer@example.com", "password": "bench-buyer-password"}
BARE_APP = """
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI
from pydantic import BaseModel


class Product(BaseModel):
    id: int
    sku: str
    title: str
    description: str
    price_cents: int
    currency: str
    stock: int
    status: str
    category: str | None
    images: list[str]
    created_at: datetime
    updated_at: datetime


class Page(BaseModel):
    items: list[Product]
    total: int
    page: int
    limit: int


class Envelope(BaseModel):
    code: int
    data: Page
    msg: str


DATA = Envelope.model_validate_json(Path(__file__).with_name("products.json").read_bytes())
app = FastAPI()


@app.get("/api/v1/products")
async def list_products() -> Envelope:
    return DATA
"""


# -- the driver (runs in its own process) -------------------------------------------------


@dataclass
class Load:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    statuses: dict[str, int]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


async def _read_response(reader: asyncio.StreamReader) -> int:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("server closed the connection")
    status = int(status_line.split(b" ", 2)[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length:
        await reader.readexactly(length)
    return status


def _request(spec: dict[str, Any]) -> bytes:
    headers = dict(spec.get("headers", {}))
    body = spec.get("body", "").encode()
    if spec.get("idempotent"):
        headers["Idempotency-Key"] = uuid.uuid4().hex
    lines = [f"{spec['method']} {spec['path']} HTTP/1.1", f"Host: {spec['host']}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _drive(spec: dict[str, Any]) -> Load:
    host, port = spec["host"].split(":")
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    warm_until = time.perf_counter() + spec["warmup"]
    stop_at = warm_until + spec["seconds"]
    fixed = None if spec.get("idempotent") else _request(spec)

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while (now := time.perf_counter()) < stop_at:
                writer.write(fixed or _request(spec))
                status = await _read_response(reader)
                if now >= warm_until:
                    latencies.append(time.perf_counter() - now)
                    statuses[str(status)] += 1
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(spec["connections"])))
    latencies.sort()
    return Load(
        requests=len(latencies),
        seconds=spec["seconds"],
        p50_ms=1000 * latencies[len(latencies) // 2],
        p99_ms=1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        statuses=dict(statuses),
    )


def drive_main(spec_json: str) -> None:
    try:
        import uvloop
    except ImportError:
        runner = asyncio.run
    else:
        runner = uvloop.run
    load = runner(_drive(json.loads(spec_json)))
    print(json.dumps(asdict(load)))


def drive(host: str, connections: int, seconds: float, warmup: float, **request: Any) -> Load:
    spec = {
        "host": host,
        "connections": connections,
        "seconds": seconds,
        "warmup": warmup,
        "method": "GET",
        **request,
    }
    result = subprocess.run(
        [sys.executable, __file__, "--drive", json.dumps(spec)],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + warmup + 120,
    )
    return Load(**json.loads(result.stdout))


# -- the servers --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def uvicorn(directory: Path, app: str, env: dict[str, str], *factory: str) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", app, *factory, "--host", "127.0.0.1"]
    command += ["--port", str(port), "--no-access-log", "--log-level", "warning"]
    log = directory / f"uvicorn-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=directory, env=env, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"uvicorn exited:\n{log.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"uvicorn did not start:\n{log.read_text()}") from None
                time.sleep(0.05)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        text = log.read_text(errors="replace")
        if "Traceback" in text:
            start = text.index("Traceback")
            print(f"{app} logged errors:\n{text[start : start + 3000]}", file=sys.stderr)


@contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    executable = shutil.which("redis-server")
    if executable is None:
        raise SystemExit("redis-server is not installed")
    port = free_port()
    command = [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    process = subprocess.Popen(
        [*command, "--dir", str(directory)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def bake(scratch: Path) -> Path:
    from shopgen import render

    return render.new(
        None, output_dir=scratch, no_input=True, overrides={}, force=False, skip_lint=True
    )


def project_env(project: Path, database: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TEST_"))}
    env.update(
        ENVIRONMENT="production",
        DATABASE_URL=f"sqlite+aiosqlite:///{database}",
        JWT_SECRET="bench-jwt-secret-" + "z" * 40,
        FIRST_SUPERUSER_EMAIL=ADMIN["email"],
        FIRST_SUPERUSER_PASSWORD=ADMIN["password"],
        LOG_LEVEL="WARNING",
        ARGON2_TIME_COST="1",
        ARGON2_MEMORY_KIB="8192",
        ARGON2_PARALLELISM="1",
        # One customer stands for every buyer: throughput, not the per-customer limits.
        RATE_LIMITS_ENABLED="false",
        MAX_PENDING_ORDERS="10000000",
        MAX_HELD_UNITS_PER_PRODUCT="10000000",
        **extra,
    )
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
    )
    return env


@dataclass
class Shop:
    customer: dict[str, str]
    product_ids: list[int]
    flash_id: int


def stock_shop(host: str) -> Shop:
    with httpx.Client(base_url=f"http://{host}", timeout=30) as http:
        http.post("/api/v1/users", json=CUSTOMER)
        token = http.post("/api/v1/auth/tokens", json=CUSTOMER).json()["data"]["access_token"]
        admin = http.post("/api/v1/auth/tokens", json=ADMIN).json()["data"]["access_token"]
        auth = {"Authorization": f"Bearer {admin}"}
        ids = []
        for n in range(PRODUCTS + 1):
            product = {
                "sku": f"BENCH-{n:03d}",
                "title": f"Bench product {n}",
                "description": "A product of the benchmark catalogue.",
                "price_cents": 1000 + n,
                "currency": "CNY",
                "stock": FLASH_STOCK if n == PRODUCTS else 1_000_000,
                "status": "active",
                "category": "bench",
            }
            created = http.post("/api/v1/products", json=product, headers=auth)
            created.raise_for_status()
            ids.append(created.json()["data"]["id"])
    return Shop({"Authorization": f"Bearer {token}"}, ids[:PRODUCTS], ids[PRODUCTS])


def database_stock(database: Path, product_id: int) -> int:
    with sqlite3.connect(database) as connection:
        row = connection.execute("SELECT stock FROM products WHERE id = ?", (product_id,))
        return int(row.fetchone()[0])


def orders_of(database: Path, product_id: int) -> int:
    with sqlite3.connect(database) as connection:
        row = connection.execute(
            "SELECT coalesce(sum(quantity), 0) FROM order_items WHERE product_id = ?",
            (product_id,),
        )
        return int(row.fetchone()[0])


def redis_stock(url: str | None, product_id: int) -> int | None:
    if url is None:
        return None
    import redis

    with redis.Redis.from_url(url) as client:
        value = client.get(f"stock:{{{product_id}}}")
    return int(value) if value is not None else None


# -- the run ------------------------------------------------------------------------------


@dataclass
class BackendRun:
    name: str
    listing: Load
    ceiling: Load
    listing_token: Load
    ordering: Load
    flash: Load
    flash_sold: int
    consistent: bool


def median_load(loads: list[Load]) -> Load:
    """The run with the median rate: the machine is shared, one run can be unlucky."""
    return sorted(loads, key=lambda load: load.rate)[len(loads) // 2]


def run_backend(
    name: str,
    project: Path,
    scratch: Path,
    redis_url: str | None,
    ceiling_host: str,
    args: argparse.Namespace,
) -> BackendRun:
    database = scratch / f"{name}.db"
    extra = {"REDIS_URL": redis_url} if redis_url else {}
    env = project_env(project, database, **extra)
    factory = ("--factory",)
    with uvicorn(project, "app.main:create_app", env, *factory) as host:
        shop = stock_shop(host)
        common = {"connections": args.connections, "warmup": args.warmup}
        listings: list[Load] = []
        ceilings: list[Load] = []
        for _ in range(args.rounds):  # alternate, so both see the same machine
            ceilings.append(drive(ceiling_host, seconds=args.seconds, path=LIST, **common))
            listings.append(drive(host, seconds=args.seconds, path=LIST, **common))
        token_listing = drive(
            host, seconds=args.seconds, path=LIST, headers=shop.customer, **common
        )
        order = {"items": [{"product_id": shop.product_ids[0], "quantity": 1}]}
        ordering = drive(
            host,
            seconds=args.seconds,
            method="POST",
            path="/api/v1/orders",
            headers=shop.customer,
            body=json.dumps(order),
            idempotent=True,
            **common,
        )
        flash_order = {"items": [{"product_id": shop.flash_id, "quantity": 1}]}
        flash = drive(
            host,
            seconds=min(args.seconds, 3.0),
            method="POST",
            path="/api/v1/orders",
            headers=shop.customer,
            body=json.dumps(flash_order),
            idempotent=True,
            connections=args.connections,
            warmup=0,
        )
    first = shop.product_ids[0]
    sold = flash.statuses.get("201", 0)
    checks = [
        database_stock(database, first) == 1_000_000 - orders_of(database, first),
        redis_stock(redis_url, first) in (None, database_stock(database, first)),
        sold == FLASH_STOCK == orders_of(database, shop.flash_id),
        database_stock(database, shop.flash_id) == 0,
        redis_stock(redis_url, shop.flash_id) in (None, 0),
        set(flash.statuses) <= {"201", "409"},
    ]
    return BackendRun(
        name,
        median_load(listings),
        median_load(ceilings),
        token_listing,
        ordering,
        flash,
        sold,
        all(checks),
    )


def products_page() -> bytes:
    """The page the service answers for `listProducts`, as the ceiling will serve it."""
    now = dt.datetime.now(dt.UTC).isoformat()
    items = [
        {
            "id": n + 1,
            "sku": f"BENCH-{n:03d}",
            "title": f"Bench product {n}",
            "description": "A product of the benchmark catalogue.",
            "price_cents": 1000 + n,
            "currency": "CNY",
            "stock": 1_000_000,
            "status": "active",
            "category": "bench",
            "images": [],
            "created_at": now,
            "updated_at": now,
        }
        for n in range(PRODUCTS)
    ]
    page = {"items": items, "total": PRODUCTS + 1, "page": 1, "limit": PRODUCTS}
    return json.dumps({"code": 0, "data": page, "msg": "ok"}).encode()


@contextmanager
def ceiling_app(scratch: Path) -> Iterator[str]:
    bare = scratch / "bare"
    bare.mkdir(exist_ok=True)
    (bare / "bare_app.py").write_text(BARE_APP, encoding="utf-8")
    (bare / "products.json").write_bytes(products_page())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TEST_"))}
    with uvicorn(bare, "bare_app:app", env) as host:
        yield host


def _row(target: str, load: Load, ceiling: Load | None = None) -> str:
    ratio = f"{load.rate / ceiling.rate:.2f}" if ceiling else "1.00"
    codes = ", ".join(f"{code}: {count}" for code, count in sorted(load.statuses.items()))
    return (
        f"| {target} | {load.rate:,.0f} | {load.p50_ms:.1f} | {load.p99_ms:.1f} | {ratio} "
        f"| {codes} |"
    )


def report(runs: list[BackendRun], args: argparse.Namespace) -> str:
    load_avg = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        f"`listProducts` (a page of {PRODUCTS} products, in the envelope) and `createOrder` (one "
        f"line, a fresh `Idempotency-Key` each) over HTTP/1.1 keep-alive, {args.connections} "
        f"connections, {args.seconds:g} s after {args.warmup:g} s of warm-up, one uvicorn worker "
        "without access log for every target; each `listProducts` figure is the median of "
        f"{args.rounds} runs alternated with runs of the ceiling, and its ratio is to the "
        "ceiling's median over the same rounds. Load generator: this script's asyncio raw-socket "
        "driver (uvloop) in a separate process (`wrk` is not installed here). Measured "
        f"{dt.date.today().isoformat()} on {platform.machine()}, Python "
        f"{platform.python_version()}, {os.cpu_count()} cores, load average {load_avg}.",
        "",
        "| target | req/s | p50 ms | p99 ms | vs ceiling | statuses |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for run in runs:
        label = f"ceiling (bare FastAPI, the same page from memory), {run.name} rounds"
        lines.append(_row(label, run.ceiling))
        lines.append(_row(f"`listProducts`, {run.name}", run.listing, run.ceiling))
        label = f"`listProducts` with a customer's token (through the handler), {run.name}"
        lines.append(_row(label, run.listing_token, run.ceiling))
    for run in runs:
        lines.append(_row(f"`createOrder`, {run.name}", run.ordering, run.ceiling))
    lines.append("")
    best = min(run.listing.rate / run.ceiling.rate for run in runs)
    verdict = "meets" if best >= TARGET_RATIO else "misses"
    lines.append(
        f"`listProducts` runs at {best:.2f} of the ceiling or better, which {verdict} the target "
        f"of {TARGET_RATIO}. Anonymous reads are answered with the bytes of an earlier answer "
        "kept in the per-process product cache (`app/products/http_cache.py`; any product "
        "write or stock change in the process clears it), so they skip routing, dependencies "
        "and serialisation, which the ceiling still pays for. A request with a token goes "
        "through the handler (the service's model cache, then FastAPI's dependency resolution "
        "and response validation); its row shows that path. The `createOrder` ratio is "
        "against the read ceiling and only puts it in scale: each order is several SQLite "
        "write transactions (claim the "
        "idempotency key; the order, its lines, the conditional stock UPDATE and the recorded "
        "answer), serialised by SQLite's single writer."
    )
    lines.append("")
    for run in runs:
        outcome = "no oversell" if run.consistent else "INCONSISTENT"
        lines.append(
            f"- Flash sale, {run.name}: {run.flash.requests} orders in "
            f"{run.flash.seconds:g} s for {FLASH_STOCK} units: {run.flash_sold} sold, "
            f"statuses {dict(sorted(run.flash.statuses.items()))}; stock ends at 0 in the "
            f"database{' and in Redis' if 'Redis' in run.name else ''}; {outcome}."
        )
    return "\n".join(lines)


def write_section(body: str) -> None:
    block = f"{BEGIN}\n{body.rstrip()}\n{END}"
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmarks\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = f"{text.rstrip()}\n\n{HEADING}\n\n{block}\n"
    RESULTS.write_text(text.rstrip() + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3, help="listProducts/ceiling pairs")
    parser.add_argument("--no-write", action="store_true", help="print, leave RESULTS.md alone")
    parser.add_argument("--drive", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        drive_main(args.drive)
        return
    with tempfile.TemporaryDirectory(prefix="shopgen-service-bench-") as tmp:
        scratch = Path(tmp)
        project = bake(scratch / "out")
        with ceiling_app(scratch) as ceiling:
            runs = [run_backend("SQLite", project, scratch, None, ceiling, args)]
            with redis_server(scratch) as url:
                runs.append(run_backend("SQLite + Redis", project, scratch, url, ceiling, args))
    body = report(runs, args)
    print(body)
    if not args.no_write:
        write_section(body)
    if not all(run.consistent for run in runs):
        raise SystemExit("stock is inconsistent after the flash sale")


if __name__ == "__main__":
    main()

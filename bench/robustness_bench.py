#!/usr/bin/env python3
"""Robustness benchmark: the generated service under abuse, with its limits at their defaults.

Bakes the canonical contract and serves it with uvicorn on SQLite (one worker), then:

- sends a 200 MB JSON body to `registerUser` (public) with its `Content-Length`, and again
  chunked without one: the time to the 413 answer and the server's extra resident memory;
- floods `createToken` with wrong passwords for one account for a minute's budget of
  attempts: how many reach the password check (the rest are 429);
- runs a flash sale with Redis in front of the stock and every limit on: many customers,
  several orders each, few units; sold units must equal the stock taken, never more;
- runs the Schemathesis gate (tests/e2e/test_conformance.py) and copies its per-contract
  test cases and failures.

The load average and core count are recorded with the figures: on a busy machine the
timings are noise. The "Robustness" section of `bench/RESULTS.md` is rewritten between this
script's markers.

    python bench/robustness_bench.py                 # everything, updates RESULTS.md
    python bench/robustness_bench.py --no-gate --no-write
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx
from service_bench import bake, redis_server, redis_stock, uvicorn

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
BEGIN = "<!-- BEGIN robustness-bench: written by bench/robustness_bench.py -->"
END = "<!-- END robustness-bench -->"
HEADING = "## Robustness"
ADMIN = {"email": "bench-admin@example.com", "password": "bench-admin-password"}
BIG_BODY = 200 * 1024 * 1024
CHUNK = 256 * 1024
REGISTER = "/api/v1/users"
LOGIN = "/api/v1/auth/tokens"
TARGET_SECONDS = 0.1
TARGET_MEMORY = 20 * 1024 * 1024


def project_env(project: Path, database: Path, **extra: str) -> dict[str, str]:
    """Production settings at their defaults, limits included; only hashing is cheapened."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TEST_"))}
    env.update(
        ENVIRONMENT="production",
        DATABASE_URL=f"sqlite+aiosqlite:///{database}",
        JWT_SECRET="bench-jwt-secret-" + "r" * 40,
        FIRST_SUPERUSER_EMAIL=ADMIN["email"],
        FIRST_SUPERUSER_PASSWORD=ADMIN["password"],
        LOG_LEVEL="ERROR",
        ARGON2_TIME_COST="1",
        ARGON2_MEMORY_KIB="8192",
        ARGON2_PARALLELISM="1",
        ORDER_EXPIRY_INTERVAL="0",
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


def server_pid(port: int) -> int:
    """The pid listening on `port`, from /proc (the uvicorn child of our Popen)."""
    inode = None
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":
                inode = fields[9]
    assert inode is not None, f"nothing listens on {port}"
    for fd in Path("/proc").glob("[0-9]*/fd/*"):
        try:
            if fd.readlink().name == f"socket:[{inode}]":
                return int(fd.parts[2])
        except OSError:
            continue
    raise RuntimeError(f"no process owns port {port}")


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


@dataclass
class BigBody:
    how: str
    status: int
    seconds: float
    sent_mb: float
    extra_memory_mb: float


def big_body(host: str, pid: int, *, chunked: bool) -> BigBody:
    """Send a 200 MB body as fast as the socket takes it, until the server answers; the
    server's resident memory is sampled every 2 ms meanwhile."""
    hostname, port = host.split(":")
    base = rss(pid)
    peak = base
    stop = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, rss(pid))
            time.sleep(0.002)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {BIG_BODY}"
    head = f"POST {REGISTER} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
    pending = f"{head}{framing}\r\n\r\n".encode()
    piece = b"[" + b" " * (CHUNK - 1)
    frame = f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece
    sent = 0
    answer = b""
    with socket.create_connection((hostname, int(port)), timeout=30) as sock:
        sock.setblocking(False)
        started = time.perf_counter()
        while b"\r\n\r\n" not in answer:
            try:
                received = sock.recv(65536)
                if not received:
                    break
                answer += received
                continue
            except BlockingIOError:
                pass
            if not pending and sent < BIG_BODY:
                pending, sent = frame, sent + len(piece)
            if not pending:
                time.sleep(0.0005)
                continue
            try:
                pending = pending[sock.send(pending) :]
            except BlockingIOError:
                time.sleep(0.0005)
            except (BrokenPipeError, ConnectionResetError):
                pending, sent = b"", BIG_BODY
        seconds = time.perf_counter() - started
    stop.set()
    watcher.join()
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return BigBody(
        "chunked, no length" if chunked else "Content-Length: 200 MB",
        status,
        seconds,
        min(sent, BIG_BODY) / 1024 / 1024,
        (peak - base) / 1024 / 1024,
    )


@dataclass
class LoginFlood:
    attempts: int
    answered: int
    refused: int
    limit: str


def login_flood(host: str, attempts: int) -> LoginFlood:
    """Wrong passwords for one account, as fast as they go: how many are even checked."""
    account = {"email": "victim@example.com", "password": "correct-horse-battery"}
    with httpx.Client(base_url=f"http://{host}", timeout=30) as http:
        assert http.post(REGISTER, json=account).status_code == 201
        codes = Counter(
            http.post(LOGIN, json={**account, "password": f"guess-{n:04d}-x"}).status_code
            for n in range(attempts)
        )
    return LoginFlood(attempts, codes[401], codes[429], "5/minute;30/hour (default)")


@dataclass
class FlashSale:
    customers: int
    attempts: int
    stock: int
    outcomes: dict[str, int]
    sold: int
    database_left: int
    redis_left: int | None

    @property
    def consistent(self) -> bool:
        database_ok = self.database_left == self.stock - self.sold >= 0
        return database_ok and self.redis_left in (None, self.database_left)


async def _rush(host: str, tokens: list[str], product_id: int, per_customer: int) -> Counter[str]:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=f"http://{host}", timeout=60, limits=limits) as http:

        async def buy(token: str) -> str:
            answer = await http.post(
                "/api/v1/orders",
                json={"items": [{"product_id": product_id, "quantity": 1}]},
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
            )
            code = answer.json().get("code", answer.status_code)
            return f"{answer.status_code} ({code})"

        jobs = [buy(token) for token in tokens for _ in range(per_customer)]
        return Counter(await asyncio.gather(*jobs))


def flash_sale(
    project: Path, scratch: Path, customers: int, per_customer: int, stock: int
) -> FlashSale:
    database = scratch / "flash.db"
    with redis_server(scratch) as url:
        # Registration is not what is measured: let the crowd sign up from one address.
        env = project_env(project, database, REDIS_URL=url, RATE_LIMIT_AUTH_PER_IP="100000/minute")
        with uvicorn(project, "app.main:create_app", env, "--factory") as host:
            with httpx.Client(base_url=f"http://{host}", timeout=30) as http:
                admin = http.post(LOGIN, json=ADMIN).json()["data"]["access_token"]
                product = {
                    "sku": "FLASH-1",
                    "title": "Limited teapot",
                    "price_cents": 9900,
                    "currency": "CNY",
                    "stock": stock,
                    "status": "active",
                }
                created = http.post(
                    "/api/v1/products", json=product, headers={"Authorization": f"Bearer {admin}"}
                )
                product_id = created.json()["data"]["id"]
                tokens = []
                for n in range(customers):
                    buyer = {"email": f"buyer{n}@example.com", "password": "flash-sale-buyer-pw"}
                    http.post(REGISTER, json=buyer).raise_for_status()
                    tokens.append(http.post(LOGIN, json=buyer).json()["data"]["access_token"])
            outcomes = asyncio.run(_rush(host, tokens, product_id, per_customer))
            left_in_redis = redis_stock(url, product_id)
    with sqlite3.connect(database) as connection:
        (left,) = connection.execute(
            "SELECT stock FROM products WHERE id = ?", (product_id,)
        ).fetchone()
        (sold,) = connection.execute(
            "SELECT coalesce(sum(quantity), 0) FROM order_items WHERE product_id = ?", (product_id,)
        ).fetchone()
    return FlashSale(
        customers,
        customers * per_customer,
        stock,
        dict(outcomes),
        int(sold),
        int(left),
        left_in_redis,
    )


GATE_LINE = re.compile(
    r"^(?P<contract>[\w-]+) seed (?P<seed>\d+): (?P<cases>\d+) cases, "
    r"(?P<failures>\d+) failures, (?P<seconds>\d+) s$"
)


def schemathesis_gate() -> tuple[list[dict[str, str]], float, str]:
    """Run the gate as the suite does; its printed lines, its wall time and its outcome."""
    started = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-s",
            "-p",
            "no:cacheprovider",
            "tests/e2e/test_conformance.py",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    lines = [
        m.groupdict() for line in result.stdout.splitlines() if (m := GATE_LINE.match(line.strip()))
    ]
    outcome = "passed" if result.returncode == 0 else f"failed (exit {result.returncode})"
    return lines, seconds, outcome


def report(
    bodies: list[BigBody],
    flood: LoginFlood,
    sale: FlashSale,
    gate: tuple[list[dict[str, str]], float, str] | None,
    load: tuple[float, float, float],
) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        BEGIN,
        "",
        f"Measured {now} on {platform.node()} ({os.cpu_count()} cores, Python "
        f"{platform.python_version()}), load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
        "(1/5/15 min). The machine was shared while this ran: the timings need a quiet re-run.",
        "",
        "### 200 MB request body (`registerUser`, public; `MAX_BODY_BYTES` 1 MiB)",
        "",
        "| body | answer | time to answer | sent before it | server's extra memory | target |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for body in bodies:
        ok = body.status == 413 and body.seconds < TARGET_SECONDS and body.extra_memory_mb < 20
        lines.append(
            f"| {body.how} | {body.status} | {body.seconds * 1000:.1f} ms "
            f"| {body.sent_mb:.1f} MB | {body.extra_memory_mb:.1f} MB "
            f"| {'met' if ok else 'missed'} (< 100 ms, < 20 MB) |"
        )
    lines += [
        "",
        "### Login attempts on one account",
        "",
        f"{flood.attempts} wrong passwords for one account within a minute, limit {flood.limit}: "
        f"**{flood.answered} checked** (401), {flood.refused} refused with 429 and `Retry-After`.",
        "",
        "### Flash sale through the limits (SQLite + Redis, defaults: 5 unpaid orders and 50 units",
        "per customer, 30 checkouts a minute per customer, 300 per address)",
        "",
        f"{sale.customers} customers, {sale.attempts} orders of one unit, {sale.stock} units:",
        "",
        "| answer | count |",
        "| --- | --- |",
        *(f"| {answer} | {count} |" for answer, count in sorted(sale.outcomes.items())),
        "",
        f"Sold {sale.sold}, left {sale.database_left} in the database and {sale.redis_left} in "
        f"Redis: {'no oversell, counts agree' if sale.consistent else 'INCONSISTENT'}.",
    ]
    if gate is not None:
        found, seconds, outcome = gate
        lines += [
            "",
            "### Schemathesis gate (`tests/e2e/test_conformance.py`)",
            "",
            "Examples, coverage, fuzzing and stateful phases; checks not_a_server_error,",
            "status_code_conformance, content_type_conformance, response_schema_conformance,",
            "negative_data_rejection; PostgreSQL when `SHOPGEN_TEST_POSTGRES_URL` is set"
            f" ({'set' if os.environ.get('SHOPGEN_TEST_POSTGRES_URL') else 'not set: SQLite'}).",
            "Contracts in the order canonical, catalogue, coupons, b2b. "
            f"Whole gate: {seconds:.0f} s, {outcome}.",
            "",
            "| contract (project) | seed | test cases | failures | seconds |",
            "| --- | --- | --- | --- | --- |",
            *(
                "| {contract} | {seed} | {cases} | {failures} | {seconds} |".format(**row)
                for row in found
            ),
        ]
    lines += ["", END]
    return "\n".join(lines)


def write_section(block: str) -> None:
    text = RESULTS.read_text(encoding="utf-8")
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = f"{text.rstrip()}\n\n{HEADING}\n\n{block}\n"
    RESULTS.write_text(text.rstrip() + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=40)
    parser.add_argument("--orders-per-customer", type=int, default=6)
    parser.add_argument("--stock", type=int, default=100)
    parser.add_argument("--login-attempts", type=int, default=60)
    parser.add_argument("--no-gate", action="store_true", help="skip the Schemathesis gate")
    parser.add_argument("--no-write", action="store_true", help="print, leave RESULTS.md alone")
    args = parser.parse_args()
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="shopgen-robustness-bench-") as tmp:
        scratch = Path(tmp)
        project = bake(scratch / "out")
        env = project_env(project, scratch / "shop.db")
        with uvicorn(project, "app.main:create_app", env, "--factory") as host:
            pid = server_pid(int(host.rsplit(":", 1)[1]))
            runs = {
                chunked: [big_body(host, pid, chunked=chunked) for _ in range(5)]
                for chunked in (False, True)
            }
            # The median time of five, with the most memory any of the five took.
            bodies = [
                BigBody(
                    results[0].how,
                    max(r.status for r in results) if len({r.status for r in results}) == 1 else 0,
                    statistics.median(r.seconds for r in results),
                    statistics.median(r.sent_mb for r in results),
                    max(r.extra_memory_mb for r in results),
                )
                for results in runs.values()
            ]
            flood = login_flood(host, args.login_attempts)
        sale = flash_sale(project, scratch, args.customers, args.orders_per_customer, args.stock)
    gate = None if args.no_gate else schemathesis_gate()
    body = report(bodies, flood, sale, gate, load)
    print(body)
    if not args.no_write:
        write_section(body)
    if not sale.consistent:
        raise SystemExit("the flash sale oversold or left Redis and the database apart")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Generated-service benchmark: the flash-sale targets, in the shape a shop is deployed.

Bakes the canonical contract and runs the baked project's own bench (`python -m bench` in
the project: wrk with its Lua scenarios, a bare FastAPI ceiling measured before and after,
every `201` looked up in the database, stock checked in the database and Redis) twice:

- PostgreSQL 15 (a throwaway server of this run, from /usr/lib/postgresql/15/bin) and a real
  redis-server, uvicorn with 2 workers, `wrk -t2 -c64`, 8 s per scenario: the targets;
- SQLite with one worker and no Redis, the default of a first run: recorded and checked.

Then it prints PASS or FAIL per target and rewrites the service section of
`bench/RESULTS.md` between its markers. wrk is installed from Debian when it is missing
(as root); otherwise the project's own asyncio driver stands in, and the report says so.

    python bench/service_bench.py               # about 8 minutes
    python bench/service_bench.py --seconds 3 --products 200 --no-write
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
BEGIN = "<!-- BEGIN service-bench: written by bench/service_bench.py -->"
END = "<!-- END service-bench -->"
HEADING = "## Generated service"
PG_BIN = Path("/usr/lib/postgresql/15/bin")


# -- servers of the run ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _as_postgres(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the `postgres` user then."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@contextmanager
def postgres(scratch: Path) -> Iterator[str]:
    """A PostgreSQL 15 server of our own on a free port, with one database, `shop`."""
    if not (PG_BIN / "postgres").exists():
        raise SystemExit(f"PostgreSQL 15 is not installed in {PG_BIN}")
    home = scratch / "pg"
    home.mkdir()
    if os.geteuid() == 0:
        scratch.chmod(0o711)  # the postgres user passes through to its own directory
        shutil.chown(home, "postgres")
    data = home / "data"
    subprocess.run(
        _as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]),
        check=True,
        capture_output=True,
    )
    port = free_port()
    # PostgreSQL's defaults (fsync and synchronous commit on, as deployed), with room for
    # the workers' pools and the bench's own connections.
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c max_connections=200"
    subprocess.run(
        _as_postgres(
            [str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(home / "log")]
            + ["-w", "start"]
        ),
        check=True,
        capture_output=True,
    )
    try:
        subprocess.run(
            [str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres"]
            + ["-qc", "CREATE DATABASE shop"],
            check=True,
            capture_output=True,
        )
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/shop"
    finally:
        subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
            check=False,
            capture_output=True,
        )


@contextmanager
def redis_server(scratch: Path) -> Iterator[str]:
    executable = shutil.which("redis-server")
    if executable is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    command = [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--dir", str(scratch)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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


def ensure_wrk() -> bool:
    """wrk from Debian when it is missing and we may install it; False: use the fallback."""
    if shutil.which("wrk"):
        return True
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk from Debian ...", file=sys.stderr)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-qq", "wrk"]
        if subprocess.run(install, env=env, check=False).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
            subprocess.run(install, env=env, check=False)
    return shutil.which("wrk") is not None


def bake(scratch: Path) -> Path:
    from shopgen import render

    return render.new(
        None, output_dir=scratch, no_input=True, overrides={}, force=False, skip_lint=True
    )


# -- the project's bench ---------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    name: str
    workers: int
    database_url: str
    redis_url: str | None


def run_project_bench(
    project: Path, shape: Shape, out: Path, args: argparse.Namespace, wrk: bool
) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "TEST_"))}
    env.pop("REDIS_URL", None)
    env.update(
        ENVIRONMENT="production",
        DATABASE_URL=shape.database_url,
        JWT_SECRET="service-bench-jwt-secret-" + "s" * 40,
    )
    if shape.redis_url:
        env["REDIS_URL"] = shape.redis_url
    command = [sys.executable, "-m", "bench", "--out", str(out)]
    command += ["--workers", str(shape.workers), "--threads", str(args.threads)]
    command += ["--connections", str(args.connections), "--seconds", str(args.seconds)]
    command += ["--products", str(args.products), "--customers", str(args.customers)]
    command += ["--flash-units", str(args.flash_units), "--driver", "wrk" if wrk else "python"]
    print(f"== {shape.name}: {' '.join(command[1:])}", file=sys.stderr)
    finished = subprocess.run(command, cwd=project, env=env, text=True, check=False)
    results = out / "results.json"
    if not results.exists():
        raise SystemExit(f"the project's bench failed ({finished.returncode}); see {out}")
    document: dict[str, Any] = json.loads(results.read_text())
    document["exit_code"] = finished.returncode
    return document


# -- targets -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    target: str
    passed: bool
    measured: str


def _scenario(document: dict[str, Any], key: str) -> dict[str, Any] | None:
    for scenario in document["scenarios"]:
        if scenario["key"] == key:
            found: dict[str, Any] = scenario
            return found
    return None


def verdicts(postgres_run: dict[str, Any], sqlite_run: dict[str, Any]) -> list[Verdict]:
    ceiling = postgres_run["ceiling_rate"]
    out: list[Verdict] = []
    for key, name in (("list-customer", "listProducts"), ("get-customer", "getProduct")):
        s = _scenario(postgres_run, key)
        if s is None:
            continue
        out.append(
            Verdict(
                f"`{name}` with a customer token: >= 0.5 of the ceiling, p99 <= 30 ms",
                s["ratio"] >= 0.5 and s["p99_ms"] <= 30 and not s["problems"],
                f"{s['ratio']:.2f} of the ceiling, p99 {s['p99_ms']:.1f} ms",
            )
        )
    spread = _scenario(postgres_run, "order-spread")
    if spread is not None:
        out.append(
            Verdict(
                "`createOrder` spread over the catalogue: >= 0.06 of the ceiling, p99 <= 100 ms, "
                "every 201 a real order in PostgreSQL",
                spread["ratio"] >= 0.06 and spread["p99_ms"] <= 100 and not spread["problems"],
                f"{spread['ratio']:.3f} of the ceiling, p99 {spread['p99_ms']:.1f} ms, "
                f"{spread['statuses'].get('201', 0):,} orders "
                + ("all found" if not spread["problems"] else "; ".join(spread["problems"])),
            )
        )
    flash = _scenario(postgres_run, "flash-sale")
    if flash is not None:
        refusals = flash["figures"].get("sold_out_per_second", 0.0)
        out.append(
            Verdict(
                "flash sale: sold-out answers (409) >= 0.3 of the ceiling",
                refusals / ceiling >= 0.3 if ceiling else False,
                f"{refusals:,.0f} 409/s, {refusals / ceiling:.2f} of the ceiling"
                if ceiling
                else "no ceiling",
            )
        )
        units = flash["figures"].get("units_per_second", 0.0)
        spread_rate = spread["rate"] if spread else 0.0
        out.append(
            Verdict(
                "flash sale: units sold at >= half the spread rate",
                bool(spread_rate) and units >= spread_rate / 2,
                f"{units:,.0f} units/s against {spread_rate:,.0f} orders/s spread",
            )
        )
        out.append(
            Verdict(
                "flash sale: stock ends at exactly 0 in PostgreSQL and Redis, no oversell",
                not flash["problems"] and "units" in flash["figures"],
                "; ".join(flash["problems"] + flash["notes"]) or "checked",
            )
        )
    problems = [f"{s['title']}: {p}" for s in sqlite_run["scenarios"] for p in s["problems"]]
    out.append(
        Verdict(
            "SQLite, one worker: every order real, stock exact, flash sale sold to exactly 0",
            not problems and sqlite_run["exit_code"] == 0,
            "; ".join(problems) or "checked",
        )
    )
    return out


# -- the section of RESULTS.md --------------------------------------------------------------


def _table(document: dict[str, Any]) -> list[str]:
    lines = [
        "| target | req/s | vs ceiling | p50 ms | p99 ms | answers | checks |",
        "| --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for s in document["scenarios"]:
        answers = ", ".join(f"{k}: {v:,}" for k, v in sorted(s["statuses"].items()))
        checks = "ok" if not s["problems"] else "FAILED"
        lines.append(
            f"| {s['title']} | {s['rate']:,.0f} | {s['ratio']:.3f} | {s['p50_ms']:.1f} "
            f"| {s['p99_ms']:.1f} | {answers} | {checks} |"
        )
    notes = [f"- {s['title']}: {n}" for s in document["scenarios"] for n in s["notes"]]
    notes += [f"- **{s['title']}: {p}**" for s in document["scenarios"] for p in s["problems"]]
    return lines + ([""] + notes if notes else [])


def report(
    postgres_run: dict[str, Any],
    sqlite_run: dict[str, Any],
    results: list[Verdict],
    args: argparse.Namespace,
) -> str:
    meta = postgres_run["meta"]
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        "The canonical project as a shop deploys it, measured by its own `python -m bench` "
        "(wrk Lua scenarios, every `201` looked up in the database, stock checked in the "
        "database and Redis) and run by `bench/service_bench.py`: PostgreSQL 15 (a throwaway "
        "server of the run) and redis-server, uvicorn with "
        f"{args.workers} workers, {meta['threads']} load threads and {meta['connections']} "
        f"connections, {meta['seconds']:g} s per scenario. Ratios are to the ceiling, a bare "
        "FastAPI app with the same workers answering the same product page from memory, "
        "measured before and after the scenarios in the same run (their mean). "
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {platform.python_version()}; "
        f"load average at the end {load}.",
        "",
        *[line for line in meta["context"] if line],
        "",
        "### PostgreSQL + Redis, 2 workers",
        "",
        *_table(postgres_run),
        "",
        "### Targets",
        "",
    ]
    for verdict in results:
        lines.append(
            f"- {'PASS' if verdict.passed else 'FAIL'}: {verdict.target} ({verdict.measured})"
        )
    lines += [
        "",
        "### SQLite, 1 worker, no Redis (the default of a first run)",
        "",
        *[line for line in sqlite_run["meta"]["context"] if line.startswith("- Service")],
        "",
        *_table(sqlite_run),
    ]
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
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--flash-units", type=int, default=300)
    parser.add_argument("--keep", type=Path, help="copy the projects' reports here")
    parser.add_argument("--no-write", action="store_true", help="leave RESULTS.md alone")
    args = parser.parse_args()
    wrk = ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="shopgen-service-bench-") as tmp:
        scratch = Path(tmp)
        project = bake(scratch / "out")
        with postgres(scratch) as database_url, redis_server(scratch) as redis_url:
            shape = Shape("PostgreSQL + Redis", args.workers, database_url, redis_url)
            postgres_run = run_project_bench(project, shape, scratch / "pg-report", args, wrk)
        sqlite_url = f"sqlite+aiosqlite:///{scratch / 'shop.db'}"
        shape = Shape("SQLite", 1, sqlite_url, None)
        sqlite_run = run_project_bench(project, shape, scratch / "sqlite-report", args, wrk)
        if args.keep:
            for name in ("pg-report", "sqlite-report"):
                shutil.copytree(scratch / name, args.keep / name, dirs_exist_ok=True)
    results = verdicts(postgres_run, sqlite_run)
    body = report(postgres_run, sqlite_run, results, args)
    print(body)
    if not args.no_write:
        write_section(body)
    if not all(v.passed for v in results):
        raise SystemExit(1)


if __name__ == "__main__":
    main()

"""Load generation: wrk with `scenario.lua`, or this module's own asyncio driver without wrk.

Both keep a fixed number of keep-alive connections busy (each sends its next request as soon
as the previous answer is read) and report the same `Load`: requests, statuses, a latency
histogram and the ids of what `201` answers created.
"""

import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

LUA_SCRIPT = Path(__file__).with_name("scenario.lua")


@dataclass(frozen=True, slots=True)
class Request:
    """What every request of a scenario looks like; `:id` in `path` or `body` becomes one of
    `ids`, picked at random per request. A request with a body carries a fresh
    Idempotency-Key. `tokens` are used in turn."""

    method: str
    path: str
    tokens: tuple[str, ...] = ()
    ids: tuple[int, ...] = ()
    body: str | None = None


@dataclass(frozen=True, slots=True)
class Load:
    seconds: float
    requests: int
    statuses: dict[str, int]
    # (latency in microseconds, how many answers took it), ascending.
    latency_us: list[tuple[int, int]]
    created: list[int] = field(default_factory=list)
    socket_errors: int = 0
    timeouts: int = 0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def rate_of(self, status: str) -> float:
        return self.statuses.get(status, 0) / self.seconds if self.seconds else 0.0

    def percentile_ms(self, percent: float) -> float:
        total = sum(count for _, count in self.latency_us)
        if not total:
            return 0.0
        wanted = total * percent / 100
        seen = 0
        for value, count in self.latency_us:
            seen += count
            if seen >= wanted:
                return value / 1000
        return self.latency_us[-1][0] / 1000


def wrk_executable() -> str | None:
    return shutil.which("wrk")


def run_wrk(
    base_url: str,
    request: Request,
    *,
    threads: int,
    connections: int,
    seconds: float,
    run_id: str,
) -> Load:
    executable = wrk_executable()
    if executable is None:
        raise RuntimeError("wrk is not installed")
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        scratch = Path(tmp)
        tokens = _lines_file(scratch / "tokens", request.tokens)
        ids = _lines_file(scratch / "ids", [str(i) for i in request.ids])
        out = scratch / "summary.json"
        command = [
            executable,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(LUA_SCRIPT),
            base_url,
            "--",
            request.method,
            request.path,
            tokens,
            ids,
            request.body or "-",
            run_id,
        ]
        env = {**os.environ, "BENCH_WRK_OUT": str(out)}
        finished = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=seconds + 120, check=False
        )
        if finished.returncode != 0 or not out.exists():
            raise RuntimeError(f"wrk failed:\n{finished.stdout}\n{finished.stderr}")
        summary = json.loads(out.read_text())
    return Load(
        seconds=summary["duration_us"] / 1e6,
        requests=summary["requests"],
        statuses={str(k): int(v) for k, v in summary["statuses"].items()},
        latency_us=[(int(v), int(c)) for v, c in summary["latency_us"]],
        created=[int(i) for i in summary["created"]],
        socket_errors=summary["socket_errors"],
        timeouts=summary["timeouts"],
    )


def _lines_file(path: Path, lines: Any) -> str:
    values = list(lines)
    if not values:
        return "-"
    path.write_text("\n".join(values) + "\n")
    return str(path)


def run_driver(
    base_url: str,
    request: Request,
    *,
    connections: int,
    seconds: float,
    run_id: str,
) -> Load:
    """The same scenario through `python -m bench.load`, a process of its own."""
    spec = {
        "base_url": base_url,
        "request": asdict(request),
        "connections": connections,
        "seconds": seconds,
        "run_id": run_id,
    }
    finished = subprocess.run(
        [sys.executable, "-m", "bench.load", json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        check=False,
    )
    if finished.returncode != 0:
        raise RuntimeError(f"the load driver failed:\n{finished.stderr}")
    data = json.loads(finished.stdout)
    data["latency_us"] = [tuple(pair) for pair in data["latency_us"]]
    return Load(**data)


# -- the driver, in its own process -----------------------------------------------------------


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("the server closed the connection")
    status = int(status_line.split(b" ", 2)[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return status, body


def _encode(host: str, request: Request, sent: int, run_id: str, rng: random.Random) -> bytes:
    target, body = request.path, request.body
    if request.ids:
        chosen = str(rng.choice(request.ids))
        target = target.replace(":id", chosen)
        body = body.replace(":id", chosen) if body is not None else None
    lines = [f"{request.method} {target} HTTP/1.1", f"Host: {host}"]
    if request.tokens:
        lines.append(f"Authorization: Bearer {request.tokens[sent % len(request.tokens)]}")
    payload = b""
    if body is not None:
        payload = body.encode()
        lines += [
            "Content-Type: application/json",
            f"Content-Length: {len(payload)}",
            f"Idempotency-Key: {run_id}-{sent}",
        ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


async def _drive(
    base_url: str, request: Request, connections: int, seconds: float, run_id: str
) -> Load:
    host = base_url.removeprefix("http://").rstrip("/")
    address, port = host.rsplit(":", 1)
    latencies: Counter[int] = Counter()
    statuses: Counter[str] = Counter()
    created: list[int] = []
    rng = random.Random()
    counter = 0
    stop_at = time.perf_counter() + seconds
    started = time.perf_counter()

    async def connection() -> None:
        nonlocal counter
        reader, writer = await asyncio.open_connection(address, int(port))
        try:
            while time.perf_counter() < stop_at:
                counter += 1
                begun = time.perf_counter()
                writer.write(_encode(host, request, counter, run_id, rng))
                status, body = await _read_answer(reader)
                latencies[round((time.perf_counter() - begun) * 1e6)] += 1
                statuses[str(status)] += 1
                if status == 201:
                    answer = json.loads(body)
                    if isinstance(answer.get("data"), dict) and "id" in answer["data"]:
                        created.append(int(answer["data"]["id"]))
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    return Load(
        seconds=elapsed,
        requests=sum(statuses.values()),
        statuses=dict(statuses),
        latency_us=sorted(latencies.items()),
        created=created,
    )


def _main(spec_json: str) -> None:
    spec = json.loads(spec_json)
    request = spec["request"]
    request = Request(
        method=request["method"],
        path=request["path"],
        tokens=tuple(request["tokens"]),
        ids=tuple(request["ids"]),
        body=request["body"],
    )
    work = _drive(spec["base_url"], request, spec["connections"], spec["seconds"], spec["run_id"])
    try:
        import uvloop
    except ImportError:
        load = asyncio.run(work)
    else:
        load = uvloop.run(work)
    print(json.dumps(asdict(load)))


if __name__ == "__main__":
    _main(sys.argv[1])

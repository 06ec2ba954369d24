#!/usr/bin/env python3
"""Front-end tools benchmark: `shopgen mock` against Prism, `shopgen client` against
openapi-typescript, on the canonical contract.

    mock     a new process each run, timed from its start to the first answer of
             `GET /api/v1/products` (the issue's target: within 1 s); Prism 5 on the same file
    client   `shopgen client --target fetch` (types, runtime and one function per operation)
             against `openapi-typescript` (types only), each a new process (target: < 1 s)

The series alternate run by run so that load on the shared machine hits both alike; the
report gives medians, the ratio, and the load average at the start and the end. The section
`Front-end tools` of `bench/RESULTS.md` is rewritten between this script's markers.

    python bench/frontend_bench.py                 # npm ci in bench/frontend, 7 runs, writes
    python bench/frontend_bench.py --runs 3 --no-write --no-install
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NPM_DIR = ROOT / "bench" / "frontend"
BIN = NPM_DIR / "node_modules" / ".bin"
CONTRACT = ROOT / "specs" / "shop.openapi.yaml"
RESULTS = ROOT / "bench" / "RESULTS.md"
HEADING = "## Front-end tools"
BEGIN = "<!-- BEGIN frontend-bench: written by bench/frontend_bench.py -->"
END = "<!-- END frontend-bench -->"
FIRST_DEADLINE = 60.0


def shopgen() -> str:
    found = Path(sys.executable).with_name("shopgen")
    return str(found) if found.is_file() else "shopgen"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def first_answer(command: list[str], port: int) -> float:
    """Seconds from starting `command` to the first answer of the product list."""
    url = f"http://127.0.0.1:{port}/api/v1/products"
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    response.read()
                return time.perf_counter() - started
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None:
                    raise SystemExit(f"{command[0]} exited before answering") from None
                if time.perf_counter() - started > FIRST_DEADLINE:
                    raise SystemExit(f"{command[0]} did not answer in {FIRST_DEADLINE} s") from None
                time.sleep(0.005)
    finally:
        process.terminate()
        process.wait(timeout=30)


def run_once(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def series(runs: int, work: Path) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {
        "shopgen mock": [],
        "prism mock": [],
        "shopgen client": [],
        "openapi-typescript": [],
    }
    for _ in range(runs):
        port = free_port()
        samples["shopgen mock"].append(
            first_answer([shopgen(), "mock", str(CONTRACT), "--port", str(port)], port)
        )
        port = free_port()
        samples["prism mock"].append(
            first_answer(
                [str(BIN / "prism"), "mock", str(CONTRACT), "--port", str(port), "-v", "error"],
                port,
            )
        )
        samples["shopgen client"].append(
            run_once([shopgen(), "client", str(CONTRACT), "-t", "fetch", "-o", str(work / "c")])
        )
        samples["openapi-typescript"].append(
            run_once([str(BIN / "openapi-typescript"), str(CONTRACT), "-o", str(work / "t.d.ts")])
        )
    return samples


def report(samples: dict[str, list[float]], runs: int, load: tuple[str, str]) -> str:
    def median(name: str) -> float:
        return statistics.median(samples[name])

    def row(name: str, peer: str | None, target: float) -> str:
        values = ", ".join(f"{v:.2f}" for v in samples[name])
        ratio = f"{median(name) / median(peer):.2f}×" if peer else ""
        verdict = "met" if median(name) < target else "missed"
        return f"| {name} | {median(name):.2f} s | {ratio} | {values} | < {target:g} s: {verdict} |"

    def peer_row(name: str) -> str:
        values = ", ".join(f"{v:.2f}" for v in samples[name])
        return f"| {name} | {median(name):.2f} s | 1 | {values} | |"

    cpu = platform.processor() or platform.machine()
    lines = [
        BEGIN,
        f"Measured {dt.date.today().isoformat()} on {os.cpu_count()} CPUs ({cpu}), "
        f"Python {platform.python_version()}, {runs} runs per series, alternating; load "
        f"average {load[0]} at the start, {load[1]} at the end. Canonical contract.",
        "",
        "| series | median | vs peer | runs (s) | target |",
        "| --- | --- | --- | --- | --- |",
        row("shopgen mock", "prism mock", 1.0),
        peer_row("prism mock"),
        row("shopgen client", "openapi-typescript", 1.0),
        peer_row("openapi-typescript"),
        "",
        "`shopgen mock` is timed from process start to its first answer of `GET "
        "/api/v1/products`; Prism 5.14.2 the same way on the same file. `shopgen client` writes "
        "the whole client (types, runtime, one function per operation); openapi-typescript "
        "7.13.0 writes the types only.",
        END,
    ]
    return "\n".join(lines)


def write(section: str) -> None:
    text = RESULTS.read_text(encoding="utf-8")
    if BEGIN in text and END in text:
        start, end = text.index(BEGIN), text.index(END) + len(END)
        text = text[:start] + section + text[end:]
    else:
        text = text.rstrip("\n") + f"\n\n{HEADING}\n\n{section}\n"
    RESULTS.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--no-install", action="store_true")
    args = parser.parse_args()
    if not args.no_install:
        subprocess.run(
            ["npm", "ci", "--silent", "--no-audit", "--no-fund"], cwd=NPM_DIR, check=True
        )
    load_start = f"{os.getloadavg()[0]:.1f}"
    with tempfile.TemporaryDirectory() as tmp:
        samples = series(args.runs, Path(tmp))
    load_end = f"{os.getloadavg()[0]:.1f}"
    section = report(samples, args.runs, (load_start, load_end))
    print(section)
    if not args.no_write:
        write(section)


if __name__ == "__main__":
    main()

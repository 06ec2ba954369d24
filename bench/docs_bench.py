#!/usr/bin/env python3
"""`shopgen docs` benchmark: the GitHub REST description, against `redocly build-docs`.

Both tools build one HTML page from `api.github.com.json` of the npm package `@octokit/openapi`
(13 MB of JSON), as a user runs them: a new process each time, in the same run, alternating
tool by tool so that load on the shared machine hits both alike. shopgen runs with
`--skip-lint`, because `redocly build-docs` does not lint either (GitHub's description breaks
thousands of shop house rules, so with lint the build stops, which is measured separately). The
`shopgen docs` section of `bench/RESULTS.md` is rewritten between this script's markers.

    python bench/docs_bench.py                 # installs, 7 runs per series, updates RESULTS.md
    python bench/docs_bench.py --runs 3 --no-write
    python bench/docs_bench.py --no-install    # reuse bench/docs/node_modules

The npm packages are pinned in `bench/docs/package.json` and its lock, installed with `npm ci`
into `bench/docs/node_modules`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NPM_DIR = ROOT / "bench" / "docs"
MODULES = NPM_DIR / "node_modules"
INPUT = MODULES / "@octokit" / "openapi" / "generated" / "api.github.com.json"
REDOCLY = MODULES / "@redocly" / "cli" / "bin" / "cli.js"
REDOC_JS = ROOT / "tests" / "docs" / "node_modules" / "redoc" / "bundles" / "redoc.standalone.js"
RESULTS = ROOT / "bench" / "RESULTS.md"
HEADING = "## `shopgen docs`"
BEGIN = "<!-- BEGIN docs-bench: written by bench/docs_bench.py -->"
END = "<!-- END docs-bench -->"
# Keep Redocly from reaching for telemetry and update checks; the network is not part of a build.
NODE_ENV = {"REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true", "CI": "true"}


@dataclass
class Series:
    name: str
    command: list[str]
    output: Path
    expect_exit: int = 0
    samples: list[float] | None = None
    size: int = 0


def shopgen() -> str:
    found = Path(sys.executable).with_name("shopgen")
    if found.is_file():
        return str(found)
    which = shutil.which("shopgen")
    if which is None:
        sys.exit("shopgen is not installed in this interpreter's environment")
    return which


def install() -> None:
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("npm is needed to install @redocly/cli and @octokit/openapi")
    verb = "ci" if (NPM_DIR / "package-lock.json").exists() else "install"
    subprocess.run(
        [npm, verb, "--ignore-scripts", "--no-audit", "--no-fund"], cwd=NPM_DIR, check=True
    )


def run_once(series: Series) -> float:
    series.output.unlink(missing_ok=True)
    started = time.perf_counter()
    result = subprocess.run(
        series.command,
        cwd=ROOT,
        env={**os.environ, **NODE_ENV},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != series.expect_exit:
        sys.exit(
            f"{series.name}: exit {result.returncode}, expected {series.expect_exit}\n"
            f"{result.stderr[-2000:]}"
        )
    if series.expect_exit == 0:
        series.size = series.output.stat().st_size
    return elapsed


def summary(samples: list[float]) -> str:
    return (
        f"median {statistics.median(samples):.2f} s, min {min(samples):.2f} s, "
        f"max {max(samples):.2f} s ({len(samples)} runs)"
    )


def redocly_version() -> str:
    import json

    package = json.loads((MODULES / "@redocly" / "cli" / "package.json").read_text("utf-8"))
    return str(package["version"])


def octokit_version() -> str:
    import json

    package = json.loads((MODULES / "@octokit" / "openapi" / "package.json").read_text("utf-8"))
    return str(package["version"])


def section(series: list[Series]) -> str:
    by_name = {s.name: s for s in series}
    redocly = statistics.median(by_name["redocly"].samples or [0])
    ours = statistics.median(by_name["shopgen"].samples or [0])
    verdict = (
        "no slower than" if ours <= redocly else "SLOWER than"
    ) + f" `redocly build-docs` ({ours / redocly:.2f}× its median time)"
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    rows = [
        "| command | wall time | page |",
        "| --- | --- | --- |",
    ]
    labels = {
        "redocly": f"`redocly build-docs` ({redocly_version()})",
        "shopgen": "`shopgen docs --skip-lint` (ReDoc from the CDN)",
        "shopgen-offline": "`shopgen docs --skip-lint --redoc-js …` (ReDoc inlined)",
        "shopgen-lint": "`shopgen docs` with lint (stops: lint errors, exit 1)",
    }
    for item in series:
        if not item.samples:
            continue
        page = f"{item.size / 1048576:.1f} MiB" if item.size else "none (exit 1)"
        rows.append(f"| {labels[item.name]} | {summary(item.samples)} | {page} |")
    return "\n".join(
        [
            f"`api.github.com.json` from `@octokit/openapi` {octokit_version()} "
            f"({INPUT.stat().st_size / 1048576:.1f} MiB), each command a new process, the series "
            f"interleaved in one run. Measured {dt.date.today().isoformat()} on "
            f"{platform.machine()}, Python {platform.python_version()}, Node "
            f"{node.stdout.strip()}, {os.cpu_count()} cores, load average {load}.",
            "",
            *rows,
            "",
            f"shopgen's page build is {verdict}. Lint is part of `shopgen docs` and runs first; "
            "`redocly build-docs` does not lint, so the comparison is with `--skip-lint`. The "
            "lint row shows what lint adds on this description before it stops the build.",
        ]
    )


def write_section(body: str) -> None:
    """Rewrite this benchmark's block in RESULTS.md, or append the section; nothing else."""
    block = f"{BEGIN}\n{body.rstrip()}\n{END}"
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmarks\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip() + f"\n\n{HEADING}\n\n{block}\n"
    RESULTS.write_text(text.rstrip() + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per series (default 7)")
    parser.add_argument("--no-install", action="store_true", help="reuse bench/docs/node_modules")
    parser.add_argument("--no-write", action="store_true", help="print, leave RESULTS.md alone")
    args = parser.parse_args()

    if not args.no_install:
        install()
    if not INPUT.is_file() or not REDOCLY.is_file():
        sys.exit(f"{MODULES} is incomplete; run without --no-install")

    with tempfile.TemporaryDirectory(prefix="shopgen-docs-bench-") as scratch:
        out = Path(scratch)
        cli = shopgen()
        series = [
            Series(
                "redocly",
                ["node", str(REDOCLY), "build-docs", str(INPUT), "-o", str(out / "redocly.html")],
                out / "redocly.html",
            ),
            Series(
                "shopgen",
                [cli, "docs", str(INPUT), "-o", str(out / "shopgen.html"), "--skip-lint"],
                out / "shopgen.html",
            ),
            Series(
                "shopgen-lint",
                [cli, "docs", str(INPUT), "-o", str(out / "lint.html")],
                out / "lint.html",
                expect_exit=1,
            ),
        ]
        if REDOC_JS.is_file():
            series.insert(
                2,
                Series(
                    "shopgen-offline",
                    [cli, "docs", str(INPUT), "-o", str(out / "offline.html"), "--skip-lint"]
                    + ["--redoc-js", str(REDOC_JS)],
                    out / "offline.html",
                ),
            )
        for item in series:  # warm the file cache and check each command works
            run_once(item)
            item.samples = []
        for _ in range(args.runs):
            for item in series:
                assert item.samples is not None
                item.samples.append(run_once(item))
        for item in series:
            print(f"{item.name:16} {summary(item.samples or [])}")

    body = section(series)
    print()
    print(body)
    if not args.no_write:
        write_section(body)
        print(f"\nwrote the `shopgen docs` section of {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

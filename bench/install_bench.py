#!/usr/bin/env python3
"""Default-install benchmark: shopgen as `pip install shopgen` gives it, from the built wheel.

Builds the wheel, installs it with its default dependencies into a fresh virtual environment
(`bench/.work/install-venv`), and times with hyperfine, each command a new process:

- `shopgen --version` and `shopgen --help` (target: at most 150 ms);
- `shopgen new --no-input` into a fresh directory (target: median at most 0.6 s);
- `shopgen lint` on GitHub's REST description, JSON and YAML, against `redocly lint` in the same
  run (target: at most 0.5 of Redocly's wall time, at most 300 MiB peak);
- `shopgen lint` on a generated contract of 100,000 operations (target: at most 10 s);

and checks that a contract whose `paths` is a string gives findings, exit 1 and no traceback.
The `Default install` section of RESULTS.md is rewritten between this script's markers.

    python bench/install_bench.py              # build, install, measure, write RESULTS.md
    python bench/install_bench.py --runs 3 --no-write

Needs hyperfine, GNU time at /usr/bin/time, and `npm ci` done in bench/ (lint_bench.py does it)
for Redocly and the GitHub description.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
WORK = BENCH / ".work"
RESULTS = BENCH / "RESULTS.md"
GITHUB_JSON = BENCH / "node_modules" / "@octokit" / "openapi" / "generated" / "api.github.com.json"
GITHUB_YAML = WORK / "api.github.com.yaml"
REDOCLY = BENCH / "node_modules" / ".bin" / "redocly"
BEGIN = "<!-- BEGIN install-bench: written by bench/install_bench.py -->"
END = "<!-- END install-bench -->"
HEADING = "## Default install"


def run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=True)


def install(venv: Path) -> tuple[Path, str]:
    dist = WORK / "install-dist"
    shutil.rmtree(dist, ignore_errors=True)
    run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)])
    (wheel,) = dist.glob("*.whl")
    shutil.rmtree(venv, ignore_errors=True)
    run([sys.executable, "-m", "venv", str(venv)])
    run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)])
    freeze = run([str(venv / "bin" / "pip"), "freeze"]).stdout
    accelerators = [
        line for line in freeze.splitlines() if line.startswith(("yaml-rs", "openapi-spec"))
    ]
    return venv / "bin" / "shopgen", ", ".join(accelerators)


def hyperfine(commands: dict[str, str], runs: int, prepare: str | None = None) -> dict[str, dict]:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        args = ["hyperfine", "-N", "--warmup", "1", "--runs", str(runs), "--export-json", out.name]
        args += ["-i"]  # lint exits 1 on findings
        if prepare:
            args = [a for a in args if a != "-N"] + ["--prepare", prepare]
        for name, command in commands.items():
            args += ["--command-name", name, command]
        run(args)
        data = json.loads(Path(out.name).read_text())
    return {result["command"]: result for result in data["results"]}


def peak_mib(command: list[str]) -> float:
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *command], capture_output=True, text=True, check=False
    )
    return int(result.stderr.strip().splitlines()[-1]) / 1024


def hundred_thousand(path: Path) -> Path:
    if not path.exists():
        paths = {
            f"/api/v1/items-{i}": {
                "get": {"operationId": f"getItem{i}", "responses": {"200": {"description": "ok"}}}
            }
            for i in range(100_000)
        }
        document = {"openapi": "3.1.0", "info": {"title": "x"}, "paths": paths}
        path.write_text(json.dumps(document))
    return path


def seconds(result: dict) -> str:
    """Wall time, and CPU time (user + system), which other work on the machine moves less."""
    cpu = result["user"] + result["system"]
    return (
        f"median {result['median']:.3f} s, min {result['min']:.3f} s, "
        f"max {result['max']:.3f} s ({len(result['times'])} runs); CPU {cpu:.3f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    shopgen, accelerators = install(WORK / "install-venv")
    load_before = os.getloadavg()
    rows: list[tuple[str, str, str]] = []

    startup = hyperfine(
        {"version": f"{shopgen} --version", "help": f"{shopgen} --help"}, args.runs * 3
    )
    for name, result in startup.items():
        verdict = "meets" if result["median"] <= 0.150 else "misses"
        rows.append((f"`shopgen --{name}`", seconds(result), f"{verdict} 150 ms"))

    out = WORK / "install-new"
    made = hyperfine(
        {"new": f"{shopgen} new --no-input -o {out}"}, args.runs, prepare=f"rm -rf {out}"
    )["new"]
    verdict = "meets" if made["median"] <= 0.6 else "misses"
    rows.append(("`shopgen new --no-input`", seconds(made), f"{verdict} 0.6 s"))
    cached = list(out.rglob("__pycache__"))
    rows.append(("`__pycache__` folders in the made project", str(len(cached)), "none expected"))

    env_redocly = "REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true"
    for label, contract in (("JSON", GITHUB_JSON), ("YAML", GITHUB_YAML)):
        if not contract.exists() or not REDOCLY.exists():
            rows.append((f"GitHub description, {label}", "not measured", "run lint_bench.py"))
            continue
        pair = hyperfine(
            {
                "shopgen": f"{shopgen} lint {contract} --format json -o /dev/null",
                "redocly": (
                    f"env {env_redocly} {REDOCLY} lint {contract} --format json "
                    "--max-problems 1000000"
                ),
            },
            max(3, args.runs // 3),
        )
        ratio = pair["shopgen"]["median"] / pair["redocly"]["median"]
        peak = peak_mib(
            [str(shopgen), "lint", str(contract), "--format", "json", "-o", "/dev/null"]
        )
        rows.append(
            (
                f"`shopgen lint`, GitHub description, {label}",
                f"{seconds(pair['shopgen'])}; peak {peak:.0f} MiB",
                f"{ratio:.2f}x redocly ({pair['redocly']['median']:.2f} s): "
                f"{'meets' if ratio <= 0.5 else 'misses'} 0.5x; "
                f"{'meets' if peak <= 300 else 'misses'} 300 MiB",
            )
        )

    huge = hundred_thousand(WORK / "hundred-thousand.json")
    big = hyperfine({"huge": f"{shopgen} lint {huge} --format json -o /dev/null"}, 3)["huge"]
    rows.append(
        (
            "`shopgen lint`, 100,000 operations",
            seconds(big),
            f"{'meets' if big['median'] <= 10 else 'misses'} 10 s",
        )
    )

    broken = WORK / "paths-string.yaml"
    broken.write_text("openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths: oops\n")
    result = subprocess.run(
        [str(shopgen), "lint", str(broken)], capture_output=True, text=True, check=False
    )
    ok = (
        result.returncode == 1
        and "Traceback" not in result.stderr
        and "oas-structure" in (result.stdout)
    )
    rows.append(
        (
            "`paths` is a string",
            f"exit {result.returncode}, {result.stdout.count(' error ')} error finding(s)",
            "findings, exit 1, no traceback" + ("" if ok else ": FAILED"),
        )
    )

    load_after = os.getloadavg()
    table = "\n".join(f"| {a} | {b} | {c} |" for a, b, c in rows)
    load = (
        f"{', '.join(f'{x:.2f}' for x in load_before)} before, "
        f"{', '.join(f'{x:.2f}' for x in load_after)} after"
    )
    section = f"""{BEGIN}
The built wheel installed with its default dependencies into a fresh virtual environment
(`{accelerators or "no accelerators"}`), each command a new process timed by hyperfine.
Measured {dt.date.today().isoformat()} on {platform.machine()}, Python
{platform.python_version()}, {os.cpu_count()} cores, load average {load}.

| what | figure | target |
| --- | --- | --- |
{table}
{END}"""
    print(section)
    if not args.no_write:
        text = RESULTS.read_text()
        if BEGIN in text:
            start, end = text.index(BEGIN), text.index(END) + len(END)
            text = text[:start] + section + text[end:]
        else:
            text = text.rstrip() + f"\n\n{HEADING}\n\n{section}\n"
        RESULTS.write_text(text)


if __name__ == "__main__":
    main()

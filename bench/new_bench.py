#!/usr/bin/env python3
"""`shopgen new` benchmark: wall time of `shopgen new --no-input` on the canonical contract.

Each run is the whole command, as a user types it (a new interpreter, the CLI, lint, render,
the move into place), into a fresh output directory. The median of the runs is compared with
the target (under a second). A second series times a customised contract whose models are not
shipped precomputed, to show what model generation costs when it has to run. The `shopgen new`
section of `bench/RESULTS.md` is rewritten between this script's markers.

    python bench/new_bench.py              # 15 runs per series, updates bench/RESULTS.md
    python bench/new_bench.py --runs 5 --no-write
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
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
CANONICAL = ROOT / "specs" / "shop.openapi.yaml"
TARGET_S = 1.0
BEGIN = "<!-- BEGIN new-bench: written by bench/new_bench.py -->"
END = "<!-- END new-bench -->"
HEADING = "## `shopgen new`"
COMMAND = [sys.executable, "-c", "from shopgen.cli import main; main()", "new", "--no-input"]


def time_runs(contract: Path | None, runs: int, scratch: Path) -> list[float]:
    samples: list[float] = []
    for index in range(runs + 1):  # the first run warms the file cache and is dropped
        out = scratch / f"run-{index}"
        args = [*COMMAND, "-o", str(out)] + ([str(contract)] if contract else [])
        start = time.perf_counter()
        result = subprocess.run(args, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
        if result.returncode != 0:
            raise SystemExit(f"shopgen new failed:\n{result.stderr}")
        shutil.rmtree(out)
        if index:
            samples.append(elapsed)
    return samples


def customised_contract(scratch: Path) -> Path:
    """The canonical contract with one more schema: same size, models not shipped."""
    document = yaml.safe_load(CANONICAL.read_text(encoding="utf-8"))
    document["components"]["schemas"]["GiftNote"] = {
        "type": "object",
        "description": "A note printed on a gift receipt.",
        "properties": {"text": {"type": "string", "maxLength": 200}},
    }
    path = scratch / "customised.openapi.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
    return path


def summary(samples: list[float]) -> str:
    return (
        f"median {statistics.median(samples):.3f} s, min {min(samples):.3f} s, "
        f"max {max(samples):.3f} s ({len(samples)} runs)"
    )


def section(canonical: list[float], customised: list[float]) -> str:
    median = statistics.median(canonical)
    verdict = "meets" if median < TARGET_S else "misses"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    today, machine = dt.date.today().isoformat(), platform.machine()
    return f"""`shopgen new --no-input -o <fresh dir>` as a user runs it: a new interpreter each
time, lint, render, the move into place. Measured {today} on {machine},
Python {platform.python_version()}, {os.cpu_count()} cores, load average {load}.

| contract | wall time |
| --- | --- |
| canonical (`specs/shop.openapi.yaml`) | {summary(canonical)} |
| customised (canonical + one schema) | {summary(customised)} |

The canonical median {verdict} the target of {TARGET_S:.0f} s. The pydantic models of the
bundled contracts ship precomputed (`generator/shopgen/render/_models/`, keyed by a hash of the
schemas and checked against fresh generation by the tests); a contract with other schemas pays
for datamodel-code-generator (about 0.4 s to import, 0.5 s to run on this contract), which is
the difference between the two rows.
"""


def write_section(body: str) -> None:
    """Rewrite the text between this script's markers, under the section's own heading (the
    heading stays outside the markers, where other scripts look for it)."""
    block = f"{BEGIN}\n{body.rstrip()}\n{END}"
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmarks\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    elif f"\n{HEADING}\n" in text:
        # Replace the placeholder text under the heading, up to the next second-level heading.
        head, rest = text.split(f"\n{HEADING}\n", 1)
        following = rest.find("\n## ")
        tail = rest[following:] if following >= 0 else ""
        text = f"{head.rstrip()}\n\n{HEADING}\n\n{block}\n{tail}"
    else:
        text = f"{text.rstrip()}\n\n{HEADING}\n\n{block}\n"
    RESULTS.write_text(text.rstrip() + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--no-write", action="store_true", help="print, leave RESULTS.md alone")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="shopgen-new-bench-") as tmp:
        scratch = Path(tmp)
        canonical = time_runs(None, options.runs, scratch)
        customised = time_runs(customised_contract(scratch), options.runs, scratch)
    body = section(canonical, customised)
    print(body)
    if not options.no_write:
        write_section(body)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""`shopgen docs --site` benchmark: versioned sites, against one page in the same run.

Two sites, each built from a scratch git repository this script makes:

- **canonical**: `specs/shop.openapi.yaml` at ten tags, `v1.0.0` to `v1.9.0`. Each release
  loosens one more limit of the contract than the one before (a `maxLength`, a `maximum`), and
  `v1.9.0` is the contract as it is; the working copy is `v1.9.0`, as on a build of a release
  tag. Built with lint, as `shopgen docs --site` runs by default. Target: at most 3 s.
- **github**: GitHub's REST description (`api.github.com.json`) from `@octokit/openapi` 21.0.0,
  22.0.0 and 23.0.2 at three tags, the working copy being 23.0.2. Built with `--skip-lint`
  (the description breaks the shop house rules) and compared with one page of 23.0.2,
  `shopgen docs --skip-lint -o`. Target: at most 3x that page's time.

Every command is a new process, as a user runs it; the series are interleaved so that load on
the shared machine hits them alike. CPU time (user + system, the command's children included)
is reported beside wall time: it moves less with the load. The `shopgen docs --site` section of
`bench/RESULTS.md` is rewritten between this script's markers.

    python bench/docs_site_bench.py                 # npm ci in bench/docs, 7 runs per series
    python bench/docs_site_bench.py --runs 3 --no-write --no-install
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import docs_bench

ROOT = docs_bench.ROOT
MODULES = docs_bench.MODULES
RESULTS = docs_bench.RESULTS
CANONICAL = ROOT / "specs" / "shop.openapi.yaml"
GITHUB_RELEASES = {
    "v21.0.0": MODULES / "octokit-openapi-21" / "generated" / "api.github.com.json",
    "v22.0.0": MODULES / "octokit-openapi-22" / "generated" / "api.github.com.json",
    "v23.0.2": docs_bench.INPUT,
}
HEADING = "## `shopgen docs --site`"
BEGIN = "<!-- BEGIN site-bench: written by bench/docs_site_bench.py -->"
END = "<!-- END site-bench -->"
CANONICAL_TARGET = 3.0
GITHUB_TARGET = 3.0

# What each older canonical release had instead: v1.8.0 lacks the last edit, v1.0.0 all nine.
OLDER = (
    ("maxLength: 100", "maxLength: 80"),
    ("maxLength: 200", "maxLength: 120"),
    ("maxLength: 255", "maxLength: 128"),
    ("maximum: 100", "maximum: 50"),
    ("maxLength: 64", "maxLength: 48"),
    ("maxLength: 500", "maxLength: 300"),
    ("maximum: 99", "maximum: 50"),
    ("maxLength: 2048", "maxLength: 1024"),
    ("maxLength: 5000", "maxLength: 2000"),
)


@dataclass
class Series:
    name: str
    label: str
    command: list[str]
    cwd: Path
    output: Path
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


def git(repository: Path, *args: str, date: str | None = None) -> None:
    # Without the caller's GIT_* variables: GIT_DIR from a hook would aim at another repository.
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("GIT_")},
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@shopgen.invalid",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@shopgen.invalid",
    }
    if date is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"{date}T12:00:00+00:00"
    subprocess.run(["git", *args], cwd=repository, env=env, check=True, capture_output=True)


def release(repository: Path, name: str, content: bytes, path: str, date: str) -> None:
    (repository / path).write_bytes(content)
    git(repository, "add", "-A")
    git(repository, "commit", "-q", "-m", f"release {name}", date=date)
    git(repository, "tag", "-a", name, "-m", name, date=date)


def canonical_repository(scratch: Path) -> Path:
    repository = scratch / "canonical"
    (repository / "specs").mkdir(parents=True)
    git(repository, "init", "-q", "-b", "main")
    text = CANONICAL.read_text(encoding="utf-8")
    for before, _ in OLDER:
        if before not in text:
            sys.exit(f"{CANONICAL} has no `{before}` any more: update OLDER in {__file__}")
    for minor in range(10):
        version = text
        for before, after in OLDER[minor:]:
            version = version.replace(before, after)
        version = re.sub(r"(?m)^(  version: ).*$", rf"\g<1>1.{minor}.0", version, count=1)
        date = (dt.date(2025, 1, 1) + dt.timedelta(days=30 * minor)).isoformat()
        release(repository, f"v1.{minor}.0", version.encode(), "specs/shop.openapi.yaml", date)
    return repository


def github_repository(scratch: Path) -> Path:
    repository = scratch / "github"
    repository.mkdir()
    git(repository, "init", "-q", "-b", "main")
    for number, (name, source) in enumerate(GITHUB_RELEASES.items()):
        date = (dt.date(2025, 1, 1) + dt.timedelta(days=60 * number)).isoformat()
        release(repository, name, source.read_bytes(), "api.github.com.json", date)
    return repository


def run_once(series: Series) -> None:
    if series.output.is_dir():
        shutil.rmtree(series.output)
    series.output.unlink(missing_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(
        series.command, cwd=series.cwd, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"{series.name}: exit {result.returncode}\n{result.stderr[-2000:]}")
    series.wall.append(wall)
    series.cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)


def check_site(site: Path, pages: int) -> None:
    """The site has a page per version and skipped none: otherwise the time means nothing."""
    manifest = json.loads((site / "versions.json").read_text(encoding="utf-8"))
    built = [v for v in manifest["versions"] if v["page"]]
    skipped = [f"{v['name']}: {v['skipped']}" for v in manifest["versions"] if v["skipped"]]
    if skipped or len(built) != pages:
        sys.exit(f"{site}: {len(built)} pages, expected {pages}; skipped: {skipped}")


def median(values: list[float]) -> float:
    return statistics.median(values)


def section(series: dict[str, Series], load_start: str, load_end: str) -> str:
    canonical, github, page = series["site-canonical"], series["site-github"], series["page-github"]
    ratio = median(github.wall) / median(page.wall)
    cpu_ratio = median(github.cpu) / median(page.cpu)
    rows = ["| command | wall time | CPU time (median) |", "| --- | --- | --- |"]
    for item in series.values():
        rows.append(
            f"| {item.label} | {docs_bench.summary(item.wall)} | {median(item.cpu):.2f} s |"
        )
    one_cpu = ""
    if "site-github-one-cpu" in series:
        alone = median(series["site-github-one-cpu"].wall) / median(page.wall)
        one_cpu = f" Held to one CPU, where it loads every release in turn, it takes {alone:.2f}x."
    busy = ""
    if max(float(load_start.split(" / ")[0]), float(load_end.split(" / ")[0])) > (
        os.cpu_count() or 1
    ):
        # The builds themselves keep one to two CPUs busy; more than the machine has is others'.
        busy = (
            " The machine was busy with other work during this run (see the load average), "
            "which stretches wall times more than CPU times: re-run on a quiet machine before "
            "reading the wall-time targets."
        )
    meets = "meets" if median(canonical.wall) <= CANONICAL_TARGET else "DOES NOT meet"
    meets_ratio = "meets" if ratio <= GITHUB_TARGET else "DOES NOT meet"
    return "\n".join(
        [
            "Sites built from scratch git repositories: the canonical contract at ten tags "
            "(each release loosens one more limit), working copy = the last tag, with lint; "
            "GitHub's REST description from `@octokit/openapi` 21.0.0, 22.0.0 and 23.0.2 at "
            "three tags, working copy = 23.0.2, `--skip-lint`. Each command a new process, the "
            "series interleaved in one run; CPU time includes the forked processes. "
            f"Measured {dt.date.today().isoformat()} on {platform.machine()}, Python "
            f"{platform.python_version()}, {os.cpu_count()} cores; load average at start "
            f"{load_start}, at end {load_end}.",
            "",
            *rows,
            "",
            f"The ten-version canonical site takes {median(canonical.wall):.2f} s (median), "
            f"which {meets} the target of {CANONICAL_TARGET:.0f} s. The three-version GitHub "
            f"site takes {ratio:.2f}x one page's wall time ({cpu_ratio:.2f}x its CPU time), "
            f"which {meets_ratio} the target of {GITHUB_TARGET:.0f}x. The site compares "
            "consecutive releases without the path items they share and writes four pages "
            "where the single build writes one, with the cyclic garbage collector paused "
            "(it would walk every loaded release again); with two CPUs, a forked process loads and "
            "compares the older releases while the command loads the working copy (which "
            "23.0.2 reuses) and 22.0.0 once more, to compare it with 23.0.2. CPU time "
            "includes that second load." + one_cpu + busy,
        ]
    )


def loadavg() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


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
        docs_bench.install()
    missing = [str(path) for path in GITHUB_RELEASES.values() if not path.is_file()]
    if missing:
        sys.exit(f"missing {', '.join(missing)}; run without --no-install")

    cli = docs_bench.shopgen()
    with tempfile.TemporaryDirectory(prefix="shopgen-site-bench-") as scratch_name:
        scratch = Path(scratch_name)
        canonical = canonical_repository(scratch)
        github = github_repository(scratch)
        series = {
            "site-canonical": Series(
                "site-canonical",
                "`shopgen docs --site`, canonical contract, 10 tags (with lint)",
                [cli, "docs", "specs/shop.openapi.yaml", "--site", str(scratch / "s1")],
                canonical,
                scratch / "s1",
            ),
            "page-canonical": Series(
                "page-canonical",
                "`shopgen docs -o`, canonical contract, one page (with lint)",
                [cli, "docs", "specs/shop.openapi.yaml", "-o", str(scratch / "p1.html")],
                canonical,
                scratch / "p1.html",
            ),
            "site-github": Series(
                "site-github",
                "`shopgen docs --site --skip-lint`, GitHub description, 3 tags",
                [cli, "docs", "api.github.com.json", "--site", str(scratch / "s2"), "--skip-lint"],
                github,
                scratch / "s2",
            ),
            "page-github": Series(
                "page-github",
                "`shopgen docs -o --skip-lint`, GitHub description, one page",
                [cli, "docs", "api.github.com.json", "-o", str(scratch / "p2.html"), "--skip-lint"],
                github,
                scratch / "p2.html",
            ),
        }
        taskset = shutil.which("taskset")
        if taskset is not None:
            # The same build held to one CPU: one process, no comparison beside a load.
            series["site-github-one-cpu"] = Series(
                "site-github-one-cpu",
                "the same site on one CPU (`taskset -c 0`)",
                [
                    taskset,
                    "-c",
                    "0",
                    *series["site-github"].command[:4],
                    str(scratch / "s3"),
                    "--skip-lint",
                ],
                github,
                scratch / "s3",
            )
        for item in series.values():  # warm the file cache and check each command works
            run_once(item)
            item.wall.clear()
            item.cpu.clear()
        check_site(scratch / "s1", pages=11)
        check_site(scratch / "s2", pages=4)
        load_start = loadavg()
        for _ in range(args.runs):
            for item in series.values():
                run_once(item)
        load_end = loadavg()
    for item in series.values():
        print(f"{item.name:16} {docs_bench.summary(item.wall)}; CPU {median(item.cpu):.2f} s")
    body = section(series, load_start, load_end)
    print()
    print(body)
    if not args.no_write:
        write_section(body)
        print(f"\nwrote the `shopgen docs --site` section of {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

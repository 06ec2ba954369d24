#!/usr/bin/env python3
"""Parsing and validation floor on the GitHub REST API description.

Times, each in a fresh interpreter, the parsers that `shopgen lint` can build on and the two
structural validators, so that a lint figure can be read against what loading alone costs:

- PyYAML's C loader: `yaml.load` (Python objects) and `yaml.compose` (nodes with marks),
- `json.loads` and `orjson.loads` of the JSON form,
- rapidyaml's `ryml.parse_in_arena` (a tree whose scalars are slices of the source buffer),
- yaml-rs `yaml_rs.loads` (Python objects),
- openapi-spec-validator against openapi-spec-validator-rs, both run to the end
  (`iter_errors`) on the already-loaded document.

Inputs come from `bench/node_modules` and `bench/.work` (see `lint_bench.py`). Usage::

    python bench/parse_floor.py            # 3 runs each, updates bench/RESULTS.md
    python bench/parse_floor.py --runs 1   # one run each, RESULTS.md left alone
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lint_bench import (
    GITHUB_JSON,
    GITHUB_YAML,
    NODE_MODULES,
    RESULTS_PATH,
    WORK_DIR,
    derive_github_yaml,
    git_head,
    log,
    machine_info,
    update_results,
    wait_for_quiet,
)

SECTION_BEGIN = "<!-- BEGIN parse-floor: written by bench/parse_floor.py -->"
SECTION_END = "<!-- END parse-floor -->"
RESULTS_HEADING = "## Parsing floor: the GitHub description"
DEFAULT_RUNS = 3


@dataclass(frozen=True)
class Operation:
    key: str
    label: str
    source: str  # "yaml" or "json": which form of the description the operation reads


OPERATIONS: tuple[Operation, ...] = (
    Operation("yaml-load", "PyYAML `yaml.load(text, Loader=CSafeLoader)`", "yaml"),
    Operation("yaml-compose", "PyYAML `yaml.compose(text, Loader=CSafeLoader)`", "yaml"),
    Operation("ryml", "rapidyaml `ryml.parse_in_arena(data)`", "yaml"),
    Operation("yaml-rs", "yaml-rs `yaml_rs.loads(text, parse_datetime=False)`", "yaml"),
    Operation("yaml-rs-default", "yaml-rs `yaml_rs.loads(text)` (defaults)", "yaml"),
    Operation("json-loads", "`json.loads(text)`", "json"),
    Operation("orjson-loads", "`orjson.loads(data)`", "json"),
    Operation("osv", "openapi-spec-validator `iter_errors()` on the loaded dict", "json"),
    Operation("osv-rs", "openapi-spec-validator-rs `iter_errors()` on the loaded dict", "json"),
)


# --------------------------------------------------------------------------------------------
# Child side: one operation, timed inside a fresh interpreter


def _rss_now_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _validator_errors(module_name: str, spec: dict[str, Any]) -> Callable[[], list[Any]]:
    module = __import__(module_name)
    cls = module.OpenAPIV30SpecValidator
    if str(spec.get("openapi", "")).startswith("3.1"):
        cls = module.OpenAPIV31SpecValidator
    return lambda: list(cls(spec).iter_errors())


def child(op_key: str, path: Path, reference: Path) -> dict[str, Any]:
    """Run one operation once and describe it: seconds, memory, and what it produced."""
    data = path.read_bytes()
    text = data.decode("utf-8")
    # The validators take the loaded document as input; the parsers' results are compared
    # with it only after the timed call and the memory reading.
    spec: Any = json.loads(reference.read_bytes()) if op_key in ("osv", "osv-rs") else None
    detail: dict[str, Any] = {}
    func: Callable[[], Any]

    if op_key in ("yaml-load", "yaml-compose"):
        import yaml

        if op_key == "yaml-load":

            def func() -> Any:
                return yaml.load(text, Loader=yaml.CSafeLoader)  # noqa: S506 - safe loader
        else:

            def func() -> Any:
                return yaml.compose(text, Loader=yaml.CSafeLoader)
    elif op_key == "ryml":
        import ryml  # type: ignore[import-untyped]

        def func() -> Any:
            return ryml.parse_in_arena(data)
    elif op_key == "yaml-rs":
        import yaml_rs

        def func() -> Any:
            return yaml_rs.loads(text, parse_datetime=False)
    elif op_key == "yaml-rs-default":
        import yaml_rs

        def func() -> Any:
            return yaml_rs.loads(text)
    elif op_key == "json-loads":

        def func() -> Any:
            return json.loads(text)
    elif op_key == "orjson-loads":
        import orjson

        def func() -> Any:
            return orjson.loads(data)
    elif op_key in ("osv", "osv-rs"):
        module_name = "openapi_spec_validator" if op_key == "osv" else "openapi_spec_validator_rs"
        func = _validator_errors(module_name, spec)
    else:
        raise SystemExit(f"unknown operation {op_key}")

    rss_before = _rss_now_kib()
    start = time.perf_counter()
    result: Any = func()
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    if op_key in ("yaml-load", "yaml-rs", "yaml-rs-default", "json-loads", "orjson-loads"):
        detail["same_document"] = result == json.loads(reference.read_bytes())
    elif op_key == "yaml-compose":
        detail["nodes"] = f"{_count_nodes(result):,} nodes (keys and values apart)"
    elif op_key == "ryml":
        detail["nodes"] = f"{int(result.size()):,} tree nodes (a key and its value in one)"
    else:
        detail["errors"] = len(result)
        detail["error_paths"] = sorted(
            "/"
            + "/".join(str(p) for p in getattr(err, "absolute_path", []) or [])
            + " "
            + str(getattr(err, "message", err))[:200]
            for err in result
        )
    return {
        "seconds": seconds,
        "rss_before_kib": rss_before,
        "peak_rss_kib": peak,
        "detail": detail,
    }


def _count_nodes(root: Any) -> int:
    count = 0
    stack = [root]
    while stack:
        node = stack.pop()
        count += 1
        value = node.value
        if isinstance(value, list):
            for item in value:
                if isinstance(item, tuple):
                    stack.extend(item)
                else:
                    stack.append(item)
    return count


# --------------------------------------------------------------------------------------------
# Parent side


@dataclass
class Measured:
    op: Operation
    runs: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def median(self) -> float | None:
        return statistics.median(r["seconds"] for r in self.runs) if self.runs else None

    @property
    def peak_mib(self) -> float | None:
        return max(r["peak_rss_kib"] for r in self.runs) / 1024 if self.runs else None

    @property
    def before_mib(self) -> float | None:
        return min(r["rss_before_kib"] for r in self.runs) / 1024 if self.runs else None


def measure_all(
    runs: int, quiet_below: float, quiet_wait: float, timeout: float
) -> tuple[list[Measured], list[float]]:
    paths = {"yaml": GITHUB_YAML, "json": GITHUB_JSON}
    results = [Measured(op) for op in OPERATIONS]
    busy: list[float] = []
    for rep in range(runs):
        for item in results:
            busy.append(wait_for_quiet(quiet_below / 100.0, quiet_wait))
            cmd = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--child",
                item.op.key,
                str(paths[item.op.source]),
            ]
            try:
                proc = subprocess.run(
                    cmd, capture_output=True, text=True, timeout=timeout, check=False
                )
            except subprocess.TimeoutExpired:
                item.failures.append(f"timed out after {timeout:.0f} s")
                log(f"  {item.op.key} run {rep + 1}/{runs}: timed out")
                continue
            if proc.returncode != 0:
                tail = proc.stderr.strip().splitlines()[-1:] or ["?"]
                item.failures.append(f"exit {proc.returncode}: {tail[0]}")
                log(f"  {item.op.key} run {rep + 1}/{runs}: FAILED {tail[0]}")
                continue
            run = json.loads(proc.stdout)
            item.runs.append(run)
            log(
                f"  {item.op.key} run {rep + 1}/{runs}: {run['seconds']:.3f} s, "
                f"peak {run['peak_rss_kib'] / 1024:.0f} MiB"
            )
    return results, busy


def render(results: list[Measured], runs: int, busy: list[float]) -> str:
    machine = machine_info()
    size_yaml = GITHUB_YAML.stat().st_size / 1e6
    size_json = GITHUB_JSON.stat().st_size / 1e6
    by_key = {m.op.key: m for m in results}
    json_median = by_key["json-loads"].median
    lines = [
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by "
        f"`bench/parse_floor.py` (repository HEAD `{git_head()}`) on the machine described in "
        f"the `shopgen lint` section ({machine['cpu']}, {machine['cores']} cores, "
        f"{machine['python']}). Inputs: the YAML form ({size_yaml:.1f} MB) and the JSON form "
        f"({size_json:.1f} MB) of the same description, as in the `shopgen lint` section. Each "
        f"figure is the median of {runs} run(s), each in a fresh interpreter that has already "
        "read the file into memory (and, for the validators, loaded it with `json.loads`); "
        "only the call itself is timed. Peak RSS is the whole interpreter's, read right after the "
        "call; *before* is its RSS just before the call. *Same document* compares the result "
        "with `json.loads` of the JSON form, after the measurement. Share of the CPU busy "
        f"with other work in the second before each run: median "
        f"{statistics.median(busy) if busy else 0:.0%}, max {max(busy, default=0):.0%}.",
        "",
        "| operation | input | median s | vs `json.loads` | RSS before MiB | peak RSS MiB "
        "| result |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for item in results:
        if not item.runs:
            why = item.failures[0] if item.failures else "not run"
            lines.append(f"| {item.op.label} | {item.op.source} | failed: {why} | | | | |")
            continue
        median = item.median or 0.0
        ratio = f"{median / json_median:.1f}x" if json_median else "–"
        detail = item.runs[0]["detail"]
        if "same_document" in detail:
            outcome = (
                "same document as the JSON"
                if detail["same_document"]
                else "**differs from the JSON**"
            )
        elif "nodes" in detail:
            outcome = str(detail["nodes"])
        else:
            outcome = f"{detail['errors']} validation error(s)"
        lines.append(
            f"| {item.op.label} | {item.op.source} | {median:.3f} | {ratio} | "
            f"{item.before_mib or 0:.0f} | {item.peak_mib or 0:.0f} | {outcome} |"
        )
    osv, osv_rs = by_key["osv"], by_key["osv-rs"]
    lines.append("")
    if osv.runs and osv_rs.runs:
        errors = osv.runs[0]["detail"]["error_paths"]
        same = errors == osv_rs.runs[0]["detail"]["error_paths"]
        if same and not errors:
            lines.append("- Both validators find the description valid: no errors from either.")
        else:
            lines.append(
                "- The two validators report "
                + (
                    "the same errors (paths and messages)."
                    if same
                    else "**different errors**: compare them before relying on the Rust one."
                )
            )
    rs_default = by_key["yaml-rs-default"]
    if rs_default.runs and not rs_default.runs[0]["detail"].get("same_document", True):
        lines.append(
            "- yaml-rs with its defaults (`parse_datetime=True`) turns timestamp-like strings "
            "into `datetime` objects even when they are quoted (`'2025-01-01T00:00:00Z'`), so "
            "its result differs from the JSON; with `parse_datetime=False` it is the same "
            "document."
        )
    lines.append(
        "- Versions: "
        + ", ".join(f"{name} {_dist_version(name)}" for name in _DISTRIBUTIONS)
        + f"; GitHub description from npm `@octokit/openapi@{_octokit_version()}`."
    )
    return "\n".join(lines).rstrip() + "\n"


_DISTRIBUTIONS = (
    "PyYAML",
    "rapidyaml",
    "yaml-rs",
    "orjson",
    "openapi-spec-validator",
    "openapi-spec-validator-rs",
)


def _dist_version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _octokit_version() -> str:
    try:
        manifest = json.loads((NODE_MODULES / "@octokit/openapi/package.json").read_text())
        return str(manifest["version"])
    except (OSError, ValueError, KeyError):
        return "?"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Parsing and validation floor on the GitHub REST API description."
    )
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS, help="runs per operation")
    parser.add_argument(
        "--quiet-below",
        type=float,
        default=25.0,
        metavar="PCT",
        help="before each run, wait until at most PCT%% of the CPU is busy (100: no wait)",
    )
    parser.add_argument("--quiet-wait", type=float, default=300.0, metavar="S")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per run")
    parser.add_argument(
        "--write", action="store_true", help="rewrite RESULTS.md even with a non-default --runs"
    )
    parser.add_argument("--child", nargs=2, metavar=("OP", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        op_key, path = args.child
        print(json.dumps(child(op_key, Path(path), GITHUB_JSON)))
        return 0

    if not GITHUB_JSON.is_file():
        raise SystemExit("the GitHub description is missing: run bench/lint_bench.py first")
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    derive_github_yaml()
    results, busy = measure_all(args.runs, args.quiet_below, args.quiet_wait, args.timeout)
    section = render(results, args.runs, busy)
    (WORK_DIR / "parse-floor.md").write_text(section, encoding="utf-8")
    print(section)
    if args.runs == DEFAULT_RUNS or args.write:
        update_results(RESULTS_PATH, RESULTS_HEADING, SECTION_BEGIN, SECTION_END, section)
        log(f"wrote {RESULTS_PATH}")
    return 0 if all(m.runs for m in results) else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Lint benchmark: ``shopgen lint`` against ``redocly lint`` and ``spectral lint``.

Installs the pinned peers and input contracts from ``bench/package.json`` with npm, runs every
tool on every input in the same run, and records the median wall time, the peak resident set
size of the whole process tree, the number of findings each tool reported and its version.
The lint section of ``bench/RESULTS.md`` is rewritten from the figures of a complete run.

Run it with the interpreter of the environment that has shopgen installed::

    python bench/lint_bench.py                 # full run, updates bench/RESULTS.md
    python bench/lint_bench.py --quick         # one repetition per tool and input
    python bench/lint_bench.py --only shopgen --inputs medium

See ``bench/README.md`` for every option.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
WORK_DIR = BENCH_DIR / ".work"
NODE_MODULES = BENCH_DIR / "node_modules"
RESULTS_PATH = BENCH_DIR / "RESULTS.md"
GNU_TIME = Path("/usr/bin/time")

GITHUB_JSON = NODE_MODULES / "@octokit/openapi/generated/api.github.com.json"
GITHUB_YAML = WORK_DIR / "api.github.com.yaml"
MEDIUM_YAML = NODE_MODULES / "@blockfrost/openapi/openapi.yaml"
SHOP_YAML = REPO_DIR / "specs/shop.openapi.yaml"
SPECTRAL_RULESET = WORK_DIR / "spectral-ruleset.yaml"

TOOLS = ("shopgen", "redocly", "spectral")
PEERS = ("redocly", "spectral")
SEVERITIES = ("error", "warn", "info", "hint")
# The target named in the design: on the GitHub description, shopgen lint is no slower than
# redocly lint and stays under this peak resident set size.
TARGET_RSS_MIB = 2048.0
TARGET_INPUT = "github"

SECTION_BEGIN = "<!-- BEGIN lint-bench: written by bench/lint_bench.py -->"
SECTION_END = "<!-- END lint-bench -->"
RESULTS_HEADING = "## `shopgen lint`"

# Quiet, offline peers: no usage data, no update check, no colour codes in captured output.
PEER_ENV = {
    "REDOCLY_TELEMETRY": "off",
    "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",
    "NO_COLOR": "1",
    "FORCE_COLOR": "0",
    "NO_UPDATE_NOTIFIER": "1",
}


# --------------------------------------------------------------------------------------------
# Data model


@dataclass
class InputSpec:
    """One contract the tools are run on."""

    key: str
    title: str
    path: Path
    source: str
    large: bool
    prepare: Callable[[], None] | None = None
    size_bytes: int = 0
    operations: int = 0
    paths: int = 0
    schemas: int = 0
    openapi: str = ""


@dataclass
class RunSample:
    """One timed run of one tool on one input."""

    wall_s: float
    cpu_s: float
    maxrss_kib: int
    tree_rss_kib: int
    max_procs: int
    exit_code: int
    ok: bool
    findings: dict[str, int] | None
    stderr_tail: str = ""
    rules_run: int | None = None
    busy_before: float = 0.0
    others_during: float = 0.0


@dataclass
class ToolResult:
    """All runs of one tool on one input, with their summary."""

    tool: str
    command: list[str]
    samples: list[RunSample] = field(default_factory=list)
    note: str = ""

    @property
    def good(self) -> list[RunSample]:
        return [s for s in self.samples if s.ok]

    @property
    def median_wall(self) -> float | None:
        good = self.good
        return statistics.median(s.wall_s for s in good) if good else None

    @property
    def median_cpu(self) -> float | None:
        good = self.good
        return statistics.median(s.cpu_s for s in good) if good else None

    @property
    def peak_rss_mib(self) -> float | None:
        good = self.good
        if not good:
            return None
        return max(max(s.maxrss_kib, s.tree_rss_kib) for s in good) / 1024.0

    @property
    def rules_run(self) -> int | None:
        for sample in self.good:
            if sample.rules_run is not None:
                return sample.rules_run
        return None

    @property
    def findings(self) -> dict[str, int] | None:
        for sample in self.good:
            if sample.findings is not None:
                return sample.findings
        return None


# --------------------------------------------------------------------------------------------
# Environment


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_text(cmd: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """Run a short command and return its stripped stdout, or '' when it fails."""
    try:
        proc = subprocess.run(
            list(cmd), cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return proc.stdout.strip() if proc.returncode == 0 else ""


def tool_env(pythonpath: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(PEER_ENV)
    # Node CLIs are invoked through their bin shims, which start `node` from PATH.
    env["PATH"] = f"{NODE_MODULES / '.bin'}{os.pathsep}{env.get('PATH', '')}"
    if pythonpath is not None:
        # Ahead of the editable install's path entry: the snapshot's package is imported.
        env["PYTHONPATH"] = str(pythonpath)
    return env


def machine_info() -> dict[str, str]:
    """Describe the machine: CPU, cores, memory, OS, interpreter and Node versions."""
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    os_name = platform.platform()
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip().strip('"')
                break
    cores = str(len(os.sched_getaffinity(0)))
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "cpu": cpu,
        "cores": cores,
        "memory": mem,
        "os": f"{os_name}, Linux {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "node": run_text(["node", "--version"]) or "unavailable",
        "npm": run_text(["npm", "--version"]) or "unavailable",
        "loadavg": load,
    }


def git_head() -> str:
    head = run_text(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_DIR)
    return head or "unknown"


SNAPSHOT_DIRS = ("generator", "specs", "template")


def working_tree_state() -> str:
    """Say whether shopgen's sources in the working tree differ from HEAD."""
    status = run_text(
        ["git", "status", "--porcelain", "--untracked-files=all", "--", *SNAPSHOT_DIRS],
        cwd=REPO_DIR,
    )
    changed = len(status.splitlines()) if status else 0
    if changed:
        dirs = ", ".join(f"`{d}/`" for d in SNAPSHOT_DIRS)
        return (
            f"the working tree at `{git_head()}` with {changed} uncommitted change(s) under {dirs}"
        )
    return f"the working tree at `{git_head()}`, no uncommitted changes"


def export_snapshot(ref: str) -> tuple[Path, str]:
    """Export shopgen's sources at ``ref`` into the work directory, read-only for the repo.

    Returns the snapshot directory and the full commit id. ``git archive`` reads the object
    store only: the working tree and the index of the repository are left as they are.
    """
    sha = run_text(["git", "rev-parse", "--verify", f"{ref}^{{commit}}"], cwd=REPO_DIR)
    if not sha:
        raise SystemExit(f"--shopgen-ref: {ref!r} is not a commit of {REPO_DIR}")
    dest = WORK_DIR / f"shopgen-{sha[:12]}"
    if not (dest / ".complete").is_file():
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        listed = run_text(["git", "ls-tree", "--name-only", sha], cwd=REPO_DIR).splitlines()
        present = [d for d in SNAPSHOT_DIRS if d in listed]
        archive = subprocess.run(
            ["git", "archive", "--format=tar", sha, *present],
            cwd=REPO_DIR,
            capture_output=True,
            check=True,
        )
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(dest, filter="data")
        # Compile once, so no timed run pays for writing bytecode.
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(dest / "generator")],
            check=False,
        )
        (dest / ".complete").write_text(sha + "\n")
    return dest, sha


def npm_install(skip: bool) -> None:
    """Install the pinned peers and inputs: `npm ci` from the lock, `npm install` to create it."""
    if skip:
        if not NODE_MODULES.is_dir():
            raise SystemExit("bench/node_modules is missing: run without --no-install first")
        log("npm: skipped (--no-install)")
        return
    lock = BENCH_DIR / "package-lock.json"
    verb = "ci" if lock.is_file() else "install"
    cmd = ["npm", verb, "--no-audit", "--no-fund", "--loglevel=error"]
    log(f"npm: {' '.join(cmd)} in {BENCH_DIR}")
    proc = subprocess.run(cmd, cwd=BENCH_DIR, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"npm {verb} failed with exit {proc.returncode}")


def package_version(name: str) -> str:
    manifest = NODE_MODULES / name / "package.json"
    try:
        return str(json.loads(manifest.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return "?"


# --------------------------------------------------------------------------------------------
# Inputs


# Plain scalars that YAML 1.2's core schema (the JavaScript parsers) reads as something else
# than a string, beyond what PyYAML's YAML 1.1 resolvers already quote: `012345678912345678`
# is an int and `0.16001e0` a float there, while PyYAML alone would leave both unquoted.
YAML12_NON_STRINGS: list[tuple[str, str, str]] = [
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", "~nN"),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+.0123456789",
    ),
]


def derive_github_yaml() -> None:
    """Write the GitHub description as YAML, deterministically, next to the other work files.

    The npm package ships JSON only; the YAML form is the same document dumped by PyYAML's C
    dumper with the key order kept, so the YAML parsing path is measured on the same content.
    Strings that a YAML 1.1 or 1.2 parser would read as another type are quoted, so that
    PyYAML and the JavaScript parsers of the peers load the very document of the JSON file.
    """
    source = GITHUB_JSON.read_bytes()
    digest = hashlib.sha256(source).hexdigest()
    stamp = GITHUB_YAML.with_suffix(".sha256")
    if GITHUB_YAML.is_file() and stamp.is_file() and stamp.read_text().strip() == digest:
        return
    import yaml

    log(f"deriving {GITHUB_YAML.relative_to(BENCH_DIR)} from the JSON description")

    class Dumper(yaml.CSafeDumper):
        pass

    for tag, pattern, first in YAML12_NON_STRINGS:
        Dumper.add_implicit_resolver(tag, re.compile(pattern), list(first))
    data = json.loads(source)
    text = yaml.dump(
        data,
        Dumper=Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=4096,
        default_flow_style=False,
    )
    tmp = GITHUB_YAML.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(GITHUB_YAML)
    stamp.write_text(digest + "\n")


def describe_contract(spec: InputSpec) -> None:
    """Fill in size, OpenAPI version and operation, path and schema counts of an input."""
    import yaml

    spec.size_bytes = spec.path.stat().st_size
    text = spec.path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except ValueError:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(text, Loader=loader)  # noqa: S506 - safe loader
    if not isinstance(data, dict):
        return
    spec.openapi = str(data.get("openapi") or data.get("swagger") or "?")
    paths = data.get("paths") or {}
    methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    spec.paths = len(paths)
    spec.operations = sum(
        1 for item in paths.values() if isinstance(item, dict) for m in item if m in methods
    )
    spec.schemas = len((data.get("components") or {}).get("schemas") or {})


def all_inputs(shop_contract: Path = SHOP_YAML) -> list[InputSpec]:
    return [
        InputSpec(
            key="github",
            title="GitHub REST API description, JSON (headline)",
            path=GITHUB_JSON,
            source=(
                f"npm `@octokit/openapi@{package_version('@octokit/openapi')}`, "
                "`generated/api.github.com.json` (the package ships JSON only)"
            ),
            large=True,
        ),
        InputSpec(
            key="github-yaml",
            title="GitHub REST API description, YAML (derived)",
            path=GITHUB_YAML,
            source=(
                "the JSON above dumped to YAML by PyYAML's C dumper, key order kept "
                "(`bench/.work/api.github.com.yaml`, regenerated when the JSON changes)"
            ),
            large=True,
            prepare=derive_github_yaml,
        ),
        InputSpec(
            key="medium",
            title="Medium contract: Blockfrost API, YAML",
            path=MEDIUM_YAML,
            source=(
                f"npm `@blockfrost/openapi@{package_version('@blockfrost/openapi')}`, "
                "`openapi.yaml` (a real-world public description, MIT)"
            ),
            large=False,
        ),
        InputSpec(
            key="shop",
            title="shopgen's canonical contract, YAML",
            path=shop_contract,
            source=(
                "`specs/shop.openapi.yaml` in this repository"
                + ("" if shop_contract == SHOP_YAML else ", as committed with the measured shopgen")
            ),
            large=False,
        ),
    ]


# --------------------------------------------------------------------------------------------
# Tools


@dataclass
class ToolSpec:
    name: str
    executable: Path
    version: str
    available: bool
    note: str = ""
    env: dict[str, str] = field(default_factory=tool_env)

    def command(self, contract: Path) -> list[str]:
        exe = str(self.executable)
        if self.name == "shopgen":
            return [exe, "lint", str(contract), "--format", "json"]
        if self.name == "redocly":
            # JSON output with every problem, like `shopgen lint --format json`; the default
            # recommended ruleset applies because the work directory holds no redocly.yaml.
            return [exe, "lint", str(contract), "--format", "json", "--max-problems", "1000000"]
        if self.name == "spectral":
            return [exe, "lint", str(contract), "-r", str(SPECTRAL_RULESET), "-f", "json", "-q"]
        raise ValueError(self.name)


def shopgen_executable(override: str | None) -> Path:
    if override:
        return Path(override)
    beside = Path(sys.executable).parent / "shopgen"
    if beside.exists():
        return beside
    found = shutil.which("shopgen")
    return Path(found) if found else beside


def probe_tools(shopgen_path: Path, shopgen_pythonpath: Path | None) -> dict[str, ToolSpec]:
    env = tool_env()
    tools: dict[str, ToolSpec] = {}

    available = False
    note = ""
    shop_env = tool_env(shopgen_pythonpath)
    version = run_text([str(shopgen_path), "--version"], env=shop_env)
    if not shopgen_path.exists():
        note = f"{shopgen_path} not found"
    else:
        probe = subprocess.run(
            [str(shopgen_path), "lint", "--help"],
            capture_output=True,
            text=True,
            env=shop_env,
            check=False,
        )
        available = probe.returncode == 0
        if not available:
            note = "`shopgen lint` does not exist yet in this checkout"
    tools["shopgen"] = ToolSpec("shopgen", shopgen_path, version or "?", available, note, shop_env)

    redocly = NODE_MODULES / ".bin/redocly"
    tools["redocly"] = ToolSpec(
        "redocly",
        redocly,
        run_text([str(redocly), "--version"], env=env) or package_version("@redocly/cli"),
        redocly.exists(),
        "" if redocly.exists() else "bench/node_modules/.bin/redocly missing",
    )
    spectral = NODE_MODULES / ".bin/spectral"
    tools["spectral"] = ToolSpec(
        "spectral",
        spectral,
        run_text([str(spectral), "--version"], env=env)
        or package_version("@stoplight/spectral-cli"),
        spectral.exists(),
        "" if spectral.exists() else "bench/node_modules/.bin/spectral missing",
    )
    return tools


# --------------------------------------------------------------------------------------------
# Counting findings


def _severity_name(value: object) -> str:
    """Map the severity spellings of the three tools onto error/warn/info/hint."""
    if isinstance(value, int):  # Spectral: 0 error, 1 warn, 2 info, 3 hint
        return SEVERITIES[value] if 0 <= value < len(SEVERITIES) else "info"
    text = str(value).lower()
    if text.startswith("err"):
        return "error"
    if text.startswith("warn"):
        return "warn"
    if text.startswith("hint"):
        return "hint"
    return "info"


def _count_list(items: Iterable[object]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for item in items:
        sev = item.get("severity", item.get("level", "info")) if isinstance(item, dict) else "info"
        counts[_severity_name(sev)] += 1
    return {sev: counts.get(sev, 0) for sev in SEVERITIES}


def count_findings(tool: str, stdout: str) -> dict[str, int] | None:
    """Findings by severity from a tool's JSON output; None when the output is not readable."""
    text = stdout.strip()
    if not text:
        return None
    try:
        data: Any = json.loads(text)
    except ValueError:
        # Spectral prints a sentence instead of JSON when there is nothing to report.
        if tool == "spectral" and "No results" in text:
            return dict.fromkeys(SEVERITIES, 0)
        return None
    if tool == "redocly" and isinstance(data, dict) and isinstance(data.get("totals"), dict):
        totals = data["totals"]
        return {
            "error": int(totals.get("errors", 0)),
            "warn": int(totals.get("warnings", 0)),
            "info": 0,
            "hint": 0,
        }
    if isinstance(data, list):
        return _count_list(data)
    if isinstance(data, dict):
        for key in ("findings", "problems", "results", "diagnostics"):
            if isinstance(data.get(key), list):
                return _count_list(data[key])
        for key in ("summary", "totals", "counts"):
            summary = data.get(key)
            if isinstance(summary, dict):
                counts = dict.fromkeys(SEVERITIES, 0)
                for name, value in summary.items():
                    if isinstance(value, int) and name.rstrip("s") in (
                        "error",
                        "warn",
                        "warning",
                        "info",
                        "hint",
                    ):
                        counts[_severity_name(name)] += value
                return counts
    return None


def count_rules_run(stdout: str) -> int | None:
    """The number of rules shopgen says it ran (`summary.rules_run` of its JSON report)."""
    try:
        data: Any = json.loads(stdout)
    except ValueError:
        return None
    summary = data.get("summary") if isinstance(data, dict) else None
    value = summary.get("rules_run") if isinstance(summary, dict) else None
    return value if isinstance(value, int) else None


def format_findings(counts: dict[str, int] | None) -> str:
    if counts is None:
        return "?"
    total = sum(counts.values())
    parts = [f"{counts[s]} {s}" for s in SEVERITIES if counts.get(s)]
    return f"{total}" + (f" ({', '.join(parts)})" if parts else "")


# --------------------------------------------------------------------------------------------
# Measuring one run


def _proc_table() -> dict[int, tuple[int, int]]:
    """pid -> (ppid, rss in KiB) for every process visible in /proc."""
    page_kib = os.sysconf("SC_PAGE_SIZE") // 1024
    table: dict[int, tuple[int, int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with Path(entry.path, "stat").open("rb") as fh:
                raw = fh.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: split after the last ')'.
        fields = raw[raw.rfind(b")") + 2 :].split()
        if len(fields) < 22:
            continue
        table[int(entry.name)] = (int(fields[1]), int(fields[21]) * page_kib)
    return table


class TreeSampler(threading.Thread):
    """Samples the summed RSS and the process count of a process tree.

    GNU time reports the peak RSS of the largest single process in the tree (the kernel's
    rusage of waited-for descendants); the sampler catches trees of several processes that
    are alive together, which that number would understate.
    """

    def __init__(self, root: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.interval = interval
        self.peak_kib = 0
        self.max_procs = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            table = _proc_table()
            children: dict[int, list[int]] = {}
            for pid, (ppid, _) in table.items():
                children.setdefault(ppid, []).append(pid)
            # The root is the GNU time wrapper: count its descendants only.
            stack = list(children.get(self.root, []))
            total = 0
            procs = 0
            while stack:
                pid = stack.pop()
                procs += 1
                total += table.get(pid, (0, 0))[1]
                stack.extend(children.get(pid, []))
            self.peak_kib = max(self.peak_kib, total)
            self.max_procs = max(self.max_procs, procs)
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()


def _parse_gnu_time(text: str) -> tuple[float, int, int | None]:
    """(user + system CPU seconds, max RSS KiB, exit status) from `time -v` output."""
    user = sys_t = 0.0
    rss = 0
    status: int | None = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("User time (seconds):"):
            user = float(line.rsplit(":", 1)[1])
        elif line.startswith("System time (seconds):"):
            sys_t = float(line.rsplit(":", 1)[1])
        elif line.startswith("Maximum resident set size (kbytes):"):
            rss = int(line.rsplit(":", 1)[1])
        elif line.startswith("Exit status:"):
            status = int(line.rsplit(":", 1)[1])
    return user + sys_t, rss, status


_RUSAGE_WRAPPER = r"""
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
proc = subprocess.run(sys.argv[2:], stdout=open(sys.argv[1] + ".out", "wb"),
                      stderr=open(sys.argv[1] + ".err", "wb"), check=False)
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
json.dump({"cpu": ru.ru_utime + ru.ru_stime, "maxrss": ru.ru_maxrss, "rc": proc.returncode},
          open(sys.argv[1] + ".ru", "w"))
"""


def measure(
    cmd: list[str],
    tool: str,
    env: dict[str, str],
    run_dir: Path,
    label: str,
    timeout: float,
    sample_interval: float,
) -> RunSample:
    """Run one command in a fresh process tree and measure it."""
    base = run_dir / label
    out_path = base.with_suffix(".out")
    err_path = base.with_suffix(".err")
    time_path = base.with_suffix(".time")
    use_gnu_time = GNU_TIME.exists()
    if use_gnu_time:
        full = [str(GNU_TIME), "-v", "-o", str(time_path), *cmd]
    else:
        full = [sys.executable, "-c", _RUSAGE_WRAPPER, str(base), *cmd]
    ticks_before = cpu_ticks()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            full,
            cwd=WORK_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out if use_gnu_time else subprocess.DEVNULL,
            stderr=err if use_gnu_time else subprocess.DEVNULL,
            start_new_session=True,
        )
        sampler = TreeSampler(proc.pid, sample_interval) if sample_interval > 0 else None
        if sampler:
            sampler.start()
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            # The wrapper and the tool share a fresh process group: end all of it.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        wall = time.perf_counter() - start
        if sampler:
            sampler.stop()
            sampler.join()
    if use_gnu_time:
        cpu, maxrss, status = _parse_gnu_time(time_path.read_text() if time_path.exists() else "")
        # `time` exits with the command's status; a signal shows as 128+n.
        exit_code = status if status is not None else proc.wait()
    else:
        ru: dict[str, Any] = {}
        with contextlib.suppress(OSError, ValueError):
            ru = json.loads(base.with_suffix(".ru").read_text())
        cpu = float(ru.get("cpu", 0.0))
        maxrss = int(ru.get("maxrss", 0))
        exit_code = int(ru.get("rc", proc.wait()))
    ticks_after = cpu_ticks()
    if timed_out:
        exit_code = -9
    # CPU that other work used while this run went on, as a share of all cores: busy ticks
    # of the machine minus the run's own CPU time.
    hz = os.sysconf("SC_CLK_TCK")
    total_ticks = ticks_after[0] - ticks_before[0]
    busy_s = (total_ticks - (ticks_after[1] - ticks_before[1])) / hz
    others = max(0.0, busy_s - cpu) / (total_ticks / hz) if total_ticks > 0 else 0.0
    stdout = out_path.read_text(encoding="utf-8", errors="replace")
    stderr = err_path.read_text(encoding="utf-8", errors="replace")
    # 0 is clean and 1 means findings were reported, for all three tools. Anything else (2 for
    # unusable input, a signal, a time-out) is a failure of the run.
    ok = exit_code in (0, 1)
    findings = count_findings(tool, stdout) if ok else None
    tail = "\n".join(line for line in stderr.strip().splitlines()[-5:] if "║" not in line)
    return RunSample(
        wall_s=wall,
        cpu_s=cpu,
        maxrss_kib=maxrss,
        tree_rss_kib=sampler.peak_kib if sampler else 0,
        max_procs=sampler.max_procs if sampler else 0,
        exit_code=exit_code,
        ok=ok,
        findings=findings,
        stderr_tail="" if ok else tail,
        rules_run=count_rules_run(stdout) if ok and tool == "shopgen" else None,
        others_during=others,
    )


# --------------------------------------------------------------------------------------------
# The benchmark


def cpu_ticks() -> tuple[int, int]:
    """(total, idle + iowait) clock ticks of all cores since boot, from /proc/stat."""
    first = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    values = [int(v) for v in first[1:9]]
    return sum(values), values[3] + values[4]


def cpu_busy(window: float = 1.0) -> float:
    """Share of all cores (0..1) that were busy during ``window`` seconds, from /proc/stat."""
    snapshot = cpu_ticks
    total1, idle1 = snapshot()
    time.sleep(window)
    total2, idle2 = snapshot()
    if total2 <= total1:
        return 0.0
    return 1.0 - (idle2 - idle1) / (total2 - total1)


def wait_for_quiet(limit: float, max_wait: float) -> float:
    """Wait until at most ``limit`` of the CPU is busy, for ``max_wait`` seconds at most.

    The machine is shared: runs that start while other work keeps the cores busy measure
    that work too. Returns the busy share seen just before the run starts.
    """
    deadline = time.monotonic() + max_wait
    announced = False
    while True:
        busy = cpu_busy()
        if busy <= limit or time.monotonic() >= deadline:
            return busy
        if not announced:
            log(f"  waiting for a quieter machine ({busy:.0%} of the CPU busy)")
            announced = True
        time.sleep(4.0)


def warm_up(spec: InputSpec, tools: dict[str, ToolSpec], selected: Sequence[str]) -> None:
    """Bring the input and each tool's code into the page cache before the timed runs."""
    with spec.path.open("rb") as fh:
        while fh.read(1 << 20):
            pass
    for name in selected:
        subprocess.run(
            [str(tools[name].executable), "--version"],
            cwd=WORK_DIR,
            env=tools[name].env,
            capture_output=True,
            check=False,
        )


def run_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    SPECTRAL_RULESET.write_text('extends: ["spectral:oas"]\n')
    npm_install(args.no_install)

    selected_tools = [t for t in TOOLS if t in args.only]
    if args.shopgen_ref:
        snapshot, sha = export_snapshot(args.shopgen_ref)
        shop_source = f"commit `{sha[:12]}`, exported with `git archive` (`--shopgen-ref`)"
        tools = probe_tools(shopgen_executable(args.shopgen), snapshot / "generator")
        shop_contract = snapshot / "specs/shop.openapi.yaml"
    else:
        shop_source = working_tree_state()
        tools = probe_tools(shopgen_executable(args.shopgen), None)
        shop_contract = SHOP_YAML
    log(f"shopgen source: {shop_source}")
    for name in selected_tools:
        tool = tools[name]
        state = "ok" if tool.available else f"unavailable: {tool.note}"
        log(f"tool {name} {tool.version}: {state}")

    run_dir = WORK_DIR / "runs"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)

    started = dt.datetime.now(dt.UTC)
    machine = machine_info()
    notes: list[str] = []
    results: dict[str, Any] = {
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "git_head": git_head(),
        "shopgen_source": shop_source,
        "machine": machine,
        "timer": "GNU time -v" if GNU_TIME.exists() else "getrusage(RUSAGE_CHILDREN) wrapper",
        "tools": {
            n: {
                "version": t.version,
                "available": t.available,
                "note": t.note,
                "executable": str(t.executable),
            }
            for n, t in tools.items()
        },
        "selected_tools": selected_tools,
        "quiet_below": args.quiet_below,
        "inputs": [],
        "notes": notes,
        "complete": False,
    }

    for spec in all_inputs(shop_contract):
        if spec.key not in args.inputs:
            continue
        if spec.prepare is not None and GITHUB_JSON.is_file():
            spec.prepare()
        if not spec.path.is_file():
            message = f"input `{spec.key}` skipped: `{spec.path}` does not exist yet"
            log(message)
            notes.append(message)
            results["inputs"].append({"spec": spec, "tools": {}, "skipped": message})
            continue
        describe_contract(spec)
        runs = args.runs or (1 if args.quick else (3 if spec.large else 5))
        log(
            f"input {spec.key}: {spec.path} ({spec.size_bytes / 1e6:.1f} MB, "
            f"{spec.operations} operations), {runs} run(s) per tool"
        )
        per_tool: dict[str, ToolResult] = {}
        active: list[str] = []
        for name in selected_tools:
            tool = tools[name]
            per_tool[name] = ToolResult(name, tool.command(spec.path) if tool.available else [])
            if tool.available:
                active.append(name)
            else:
                per_tool[name].note = tool.note
        warm_up(spec, tools, active)
        for rep in range(runs):
            # Rotate the order so that no tool always runs right after the same neighbour.
            order = active[rep % len(active) :] + active[: rep % len(active)] if active else []
            for name in order:
                result = per_tool[name]
                busy = wait_for_quiet(args.quiet_below / 100.0, args.quiet_wait)
                sample = measure(
                    result.command,
                    name,
                    tools[name].env,
                    run_dir,
                    f"{spec.key}-{name}-{rep}",
                    args.timeout,
                    args.sample_interval,
                )
                sample.busy_before = busy
                result.samples.append(sample)
                status = "ok" if sample.ok else f"FAILED exit {sample.exit_code}"
                log(
                    f"  {spec.key} {name} run {rep + 1}/{runs}: {sample.wall_s:.2f} s, "
                    f"{max(sample.maxrss_kib, sample.tree_rss_kib) / 1024:.0f} MiB, "
                    f"findings {format_findings(sample.findings)}, {status} "
                    f"(other work: {busy:.0%} of the CPU before, "
                    f"{sample.others_during:.0%} during)"
                )
                if not sample.ok and sample.stderr_tail:
                    log("    " + sample.stderr_tail.replace("\n", "\n    "))
        results["inputs"].append({"spec": spec, "tools": per_tool, "skipped": None})

    machine["loadavg_end"] = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    results["complete"] = (
        not args.quick
        and args.runs is None
        and set(selected_tools) == set(TOOLS)
        and set(args.inputs) == {s.key for s in all_inputs()}
    )
    return results


# --------------------------------------------------------------------------------------------
# Report


def _fmt(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _ratio(name: str, peer: float | None, base: float | None) -> str:
    if peer is None or base is None or base <= 0:
        return "–"
    return f"{name}/shopgen = {peer / base:.2f}x"


def target_verdict(results: dict[str, Any], key: str) -> str:
    entry = next((e for e in results["inputs"] if e["spec"].key == key), None)
    if entry is None or entry["skipped"]:
        return "NOT MEASURED (input not run)"
    per_tool: dict[str, ToolResult] = entry["tools"]
    shop = per_tool.get("shopgen")
    red = per_tool.get("redocly")
    if shop is None or shop.median_wall is None:
        why = shop.note if shop and shop.note else "no successful shopgen run"
        return f"NOT MEASURED ({why})"
    if red is None or red.median_wall is None:
        return "NOT MEASURED (no successful redocly run to compare with)"
    rss = shop.peak_rss_mib or 0.0
    time_ok = shop.median_wall <= red.median_wall
    rss_ok = rss < TARGET_RSS_MIB
    verdict = "PASS" if time_ok and rss_ok else "FAIL"
    during = [s.others_during for r in (shop, red) for s in r.good]
    return (
        f"{verdict}: shopgen {shop.median_wall:.2f} s vs redocly {red.median_wall:.2f} s "
        f"({'ok' if time_ok else 'slower'}), peak {rss:.0f} MiB vs limit "
        f"{TARGET_RSS_MIB:.0f} MiB ({'ok' if rss_ok else 'over'}). CPU time, less sensitive "
        f"to the other work on the machine (median {statistics.median(during):.0%} of the "
        f"CPU during these runs): shopgen {_fmt(shop.median_cpu)} s, redocly "
        f"{_fmt(red.median_cpu)} s"
    )


def render_section(results: dict[str, Any]) -> str:
    machine = results["machine"]
    tools: dict[str, dict[str, Any]] = results["tools"]
    lines: list[str] = [
        "`shopgen lint` against `redocly lint` and `spectral lint`. "
        f"Measured {results['date']} by `bench/lint_bench.py` (repository HEAD "
        f"`{results['git_head']}`; shopgen measured from {results['shopgen_source']}). "
        "Wall time is the median of the runs listed per input; "
        "peak RSS is the largest over those runs, for the whole process tree "
        f"({results['timer']}, cross-checked by sampling `/proc` every "
        "0.1 s); CPU is user + system time (median).",
        "",
        "### Machine",
        "",
        f"- CPU: {machine['cpu']}, {machine['cores']} cores; memory {machine['memory']}",
        f"- OS: {machine['os']}",
        f"- Python {machine['python'].split()[-1]}, Node {machine['node']}, npm {machine['npm']}",
        f"- Load average (1/5/15 min) at start {machine['loadavg']}, "
        f"at end {machine.get('loadavg_end', '?')} — the machine is shared, so figures carry "
        "some noise",
        "",
        "### Tools",
        "",
        "| tool | version | command |",
        "| --- | --- | --- |",
    ]
    commands = {
        "shopgen": "`shopgen lint FILE --format json`",
        "redocly": "`redocly lint FILE --format json --max-problems 1000000` "
        "(built-in `recommended` ruleset)",
        "spectral": "`spectral lint FILE -r spectral-ruleset.yaml -f json -q` with "
        '`extends: ["spectral:oas"]`',
    }
    for name in results["selected_tools"]:
        info = tools[name]
        version = info["version"] if info["available"] else f"unavailable ({info['note']})"
        lines.append(f"| {name} | {version} | {commands[name]} |")
    lines += [
        "",
        "All three exit 1 when they report findings at error level; only another exit code "
        "(or a crash or time-out) counts as a failed run. Ratios are *peer ÷ shopgen*: "
        "`redocly/shopgen = 2.00x` means Redocly takes twice as long (or twice the memory) "
        "as shopgen, so a ratio above 1 favours shopgen.",
        "",
    ]

    for entry in results["inputs"]:
        spec: InputSpec = entry["spec"]
        lines.append(f"### {spec.title}")
        lines.append("")
        if entry["skipped"]:
            lines += [f"Not run: {entry['skipped'].split(': ', 1)[1]}.", ""]
            continue
        lines.append(
            f"Source: {spec.source}. {spec.size_bytes / 1e6:.1f} MB, OpenAPI {spec.openapi}, "
            f"{spec.paths} paths, {spec.operations} operations, {spec.schemas} schemas."
        )
        lines.append("")
        per_tool: dict[str, ToolResult] = entry["tools"]
        shop = per_tool.get("shopgen")
        shop_wall = shop.median_wall if shop else None
        shop_rss = shop.peak_rss_mib if shop else None
        lines += [
            "| tool | runs | median wall s (min–max) | CPU s | peak RSS MiB | findings "
            "| peer/shopgen wall | peer/shopgen RSS |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for name, result in per_tool.items():
            good = result.good
            failed = len(result.samples) - len(good)
            runs = f"{len(good)}" + (f" (+{failed} failed)" if failed else "")
            if not result.samples:
                lines.append(f"| {name} | 0 | not run: {result.note or 'unavailable'} | | | | | |")
                continue
            if not good:
                codes = sorted({s.exit_code for s in result.samples})
                lines.append(
                    f"| {name} | {runs} | failed (exit {', '.join(map(str, codes))}) | | | | | |"
                )
                continue
            findings = format_findings(result.findings)
            if result.rules_run is not None:
                findings += f"; {result.rules_run} rules run"
            walls = [s.wall_s for s in good]
            wall = f"{_fmt(result.median_wall)} ({min(walls):.2f}–{max(walls):.2f})"
            if name == "shopgen":
                ratio_wall = ratio_rss = "—"
            else:
                ratio_wall = _ratio(name, result.median_wall, shop_wall)
                ratio_rss = _ratio(name, result.peak_rss_mib, shop_rss)
            lines.append(
                f"| {name} | {runs} | {wall} | {_fmt(result.median_cpu)} | "
                f"{_fmt(result.peak_rss_mib, 0)} | {findings} | "
                f"{ratio_wall} | {ratio_rss} |"
            )
        busy = [s.busy_before for r in per_tool.values() for s in r.samples]
        during = [s.others_during for r in per_tool.values() for s in r.samples]
        if busy:
            noisy = sum(1 for b in busy if b > results.get("quiet_below", 25.0) / 100.0)
            lines += [
                "",
                "Share of the CPU used by other work on the machine: in the second before each "
                f"run median {statistics.median(busy):.0%} (max {max(busy):.0%}), during the "
                f"runs median {statistics.median(during):.0%} (max {max(during):.0%})"
                + (
                    f"; {noisy} run(s) started above the {results.get('quiet_below', 25.0):.0f}% "
                    "threshold once the wait ran out."
                    if noisy
                    else "."
                ),
            ]
        multi = [n for n, r in per_tool.items() if any(s.max_procs > 1 for s in r.samples)]
        if multi:
            lines += ["", f"Process trees of more than one process: {', '.join(multi)}."]
        lines.append("")

    lines += [
        "### Target",
        "",
        "On the GitHub description, `shopgen lint` (structural validation + house rules) takes "
        "no longer than `redocly lint` and stays under 2 GiB peak memory.",
        "",
        f"- **Headline (JSON, as shipped by `@octokit/openapi`): "
        f"{target_verdict(results, TARGET_INPUT)}**",
        f"- For information, the derived YAML form: {target_verdict(results, 'github-yaml')}",
        "",
        "### Notes",
        "",
        "- Findings differ between tools by design: each applies its own rules (Redocly's "
        "`recommended`, Spectral's `spectral:oas`, shopgen's structural validation plus house "
        "rules). The counts are there to show that each tool walked the whole document.",
        "- Spectral's JSON is an array of results (severity 0 error … 3 hint); Redocly's JSON "
        "carries `totals`; shopgen's JSON report is counted per finding severity.",
    ]
    lines += derived_notes(results)
    lines += [f"- {note[0].upper()}{note[1:]}." for note in results["notes"]]
    return "\n".join(lines).rstrip() + "\n"


def derived_notes(results: dict[str, Any]) -> list[str]:
    """Notes that follow from the figures: the two GitHub forms, the memory of the peers."""
    by_key: dict[str, dict[str, ToolResult]] = {
        e["spec"].key: e["tools"] for e in results["inputs"] if not e["skipped"]
    }
    notes: list[str] = []
    json_form, yaml_form = by_key.get("github"), by_key.get("github-yaml")
    if json_form and yaml_form:
        same = [
            name
            for name in json_form
            if name in yaml_form
            and json_form[name].findings is not None
            and json_form[name].findings == yaml_form[name].findings
        ]
        differ = [
            name
            for name in json_form
            if name in yaml_form and name not in same and json_form[name].findings is not None
        ]
        text = (
            "- The YAML form of the GitHub description quotes every string that a YAML 1.1 or "
            "1.2 parser would read as another type; PyYAML alone leaves `012345678912345678` "
            "and `0.16001e0` plain, which JavaScript parsers (YAML 1.2) read as numbers, and "
            "the peers then lint a different document."
        )
        if same:
            text += f" Same findings on both forms: {', '.join(same)}."
        if differ:
            text += f" **Different findings on the two forms: {', '.join(differ)}.**"
        notes.append(text)
    github = by_key.get(TARGET_INPUT, {})
    for name in PEERS:
        peer = github.get(name)
        if peer is not None and (peer.peak_rss_mib or 0.0) >= TARGET_RSS_MIB:
            notes.append(
                f"- {name.capitalize()} itself peaks at {peer.peak_rss_mib:.0f} MiB on the GitHub "
                f"description, over the {TARGET_RSS_MIB:.0f} MiB that the target allows shopgen."
            )
    versions = results["tools"]
    if "redocly" in results["selected_tools"]:
        notes.append(
            f"- Redocly CLI {versions['redocly']['version']} runs with `REDOCLY_TELEMETRY=off` "
            "(it sends usage data otherwise) and without its update check; on Node 20 it "
            "prints a deprecation banner to stderr (later releases need Node 22.12+)."
        )
    return notes


def update_results(path: Path, heading: str, begin: str, end: str, body: str) -> None:
    """Rewrite one benchmark's block of RESULTS.md and nothing else.

    The section's heading stays outside the markers. The text between ``begin`` and ``end`` is
    replaced when the markers exist; otherwise the text under ``heading`` (up to the next
    second-level heading) is, and a missing section is appended at the end of the file.
    """
    block = f"{begin}\n{body.rstrip()}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    elif f"\n{heading}\n" in text:
        head, rest = text.split(f"\n{heading}\n", 1)
        following = rest.find("\n## ")
        tail = rest[following:] if following >= 0 else ""
        text = f"{head.rstrip()}\n\n{heading}\n\n{block}\n{tail}"
    else:
        text = f"{text.rstrip()}\n\n{heading}\n\n{block}\n"
    path.write_text(text.rstrip() + "\n", encoding="utf-8")


def save_raw(results: dict[str, Any], path: Path) -> None:
    def encode(obj: object) -> object:
        if isinstance(obj, InputSpec):
            data = asdict(obj)
            data["path"] = str(obj.path)
            data.pop("prepare", None)
            return data
        if isinstance(obj, ToolResult):
            return {
                "tool": obj.tool,
                "command": obj.command,
                "note": obj.note,
                "median_wall_s": obj.median_wall,
                "median_cpu_s": obj.median_cpu,
                "peak_rss_mib": obj.peak_rss_mib,
                "findings": obj.findings,
                "samples": [asdict(s) for s in obj.samples],
            }
        if isinstance(obj, Path):
            return str(obj)
        raise TypeError(type(obj))

    path.write_text(json.dumps(results, default=encode, indent=2) + "\n", encoding="utf-8")


def load_raw(path: Path) -> dict[str, Any]:
    """Read back what `save_raw` wrote, to render the report again without measuring."""
    results: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    spec_fields = {f for f in InputSpec.__dataclass_fields__ if f != "prepare"}
    sample_fields = set(RunSample.__dataclass_fields__)
    for entry in results["inputs"]:
        raw_spec = entry["spec"]
        spec = InputSpec(**{k: v for k, v in raw_spec.items() if k in spec_fields})
        spec.path = Path(raw_spec["path"])
        entry["spec"] = spec
        entry["tools"] = {
            name: ToolResult(
                tool=raw["tool"],
                command=raw["command"],
                note=raw["note"],
                samples=[
                    RunSample(**{k: v for k, v in sample.items() if k in sample_fields})
                    for sample in raw["samples"]
                ],
            )
            for name, raw in entry["tools"].items()
        }
    return results


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    keys = [s.key for s in all_inputs()]
    parser = argparse.ArgumentParser(
        description="Benchmark `shopgen lint` against `redocly lint` and `spectral lint`."
    )
    parser.add_argument(
        "--quick", action="store_true", help="one run per tool and input (RESULTS.md untouched)"
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=None,
        help="runs per tool and input (default: 3 for the GitHub description, 5 otherwise)",
    )
    parser.add_argument(
        "--only",
        default=",".join(TOOLS),
        help=f"comma-separated tools to run (default: {','.join(TOOLS)})",
    )
    parser.add_argument(
        "--inputs",
        default=",".join(keys),
        help=f"comma-separated inputs to run (default: {','.join(keys)})",
    )
    parser.add_argument("--no-install", action="store_true", help="skip `npm ci`")
    parser.add_argument("--shopgen", default=None, help="path to the shopgen console script")
    parser.add_argument(
        "--shopgen-ref",
        default=None,
        metavar="REF",
        help="measure shopgen (and specs/shop.openapi.yaml) as committed at REF, exported "
        "into bench/.work, instead of the working tree",
    )
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="seconds before one run is killed"
    )
    parser.add_argument(
        "--sample-interval",
        type=float,
        default=0.1,
        help="seconds between /proc samples of the process tree (0 disables)",
    )
    parser.add_argument(
        "--quiet-below",
        type=float,
        default=25.0,
        metavar="PCT",
        help="before each run, wait until at most PCT%% of the CPU is busy (default 25; "
        "100 turns the wait off)",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=300.0,
        metavar="S",
        help="wait at most S seconds for a quiet machine before each run (default 300)",
    )
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="measure nothing: render the report again from the last complete run's figures "
        "(bench/.work/lint-bench.json)",
    )
    parser.add_argument(
        "--write",
        action="store_true",
        help="update bench/RESULTS.md even from a partial run (--quick, --runs, --only, --inputs)",
    )
    args = parser.parse_args(argv)
    args.only = [t.strip() for t in args.only.split(",") if t.strip()]
    args.inputs = [k.strip() for k in args.inputs.split(",") if k.strip()]
    unknown = sorted(set(args.only) - set(TOOLS)) + sorted(set(args.inputs) - set(keys))
    if unknown:
        parser.error(f"unknown tool or input: {', '.join(unknown)}")
    if args.runs is not None and args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # The raw figures of the last complete run stay apart from those of partial runs, so that
    # --render-only always finds the run that RESULTS.md was written from.
    raw_path = WORK_DIR / "lint-bench.json"
    if args.render_only:
        results = load_raw(raw_path)
    else:
        results = run_benchmark(args)
        save_raw(results, raw_path if results["complete"] else raw_path.with_stem("lint-partial"))
    section = render_section(results)
    (WORK_DIR / "lint-results.md").write_text(section, encoding="utf-8")
    print(section)
    if results["complete"] or args.write:
        update_results(RESULTS_PATH, RESULTS_HEADING, SECTION_BEGIN, SECTION_END, section)
        log(f"wrote {RESULTS_PATH.relative_to(REPO_DIR)}")
    else:
        log(
            "partial run: RESULTS.md left as it is (use --write to update it); "
            f"the section is in {(WORK_DIR / 'lint-results.md').relative_to(REPO_DIR)}"
        )
    failed = [
        f"{entry['spec'].key}/{name}"
        for entry in results["inputs"]
        for name, result in entry["tools"].items()
        if result.samples and not result.good
    ]
    if failed:
        log(f"every run failed for: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

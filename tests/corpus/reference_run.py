"""Run Redocly and Spectral on the corpus and record where their structural verdicts differ.

    (cd tests/corpus && npm ci)
    npm install --prefix /tmp/peers @redocly/cli@2.77.0 @stoplight/spectral-cli@6.16.3
    python -m tests.corpus.reference_run /tmp/peers/node_modules/.bin [FILE ...]
    python -m tests.corpus.reference_run --shopgen-only     # after changing shopgen on purpose

The versions are those `bench/package.json` pins. A tool's structural findings are those of
its rules that say whether the document is valid OpenAPI: Redocly's `struct` and
`no-unresolved-refs` (built-in `recommended` ruleset), Spectral's `oas2-schema`, `oas3-schema`
and `invalid-ref` (`spectral:oas`). For each file the number of findings of each tool is
written to `expectations.yaml`, and `agree: false` where the three do not report the same
nodes (JSON pointers), even with equal numbers. Every `reason` already there is kept; a
disagreement without one is listed and the script exits 1 until someone writes it. Given
FILEs (paths under `node_modules/`), only those are run again.

Neither tool runs in CI: `test_corpus.py` checks shopgen's numbers and that every recorded
disagreement has its reason.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from shopgen.contract import join_pointer

from .corpus import EXPECTATIONS, MODULES, corpus_files, expectations, structural_places

REDOCLY_RULES = {"struct", "no-unresolved-refs"}
SPECTRAL_RULES = {"oas2-schema", "oas3-schema", "invalid-ref"}
_TIMEOUT = 1800
_NODE = {"NODE_OPTIONS": "--max-old-space-size=8192"}

Places = list[str] | str
"""The pointers of a tool's structural findings, or why it has none (`refused`, `failed`)."""


def redocly(binary: Path, path: Path) -> Places:
    env = {**os.environ, **_NODE, "REDOCLY_TELEMETRY": "off"}
    with tempfile.TemporaryDirectory() as empty:  # no redocly.yaml: the recommended ruleset
        result = subprocess.run(
            [str(binary), "lint", str(path), "--format", "json", "--max-problems", "1000000"],
            capture_output=True,
            text=True,
            cwd=empty,
            env=env,
            timeout=_TIMEOUT,
        )
    try:
        data = json.loads(result.stdout)
    except json.JSONDecodeError:
        return f"failed (exit {result.returncode})"
    return [
        problem["location"][0]["pointer"].removeprefix("#")
        for problem in data.get("problems", [])
        if problem.get("ruleId") in REDOCLY_RULES
    ]


def spectral(binary: Path, path: Path) -> Places:
    with tempfile.TemporaryDirectory() as work:
        ruleset = Path(work) / "spectral-ruleset.yaml"
        ruleset.write_text('extends: ["spectral:oas"]\n')
        result = subprocess.run(
            [str(binary), "lint", str(path), "-r", str(ruleset), "-f", "json", "-q"],
            capture_output=True,
            text=True,
            cwd=work,
            env={**os.environ, **_NODE},
            timeout=_TIMEOUT,
        )
    text = result.stdout.strip()
    if not text or "No results" in text:
        return [] if result.returncode in (0, 1) else f"failed (exit {result.returncode})"
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return f"failed (exit {result.returncode})"
    return [
        join_pointer(str(part) for part in problem["path"])
        for problem in data
        if problem.get("code") in SPECTRAL_RULES
    ]


def _count(places: Places) -> int | str:
    return places if isinstance(places, str) else len(places)


def _same(*found: Places) -> bool:
    shapes = {p if isinstance(p, str) else tuple(sorted(set(p))) for p in found}
    return len(shapes) == 1


def disagrees(entry: dict[str, Any]) -> bool:
    """The tools' numbers differ, or the script saw them report different nodes."""
    numbers = {str(entry["shopgen"]), str(entry["redocly"]), str(entry["spectral"])}
    return len(numbers) > 1 or entry.get("agree") is False


def main(bin_dir: Path | None, only: list[str]) -> int:
    recorded = expectations() if EXPECTATIONS.exists() else {"files": {}, "diff": []}
    old_files: dict[str, Any] = recorded.get("files") or {}
    files: dict[str, Any] = {}
    for name in corpus_files():
        before = dict(old_files.get(name) or {})
        if only and name not in only:
            if before:
                files[name] = before
            continue
        path = MODULES / name
        ours = structural_places(path)
        entry: dict[str, Any] = {"shopgen": _count(ours)}
        if bin_dir is None:
            entry |= {k: before.get(k) for k in ("redocly", "spectral", "agree") if k in before}
        else:
            theirs = redocly(bin_dir / "redocly", path), spectral(bin_dir / "spectral", path)
            entry |= {"redocly": _count(theirs[0]), "spectral": _count(theirs[1])}
            if not _same(ours, *theirs):
                entry["agree"] = False
        if disagrees(entry) and before.get("reason"):
            entry["reason"] = before["reason"]
        files[name] = entry
        print(f"{name}: {entry}", flush=True)
    recorded["files"] = files
    _write(recorded)
    missing = [name for name, entry in files.items() if disagrees(entry) and "reason" not in entry]
    for name in missing:
        print(f"no reason recorded for {name}: {files[name]}", file=sys.stderr)
    return 1 if missing else 0


_HEADER = """\
# The real-world corpus (tests/corpus/package.json), reviewed. `test_corpus.py` fails when
# shopgen's result changes; update this file on purpose, with the reason.
#
# files: per file (its path under node_modules/), the number of structural findings of each
#   tool, or `refused` where the tool does not read the file. shopgen: oas-structure and
#   ref-resolvable; redocly 2.77.0: struct and no-unresolved-refs (recommended); spectral
#   6.16.3: oas2-schema, oas3-schema and invalid-ref (spectral:oas). Written by
#   `python -m tests.corpus.reference_run`, which also marks `agree: false` where the tools
#   report different nodes; wherever they differ, `reason` says why.
# diff: pairs compared by `shopgen diff`, with the number of changes and of breaking ones.
"""


def _write(data: dict[str, Any]) -> None:
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=4096)
    EXPECTATIONS.write_text(_HEADER + body, encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    shopgen_only = sys.argv[1] == "--shopgen-only"
    sys.exit(main(None if shopgen_only else Path(sys.argv[1]), sys.argv[2:]))

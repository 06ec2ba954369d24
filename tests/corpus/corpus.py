"""The real-world corpus: which files of the pinned npm packages are linted, which are diffed.

`npm ci` in this directory (`.ci/run` does it) fetches the packages of `package.json` into
`node_modules/`; nothing of them is committed. Two versions of a package are installed under
an npm alias named after the older one (`directus-specs-13.0.0`).

Left out: Octokit's `*.deref.json` (the same descriptions with every `$ref` inlined, 60-80 MB,
several above shopgen's 64 MiB limit) and the OpenAPI Workshop fragments of
`@readme/oas-examples` (pieces of documents, not documents).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
MODULES = HERE / "node_modules"
EXPECTATIONS = HERE / "expectations.yaml"

_PATTERNS = (
    "@octokit/openapi/generated/*.json",
    "@octokit/openapi-webhooks/generated/*.json",
    "@readme/oas-examples/[23].*/json/*.json",
    "@readme/oas-examples/[23].*/yaml/*.yaml",
    "@blockfrost/openapi/openapi.yaml",
    "blockfrost-openapi-0.1.82/openapi.yaml",
    "@directus/specs/dist/openapi.json",
    "directus-specs-13.0.0/dist/openapi.json",
    "@figma/rest-api-spec/openapi/openapi.yaml",
    "figma-rest-api-spec-0.35.0/openapi/openapi.yaml",
)

STRUCTURAL = ("oas-structure", "ref-resolvable")
"""shopgen's structural rules; the house rules are judged by their own tests."""


def corpus_files() -> list[str]:
    """Every corpus file, as its path under `node_modules/`, sorted."""
    found = {
        path.relative_to(MODULES).as_posix()
        for pattern in _PATTERNS
        for path in MODULES.glob(pattern)
        if not path.name.endswith(".deref.json")
    }
    return sorted(found)


@dataclass(frozen=True)
class Pair:
    old: str
    new: str
    changes: int
    breaking: int

    @property
    def id(self) -> str:
        return f"{self.old} -> {self.new}"


def expectations() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(EXPECTATIONS.read_text(encoding="utf-8"))
    return loaded


def pairs() -> list[Pair]:
    return [Pair(**pair) for pair in expectations()["diff"]]


def structural_places(path: Path) -> list[str] | str:
    """The pointers of shopgen's structural findings on a file, or `refused`."""
    from shopgen import lint
    from shopgen.errors import UserError

    try:
        report = lint.run(path)
    except UserError:
        return "refused"
    return [finding.pointer for finding in report.findings if finding.rule in STRUCTURAL]

"""Run the reference tool on every case of the table and write `fixtures/reference.yaml`.

    npm install --prefix /tmp/refdiff openapi-diff@0.24.1
    python -m tests.diff.reference_run /tmp/refdiff/node_modules/.bin/openapi-diff

oasdiff (the usual reference) is a Go binary and installs from none of the registries reachable
here (PyPI has no `oasdiff`; npm's `oasdiff` is an empty security placeholder; Debian has none).
The reference is therefore npm's `openapi-diff` 0.24.1 (Atlassian's), which classifies changes as
breaking / non-breaking / unclassified by comparing the sets of values each schema accepts. It
refuses circular `$ref`s, so the cyclic `Category` schema is left out of the pairs of the cases
that do not use it; the cases that do are recorded as the tool's error.

Every disagreement needs a reason in `REASONS`; the script stops on one without.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from shopgen import diff

from .cases import CASES, Case

FIXTURE = Path(__file__).parent / "fixtures" / "reference.yaml"
TOOL = "openapi-diff 0.24.1 (npm, Atlassian)"

_NO_PARAMETERS = "the reference reported no difference: it did not compare these parameters"
_NO_SECURITY = "the reference reported no difference: it does not compare security"
_NO_ENUM = "the reference reported no difference for an `enum` edit"

REASONS: dict[str, str] = {
    "operation-id-changed": "the reference ignores operationId; SDK method names come from it",
    "error-response-status-removed": (
        "the reference breaks on any removed status; clients keep their 4xx/5xx handlers"
    ),
    "response-property-became-nullable": (
        "the reference ignores OpenAPI 3.0 `nullable` (not a JSON Schema keyword)"
    ),
    "response-enum-value-added": _NO_ENUM,
    "request-enum-value-removed": _NO_ENUM,
    "request-property-added": (
        "the reference counts a typed optional property as narrowing what was accepted before; "
        "we assume clients did not send undocumented fields"
    ),
    "request-property-removed": (
        "the reference sees the accepted set widen; we break: the client's value is dropped"
    ),
    "cyclic-schema-property-added": "the reference refuses circular $refs",
    "query-parameter-added-required": _NO_PARAMETERS,
    "query-parameter-became-required": _NO_PARAMETERS,
    "query-parameter-maximum-lowered": _NO_PARAMETERS,
    "header-parameter-removed": _NO_PARAMETERS,
    "path-parameter-type-narrowed": _NO_PARAMETERS,
    "request-media-type-replaced": (
        "the reference merges media types into one accepted set; a JSON client now gets 415"
    ),
    "request-body-added": (
        "the reference reads an undeclared body as accepting anything; bodiless clients still work"
    ),
    "request-body-became-required": "the reference ignores `requestBody.required`",
    "request-body-removed": (
        "the reference sees the accepted set widen; we break: the client's payload is ignored"
    ),
    "request-variant-added": (
        "exact oneOf: a body matching two alternatives turns invalid; we read oneOf as a "
        "discriminated union, as generated SDKs do"
    ),
    "response-variant-removed": (
        "exact oneOf: removing an alternative can make a value match only one; "
        "we read oneOf as a discriminated union"
    ),
    "response-header-removed": (
        "the reference lets an optional header go; clients that read it (X-Total-Count) break"
    ),
    "security-added-on-public": _NO_SECURITY,
    "security-scopes-added": _NO_SECURITY,
    "security-requirement-changed": _NO_SECURITY,
    "security-scheme-changed": _NO_SECURITY,
}


def _strip_cycle(document: dict[str, Any]) -> None:
    document["paths"].pop("/categories", None)
    document["components"]["schemas"].pop("Category", None)


_USES_CATEGORY = {"cyclic-schema-property-added"}


def classify_shopgen(case: Case, directory: Path, *, strip: bool) -> str:
    old, new = case.documents()
    if strip:
        _strip_cycle(old)
        _strip_cycle(new)
    (directory / "old.json").write_text(json.dumps(old, indent=2))
    (directory / "new.json").write_text(json.dumps(new, indent=2))
    report = diff.compare(directory / "old.json", directory / "new.json")
    if report.breaking:
        return "breaking"
    return "compatible" if report.changes else "no-change"


def run_tool(tool: str, directory: Path) -> tuple[str, list[str]]:
    result = subprocess.run(
        [tool, str(directory / "old.json"), str(directory / "new.json")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if "No changes found" in result.stdout + result.stderr:
        return "no-change", []
    try:
        output = json.loads(result.stdout[result.stdout.index("{") :])
    except ValueError:
        first = (result.stderr or result.stdout).strip().splitlines()[:1]
        return "error", first
    codes = {
        "breaking": [d["code"] for d in output.get("breakingDifferences", [])],
        "non-breaking": [d["code"] for d in output.get("nonBreakingDifferences", [])],
        "unclassified": [d["code"] for d in output.get("unclassifiedDifferences", [])],
    }
    listed = [f"{group}: {code}" for group, items in codes.items() for code in items]
    if codes["breaking"]:
        return "breaking", listed
    if codes["non-breaking"] or codes["unclassified"]:
        return ("compatible" if codes["non-breaking"] else "unclassified"), listed
    return "no-change", listed


def agrees(ours: str, theirs: str) -> bool:
    """The same verdict for clients: both breaking, or both not (a tool error never agrees)."""
    if theirs == "error":
        return False
    return (ours == "breaking") == (theirs == "breaking")


def main(tool: str) -> None:
    rows = []
    missing = []
    for case in CASES:
        with tempfile.TemporaryDirectory() as temporary:
            directory = Path(temporary)
            strip = case.id not in _USES_CATEGORY
            ours = classify_shopgen(case, directory, strip=strip)
            theirs, codes = run_tool(tool, directory)
        row: dict[str, Any] = {
            "case": case.id,
            "shopgen": ours,
            "reference": theirs,
            "reference_output": codes,
        }
        if not agrees(ours, theirs):
            reason = REASONS.get(case.id)
            if reason is None:
                missing.append(f"{case.id}: shopgen {ours}, reference {theirs} {codes}")
            row["disagreement"] = reason
        rows.append(row)
    if missing:
        sys.exit("no reason recorded for:\n" + "\n".join(missing))
    FIXTURE.write_text(
        "# Written by tests/diff/reference_run.py: the reference tool's classification of each\n"
        "# case of tests/diff/cases.py, next to shopgen's. Regenerate, don't edit.\n"
        + yaml.safe_dump({"tool": TOOL, "cases": rows}, sort_keys=False, width=100)
    )


if __name__ == "__main__":
    main(sys.argv[1])

"""The pre-commit hooks of `.pre-commit-hooks.yaml`: the commands, over the files pre-commit
passes.

    python -m shopgen.hooks lint [--ruleset FILE] [--fail-severity LEVEL] CONTRACT...
    python -m shopgen.hooks diff [--base REF] CONTRACT...

`lint` lints each contract and fails on findings at or above `--fail-severity` (error).
`diff` compares each contract with its version at the merge base of HEAD and `--base` (default:
the remote's default branch, else `main`) and fails when a change breaks existing clients; a
contract the base does not have yet is new, so nothing in it can break.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from shopgen.errors import UserError

__all__ = ["main"]

_BASES = ("origin/HEAD", "origin/main", "origin/master", "main", "master")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shopgen.hooks")
    commands = parser.add_subparsers(dest="command", required=True)
    lint = commands.add_parser("lint", help="lint contracts")
    lint.add_argument("--ruleset", type=Path)
    lint.add_argument("--fail-severity", default="error", choices=("error", "warn", "info", "hint"))
    lint.add_argument("contracts", nargs="*", type=Path)
    diff = commands.add_parser("diff", help="find breaking changes against the merge base")
    diff.add_argument("--base", help="the branch to compare with (default: origin/HEAD)")
    diff.add_argument("contracts", nargs="*", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "lint":
            return _lint(args.contracts, args.ruleset, args.fail_severity)
        return _diff(args.contracts, args.base)
    except UserError as error:
        print(f"shopgen: {error}", file=sys.stderr)
        return error.exit_code


def _lint(contracts: list[Path], ruleset: Path | None, fail_severity: str) -> int:
    from shopgen import lint
    from shopgen.lint.reporters import text

    status = 0
    for contract in contracts:
        report = lint.run(contract, ruleset=ruleset)
        if report.findings:
            text.write(report, sys.stdout)
        status = max(status, report.exit_code(fail_severity))  # type: ignore[arg-type]
    return status


def _diff(contracts: list[Path], base: str | None) -> int:
    from shopgen import diff

    if not contracts:
        return 0
    merge_base = _merge_base(base)
    status = 0
    with tempfile.TemporaryDirectory(prefix="shopgen-diff-") as scratch:
        for contract in contracts:
            old = _at_revision(merge_base, contract, Path(scratch))
            if old is None:
                continue
            report = diff.compare(old, contract)
            if report.changes:
                diff.FORMATS["text"](report, sys.stdout)
            status = max(status, report.exit_code("breaking"))
    return status


def _git(*args: str) -> str | None:
    result = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    return result.stdout.strip() if result.returncode == 0 else None


def _merge_base(base: str | None) -> str:
    candidates = (base,) if base else _BASES
    for candidate in candidates:
        found = _git("merge-base", "HEAD", candidate)
        if found:
            return found
    wanted = base or " or ".join(_BASES)
    raise UserError(f"no merge base with {wanted}; name the branch to compare with: --base BRANCH")


def _at_revision(revision: str, contract: Path, scratch: Path) -> Path | None:
    """The contract as committed at `revision`, written under `scratch`; None if it is new."""
    relative = _git("ls-files", "--full-name", "--error-unmatch", str(contract))
    name = relative or contract.as_posix()
    result = subprocess.run(["git", "show", f"{revision}:{name}"], capture_output=True, check=False)
    if result.returncode != 0:
        return None
    old = scratch / revision / name
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_bytes(result.stdout)
    return old


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""GitHub Actions workflow commands: each finding becomes an annotation on the pull request."""

from __future__ import annotations

from typing import TextIO

from shopgen.lint._report import Report

__all__ = ["write"]

_COMMANDS = {"error": "error", "warn": "warning", "info": "notice", "hint": "notice"}


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def write(report: Report, out: TextIO) -> None:
    for f in report.findings:
        properties = ",".join(
            [
                f"file={_escape_property(f.file)}",
                f"line={f.line}",
                f"col={f.column}",
                f"title={_escape_property(f'{f.rule} ({f.severity})')}",
            ]
        )
        out.write(f"::{_COMMANDS[f.severity]} {properties}::{_escape_data(f.message)}\n")
    counts = report.counts()
    total = len(report.findings)
    out.write(
        f"shopgen lint: {total} problem{'s' if total != 1 else ''} "
        f"({', '.join(f'{n} {s}' for s, n in counts.items())})\n"
    )

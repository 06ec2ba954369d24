"""`file:line:col severity rule-id message`, then a summary line; colour only on a terminal."""

from __future__ import annotations

from typing import TextIO

from shopgen import terminal
from shopgen.lint._report import Report

__all__ = ["write"]

_COLOURS = {"error": "\033[31m", "warn": "\033[33m", "info": "\033[36m", "hint": "\033[2m"}
_NAMES = {
    "error": ("error", "errors"),
    "warn": ("warning", "warnings"),
    "info": ("info", "info"),
    "hint": ("hint", "hints"),
}
_BOLD, _RESET = "\033[1m", "\033[0m"


def write(report: Report, out: TextIO, *, colour: bool | None = None) -> None:
    if colour is None:
        colour = terminal.colour(out)
    for f in report.findings:
        severity: str = f.severity
        if colour:
            severity = f"{_COLOURS[f.severity]}{f.severity}{_RESET}"
        message = " ".join(f.message.split("\n"))
        out.write(f"{f.file}:{f.line}:{f.column} {severity} {f.rule} {message}\n")
    total = len(report.findings)
    if total == 0:
        summary = f"{report.contract}: no problems ({report.rules_run} rules)"
    else:
        parts = [f"{n} {_NAMES[severity][n != 1]}" for severity, n in report.counts().items() if n]
        problems = "problem" if total == 1 else "problems"
        summary = f"{report.contract}: {total} {problems} ({', '.join(parts)})"
    out.write(f"{_BOLD}{summary}{_RESET}\n" if colour else f"{summary}\n")

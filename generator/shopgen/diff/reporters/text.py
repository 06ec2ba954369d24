"""`BREAKING kind: message` or `ok       kind: message`, one line each, then a summary."""

from __future__ import annotations

from typing import TextIO

from shopgen import terminal
from shopgen.diff._report import DiffReport

__all__ = ["summary", "write"]

_RED, _GREEN, _BOLD, _RESET = "\033[31m", "\033[32m", "\033[1m", "\033[0m"


def summary(report: DiffReport) -> str:
    counts = report.counts()
    if not report.changes:
        return f"{report.old} → {report.new}: no changes"
    total = len(report.changes)
    return (
        f"{report.old} → {report.new}: {total} change{'s' if total != 1 else ''} "
        f"({counts['breaking']} breaking, {counts['non_breaking']} non-breaking)"
    )


def write(report: DiffReport, out: TextIO, *, colour: bool | None = None) -> None:
    if colour is None:
        colour = terminal.colour(out)
    for change in report.changes:
        marker = "BREAKING" if change.breaking else "ok      "
        if colour:
            marker = f"{_RED if change.breaking else _GREEN}{marker}{_RESET}"
        line = f":{change.new_line}" if change.new_line is not None else ""
        message = " ".join(change.message.split())
        out.write(f"{marker} {change.kind}: {message} [{report.new}{line}]\n")
    text = summary(report)
    out.write(f"{_BOLD}{text}{_RESET}\n" if colour else f"{text}\n")

"""GitHub Actions workflow commands: annotations on the new contract's lines."""

from __future__ import annotations

from typing import TextIO

from shopgen.diff._report import DiffReport

from .text import summary

__all__ = ["write"]


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def write(report: DiffReport, out: TextIO) -> None:
    for change in report.changes:
        command = "error" if change.breaking else "notice"
        title = f"{change.kind} ({'breaking' if change.breaking else 'non-breaking'})"
        properties = [f"file={_escape_property(str(report.new))}"]
        if change.new_line is not None:
            properties.append(f"line={change.new_line}")
        properties.append(f"title={_escape_property(title)}")
        out.write(f"::{command} {','.join(properties)}::{_escape_data(change.message)}\n")
    out.write(f"shopgen diff: {summary(report)}\n")

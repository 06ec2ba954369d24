"""Reporters: one module per output format, one `write(report, out)` each."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from shopgen.lint._report import Report

from . import github, json, sarif, text

__all__ = ["FORMATS", "Reporter"]

Reporter = Callable[[Report, TextIO], None]

FORMATS: dict[str, Reporter] = {
    "text": text.write,
    "json": json.write,
    "sarif": sarif.write,
    "github": github.write,
}

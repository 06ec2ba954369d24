"""Reporters: one module per output format, one `write(report, out)` each."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from shopgen.diff._report import DiffReport

from . import github, json, markdown, text

__all__ = ["FORMATS", "Reporter"]

Reporter = Callable[[DiffReport, TextIO], None]

FORMATS: dict[str, Reporter] = {
    "text": text.write,
    "json": json.write,
    "markdown": markdown.write,
    "github": github.write,
}

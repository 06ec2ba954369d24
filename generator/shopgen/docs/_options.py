"""What `shopgen docs` is asked to do, as the CLI and tests pass it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from shopgen.contract import Contract

__all__ = ["DocsOptions", "LintFinding", "LintReport", "Linter"]


class LintFinding(Protocol):
    """The parts of a lint finding the build reports when it stops."""

    @property
    def rule(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def file(self) -> str | Path | None: ...
    @property
    def line(self) -> int | None: ...
    @property
    def column(self) -> int | None: ...


class LintReport(Protocol):
    """What the build needs of a lint report: the findings at error severity."""

    @property
    def errors(self) -> Sequence[LintFinding]: ...


Linter = Callable[["Contract"], LintReport]


@dataclass(frozen=True, kw_only=True)
class DocsOptions:
    """Options of one page build; every field has the default `shopgen docs` uses."""

    title: str | None = None
    """The page's `<title>`; the contract's `info.title` when not given."""
    include_internal: bool = False
    """Keep the parts marked `x-internal-only: true` (for an internal portal)."""
    redoc_js: Path | None = None
    """A local `redoc.standalone.js` to inline; the pinned CDN copy when not given."""
    theme: Path | None = None
    """A YAML file of logo, ReDoc options and theme (see `shopgen.docs._theme`)."""
    skip_lint: bool = False
    """Build even when the contract has lint errors."""
    linter: Linter | None = None
    """Runs on the loaded contract before the build; `shopgen.lint.lint_contract` by default."""

"""Optional modules of a generated project (`shopgen new --set modules=douyin,erp`).

    names = modules.parse_modules("douyin,erp")
    text = modules.compose_contract(text, selected=names, known=modules.names(), ...)

The catalogue says which modules exist; each is a folder of the template (see
`_catalogue`); its contract fragment is merged into the project's contract by `_compose`,
which is imported on first use so that `shopgen --help` can list the modules cheaply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._catalogue import CATALOGUE, ModuleSpec, module_dir, parse_modules, spec

if TYPE_CHECKING:
    from ._compose import MARKER, Fragment, compose_contract, load_fragment, module_operations

__all__ = [
    "CATALOGUE",
    "MARKER",
    "Fragment",
    "ModuleSpec",
    "catalogue_lines",
    "compose_contract",
    "load_fragment",
    "module_dir",
    "module_operations",
    "names",
    "parse_modules",
    "spec",
]

_LAZY = frozenset({"MARKER", "Fragment", "compose_contract", "load_fragment", "module_operations"})


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from . import _compose

        return getattr(_compose, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def names() -> tuple[str, ...]:
    """Every module's name, in catalogue order."""
    return tuple(entry.name for entry in CATALOGUE)


def catalogue_lines() -> tuple[str, ...]:
    """One line per module, for help texts and docs: `douyin  Sell on Douyin Shop ...`."""
    width = max(len(entry.name) for entry in CATALOGUE)
    return tuple(f"{entry.name:<{width}}  {entry.summary}" for entry in CATALOGUE)

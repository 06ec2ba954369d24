"""The package's import boundaries: top-level packages use each other's public names only,
and lint never imports docs (docs may use lint: the rule reference reads lint's registry)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "generator" / "shopgen"
MODULES = sorted(PACKAGE.rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[str]:
    """Every module `path` imports, relative imports made absolute."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _top(module: str) -> str:
    """`shopgen.lint.rules.paths` -> `shopgen.lint`; a top-level module is its own."""
    return ".".join(module.split(".")[:2])


def _private_part(module: str) -> str | None:
    parts = module.split(".")
    for index, part in enumerate(parts[1:], start=1):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[: index + 1])
    return None


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_another_package_s_private_module(path: Path) -> None:
    own = _top(_module_name(path))
    crossing = sorted(
        {
            module
            for module in _imports(path)
            if module.startswith("shopgen.")
            and (private := _private_part(module)) is not None
            and _top(private) != own
        }
    )
    assert crossing == []


@pytest.mark.parametrize(
    "path", [p for p in MODULES if _top(_module_name(p)) == "shopgen.lint"], ids=str
)
def test_lint_never_imports_docs(path: Path) -> None:
    assert not [m for m in _imports(path) if m == "shopgen.docs" or m.startswith("shopgen.docs.")]

"""Rulesets: which rules run at which severity, Spectral-style `extends` and overrides.

extends: [shopgen:house]      # or a path relative to this file
rules:
  path-kebab-case: off
  money-integer-minor-units: warn
plugins: [my_rules]           # modules whose RULES join the registry
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shopgen.contract import join_pointer, read_source
from shopgen.errors import UserError
from shopgen.resources import bundled_ruleset

from ._rule import SEVERITIES, Rule, Severity
from .registry import all_rules

__all__ = ["HOUSE", "Ruleset", "load_ruleset"]

HOUSE = "shopgen:house"
_OFF = "off"
_KEYS = {"extends", "rules", "plugins", "description"}


@dataclass(frozen=True)
class Ruleset:
    """The resolved ruleset: each enabled rule with its severity."""

    severities: dict[str, Severity]
    rules: dict[str, Rule] = field(repr=False)
    sources: tuple[Path, ...] = ()

    def enabled(self) -> list[tuple[Rule, Severity]]:
        return [(self.rules[rule_id], sev) for rule_id, sev in self.severities.items()]


def load_ruleset(path: Path | None = None) -> Ruleset:
    """Resolve a ruleset file (default: the house ruleset) with everything it extends."""
    rules = {r.id: r for r in all_rules()}
    target = path if path is not None else bundled_ruleset()
    severities: dict[str, Severity] = {}
    sources: list[Path] = []
    _apply(target.resolve() if path is not None else target, rules, severities, sources, [])
    return Ruleset(severities=severities, rules=rules, sources=tuple(sources))


def _apply(
    path: Path,
    rules: dict[str, Rule],
    severities: dict[str, Severity],
    sources: list[Path],
    chain: list[Path],
) -> None:
    if path in chain:
        cycle = " → ".join(str(p) for p in [*chain, path])
        raise UserError(f"ruleset extends itself: {cycle}", path=chain[-1])
    source = read_source(path, root=False)
    document: dict[str, Any] = source.document
    sources.append(path)

    def fail(pointer: str, message: str) -> UserError:
        line, column = source.locate(pointer)
        return UserError(message, path=path, line=line, column=column)

    for key in document:
        if key not in _KEYS:
            allowed = ", ".join(sorted(_KEYS))
            raise fail(join_pointer([str(key)]), f"unknown key `{key}`; allowed: {allowed}")

    plugins = document.get("plugins", [])
    if not isinstance(plugins, list) or not all(isinstance(p, str) for p in plugins):
        raise fail("/plugins", "`plugins` must be a list of module names")
    for index, module_name in enumerate(plugins):
        for plugin_rule in _load_plugin(
            module_name, path.parent, lambda m, i=index: fail(f"/plugins/{i}", m)
        ):
            if plugin_rule.id in rules and rules[plugin_rule.id] is not plugin_rule:
                raise fail(
                    f"/plugins/{index}", f"plugin rule `{plugin_rule.id}` is already defined"
                )
            rules[plugin_rule.id] = plugin_rule
            severities.setdefault(plugin_rule.id, plugin_rule.default_severity)

    extends = document.get("extends", [])
    if isinstance(extends, str):
        extends = [extends]
    if not isinstance(extends, list):
        raise fail("/extends", "`extends` must be a list of rulesets")
    for index, parent in enumerate(extends):
        if parent == HOUSE:
            parent_path = bundled_ruleset()
        elif isinstance(parent, str) and not parent.startswith("shopgen:"):
            parent_path = (path.parent / parent).resolve()
            if not parent_path.is_file():
                raise fail(f"/extends/{index}", f"extended ruleset `{parent}` does not exist")
        else:
            raise fail(
                f"/extends/{index}", f"unknown ruleset `{parent}`; use {HOUSE} or a relative path"
            )
        _apply(parent_path, rules, severities, sources, [*chain, path])

    overrides = document.get("rules", {})
    if overrides is None:
        overrides = {}
    if not isinstance(overrides, dict):
        raise fail("/rules", "`rules` must map rule ids to a severity")
    for rule_id, value in overrides.items():
        pointer = join_pointer(["rules", str(rule_id)])
        if rule_id not in rules:
            raise fail(pointer, f"unknown rule `{rule_id}`; `shopgen rules` lists them")
        if value is False or value == _OFF:
            severities.pop(rule_id, None)
        elif value is True:
            severities[rule_id] = rules[rule_id].default_severity
        elif value in SEVERITIES:
            severities[rule_id] = value
        else:
            allowed = ", ".join([*SEVERITIES, _OFF])
            raise fail(pointer, f"rule `{rule_id}` has severity `{value}`; allowed: {allowed}")


def _load_plugin(module_name: str, base: Path, fail: Any) -> tuple[Rule, ...]:
    """Import a plugin module (from beside the ruleset first) and return its `RULES`."""
    added = str(base) not in sys.path
    if added:
        sys.path.insert(0, str(base))
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise fail(f"plugin `{module_name}` cannot be imported: {error}") from None
    finally:
        if added:
            sys.path.remove(str(base))
    plugin_rules = getattr(module, "RULES", None)
    if not isinstance(plugin_rules, tuple | list) or not all(
        isinstance(r, Rule) for r in plugin_rules
    ):
        raise fail(f"plugin `{module_name}` has no `RULES` tuple of @rule functions")
    return tuple(plugin_rules)

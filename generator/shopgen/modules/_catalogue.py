"""The modules a project can be made with: one entry each, and a folder in the template.

A module named `NAME` lives in `template/modules/NAME/`:

    contract.yaml                 its operations and schemas (`x-shopgen-module: NAME` on each)
    env.example                   its block of `.env.example`
    README.md                     its section of the project README
    {{cookiecutter.project_slug}}/    files rendered into the project: `app/NAME/` (its package,
                                  with `module.py` exporting `MODULE`), `alembic/versions/NAME_*`
                                  (revisions on the branch label `NAME`), `tests/NAME/`

Adding a module is adding that folder and one `ModuleSpec` below.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from shopgen.errors import UserError

__all__ = ["CATALOGUE", "ModuleSpec", "module_dir", "parse_modules"]


@dataclass(frozen=True, slots=True)
class ModuleSpec:
    name: str
    summary: str
    # Settings whose value `shopgen new` generates into the project's `.env`, per project.
    secrets: tuple[str, ...] = ()
    # Requirements the module's code adds to the project's `dependencies`, to its `test`
    # extra, and optional extras of its own (`(name, requirements)`).
    dependencies: tuple[str, ...] = ()
    test_dependencies: tuple[str, ...] = ()
    extras: tuple[tuple[str, tuple[str, ...]], ...] = ()


CATALOGUE: tuple[ModuleSpec, ...] = (
    ModuleSpec(
        "douyin",
        "Sell on Douyin Shop (抖店): shop tokens, order and product sync, signed pushes.",
        secrets=("DOUYIN_TOKEN_KEYS",),
    ),
    ModuleSpec(
        "erp",
        "Keep an ERP in step: ordered, signed outbox of changes; stock and prices back.",
        secrets=("ERP_SECRET",),
    ),
    ModuleSpec(
        "commission",
        "Pay distributors a share of each sale: channel tree, rules, balanced ledger, payouts.",
        test_dependencies=("hypothesis>=6.100",),
    ),
    ModuleSpec(
        "monitoring",
        "Watch the service: alert rules, a Grafana dashboard, business metrics, monthly report.",
        dependencies=("jinja2>=3.1", "matplotlib>=3.8"),
        extras=(("pdf", ("weasyprint>=62",)),),
    ),
)

_BY_NAME = {spec.name: spec for spec in CATALOGUE}


def module_dir(template: Path, name: str) -> Path:
    return template / "modules" / name


def parse_modules(value: str | Iterable[str]) -> tuple[str, ...]:
    """Module names from `douyin,erp` (or a list), checked, in catalogue order."""
    raw = value.split(",") if isinstance(value, str) else list(value)
    names = [name.strip().lower() for name in raw if name.strip()]
    unknown = [name for name in names if name not in _BY_NAME]
    if unknown:
        known = ", ".join(spec.name for spec in CATALOGUE)
        raise UserError(f"modules: `{unknown[0]}` is not a module; known: {known}")
    if len(set(names)) != len(names):
        raise UserError(f"modules: `{','.join(names)}` names a module twice")
    return tuple(spec.name for spec in CATALOGUE if spec.name in names)


def spec(name: str) -> ModuleSpec:
    return _BY_NAME[name]

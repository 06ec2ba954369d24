"""The questions `shopgen new` asks, their defaults, and the checks every answer passes."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from shopgen.errors import UserError
from shopgen.modules import CATALOGUE, parse_modules

__all__ = ["Answers", "ask", "read_questions"]

Database = Literal["sqlite", "postgresql"]
PAYMENT_CHANNELS: tuple[str, ...] = ("wechat", "mock")
_SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_TRUE = {"1", "true", "yes", "y", "on"}
_FALSE = {"0", "false", "no", "n", "off"}


@dataclass(frozen=True, slots=True)
class Answers:
    """The user's answers, checked: what the template and `.shopgen.yaml` receive."""

    project_name: str
    project_slug: str
    description: str
    author: str
    database: Database
    payment_channels: tuple[str, ...]
    shopify_sync: bool
    modules: tuple[str, ...] = ()

    def as_context(self) -> dict[str, Any]:
        """The answers as cookiecutter variables (the shape cookiecutter.json declares)."""
        return {
            "project_name": self.project_name,
            "project_slug": self.project_slug,
            "description": self.description,
            "author": self.author,
            "database": self.database,
            "payment_channels": ",".join(self.payment_channels),
            "shopify_sync": self.shopify_sync,
            "modules": ",".join(self.modules),
        }


def read_questions(template: Path) -> dict[str, Any]:
    """The variables `cookiecutter.json` declares, private ones included."""
    path = template / "cookiecutter.json"
    questions: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return questions


def _line(name: str, limit: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        value = value.strip()
        if not value:
            raise UserError(f"`{name}` must not be empty")
        if len(value) > limit or any(ch in value for ch in "\r\n\t\x00"):
            raise UserError(f"`{name}` must be one line of at most {limit} characters")
        return value

    return check


def _slug(value: str) -> str:
    if not _SLUG.fullmatch(value) or len(value) > 64:
        raise UserError(
            f"project_slug `{value}` is not a lower-case kebab-case name (like `my-shop`)"
        )
    return value


def _database(value: str) -> Database:
    if value == "sqlite":
        return "sqlite"
    if value == "postgresql":
        return "postgresql"
    raise UserError(f"database `{value}` is not supported; use `sqlite` or `postgresql`")


def _channels(value: str) -> tuple[str, ...]:
    names = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [n for n in names if n not in PAYMENT_CHANNELS]
    if unknown or not names or len(set(names)) != len(names):
        raise UserError(
            f"payment_channels `{value}` must be a comma-separated list of "
            f"{', '.join(PAYMENT_CHANNELS)}"
        )
    return tuple(n for n in PAYMENT_CHANNELS if n in names)


def _flag(name: str) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise UserError(f"{name} `{value}` is not a yes/no value")

    return check


def _check(raw: Mapping[str, Any]) -> Answers:
    return Answers(
        project_name=_line("project_name", 80)(str(raw["project_name"])),
        project_slug=_slug(str(raw["project_slug"])),
        description=_line("description", 200)(str(raw["description"])),
        author=_line("author", 100)(str(raw["author"])),
        database=_database(str(raw["database"])),
        payment_channels=_channels(str(raw["payment_channels"])),
        shopify_sync=_flag("shopify_sync")(raw["shopify_sync"]),
        # Projects made before modules existed have no answer: no modules.
        modules=parse_modules(str(raw.get("modules") or "")),
    )


def ask(questions: Mapping[str, Any], overrides: Mapping[str, str], *, no_input: bool) -> Answers:
    """Checked answers: overrides, then cookiecutter's prompts (or its defaults with `no_input`).

    Every override is checked before any prompt, so a bad `--set` fails at once.
    """
    public = [k for k in questions if not k.startswith("_")]
    unknown = sorted(set(overrides) - set(public))
    if unknown:
        raise UserError(
            f"--set `{unknown[0]}` is not a template variable; known: {', '.join(public)}"
        )
    for key, value in overrides.items():
        _CHECKS[key](value)
    return _check(_prompt(questions, overrides, no_input=no_input))


_CHECKS: Mapping[str, Callable[[str], object]] = {
    "project_name": _line("project_name", 80),
    "project_slug": _slug,
    "description": _line("description", 200),
    "author": _line("author", 100),
    "database": _database,
    "payment_channels": _channels,
    "shopify_sync": _flag("shopify_sync"),
    "modules": parse_modules,
}


def _prompt(
    questions: Mapping[str, Any], overrides: Mapping[str, str], *, no_input: bool
) -> dict[str, Any]:
    """Cookiecutter's own prompts and default rendering, with overrides as the defaults."""
    from collections import OrderedDict

    from cookiecutter.exceptions import CookiecutterException  # type: ignore[import-untyped]
    from cookiecutter.generate import apply_overwrites_to_context  # type: ignore[import-untyped]
    from cookiecutter.prompt import prompt_for_config  # type: ignore[import-untyped]

    # Modules are a multi-choice list, which cookiecutter cannot ask: asked below.
    variables: OrderedDict[str, Any] = OrderedDict(
        (k, v) for k, v in questions.items() if not k.startswith("_") and k != "modules"
    )
    try:
        apply_overwrites_to_context(
            variables, {k: v for k, v in overrides.items() if k != "modules"}
        )
        variables["__prompts__"] = dict(questions.get("__prompts__", {}))
        answered = dict(prompt_for_config({"cookiecutter": variables}, no_input=no_input))
    except (CookiecutterException, ValueError) as error:
        raise UserError(str(error)) from None
    if "modules" in overrides or no_input:
        answered["modules"] = overrides.get("modules", questions.get("modules", ""))
    else:
        _check({**answered, "modules": ""})  # a bad answer fails before the next question
        answered["modules"] = ",".join(_prompt_modules())
    return answered


def _prompt_modules() -> tuple[str, ...]:
    """Ask which modules to add: numbers or names, comma-separated; empty for none."""
    from rich.console import Console
    from rich.prompt import Prompt

    console = Console()
    console.print("Modules (optional, each billed on its own):")
    for number, module in enumerate(CATALOGUE, start=1):
        console.print(f"  {number}. {module.name}: {module.summary}", markup=False)
    while True:
        reply = Prompt.ask("Modules, by number or name, comma-separated (empty: none)", default="")
        picked = [_module_choice(part.strip()) for part in reply.split(",") if part.strip()]
        try:
            return parse_modules(picked)
        except UserError as error:
            console.print(error.message, markup=False)


def _module_choice(part: str) -> str:
    if part.isdigit() and 1 <= int(part) <= len(CATALOGUE):
        return CATALOGUE[int(part) - 1].name
    return part

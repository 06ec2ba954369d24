"""Reading `.shopgen.yaml` back: how a project was made, checked before anything is trusted."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shopgen.errors import UserError
from shopgen.files import load_yaml

from ._answers import _CHECKS, Answers, _check
from ._manifest import ANSWERS_FILE

__all__ = ["ProjectRecord", "read_record", "version_key"]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# Questions added after the first release: a project recorded before them has no answer.
_LATER = frozenset({"modules"})
_VERSION = re.compile(r"^(\d+(?:\.\d+)*)")


@dataclass(frozen=True, slots=True)
class ProjectRecord:
    """The checked content of a project's `.shopgen.yaml`."""

    path: Path
    shopgen_version: str
    contract_sha256: str
    answers: Mapping[str, Any]
    generated: tuple[str, ...]
    # Absent from records of shopgen 0.1.0, which counted template files as user-owned.
    template: tuple[str, ...]
    user_owned: tuple[str, ...]

    @property
    def files(self) -> frozenset[str]:
        """Every file shopgen recorded writing."""
        return frozenset((*self.generated, *self.template, *self.user_owned))

    def reanswer(self, overrides: Mapping[str, str]) -> Answers:
        """The recorded answers with `overrides` applied, checked as `shopgen new` checks them."""
        unknown = sorted(set(overrides) - set(_CHECKS))
        if unknown:
            raise UserError(
                f"--set `{unknown[0]}` is not a template variable; known: {', '.join(_CHECKS)}"
            )
        try:
            return _check({**self.answers, **overrides})
        except UserError as error:
            raise UserError(error.message, path=self.path) from None


def version_key(version: str) -> tuple[int, ...]:
    """The release numbers of a version string (`0.10.1rc1` -> (0, 10, 1)), for ordering."""
    match = _VERSION.match(version)
    if match is None:
        raise ValueError(version)
    return tuple(int(part) for part in match.group(1).split("."))


def read_record(project: Path) -> ProjectRecord:
    """Read and check `project/.shopgen.yaml`; a `UserError` naming the file otherwise."""
    if not project.is_dir():
        raise UserError("is not a directory; give the directory of a shopgen project", path=project)
    path = project / ANSWERS_FILE
    if not path.is_file():
        raise UserError(
            f"is not a shopgen project: no `{ANSWERS_FILE}` (projects are made by `shopgen new`)",
            path=project,
        )
    return _checked(path, load_yaml(path))


def _checked(path: Path, data: object) -> ProjectRecord:
    root = _mapping(path, data, "the document")
    version = _string(path, root, "shopgen_version")
    try:
        version_key(version)
    except ValueError:
        raise UserError(
            f"`shopgen_version` `{version}` is not a version number like `0.1.0`", path=path
        ) from None
    contract = _mapping(path, root.get("contract"), "`contract`")
    sha = _string(path, contract, "sha256", "contract.")
    if not _SHA256.fullmatch(sha):
        raise UserError(f"`contract.sha256` `{sha}` is not a sha256 hex digest", path=path)
    answers = _mapping(path, root.get("answers"), "`answers`")
    missing = [key for key in _CHECKS if key not in answers and key not in _LATER]
    if missing:
        raise UserError(f"`answers` lacks `{missing[0]}`", path=path)
    for key in _CHECKS:
        if key in answers and not isinstance(answers[key], str | bool):
            raise UserError(f"`answers.{key}` must be a string", path=path)
    files = _mapping(path, root.get("files"), "`files`")
    return ProjectRecord(
        path=path,
        shopgen_version=version,
        contract_sha256=sha,
        answers={key: answers[key] for key in _CHECKS if key in answers},
        generated=_names(path, files, "generated"),
        template=_names(path, files, "template") if "template" in files else (),
        user_owned=_names(path, files, "user_owned"),
    )


def _mapping(path: Path, value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise UserError(f"{what} must be a mapping, not {_kind(value)}", path=path)
    return value


def _string(path: Path, mapping: Mapping[str, Any], key: str, prefix: str = "") -> str:
    value = mapping.get(key)
    if value is None:
        raise UserError(f"lacks `{prefix}{key}`", path=path)
    if not isinstance(value, str):
        raise UserError(f"`{prefix}{key}` must be a string, not {_kind(value)}", path=path)
    return value


def _names(path: Path, files: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = files.get(key)
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise UserError(f"`files.{key}` must be a list of paths", path=path)
    for name in value:
        if name.startswith("/") or ".." in name.split("/") or not name:
            raise UserError(f"`files.{key}` entry `{name}` leaves the project", path=path)
    return tuple(value)


def _kind(value: object) -> str:
    return "nothing" if value is None else f"a {type(value).__name__}"

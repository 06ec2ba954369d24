"""Putting a rendered project in place atomically: all of it or nothing."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shopgen.errors import UserError

__all__ = ["check_target", "place", "staging_dir"]


def check_target(target: Path, *, force: bool) -> None:
    """Refuse a target that is a file, or a non-empty directory without `force`."""
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise UserError(f"`{target}` exists and is not a directory", path=None)
    if target.is_dir() and any(target.iterdir()) and not force:
        raise UserError(
            f"`{target}` exists and is not empty; choose another directory or pass --force"
        )


def _missing_parents(directory: Path) -> list[Path]:
    missing: list[Path] = []
    current = directory
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    return missing


@contextmanager
def staging_dir(output_dir: Path) -> Iterator[Path]:
    """A temporary directory beside the target, removed (with any parents we made) after."""
    created = _missing_parents(output_dir)
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".shopgen-", dir=output_dir))
    except OSError as error:
        _remove_dirs(created)
        raise UserError(f"cannot write to `{output_dir}`: {error.strerror or error}") from None
    ok = False
    try:
        yield staging
        ok = True
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if not ok:
            _remove_dirs(created)


def _remove_dirs(created: list[Path]) -> None:
    for directory in created:  # deepest first
        try:
            directory.rmdir()
        except OSError:
            break


# Kept when forcing into an existing project: it holds that project's own secrets.
_KEPT_ON_FORCE = frozenset({".env"})


def place(rendered: Path, target: Path) -> None:
    """Move `rendered` to `target`.

    A missing or empty target is replaced by one rename. An existing non-empty target (only
    reached with --force) gets each rendered file moved over it, except an existing `.env`;
    files of the target that the render did not produce are left alone.
    """
    if target.is_dir() and not any(target.iterdir()):
        target.rmdir()
    if not target.exists():
        try:
            rendered.replace(target)
        except OSError as error:
            raise UserError(f"cannot create `{target}`: {error.strerror or error}") from None
        return
    try:
        for source in sorted(rendered.rglob("*")):
            if source.is_dir():
                continue
            relative = source.relative_to(rendered)
            destination = target / relative
            if relative.as_posix() in _KEPT_ON_FORCE and destination.exists():
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            source.replace(destination)
    except OSError as error:
        raise UserError(f"cannot write into `{target}`: {error.strerror or error}") from None

"""The templates of earlier shopgen releases, kept to rebuild what they wrote.

A project recorded by an older release has no merge base for its template files (that
release kept bases for generated files only). Rendering the template of the release that
made it, with its recorded answers and contract, gives those files back as that release
wrote them. Each release's template ships here as `template-<version>.tar.xz`, made with
`git archive <release> template/cookiecutter.json 'template/{{cookiecutter.project_slug}}' |
xz -9e` (76 kB for 0.1.0): the partials are left out, since they render generated files and
stubs, whose bases are kept or not needed.
"""

from __future__ import annotations

import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["ARCHIVES", "release_template", "shipped_releases"]

ARCHIVES = Path(__file__).with_name("_releases")


def _archive(version: str) -> Path:
    return ARCHIVES / f"template-{version}.tar.xz"


def shipped_releases() -> tuple[str, ...]:
    """The versions whose template ships with this shopgen."""
    found = (p.name.removeprefix("template-").removesuffix(".tar.xz") for p in ARCHIVES.glob("*"))
    return tuple(sorted(found))


@contextmanager
def release_template(version: str) -> Iterator[Path | None]:
    """The template of release `version`, unpacked for the block; None if it is not shipped."""
    archive = _archive(version)
    if not archive.is_file():
        yield None
        return
    with tempfile.TemporaryDirectory(prefix=f"shopgen-{version}-") as tmp:
        with tarfile.open(archive, "r:xz") as tar:
            tar.extractall(tmp, filter="data")
        yield Path(tmp) / "template"

"""The merge bases as one file: `.shopgen/base.tar`, an uncompressed POSIX tar archive.

One file instead of a copy of every generated and template file keeps the project's tree,
searches and editors free of duplicates, and costs one file to create instead of hundreds.
It is uncompressed and written the same way every time (sorted names, no dates, no owners),
so git stores the difference between two updates compactly and an unchanged base is
byte-identical. Projects from releases that kept `.shopgen/base/` as a folder are read as
they are; their next update writes the archive and removes the folder.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Mapping
from pathlib import Path

from shopgen.errors import UserError

from ._manifest import BASE_ARCHIVE, BASE_DIR

__all__ = ["kept_bases", "pack_bases"]


def pack_bases(bases: Mapping[str, bytes]) -> bytes:
    """The archive of `bases` (relative POSIX name -> content), the same bytes for the same
    contents."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name in sorted(bases):
            content = bases[name]
            member = tarfile.TarInfo(name)
            member.size = len(content)
            member.mode = 0o644
            member.mtime = 0
            archive.addfile(member, io.BytesIO(content))
    return buffer.getvalue()


def kept_bases(project: Path) -> dict[str, bytes] | None:
    """Every base the project keeps, from its archive or (older projects) its folder;
    None when it keeps neither."""
    archive = project / BASE_ARCHIVE
    if archive.is_file():
        return _unpacked(archive)
    folder = project / BASE_DIR
    if folder.is_dir():
        return {
            path.relative_to(folder).as_posix(): path.read_bytes()
            for path in folder.rglob("*")
            if path.is_file()
        }
    return None


def _unpacked(archive: Path) -> dict[str, bytes]:
    bases: dict[str, bytes] = {}
    try:
        with tarfile.open(archive, mode="r:") as tar:
            for member in tar:
                if not member.isfile():
                    continue
                content = tar.extractfile(member)
                if content is not None:
                    bases[member.name] = content.read()
    except (tarfile.TarError, OSError) as error:
        raise UserError(
            f"the merge bases cannot be read ({error}); restore `{BASE_ARCHIVE}` from git",
            path=archive,
        ) from None
    return bases

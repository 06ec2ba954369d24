"""Three-way merges of a file and the git work-tree check, both through the `git` command.

`git merge-file` works on any three files, inside a repository or not, and leaves the
standard `<<<<<<< / ======= / >>>>>>>` markers that every editor and `git diff` understand.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from shopgen.errors import UserError

__all__ = ["Merged", "dirty_files", "merge_three"]


@dataclass(frozen=True, slots=True)
class Merged:
    content: bytes
    conflicts: int


def _git() -> str | None:
    return shutil.which("git")


def merge_three(name: str, *, current: bytes, base: bytes, new: bytes) -> Merged:
    """Merge the template's change (`base` -> `new`) into the user's `current` file.

    Conflicts are marked `<<<<<<< yours` / `||||||| base` / `======= ` / `>>>>>>> shopgen`.
    """
    git = _git()
    if git is None:
        raise UserError("merging an edited generated file needs the `git` command", path=name)
    with tempfile.TemporaryDirectory(prefix="shopgen-merge-") as tmp:
        paths = []
        for label, content in (("current", current), ("base", base), ("new", new)):
            path = Path(tmp) / label
            path.write_bytes(content)
            paths.append(str(path))
        result = subprocess.run(
            [git, "merge-file", "-p", "--diff3", "-L", "yours", "-L", "base", "-L", "shopgen"]
            + paths,
            capture_output=True,
            check=False,
        )
    if result.returncode < 0 or result.returncode > 127:
        message = result.stderr.decode(errors="replace").strip()
        raise UserError(f"git merge-file failed: {message}", path=name)
    return Merged(result.stdout, result.returncode)


def dirty_files(project: Path, *, exempt: tuple[str, ...]) -> list[str] | None:
    """Changed or untracked files under `project`, or None when it is not in a git work tree.

    Paths in `exempt` (relative to `project`) do not count. Read-only: no index refresh.
    """
    git = _git()
    if git is None:
        return None
    inside = subprocess.run(
        [git, "-C", str(project), "rev-parse", "--is-inside-work-tree"],
        capture_output=True,
        text=True,
        check=False,
    )
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        return None
    status = subprocess.run(
        [git, "--no-optional-locks", "-C", str(project), "status", "--porcelain", "-z"]
        + ["--untracked-files=all", "--", "."]
        + [f":(exclude){name}" for name in exempt],
        capture_output=True,
        text=True,
        check=False,
    )
    if status.returncode != 0:
        raise UserError(f"git status failed: {status.stderr.strip()}", path=project)
    entries = [entry for entry in status.stdout.split("\0") if entry]
    # -z: "XY path", and a rename's original path follows as its own entry without status.
    return [entry[3:] for entry in entries if len(entry) > 3 and entry[2] == " "]

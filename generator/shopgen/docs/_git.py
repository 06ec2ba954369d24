"""The released versions of a contract, read from git tags without a checkout or the network.

`git for-each-ref` lists the tags and `git cat-file --batch` reads the contract as it was at each
of them in one process (what `git show TAG:PATH` prints, for every tag at once). A contract that
refers to files beside it gets those files from the same tag, found by scanning its text for
`$ref` values that name a file; the working tree is never touched.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from shopgen.errors import UserError

__all__ = ["Repository", "Tag", "open_repository"]

# A `$ref` to another file in YAML or JSON: `$ref: parts/order.yaml#/Order`. It starts with the
# literal `$ref`, so the scan jumps from one to the next; local ones fail at the `#`.
_FILE_REF = re.compile(rb"""\$ref["']?[ \t]*:[ \t]*["']?(?!#)([^"'\s#,{}\[\]]+)""")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_MAX_FILES = 200
# What `git rev-parse --local-env-vars` lists: variables that choose a repository or its parts.
_REPOSITORY_VARIABLES = frozenset(
    {
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR",
        "GIT_DIR",
        "GIT_GRAFT_FILE",
        "GIT_IMPLICIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_NO_REPLACE_OBJECTS",
        "GIT_OBJECT_DIRECTORY",
        "GIT_PREFIX",
        "GIT_REPLACE_REF_BASE",
        "GIT_SHALLOW_FILE",
        "GIT_WORK_TREE",
    }
)
_VERSION = re.compile(r"(?P<prefix>\D*)(?P<number>\d+(?:\.\d+)*)(?P<rest>.*)", re.DOTALL)
_NATURAL = re.compile(r"(\d+)")


@dataclass(frozen=True)
class Tag:
    """A tag whose name matches the pattern; `date` is the tagger's (or the commit's) date."""

    name: str
    date: str
    """ISO 8601 with the offset, as git prints `%(creatordate:iso-strict)`."""

    @property
    def day(self) -> str:
        return self.date[:10]


@dataclass(frozen=True)
class Repository:
    """The git work tree holding a contract, and the contract's path inside it."""

    root: Path
    contract: str
    """The contract's POSIX path relative to `root`, as `git show TAG:PATH` takes it."""
    shallow: bool

    def tags(self, pattern: str) -> list[Tag]:
        """Tags whose whole name matches the glob `pattern`, newest version first.

        Tags of one naming scheme sort by their numbers (`v1.10.0` after `v1.9.0`), a
        pre-release before its release (`v2.0.0-rc.1` before `v2.0.0`); tags of several schemes
        (`v1.2.0` and `release-2025-08`), or without numbers, sort by date.
        """
        out = _git(
            self.root,
            "for-each-ref",
            "--format=%(refname)%00%(creatordate:iso-strict)",
            "refs/tags",
        )
        tags = []
        for line in out.decode("utf-8", "replace").splitlines():
            refname, _, date = line.partition("\0")
            name = refname.removeprefix("refs/tags/")
            if fnmatch.fnmatchcase(name, pattern):
                tags.append(Tag(name, date))
        keys = {tag.name: _version_key(tag) for tag in tags}
        if len({key[:2] for key in keys.values()}) == 1:
            return sorted(tags, key=lambda tag: keys[tag.name], reverse=True)
        return sorted(tags, key=lambda tag: (tag.date, tag.name), reverse=True)

    def read(self, tags: list[Tag]) -> dict[str, bytes | None]:
        """The contract's bytes at each tag (None where the file does not exist), by tag name."""
        blobs = self._cat([f"refs/tags/{tag.name}:{self.contract}" for tag in tags])
        return {tag.name: blob for tag, blob in zip(tags, blobs, strict=True)}

    def identify(self, tags: list[Tag]) -> list[tuple[str, int] | None]:
        """The contract's blob id and size at each tag (None where it does not exist), without
        reading the contents: tags with the same id have the same contract."""
        objects = [f"refs/tags/{tag.name}:{self.contract}" for tag in tags]
        if not objects:
            return []
        if any("\n" in name for name in objects):
            raise UserError("a tag or path contains a newline; git cannot be asked for it")
        out = _git(self.root, "cat-file", "--batch-check", stdin="".join(f"{o}\n" for o in objects))
        found: list[tuple[str, int] | None] = []
        for line in out.decode("utf-8", "replace").splitlines():
            fields = line.split()
            # "<id> <type> <size>", or "<name> missing" (a name may hold spaces)
            if len(fields) == 3 and fields[1] == "blob" and fields[2].isdigit():
                found.append((fields[0], int(fields[2])))
            else:
                found.append(None)
        if len(found) != len(objects):
            raise UserError("git cat-file answered for another number of objects than asked")
        return found

    def materialise(self, tag: Tag, data: bytes, into: Path) -> Path:
        """Write the contract at `tag`, and the files its `$ref`s name, under `into`.

        Returns the contract's path there. A referenced file that is missing at the tag is
        left out: loading then reports that `$ref` like any other that points at nothing.
        """
        main = PurePosixPath(self.contract)
        written = {main: data}
        pending = [(main, data)]
        while pending and len(written) <= _MAX_FILES:
            wanted = []
            for holder, content in pending:
                for name in _file_refs(content):
                    target = _normpath(holder.parent / name)
                    if target is not None and target not in written and target not in wanted:
                        wanted.append(target)
            blobs = self._cat([f"refs/tags/{tag.name}:{target}" for target in wanted])
            pending = []
            for target, blob in zip(wanted, blobs, strict=True):
                if blob is not None:
                    written[target] = blob
                    pending.append((target, blob))
        for relative, content in written.items():
            path = into.joinpath(*relative.parts)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        return into.joinpath(*main.parts)

    def _cat(self, objects: list[str]) -> list[bytes | None]:
        """`git cat-file --batch`: each object's content, or None if missing or not a file."""
        if not objects:
            return []
        if any("\n" in name for name in objects):
            raise UserError("a tag or path contains a newline; git cannot be asked for it")
        out = _git(self.root, "cat-file", "--batch", stdin="".join(f"{o}\n" for o in objects))
        blobs: list[bytes | None] = []
        position = 0
        for _ in objects:
            end = out.index(b"\n", position)
            header = out[position:end].split()
            position = end + 1
            if len(header) != 3:  # "<name> missing" or "<name> ambiguous"
                blobs.append(None)
                continue
            size = int(header[2])
            content = out[position : position + size]
            position += size + 1
            blobs.append(content if header[1] == b"blob" else None)
        return blobs


def open_repository(contract: Path) -> Repository:
    """The work tree `contract` lives in; `UserError` if there is none or git is missing."""
    directory = contract.resolve().parent
    try:
        out = _git(
            directory,
            "rev-parse",
            "--show-toplevel",
            "--show-prefix",
            "--is-shallow-repository",
        )
    except UserError as error:
        raise UserError(
            "is not in a git work tree; --site reads the released versions from git tags "
            f"({error.message})",
            path=contract,
        ) from None
    root, prefix, shallow = [*out.decode("utf-8").split("\n"), "", ""][:3]
    return Repository(
        root=Path(root),
        contract=str(PurePosixPath(prefix) / contract.name),
        shallow=shallow.strip() == "true",
    )


def _git(cwd: Path, *args: str, stdin: str | None = None) -> bytes:
    executable = shutil.which("git")
    if executable is None:
        raise UserError("the git command is not installed; --site reads versions from git")
    # The repository is the one the contract lives in, whatever a hook or `git rebase --exec`
    # around us points GIT_DIR at; and no pager, no prompt: this is plumbing, read by a program.
    env = {key: value for key, value in os.environ.items() if key not in _REPOSITORY_VARIABLES}
    env.update(GIT_TERMINAL_PROMPT="0", GIT_PAGER="cat", LC_ALL="C")
    result = subprocess.run(
        [executable, *args],
        cwd=cwd,
        input=stdin.encode("utf-8") if stdin is not None else None,
        capture_output=True,
        env=env,
        check=False,
    )
    if result.returncode != 0:
        lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = lines[-1] if lines else f"exit {result.returncode}"
        raise UserError(f"git {args[0]} failed: {reason}")
    return result.stdout


def _file_refs(content: bytes) -> list[str]:
    names = []
    for match in _FILE_REF.finditer(content):
        value = match.group(1).decode("utf-8", "replace")
        if not _SCHEME.match(value):
            names.append(unquote(value))
    return names


def _normpath(path: PurePosixPath) -> PurePosixPath | None:
    parts: list[str] = []
    for part in path.parts:
        if part in ("", "."):
            continue
        if part == ".." or part.startswith("/"):
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return PurePosixPath(*parts) if parts else None


def _version_key(tag: Tag) -> tuple[object, ...]:
    match = _VERSION.fullmatch(tag.name)
    if match is None:
        return (0, "", (), 0, (), tag.date, tag.name)
    numbers = tuple(int(part) for part in match["number"].split("."))
    rest = match["rest"]
    release = 1 if not rest or rest.startswith("+") else 0
    natural = tuple(
        (0, int(piece), "") if piece.isdigit() else (1, 0, piece)
        for piece in _NATURAL.split(rest)
        if piece
    )
    return (1, match["prefix"], numbers, release, natural, tag.date, tag.name)

"""Reading YAML files and writing files atomically, the same way in every command.

    write_atomic(path, data, mode=0o644)   the whole new file or the old one, never half
    load_yaml(path)                        the document, or one `UserError` at line:column

A write goes to a temporary file in the target's directory (created if missing), is flushed
to disk, then renamed over the target: a reader sees the old file or the new one, and a
failure leaves the old one. Contracts are not read here: `shopgen.contract` keeps the
positions of every node.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import Any

import yaml

from shopgen.errors import UserError

__all__ = ["load_yaml", "parse_yaml", "write_atomic"]


def write_atomic(path: Path, data: bytes | str, *, mode: int = 0o644) -> None:
    """Replace `path` with `data` (text is written as UTF-8); `UserError` if it cannot be."""
    content = data.encode("utf-8") if isinstance(data, str) else data
    if _is_special(path):  # /dev/null, /dev/stdout, a named pipe: write through, never replace
        try:
            with path.open("wb") as out:
                out.write(content)
        except OSError as error:
            raise UserError(f"cannot write: {error.strerror or error}", path=path) from None
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise UserError(f"cannot write: {error.strerror or error}", path=path) from None
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        temporary.chmod(mode)
        temporary.replace(path)
    except BaseException as error:
        temporary.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise UserError(f"cannot write: {error.strerror or error}", path=path) from None
        raise


def _is_special(path: Path) -> bool:
    """Whether `path` exists and is not a regular file (a device or a pipe)."""
    try:
        return not stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def load_yaml(path: Path) -> Any:
    """The YAML document in `path` (None for an empty file); `UserError` naming the file,
    and the line and column of a syntax error, if it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError("no such file", path=path) from None
    except UnicodeDecodeError:
        raise UserError("is not UTF-8 text", path=path) from None
    except OSError as error:
        raise UserError(f"cannot read: {error.strerror or error}", path=path) from None
    return parse_yaml(text, path)


def parse_yaml(text: str | bytes, path: Path) -> Any:
    """`text` as YAML; `UserError` at the line and column of a syntax error in `path`."""
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise UserError(
            f"invalid YAML: {error.problem or error.context}",
            path=path,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    except yaml.YAMLError as error:
        raise UserError(f"invalid YAML: {error}", path=path) from None

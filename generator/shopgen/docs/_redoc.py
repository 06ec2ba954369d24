"""The pinned ReDoc release and how a page loads it: from the CDN, or inlined for offline use."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from shopgen.errors import UserError

__all__ = [
    "REDOC_CDN_URL",
    "REDOC_SRI",
    "REDOC_VERSION",
    "RedocScript",
    "cdn_script",
    "inline_script",
    "sha256_source",
]

REDOC_VERSION = "2.5.4"
"""npm `redoc` 3.x does not install from every registry mirror; 2.5.4 does, everywhere."""
REDOC_CDN_URL = f"https://cdn.jsdelivr.net/npm/redoc@{REDOC_VERSION}/bundles/redoc.standalone.js"
"""jsDelivr serves npm files byte for byte as published, so the hash below holds for it."""
REDOC_SRI = "sha384-w447zOpYfw/1Tv/5AK9NfHTlQIqE3RVR6KY62jCyy9zNDgO64cMwGGP1Fj0zJVf5"
"""Subresource Integrity of `bundles/redoc.standalone.js` in the npm tarball `redoc@2.5.4`."""

_MAX_SCRIPT_BYTES = 16 * 1024 * 1024
# Everything that moves the HTML tokenizer between its script-data states (HTML § 13.2.5).
_SCRIPT_STATE = re.compile(r"<!--|-->|</?script(?=[\s/>])", re.IGNORECASE)


@dataclass(frozen=True)
class RedocScript:
    """ReDoc as a page loads it: either a CDN URL with its integrity hash, or inline source."""

    src: str | None = None
    integrity: str | None = None
    inline: str | None = None


def cdn_script() -> RedocScript:
    """The pinned CDN copy; the browser refuses it if a single byte differs."""
    return RedocScript(src=REDOC_CDN_URL, integrity=REDOC_SRI)


def inline_script(path: Path) -> RedocScript:
    """A local `redoc.standalone.js`, made safe to sit inside a `<script>` element."""
    try:
        size = path.stat().st_size
        if size > _MAX_SCRIPT_BYTES:
            raise UserError(
                f"is {size / 1048576:.1f} MiB; a redoc.standalone.js is about 1 MiB", path=path
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise UserError(
            "no such file; --redoc-js takes redoc.standalone.js from the npm package "
            f"`redoc@{REDOC_VERSION}` (node_modules/redoc/bundles/)",
            path=path,
        ) from None
    except IsADirectoryError:
        raise UserError("is a directory; --redoc-js takes a .js file", path=path) from None
    except OSError as error:
        raise UserError(f"cannot read: {error.strerror}", path=path) from None
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError("is not UTF-8 text; expected redoc.standalone.js", path=path) from None
    if "Redoc" not in source or "init" not in source:
        raise UserError("does not look like redoc.standalone.js (no `Redoc.init`)", path=path)
    # `</script` can only stand inside a string, regex or comment of valid JavaScript, where
    # `<\/script` means the same; anywhere else in the page it would end the element early.
    source = re.sub(r"</(script)", r"<\\/\1", source, flags=re.IGNORECASE)
    if not _ends_in_script_data(source):
        raise UserError(
            "cannot be inlined: an unclosed `<!--` before `<script` would swallow the rest "
            "of the page; use the file from the npm package",
            path=path,
        )
    return RedocScript(inline=source)


def _ends_in_script_data(source: str) -> bool:
    """Whether the `</script>` written after `source` closes the element, as HTML parses it."""
    state = "data"
    for match in _SCRIPT_STATE.finditer(source):
        token = match.group(0).lower()
        if token == "<!--":
            if state == "data":
                state = "escaped"
        elif token == "-->":
            state = "data"
        elif token == "<script" and state == "escaped":
            state = "double-escaped"
        elif token == "</script" and state == "double-escaped":
            state = "escaped"
    return state != "double-escaped"


def sha256_source(text: str) -> str:
    """A CSP hash source for an inline script's exact text."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"

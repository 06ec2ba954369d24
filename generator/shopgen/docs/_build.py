"""`build`: contract → lint gate → public document → page, written atomically."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shopgen.errors import UserError
from shopgen.files import write_atomic
from shopgen.resources import bundled_contract

from ._internal import MARKER, Removal, strip_internal
from ._options import DocsOptions, Linter
from ._page import render_page
from ._redoc import cdn_script, inline_script
from ._theme import Theme, check_logo, load_theme, logo_origin

if TYPE_CHECKING:
    from shopgen.contract import Contract

__all__ = ["BuildResult", "PublicContract", "build", "public_contract"]


@dataclass(frozen=True)
class BuildResult:
    """A page that was written, and what the command should tell about it."""

    output: Path
    messages: tuple[str, ...] = ()
    removal: Removal = field(default_factory=Removal)
    """What was left out as internal (empty with `include_internal`)."""


@dataclass(frozen=True)
class PublicContract:
    """A contract as a page shows it: loaded, linted, internal parts left out, theme applied."""

    contract: Contract
    stripped: dict[str, Any]
    """The public document before the theme's logo: what clients of this contract see."""
    document: dict[str, Any]
    """What the page embeds."""
    title: str
    image_origins: tuple[str, ...]
    messages: tuple[str, ...]
    removal: Removal

    def view(self) -> Contract:
        """The public document as a `Contract` (the loaded one when nothing was left out)."""
        if self.stripped is self.contract.document:
            return self.contract
        from shopgen.contract import Contract

        return Contract.from_document(self.stripped, path=self.contract.path)


def build(contract: Path | None, output: Path, options: DocsOptions | None = None) -> BuildResult:
    """Write the API reference page for `contract` (the bundled contract if None) to `output`.

    Everything is read, checked and rendered before `output` is touched; the page then replaces
    the previous one in a single rename, so a failure leaves the previous page as it was.
    """
    options = options or DocsOptions()
    path = contract if contract is not None else bundled_contract()
    _check_output(output)
    theme = load_theme(options.theme)
    script = inline_script(options.redoc_js) if options.redoc_js is not None else cdn_script()
    public = public_contract(path, options, theme)
    page = render_page(
        public.document,
        title=public.title,
        options=theme.options,
        script=script,
        image_origins=public.image_origins,
    )
    _write_atomically(output, page)
    return BuildResult(output=output, messages=public.messages, removal=public.removal)


def public_contract(path: Path, options: DocsOptions, theme: Theme) -> PublicContract:
    """Load `path`, stop on lint errors (unless skipped), leave out what is internal."""
    from shopgen.contract import load_contract

    loaded = load_contract(path)
    if not options.skip_lint:
        _lint(loaded, options.linter)
    document = _document(loaded)

    messages: list[str] = []
    removal = Removal()
    if not _mentions_marker(loaded):
        pass  # nothing is marked: the walk below would find nothing to leave out
    elif options.include_internal:
        with contextlib.suppress(UserError):
            kept = strip_internal(document)[1]
            if kept:
                count = len(kept.paths) + len(kept.operations) + len(kept.components)
                count += len(kept.other)
                parts = "part" if count == 1 else "parts"
                messages.append(f"kept {count} {parts} marked {MARKER} (--include-internal)")
    else:
        try:
            document, removal = strip_internal(document)
        except UserError as error:
            raise UserError(error.message, path=path) from None
        messages.extend(removal.messages())
    stripped = document

    raw_info = document.get("info")
    info: dict[str, Any] = raw_info if isinstance(raw_info, dict) else {}
    if theme.logo is not None:
        info = {**info, "x-logo": theme.logo}
        document = {**document, "info": info}
    elif isinstance(info.get("x-logo"), dict):
        check_logo(info["x-logo"], where=f"{path}: info.x-logo")
    title = options.title or str(info.get("title") or path.stem)
    origin = logo_origin(info.get("x-logo"))
    return PublicContract(
        contract=loaded,
        stripped=stripped,
        document=document,
        title=title,
        image_origins=(origin,) if origin else (),
        messages=tuple(messages),
        removal=removal,
    )


# Escapes that can spell a letter or `-` of a key (JSON `\u`; YAML `\x`, `\u`, `\U` and an
# escaped line break, which joins two lines of a double-quoted key without a space).
_SPELLING_ESCAPE = re.compile(r"\\[xuU\r\n]")


def _mentions_marker(contract: Contract) -> bool:
    """Whether the marker may be in the document: a scan of the text instead of a walk."""
    sources = [contract.source, *contract.references.files.values()]
    return any(MARKER in s.text or _SPELLING_ESCAPE.search(s.text) for s in sources)


def _check_output(output: Path) -> None:
    if output.is_dir():
        raise UserError("is a directory; -o takes the HTML file to write", path=output)


def _lint(contract: Contract, linter: Linter | None) -> None:
    from shopgen import lint

    lint.require_clean(
        contract, stopped="page not built", skip="--skip-lint builds it anyway", linter=linter
    )


def _document(contract: Contract) -> dict[str, Any]:
    path = contract.path
    # Without referenced files there is nothing to inline, and bundling would walk the whole
    # document only to hand it back unchanged.
    bundled = contract.bundled() if contract.references.files else contract.document
    document = _mapping(bundled, path)
    external = _first_external_ref(contract)
    if external is not None:
        # The page must not make a second request, and the browser cannot read files beside it.
        raise UserError(
            f"`$ref: {external}` points outside the document; the page embeds one document, "
            "so references must be local (`#/...`)",
            path=path,
        )
    return document


def _mapping(document: Any, path: Path) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise UserError("top level is not a mapping; expected an OpenAPI document", path=path)
    return document


def _first_external_ref(contract: Contract) -> str | None:
    """A reference that bundling could not inline (remote, or out of the directory).

    Only references count: a `$ref` key inside an example or a property named `$ref` is data.
    """
    for site in contract.references.sites.values():
        written = site.written
        if site.target is None and isinstance(written, str) and not written.startswith("#"):
            return written
    return None


def _write_atomically(output: Path, text: str) -> None:
    write_atomic(output, text)

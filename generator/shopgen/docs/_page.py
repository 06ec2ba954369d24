"""The HTML page: the contract embedded as inert JSON data, ReDoc, and a strict CSP.

Nothing from the contract is ever part of the markup. The title is HTML-escaped; the contract
and options sit in `<script type="application/json">` blocks, which the browser never executes,
with every `<`, `>` and `&` written as a `\\u` escape so no text can close the block, open a
comment or form an entity. The Content-Security-Policy then allows exactly two scripts (ReDoc and
the few lines that start it), so even HTML that slipped through a Markdown description could not
run a script or an inline event handler.
"""

from __future__ import annotations

import datetime
import html
import json
from dataclasses import dataclass
from typing import Any

from shopgen import __version__
from shopgen.errors import UserError

from ._redoc import RedocScript, sha256_source

__all__ = ["SITE_DATA_ID", "Chrome", "assemble_page", "embed_json", "render_page", "text"]

_CONTAINER_ID = "redoc"
_SPEC_ID = "shopgen-spec"
_OPTIONS_ID = "shopgen-redoc-options"
SITE_DATA_ID = "shopgen-site"

# Starts ReDoc from the two data blocks; says so on the page when ReDoc failed to load
# (the CDN is unreachable, or the integrity hash refused a tampered copy).
_INIT = (
    "(function () {\n"
    '  "use strict";\n'
    "  function data(id) { return JSON.parse(document.getElementById(id).textContent); }\n"
    f'  var container = document.getElementById("{_CONTAINER_ID}");\n'
    '  if (typeof Redoc === "undefined") {\n'
    '    container.textContent = "The ReDoc script did not load, so this API reference cannot '
    'be shown. Build the page with --redoc-js for offline use.";\n'
    "    return;\n"
    "  }\n"
    f'  Redoc.init(data("{_SPEC_ID}"), data("{_OPTIONS_ID}"), container);\n'
    "})();\n"
)

_JSON_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"))


def _json_default(value: Any) -> Any:
    # YAML 1.1 loaders turn `2024-05-01` into a date; the page shows it as written.
    if isinstance(value, datetime.date | datetime.datetime | datetime.time):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"a {type(value).__name__} value is not JSON data")


def embed_json(data: Any) -> str:
    """`data` as JSON that is inert inside a `<script>` element and in any HTML context."""
    try:
        # ASCII only: U+2028/U+2029 and lone surrogates come out as \u escapes too.
        text = json.dumps(
            data, ensure_ascii=True, separators=(",", ":"), allow_nan=False, default=_json_default
        )
    except ValueError as error:
        reason = str(error)
        if "Circular" in reason:
            reason = "the document contains itself (a recursive YAML alias)"
        elif "float" in reason:
            reason = "a number is NaN or infinite, which JSON cannot carry"
        raise UserError(f"cannot embed the contract: {reason}") from None
    except TypeError as error:
        raise UserError(f"cannot embed the contract: {error}") from None
    except RecursionError:
        raise UserError("cannot embed the contract: it is nested too deeply") from None
    for raw, escaped in _JSON_ESCAPES:
        text = text.replace(raw, escaped)
    return text


def text(value: str) -> str:
    """`value` escaped for HTML text and attribute values."""
    # Line and paragraph separators are harmless in HTML text; escaped, they are also visible.
    escaped = html.escape(value, quote=True)
    return escaped.replace("\u2028", "&#x2028;").replace("\u2029", "&#x2029;")


@dataclass(frozen=True)
class Chrome:
    """What a page of a versioned site adds around ReDoc: a header, its style and its script."""

    header: str
    """Markup shown above ReDoc; every value in it is already escaped."""
    style: str
    script: str
    """A constant script, allowed by its hash like ReDoc's start-up lines."""
    data: str
    """What the script reads, from `embed_json`."""


def render_page(
    document: Any,
    *,
    title: str,
    options: dict[str, Any],
    script: RedocScript,
    image_origins: tuple[str, ...] = (),
    chrome: Chrome | None = None,
) -> str:
    """The whole page as one string.

    Images load from the page's own site, `data:` URLs and `image_origins` only: that keeps
    the page from calling home to third parties (ReDoc's sidebar fetches a Redocly logo).
    """
    return assemble_page(
        embed_json(document),
        title=title,
        options=options,
        script=script,
        image_origins=image_origins,
        chrome=chrome,
    )


def assemble_page(
    spec_json: str,
    *,
    title: str,
    options: dict[str, Any],
    script: RedocScript,
    image_origins: tuple[str, ...] = (),
    chrome: Chrome | None = None,
) -> str:
    """`render_page` for a contract already embedded with `embed_json` (shared by pages)."""
    options_json = embed_json(options)
    if script.inline is not None:
        redoc_tag = f"<script>{script.inline}</script>"
        redoc_source = sha256_source(script.inline)
    else:
        assert script.src is not None and script.integrity is not None
        src = html.escape(script.src, quote=True)
        integrity = html.escape(script.integrity, quote=True)
        redoc_tag = f'<script src="{src}" integrity="{integrity}" crossorigin="anonymous"></script>'
        redoc_source = script.src
    scripts = [redoc_source, sha256_source(_INIT)]
    style = "body { margin: 0; padding: 0; }"
    header = site_data = site_script = ""
    if chrome is not None:
        scripts.append(sha256_source(chrome.script))
        style = f"{style}\n{chrome.style}"
        header = f"{chrome.header}\n"
        site_data = f'<script id="{SITE_DATA_ID}" type="application/json">{chrome.data}</script>\n'
        site_script = f"<script>{chrome.script}</script>\n"
    csp = "; ".join(
        (
            "default-src 'none'",
            f"script-src {' '.join(scripts)}",
            # ReDoc styles itself with injected <style> elements and runs search in a worker.
            "style-src 'unsafe-inline'",
            " ".join(("img-src 'self' data: blob:", *image_origins)),
            "font-src data:",
            "worker-src blob:",
            "connect-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{html.escape(csp, quote=True)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f'<meta name="generator" content="shopgen {html.escape(__version__)}">\n'
        f"<title>{text(title)}</title>\n"
        f"<style>{style}</style>\n"
        "</head>\n"
        "<body>\n"
        f"{header}"
        f'<div id="{_CONTAINER_ID}"></div>\n'
        "<noscript>This API reference needs JavaScript.</noscript>\n"
        f'<script id="{_SPEC_ID}" type="application/json">{spec_json}</script>\n'
        f'<script id="{_OPTIONS_ID}" type="application/json">{options_json}</script>\n'
        f"{site_data}"
        f"{redoc_tag}\n"
        f"<script>{_INIT}</script>\n"
        f"{site_script}"
        "</body>\n"
        "</html>\n"
    )

"""The API reference page: one self-contained HTML file that ReDoc renders.

    build(contract, output, options) -> BuildResult     write the page once
    build_site(contract, site, options, versions="v*", lanes=None) -> SiteResult
                                                        every version at a git tag, a changelog
                                                        and a search across versions (loaded
                                                        by `lanes` processes side by side)
    serve(contract, output, options, port=...)          write it, serve it, rewrite on change
    rule_reference_markdown(rules) / rule_reference_html(rules)
                                                        the house-rule reference for the site
    describe_rules(rule_id, output_format)              what `shopgen rules` prints

The contract is embedded in the page as data, parts marked `x-internal-only: true` are left out
unless `DocsOptions.include_internal`, and ReDoc comes from the pinned CDN URL (checked by its
Subresource Integrity hash) or, with `DocsOptions.redoc_js`, is inlined for offline use.
"""

from __future__ import annotations

from ._build import BuildResult, build
from ._internal import Removal
from ._options import DocsOptions
from ._redoc import REDOC_CDN_URL, REDOC_SRI, REDOC_VERSION
from ._rule_listing import describe_rules
from ._rules import rule_anchor, rule_reference_html, rule_reference_markdown
from ._serve import serve
from ._site import SiteResult, SiteVersion, build_site

__all__ = [
    "REDOC_CDN_URL",
    "REDOC_SRI",
    "REDOC_VERSION",
    "BuildResult",
    "DocsOptions",
    "Removal",
    "SiteResult",
    "SiteVersion",
    "build",
    "build_site",
    "describe_rules",
    "rule_anchor",
    "rule_reference_html",
    "rule_reference_markdown",
    "serve",
]

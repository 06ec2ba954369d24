"""The header every page of a versioned site shares: version switcher, banner, search.

The switcher is a `<details>` list of plain links, so it works without scripts. The one script
(allowed by its hash, like ReDoc's start-up lines) adds two things: switching keeps the reader at
the operation they were reading, and the search box looks through the index of every version,
embedded in the page as inert JSON. Results are built with `textContent`, never as markup, so
nothing from a contract or a tag name can become HTML.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Literal

from shopgen import __version__

from ._page import SITE_DATA_ID, Chrome, text
from ._redoc import sha256_source

__all__ = ["HEADER_ID", "SEARCH_ID", "VersionLink", "chrome", "static_page"]

HEADER_ID = "shopgen-header"
SEARCH_ID = "shopgen-search"
_RESULTS_ID = "shopgen-results"
_RESULTS_SHOWN = 30

PageKind = Literal["reference", "changelog"]


@dataclass(frozen=True)
class VersionLink:
    """One line of the switcher."""

    name: str
    href: str | None
    """The page relative to the site's root; None for a version that was skipped."""
    day: str | None = None
    note: str | None = None
    """Why it was skipped, or that it is the same contract as another version."""


_STYLE = """\
#shopgen-header { position: sticky; top: 0; z-index: 100; color: #f5f7fa; background: #1f2933;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
.shopgen-bar > a, .shopgen-versions > summary { color: inherit; }
.shopgen-bar { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1.25rem;
  padding: .5rem 1rem; }
.shopgen-brand { font-weight: 600; font-size: 15px; text-decoration: none; }
.shopgen-versions { position: relative; }
.shopgen-versions > summary { cursor: pointer; padding: .2rem .6rem; border: 1px solid #52606d;
  border-radius: 4px; }
.shopgen-versions > ul { position: absolute; top: 100%; left: 0; z-index: 101; margin: .3rem 0 0;
  padding: .3rem 0; min-width: 18rem; max-height: 70vh; overflow: auto; list-style: none;
  background: #fff; color: #1f2933; border-radius: 4px; box-shadow: 0 6px 20px rgba(0,0,0,.3); }
.shopgen-versions li { display: flex; justify-content: space-between; gap: 1rem;
  padding: .25rem .8rem; }
.shopgen-versions li a { color: #0f766e; font-weight: 600; }
.shopgen-versions li[aria-current] { background: #e6f4f1; }
.shopgen-versions .shopgen-note { display: block; color: #616e7c; font-size: 12px; }
.shopgen-versions .shopgen-skipped { color: #7b8794; }
.shopgen-date { color: #9aa5b1; font-size: 12px; white-space: nowrap; }
.shopgen-versions li .shopgen-date { color: #616e7c; }
.shopgen-find { position: relative; margin-left: auto; }
#shopgen-search { width: 20rem; max-width: 70vw; padding: .3rem .6rem; font: inherit;
  color: #fff; background: #323f4b; border: 1px solid #52606d; border-radius: 4px; }
#shopgen-results { position: absolute; right: 0; top: 100%; z-index: 101; width: 34rem;
  max-width: 92vw; max-height: 75vh; overflow: auto; margin: .3rem 0 0; padding: 0;
  list-style: none; background: #fff; color: #1f2933; border-radius: 4px;
  box-shadow: 0 6px 20px rgba(0,0,0,.3); }
#shopgen-results li { padding: .45rem .8rem; border-bottom: 1px solid #e4e7eb; }
#shopgen-results .shopgen-hit { display: block; text-decoration: none; }
#shopgen-results .shopgen-kind { display: inline-block; min-width: 4.5rem; color: #616e7c;
  font-size: 12px; }
#shopgen-results .shopgen-name { font-weight: 600; color: #0f766e; }
#shopgen-results .shopgen-detail, #shopgen-results code { font-family: ui-monospace,
  "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12px; margin-left: .5rem; }
#shopgen-results p { margin: .15rem 0 0; font-size: 12px; color: #3e4c59; }
#shopgen-results p a { color: #0f766e; margin-right: .4rem; }
.shopgen-banner { margin: 0; padding: .45rem 1rem; color: #1f2933; background: #fdf0d5; }
.shopgen-banner a { color: #0f766e; font-weight: 600; }
"""

# Reads the site data block; see the module docstring. Plain ES5, no dependency.
_SCRIPT = f"""(function () {{
  "use strict";
  var header = document.getElementById("{HEADER_ID}");
  var site = JSON.parse(document.getElementById("{SITE_DATA_ID}").textContent);
  var root = header.getAttribute("data-root") || "";
  var switcher = header.querySelector(".shopgen-versions");
  var input = document.getElementById("{SEARCH_ID}");
  var list = document.getElementById("{_RESULTS_ID}");
  var shown = {_RESULTS_SHOWN};

  switcher.addEventListener("click", function (event) {{
    var link = event.target.closest && event.target.closest("a[data-version]");
    if (link && header.getAttribute("data-kind") === "reference" && window.location.hash) {{
      link.setAttribute("href", link.getAttribute("href").split("#")[0] + window.location.hash);
    }}
  }});
  document.addEventListener("click", function (event) {{
    if (switcher.open && !switcher.contains(event.target)) {{ switcher.open = false; }}
    if (!header.contains(event.target)) {{ list.hidden = true; }}
  }});

  var entries = site.entries.map(function (e) {{
    return {{kind: e[0], name: e[1], detail: e[2], text: e[3], anchor: e[4], versions: e[5],
      lower: e[1].toLowerCase(), hay: (e[1] + " " + e[2] + " " + e[3]).toLowerCase()}};
  }});

  function href(version, anchor) {{
    return root + site.versions[version].href + (anchor ? "#" + anchor : "");
  }}

  function find(query) {{
    var terms = query.toLowerCase().split(/\\s+/).filter(Boolean);
    var whole = terms.join(" ");
    var hits = [];
    if (!terms.length) {{ return hits; }}
    entries.forEach(function (entry, position) {{
      for (var i = 0; i < terms.length; i++) {{
        if (entry.hay.indexOf(terms[i]) < 0) {{ return; }}
      }}
      var at = entry.lower.indexOf(whole);
      var rank = entry.lower === whole ? 0 : at === 0 ? 1 : at > 0 ? 2 : 3;
      hits.push([rank, position, entry]);
    }});
    hits.sort(function (a, b) {{ return a[0] - b[0] || a[1] - b[1]; }});
    return hits;
  }}

  function node(tag, className, content) {{
    var made = document.createElement(tag);
    if (className) {{ made.className = className; }}
    if (content) {{ made.textContent = content; }}
    return made;
  }}

  function show(hits) {{
    list.textContent = "";
    hits.slice(0, shown).forEach(function (hit) {{
      var entry = hit[2];
      var item = node("li");
      var main = node("a", "shopgen-hit");
      main.href = href(entry.versions[0], entry.anchor);
      main.appendChild(node("span", "shopgen-kind", entry.kind));
      main.appendChild(node("span", "shopgen-name", entry.name));
      if (entry.detail) {{ main.appendChild(node("span", "shopgen-detail", entry.detail)); }}
      item.appendChild(main);
      if (entry.text) {{ item.appendChild(node("p", "", entry.text)); }}
      var where = node("p", "", "in ");
      entry.versions.forEach(function (version) {{
        var link = node("a", "", site.versions[version].name);
        link.href = href(version, entry.anchor);
        where.appendChild(link);
      }});
      item.appendChild(where);
      list.appendChild(item);
    }});
    if (hits.length > shown) {{
      list.appendChild(node("li", "", (hits.length - shown) + " more: add a word to narrow it"));
    }}
    var query = input.value.trim();
    if (query && !hits.length) {{
      list.appendChild(node("li", "", "Nothing in any version matches " + query + "."));
    }}
    list.hidden = !query;
  }}

  input.addEventListener("input", function () {{ show(find(input.value)); }});
  input.addEventListener("focus", function () {{
    if (input.value.trim()) {{ list.hidden = false; }}
  }});
  input.addEventListener("keydown", function (event) {{
    if (event.key === "Escape") {{ input.value = ""; show([]); }}
    if (event.key === "Enter") {{
      var first = list.querySelector("a.shopgen-hit");
      if (first) {{ event.preventDefault(); list.hidden = true; first.click(); }}
    }}
  }});
  list.addEventListener("click", function (event) {{
    if (event.target.closest && event.target.closest("a")) {{ list.hidden = true; }}
  }});
}})();
"""


def chrome(
    *,
    site_title: str,
    versions: list[VersionLink],
    current: str | None,
    root: str,
    kind: PageKind,
    search_data: str,
    banner: str | None = None,
) -> Chrome:
    """The header of one page; `current` is the version shown (None on the changelog)."""
    return Chrome(
        header=_header(site_title, versions, current, root, kind, banner),
        style=_STYLE,
        script=_SCRIPT,
        data=search_data,
    )


def _header(
    site_title: str,
    versions: list[VersionLink],
    current: str | None,
    root: str,
    kind: PageKind,
    banner: str | None,
) -> str:
    items = []
    shown = next((v for v in versions if v.name == current), None)
    for version in versions:
        note = f'<span class="shopgen-note">{text(version.note)}</span>' if version.note else ""
        day = f'<span class="shopgen-date">{text(version.day)}</span>' if version.day else ""
        if version.href is None:
            label = f'<span class="shopgen-skipped">{text(version.name)} (skipped){note}</span>'
            items.append(f"<li>{label}{day}</li>")
            continue
        attrs = ' aria-current="page"' if version.name == current else ""
        href = text(root + version.href)
        link = f'<a href="{href}" data-version="{text(version.name)}">{text(version.name)}</a>'
        items.append(f"<li{attrs}><span>{link}{note}</span>{day}</li>")
    if shown is not None:
        day = f' <span class="shopgen-date">{text(shown.day)}</span>' if shown.day else ""
        summary = f"Version <strong>{text(shown.name)}</strong>{day}"
    else:
        summary = "Versions"
    banner_html = f'<p class="shopgen-banner">{banner}</p>\n' if banner else ""
    return (
        f'<header id="{HEADER_ID}" data-root="{text(root)}" data-kind="{kind}">\n'
        '<div class="shopgen-bar">\n'
        f'<a class="shopgen-brand" href="{text(root)}index.html">{text(site_title)}</a>\n'
        f'<details class="shopgen-versions"><summary>{summary}</summary>\n'
        f"<ul>\n{''.join(item + chr(10) for item in items)}</ul></details>\n"
        f'<a href="{text(root)}changelog.html">Changelog</a>\n'
        '<div class="shopgen-find" role="search">\n'
        f'<input id="{SEARCH_ID}" type="search" placeholder="Search every version" '
        'aria-label="Search every version" autocomplete="off">\n'
        f'<ul id="{_RESULTS_ID}" hidden></ul>\n'
        "</div>\n"
        "</div>\n"
        f"{banner_html}"
        "</header>"
    )


_STATIC_STYLE = """\
body { margin: 0; color: #1f2933;
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
main { max-width: 64rem; margin: 1.5rem auto 4rem; padding: 0 1.25rem; }
h1 { font-size: 1.9rem; } h2 { margin-top: 2.5rem; border-top: 1px solid #e4e7eb;
  padding-top: 1.25rem; font-size: 1.35rem; } h3 { font-size: 1.05rem; margin-top: 1.5rem; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .9em; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #e4e7eb;
  vertical-align: top; }
main a { color: #0f766e; }
.breaking { color: #b42318; } .counts { color: #52606d; }
ul.operations { margin: 0; padding-left: 1.1rem; }
td:first-child code { white-space: nowrap; }
h2 .counts { font-size: 1rem; font-weight: normal; margin-left: .5rem; }
"""


def static_page(*, title: str, body: str, page_chrome: Chrome) -> str:
    """A page of the site without ReDoc (the changelog): the header, then `body` markup."""
    csp = "; ".join(
        (
            "default-src 'none'",
            f"script-src {sha256_source(page_chrome.script)}",
            "style-src 'unsafe-inline'",
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
        f"<style>\n{_STATIC_STYLE}{page_chrome.style}</style>\n"
        "</head>\n"
        "<body>\n"
        f"{page_chrome.header}\n"
        f"<main>\n{body}</main>\n"
        f'<script id="{SITE_DATA_ID}" type="application/json">{page_chrome.data}</script>\n'
        f"<script>{page_chrome.script}</script>\n"
        "</body>\n"
        "</html>\n"
    )

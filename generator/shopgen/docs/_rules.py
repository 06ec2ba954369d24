"""The house-rule reference: one section per rule, with an anchor a finding can link to."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Protocol

__all__ = ["RuleDoc", "rule_anchor", "rule_reference_html", "rule_reference_markdown"]

_TITLE = "shopgen house rules"
_INTRO = (
    "Every rule `shopgen lint` applies: what it checks, why, and a contract snippet that breaks "
    "it and one that follows it. A team's ruleset may switch a rule off or change its severity."
)
_CODE_SPAN = re.compile(r"`([^`\n]+)`")


class RuleDoc(Protocol):
    """What a registered rule tells about itself."""

    @property
    def id(self) -> str: ...
    @property
    def default_severity(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def rationale(self) -> str: ...
    @property
    def good(self) -> str: ...
    @property
    def bad(self) -> str: ...


def rule_anchor(rule_id: str) -> str:
    """The fragment of a rule's section, the same in the Markdown and the HTML reference.

    Rule ids are kebab-case, which is already what GitHub makes of a `## rule-id` heading.
    """
    return re.sub(r"[^a-z0-9_-]", "", rule_id.lower().replace(" ", "-"))


def rule_reference_markdown(rules: Iterable[RuleDoc]) -> str:
    """The reference as Markdown (`shopgen rules --format markdown`)."""
    rules = list(rules)
    lines = [f"# {_TITLE}", "", _INTRO, "", "| Rule | Default | Summary |", "| --- | --- | --- |"]
    for rule in rules:
        summary = _one_line(rule.summary).replace("|", "\\|")
        lines.append(
            f"| [`{rule.id}`](#{rule_anchor(rule.id)}) | {rule.default_severity} | {summary} |"
        )
    for rule in rules:
        lines += ["", f"## {rule.id}", "", f"Default severity: **{rule.default_severity}**", ""]
        lines += [_one_line(rule.summary), "", rule.rationale.strip(), ""]
        lines += ["**Bad**", "", *_fenced(rule.bad), "", "**Good**", "", *_fenced(rule.good)]
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _fenced(snippet: str) -> list[str]:
    longest = max((len(run) for run in re.findall(r"`+", snippet)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}yaml", snippet.strip("\n"), fence]


_STYLE = """\
body { font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  color: #1f2933; max-width: 60rem; margin: 2rem auto; padding: 0 1.25rem; }
h1 { font-size: 1.9rem; } h2 { margin-top: 2.5rem; border-top: 1px solid #e4e7eb;
  padding-top: 1.5rem; font-size: 1.35rem; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
pre { background: #f5f7fa; padding: .75rem 1rem; overflow-x: auto; border-radius: 6px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #e4e7eb;
  vertical-align: top; }
.severity { display: inline-block; padding: 0 .5rem; border-radius: 999px; font-size: .85rem;
  background: #e4e7eb; }
.severity-error { background: #fde2e1; } .severity-warn { background: #fdf0d5; }
.example-label { font-weight: 600; margin-bottom: .25rem; }
a { color: #0f766e; }
"""


def rule_reference_html(
    rules: Iterable[RuleDoc], *, api_reference: str | None = "index.html"
) -> str:
    """The reference as one static HTML page for the published site (no scripts)."""
    rules = list(rules)
    esc = html.escape
    rows = "".join(
        f'<tr><td><a href="#{esc(rule_anchor(rule.id))}"><code>{esc(rule.id)}</code></a></td>'
        f"<td>{_severity(rule.default_severity)}</td><td>{_inline(_one_line(rule.summary))}</td></tr>\n"
        for rule in rules
    )
    sections = "".join(
        f'<section id="{esc(rule_anchor(rule.id))}">\n'
        f"<h2><code>{esc(rule.id)}</code></h2>\n"
        f"<p>Default severity: {_severity(rule.default_severity)}</p>\n"
        f"<p>{_inline(_one_line(rule.summary))}</p>\n"
        f"{_paragraphs(rule.rationale)}"
        f"{_example('Bad', rule.bad)}{_example('Good', rule.good)}"
        "</section>\n"
        for rule in rules
    )
    back = ""
    if api_reference is not None:
        back = f'<p><a href="{esc(api_reference, quote=True)}">API reference</a></p>\n'
    csp = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_TITLE}</title>\n"
        f"<style>\n{_STYLE}</style>\n"
        "</head>\n"
        "<body>\n"
        f"<h1>{_TITLE}</h1>\n"
        f"{back}"
        f"<p>{_inline(_INTRO)}</p>\n"
        "<table>\n<thead><tr><th>Rule</th><th>Default</th><th>Summary</th></tr></thead>\n"
        f"<tbody>\n{rows}</tbody>\n</table>\n"
        f"{sections}"
        "</body>\n"
        "</html>\n"
    )


def _example(label: str, snippet: str) -> str:
    code = html.escape(snippet.strip("\n"))
    return f'<p class="example-label">{label}</p>\n<pre><code>{code}</code></pre>\n'


def _severity(severity: str) -> str:
    name = html.escape(severity)
    return f'<span class="severity severity-{name}">{name}</span>'


def _inline(text: str) -> str:
    """Escaped text with `code spans` kept as code, the only Markdown the rule texts use."""
    return _CODE_SPAN.sub(lambda m: f"<code>{m.group(1)}</code>", html.escape(text))


def _paragraphs(text: str) -> str:
    blocks = [_one_line(block) for block in re.split(r"\n\s*\n", text.strip()) if block.strip()]
    return "".join(f"<p>{_inline(block)}</p>\n" for block in blocks)

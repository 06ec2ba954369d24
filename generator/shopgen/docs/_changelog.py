"""The changelog of a versioned site: `shopgen diff` between each version and the one before.

Newest first; in each step the breaking changes come first, each with the operations it touches,
linked into the older and the newer version's page at the operation. The same content is written
as HTML (a page of the site) and as Markdown (for release notes).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from ._search import normalise_template

if TYPE_CHECKING:
    from shopgen.diff import Change, DiffReport

__all__ = ["Release", "Step", "changelog_html", "changelog_markdown"]

_INTRO = (
    "What changed in the API contract from each version to the next, newest first, as "
    "`shopgen diff` classifies it. A breaking change breaks clients written against the "
    "version before it."
)
_SHOWN_OPERATIONS = 12
_CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)", re.DOTALL)


@dataclass(frozen=True)
class Release:
    """A version that was built: its page and the anchors of its operations."""

    name: str
    href: str
    """The page, relative to the site's root."""
    day: str | None
    anchors: dict[tuple[str, str], str]
    """(METHOD, normalised path template) → ReDoc anchor."""

    def link(self, label: str) -> str | None:
        """The page at the operation `label` names (`METHOD /path (id)`), if it has it."""
        method, _, rest = label.partition(" ")
        template = rest.rsplit(" (", 1)[0] if rest.endswith(")") else rest
        anchor = self.anchors.get((method, normalise_template(template)))
        if anchor is None:
            return None
        return f"{self.href}#{anchor}" if anchor else self.href


@dataclass(frozen=True)
class Step:
    """From `older` to `newer`; `report` is None when the contract did not change."""

    older: Release
    newer: Release
    report: DiffReport | None
    skipped: tuple[str, ...] = ()
    """Versions between the two that could not be built."""


def _what(change: Change) -> str:
    """The change without the operations in front (they get their own column)."""
    if change.operations:
        more = len(change.operations) - 1
        head = f"{change.operations[0]} and {more} more" if more else change.operations[0]
        if change.message.startswith(head + ": "):
            return change.message[len(head) + 2 :]
        if change.message == head:
            return change.kind.replace("-", " ")
    return change.message


def _when(release: Release, step: Step) -> str:
    """The tag's date; for the working copy, whether it is released yet."""
    if release.day:
        return release.day
    return "not tagged yet" if step.report is not None else ""


def _counts(report: DiffReport | None) -> tuple[int, int]:
    if report is None:
        return 0, 0
    return len(report.breaking), len(report.non_breaking)


def _skipped_note(step: Step) -> str:
    """`v1.1.0 was skipped`, for a step over versions that could not be built."""
    verb = "was" if len(step.skipped) == 1 else "were"
    return f"{', '.join(step.skipped)} {verb} skipped" if step.skipped else ""


# -- HTML --------------------------------------------------------------------------------------


def _inline(value: str) -> str:
    """Escaped text with `code spans` (as `shopgen diff` writes them) shown as code."""
    escaped = html.escape(" ".join(value.split()), quote=True)
    return _CODE_SPAN.sub(lambda m: f"<code>{m.group(2).strip()}</code>", escaped)


def _href(root_relative: str) -> str:
    return html.escape(root_relative, quote=True)


def _operations_html(change: Change, step: Step) -> str:
    items = []
    for label in change.operations[:_SHOWN_OPERATIONS]:
        links = []
        for release in (step.older, step.newer):
            target = release.link(label)
            if target is not None:
                links.append(f'<a href="{_href(target)}">{html.escape(release.name)}</a>')
        items.append(f"<li><code>{html.escape(label)}</code> {' '.join(links)}</li>")
    hidden = len(change.operations) - _SHOWN_OPERATIONS
    if hidden > 0:
        items.append(f"<li>and {hidden} more</li>")
    return f'<ul class="operations">{"".join(items)}</ul>' if items else ""


def _table_html(changes: tuple[Change, ...], step: Step) -> str:
    rows = "".join(
        f"<tr><td><code>{html.escape(change.kind)}</code></td><td>{_inline(_what(change))}</td>"
        f"<td>{_operations_html(change, step)}</td></tr>\n"
        for change in changes
    )
    return (
        "<table>\n<thead><tr><th>Kind</th><th>Change</th><th>Operations</th></tr></thead>\n"
        f"<tbody>\n{rows}</tbody>\n</table>\n"
    )


def section_id(name: str) -> str:
    return "v-" + re.sub(r"[^A-Za-z0-9._-]+", "-", name)


def changelog_html(steps: list[Step], first: Release | None) -> str:
    """The changelog page's body (the site adds the header around it)."""
    parts = ["<h1>Changelog</h1>\n", f"<p>{_inline(_INTRO)}</p>\n"]
    for step in steps:
        newer, older = step.newer, step.older
        when = _when(newer, step)
        day = f' <span class="counts">{html.escape(when)}</span>' if when else ""
        parts.append(f'<section id="{html.escape(section_id(newer.name), quote=True)}">\n')
        parts.append(f'<h2><a href="{_href(newer.href)}">{html.escape(newer.name)}</a>{day}</h2>\n')
        against = f'<a href="{_href(older.href)}">{html.escape(older.name)}</a>'
        note = f" ({html.escape(_skipped_note(step))})" if step.skipped else ""
        report = step.report
        if report is None or not report.changes:
            what = "the same contract" if report is None else "no change to the contract"
            parts.append(f'<p class="counts">Compared with {against}{note}: {what}.</p>\n')
            parts.append("</section>\n")
            continue
        breaking, other = _counts(report)
        counts = (
            f'<strong class="breaking">{breaking} breaking</strong>'
            if breaking
            else ("nothing breaking")
        )
        parts.append(
            f'<p class="counts">Compared with {against}{note}: {counts}, '
            f"{other} non-breaking.</p>\n"
        )
        if report.breaking:
            parts.append('<h3 class="breaking">Breaking changes</h3>\n')
            parts.append(_table_html(report.breaking, step))
        if report.non_breaking:
            parts.append("<h3>Other changes</h3>\n")
            parts.append(_table_html(report.non_breaking, step))
        parts.append("</section>\n")
    if first is not None:
        day = f" ({html.escape(first.day)})" if first.day else ""
        parts.append(
            f'<section id="{html.escape(section_id(first.name), quote=True)}">\n'
            f'<h2><a href="{_href(first.href)}">{html.escape(first.name)}</a></h2>\n'
            f'<p class="counts">The oldest version on this site{day}.</p>\n</section>\n'
        )
    return "".join(parts)


# -- Markdown ----------------------------------------------------------------------------------


def _cell(value: str) -> str:
    """One table cell: no newline, no bare `|`, no HTML."""
    value = " ".join(value.split())
    return value.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _code(value: str) -> str:
    text = " ".join(value.split())
    runs = re.findall(r"`+", text)
    fence = "`" * (max((len(run) for run in runs), default=0) + 1)
    return f"{fence} {text} {fence}" if runs else f"`{text}`"


def _destination(root_relative: str) -> str:
    return quote(root_relative, safe="/#%:@!$&'*+,;=-._~")


def _text(value: str) -> str:
    """Plain text for Markdown outside a table: no HTML, no link or emphasis syntax."""
    value = " ".join(value.split())
    return re.sub(r"([\\`*_\[\]<>|#])", r"\\\1", value)


def _operations_md(change: Change, step: Step) -> str:
    items = []
    for label in change.operations[:_SHOWN_OPERATIONS]:
        links = []
        for release in (step.older, step.newer):
            target = release.link(label)
            if target is not None:
                links.append(f"[{_text(release.name)}]({_destination(target)})")
        items.append(f"{_code(label)} {' '.join(links)}".strip())
    hidden = len(change.operations) - _SHOWN_OPERATIONS
    if hidden > 0:
        items.append(f"and {hidden} more")
    return _cell("; ".join(items)) if items else ""


def _table_md(changes: tuple[Change, ...], step: Step) -> list[str]:
    lines = ["| Kind | Change | Operations |", "| --- | --- | --- |"]
    for change in changes:
        lines.append(
            f"| `{change.kind}` | {_cell(_what(change))} | {_operations_md(change, step)} |"
        )
    return lines


def changelog_markdown(steps: list[Step], first: Release | None) -> str:
    """The changelog as Markdown; links are relative to the site's root, where it is written."""
    lines = ["# Changelog", "", _INTRO]
    for step in steps:
        newer, older = step.newer, step.older
        when = _when(newer, step)
        day = f" ({when})" if when else ""
        lines += ["", f"## {_text(newer.name)}{day}", ""]
        against = f"[{_text(older.name)}]({_destination(older.href)})"
        note = f" ({_text(_skipped_note(step))})" if step.skipped else ""
        report = step.report
        if report is None or not report.changes:
            what = "the same contract" if report is None else "no change to the contract"
            lines.append(f"Compared with {against}{note}: {what}.")
            continue
        breaking, other = _counts(report)
        counts = f"**{breaking} breaking**" if breaking else "nothing breaking"
        lines.append(f"Compared with {against}{note}: {counts}, {other} non-breaking.")
        if report.breaking:
            lines += ["", "### Breaking changes", "", *_table_md(report.breaking, step)]
        if report.non_breaking:
            lines += ["", "### Other changes", "", *_table_md(report.non_breaking, step)]
    if first is not None:
        day = f" ({first.day})" if first.day else ""
        lines += ["", f"## {_text(first.name)}{day}", "", "The oldest version on this site."]
    return "\n".join(lines) + "\n"

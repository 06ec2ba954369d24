"""A pull-request comment: counts in the heading, breaking changes first, the rest folded.

GitHub caps a comment at 65,536 characters, so each table stops after `MAX_ROWS` rows and says
how many it left out; the json format carries them all.
"""

from __future__ import annotations

from typing import TextIO

from shopgen.diff._report import Change, DiffReport

__all__ = ["MAX_ROWS", "write"]

MAX_ROWS = 100


def _cell(value: str) -> str:
    """One table cell: no newline, no bare `|`, no HTML."""
    value = " ".join(value.split())
    return value.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _where(change: Change) -> str:
    return f"L{change.new_line}" if change.new_line is not None else ""


def _table(changes: tuple[Change, ...], out: TextIO) -> None:
    out.write("| Kind | Change | Line |\n| --- | --- | --- |\n")
    for change in changes[:MAX_ROWS]:
        out.write(f"| `{change.kind}` | {_cell(change.message)} | {_where(change)} |\n")
    if len(changes) > MAX_ROWS:
        out.write(f"\n…and {len(changes) - MAX_ROWS} more (run `shopgen diff --format json`).\n")


def write(report: DiffReport, out: TextIO) -> None:
    breaking, other = report.breaking, report.non_breaking
    if breaking:
        plural = "s" if len(breaking) != 1 else ""
        out.write(
            f"### :x: API contract: {len(breaking)} breaking change{plural}, "
            f"{len(other)} non-breaking\n\n"
        )
    elif other:
        out.write(
            "### :white_check_mark: API contract: no breaking change, "
            f"{len(other)} non-breaking\n\n"
        )
    else:
        out.write("### :white_check_mark: API contract: no changes\n")
        return
    if breaking:
        out.write("Existing clients break on these changes:\n\n")
        _table(breaking, out)
        out.write("\n")
    if other:
        out.write(f"<details><summary>{len(other)} non-breaking</summary>\n\n")
        _table(other, out)
        out.write("\n</details>\n")

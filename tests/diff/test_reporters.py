"""Each reporter against a golden file (SHOPGEN_UPDATE_GOLDEN=1 rewrites them)."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from shopgen.diff import FORMATS, Change, DiffReport
from shopgen.diff.reporters import markdown

GOLDEN = Path(__file__).parent / "golden"

REPORT = DiffReport(
    old=Path("base.yaml"),
    new=Path("contract/openapi.yaml"),
    changes=(
        Change(
            kind="operation-removed",
            breaking=True,
            message="DELETE /orders/{order_id} (cancelOrder): removed",
            operations=("DELETE /orders/{order_id} (cancelOrder)",),
            old_pointer="/paths/~1orders~1{order_id}/delete",
            new_pointer="/paths/~1orders~1{order_id}",
            old_line=70,
            new_line=58,
        ),
        Change(
            kind="enum-value-added-response",
            breaking=True,
            message=(
                "POST /orders (createOrder) and 1 more: schema `Order` property `status`: "
                "enum value `a|b` added"
            ),
            operations=("POST /orders (createOrder)", "GET /orders/{order_id} (getOrder)"),
            old_pointer="/components/schemas/Order/properties/status/enum",
            new_pointer="/components/schemas/Order/properties/status/enum",
            old_line=101,
            new_line=102,
        ),
        Change(
            kind="parameter-added",
            breaking=False,
            message="GET /products (listProducts): query parameter `cursor`: added (optional)",
            operations=("GET /products (listProducts)",),
            old_pointer="/paths/~1products/get",
            new_pointer="/paths/~1products/get/parameters/2",
            old_line=5,
            new_line=12,
        ),
    ),
)

EMPTY = DiffReport(old=Path("base.yaml"), new=Path("contract/openapi.yaml"), changes=())


def render(fmt: str, report: DiffReport = REPORT) -> str:
    out = io.StringIO()
    FORMATS[fmt](report, out)
    return out.getvalue()


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("which", ["changes", "empty"])
def test_matches_golden_file(fmt: str, which: str) -> None:
    golden = GOLDEN / f"{which}.{fmt}"
    produced = render(fmt, REPORT if which == "changes" else EMPTY)
    if os.environ.get("SHOPGEN_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(produced)
    assert produced == golden.read_text()


def test_json_has_the_documented_shape() -> None:
    data = json.loads(render("json"))
    assert data["summary"] == {
        "old": "base.yaml",
        "new": "contract/openapi.yaml",
        "breaking": 2,
        "non_breaking": 1,
    }
    first = data["changes"][0]
    assert set(first) == {"kind", "breaking", "message", "operations", "old", "new"}
    assert first["new"] == {"pointer": "/paths/~1orders~1{order_id}", "line": 58}


def test_markdown_escapes_pipes_and_folds_non_breaking() -> None:
    text = render("markdown")
    assert text.startswith("### :x: API contract: 2 breaking changes, 1 non-breaking\n")
    assert "`a\\|b`" in text
    breaking_table, folded = text.split("<details>")
    assert "operation-removed" in breaking_table and "parameter-added" not in breaking_table
    assert "parameter-added" in folded and folded.rstrip().endswith("</details>")


def test_markdown_stays_under_githubs_comment_limit() -> None:
    many = tuple(
        Change(kind="operation-removed", breaking=True, message=f"GET /p{i}: removed" + "x" * 300)
        for i in range(5000)
    )
    text = render("markdown", DiffReport(Path("a"), Path("b"), many))
    assert len(text) < 65_536
    assert f"…and {5000 - markdown.MAX_ROWS} more" in text


def test_github_annotates_the_new_contract() -> None:
    lines = render("github").splitlines()
    assert lines[0] == (
        "::error file=contract/openapi.yaml,line=58,title=operation-removed (breaking)"
        "::DELETE /orders/{order_id} (cancelOrder): removed"
    )
    assert lines[2].startswith("::notice file=contract/openapi.yaml,line=12,")

"""The public API: exports, messages, dedupe across operations, positions, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shopgen import diff
from shopgen.errors import UserError

from .cases import CASES, base


def test_all_is_complete_and_sorted() -> None:
    public = {name for name in dir(diff) if not name.startswith("_")}
    public -= {"annotations", "reporters"}
    assert diff.__all__ == sorted(diff.__all__, key=lambda name: (not name.isupper(), name))
    assert set(diff.__all__) == public


def test_every_kind_has_a_stable_kebab_case_id() -> None:
    for kind_id, kind in diff.KINDS.items():
        assert kind.id == kind_id
        assert kind_id == kind_id.lower() and " " not in kind_id and "_" not in kind_id


def write(tmp_path: Path, name: str, document: dict[str, object]) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document, indent=2))
    return path


def compare_case(case_id: str, tmp_path: Path) -> diff.DiffReport:
    (case,) = [c for c in CASES if c.id == case_id]
    old, new = case.documents()
    return diff.compare(write(tmp_path, "old.json", old), write(tmp_path, "new.json", new))


def test_message_names_operation_property_and_values(tmp_path: Path) -> None:
    report = compare_case("request-constraint-tightened", tmp_path)
    (change,) = report.changes
    assert change.message == (
        "POST /orders (createOrder): schema `OrderCreate` property `note`: "
        "`maxLength` `500` → `100`"
    )
    assert change.operations == ("POST /orders (createOrder)",)


def test_a_shared_component_change_is_reported_once_per_direction(tmp_path: Path) -> None:
    report = compare_case("shared-component-both-directions", tmp_path)
    by_kind = {c.kind: c for c in report.changes}
    assert len(report.changes) == 2
    response = by_kind["response-constraint-loosened"]
    assert set(response.operations) == {
        "POST /orders (createOrder)",
        "GET /orders/{order_id} (getOrder)",
    }
    assert " and 1 more: schema `OrderLine` property `quantity`" in response.message
    assert by_kind["request-constraint-loosened"].operations == ("POST /orders (createOrder)",)


def test_changes_carry_pointers_and_lines_in_both_files(tmp_path: Path) -> None:
    report = compare_case("response-enum-value-added", tmp_path)
    (change,) = report.changes
    assert change.new_pointer == "/components/schemas/Order/allOf/1/properties/status/enum"
    new_lines = (tmp_path / "new.json").read_text().splitlines()
    assert change.new_line is not None and '"enum"' in new_lines[change.new_line - 1]
    assert change.old_line is not None


def test_removed_things_point_at_their_place_in_the_new_file(tmp_path: Path) -> None:
    report = compare_case("operation-removed", tmp_path)
    (change,) = report.changes
    assert change.old_pointer == "/paths/~1orders~1{order_id}/delete"
    assert change.new_pointer == "/paths/~1orders~1{order_id}"
    assert change.new_line is not None


def test_breaking_changes_come_first_and_exit_codes(tmp_path: Path) -> None:
    report = compare_case("request-media-type-replaced", tmp_path)
    assert [c.breaking for c in report.changes] == [True, False]
    assert (report.exit_code("breaking"), report.exit_code("any"), report.exit_code("none")) == (
        1,
        1,
        0,
    )
    quiet = compare_case("operation-added", tmp_path)
    assert (quiet.exit_code("breaking"), quiet.exit_code("any")) == (0, 1)
    same = compare_case("no-change", tmp_path)
    assert (same.exit_code("breaking"), same.exit_code("any"), same.counts()) == (
        0,
        0,
        {"breaking": 0, "non_breaking": 0},
    )


def test_yaml_and_json_contracts_compare_alike(tmp_path: Path) -> None:
    import yaml

    old = tmp_path / "old.yaml"
    old.write_text(yaml.safe_dump(base(), sort_keys=False))
    document = base()
    document["paths"].pop("/products")
    new = write(tmp_path, "new.json", document)
    (change,) = diff.compare(old, new).changes
    assert change.kind == "path-removed"
    assert change.old_line == old.read_text().splitlines().index("  /products:") + 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "file is empty"),
        ("openapi: [unclosed\n", ""),
        ("- a list\n", "top level is a list"),
        ("info: {title: x}\npaths: {}\n", "no `openapi` field"),
        ("swagger: '2.0'\ninfo: {title: x}\npaths: {}\n", "`swagger: 2.0` (Swagger 2.0) is not"),
        ("openapi: 4.0.0\npaths: {}\n", "`openapi: 4.0.0` is not supported"),
        ("openapi: 3.0\npaths: {}\n", "is a number; quote the version"),
        ("openapi: 3.0.3\ninfo: {title: x}\npaths: [a]\n", "`paths` is a list"),
    ],
    ids=[
        "empty",
        "not-yaml",
        "list",
        "no-openapi",
        "swagger-2",
        "openapi-4",
        "openapi-number",
        "paths-list",
    ],
)
def test_bad_input_is_a_user_error_with_a_position(
    tmp_path: Path, text: str, expected: str
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    good = write(tmp_path, "good.json", base())
    with pytest.raises(UserError) as raised:
        diff.compare(good, bad)
    assert raised.value.path == str(bad)
    assert raised.value.line is not None
    assert expected in str(raised.value)


def test_a_missing_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no such file"):
        diff.compare(tmp_path / "absent.yaml", write(tmp_path, "good.json", base()))


def test_the_readme_lists_every_kind_with_its_verdict() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for kind in diff.KINDS.values():
        assert f"| `{kind.id}` | {'yes' if kind.breaking else 'no'} |" in readme

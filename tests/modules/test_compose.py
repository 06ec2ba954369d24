"""Merging module fragments into a contract as text: the user's text stays, the merge is
exactly the data merge, and taking a module out gives the contract back."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from shopgen import lint, modules
from shopgen.contract import load_contract
from shopgen.errors import UserError
from shopgen.modules import MARKER, module_dir
from shopgen.resources import bundled_contract, template_dir

TEMPLATE = template_dir()
FRAGMENTS = {
    name: modules.load_fragment(name, module_dir(TEMPLATE, name) / "contract.yaml")
    for name in modules.names()
}
CANONICAL = bundled_contract().read_text(encoding="utf-8")


def compose(text: str, *selected: str) -> str:
    return modules.compose_contract(
        text, selected=selected, known=modules.names(), fragments=FRAGMENTS, source="shop.yaml"
    )


def _subsequence(small: list[str], big: list[str]) -> bool:
    found = iter(big)
    return all(line in found for line in small)


@pytest.mark.parametrize(
    "selected",
    [
        ("douyin",),
        ("erp",),
        ("douyin", "erp"),
        ("commission",),
        ("monitoring",),
        ("douyin", "erp", "commission", "monitoring"),
    ],
)
def test_merging_then_removing_gives_the_contract_back(selected: tuple[str, ...]) -> None:
    merged = compose(CANONICAL, *selected)
    assert merged != CANONICAL
    # Every line stays, in order; only OrderSource's enum gains `douyin` in place.
    kept = [line for line in CANONICAL.splitlines() if line != "      enum: [api, shopify]"]
    assert _subsequence(kept, merged.splitlines())
    assert compose(merged, *selected) == merged
    assert compose(merged) == CANONICAL
    ops = modules.module_operations(yaml.safe_load(merged))
    assert set(ops.values()) == set(selected)


def test_the_merged_canonical_contract_lints_clean(tmp_path: Path) -> None:
    path = tmp_path / "shop.openapi.yaml"
    path.write_text(compose(CANONICAL, *modules.names()), encoding="utf-8")
    report = lint.lint_contract(load_contract(path))
    assert [f"{f.line}: {f.rule} {f.message}" for f in report.findings] == []


def test_removing_one_module_keeps_the_other() -> None:
    both = compose(CANONICAL, "douyin", "erp")
    assert compose(both, "erp") == compose(CANONICAL, "erp")
    assert compose(both, "douyin") == compose(CANONICAL, "douyin")


def test_comments_and_edits_survive_and_marked_entries_are_kept_as_edited() -> None:
    text = CANONICAL.replace("paths:\n", "# our paths, reviewed 2025-03\npaths:\n", 1)
    text = text.replace(
        "  schemas:\n    Envelope:", "  # shared models\n  schemas:\n    Envelope:", 1
    )
    merged = compose(text, "douyin")
    assert "# our paths, reviewed 2025-03\n" in merged and "  # shared models\n" in merged
    edited = merged.replace("summary: Connect a Douyin shop", "summary: Connect our Douyin shop")
    assert compose(edited, "douyin") == edited
    assert "Connect our Douyin shop" in compose(edited, "douyin", "erp")
    assert compose(edited) == text


def test_an_enum_in_block_style_gains_and_loses_the_value() -> None:
    text = CANONICAL.replace(
        "      enum: [api, shopify]\n", "      enum:\n        - api\n        - shopify\n"
    )
    assert text != CANONICAL
    merged = compose(text, "douyin")
    assert "        - shopify\n        - douyin\n" in merged
    assert yaml.safe_load(merged)["components"]["schemas"]["OrderSource"]["enum"] == [
        "api",
        "shopify",
        "douyin",
    ]
    assert compose(merged) == text


def test_json_contracts_are_merged_as_data() -> None:
    data = yaml.safe_load(CANONICAL)
    text = json.dumps(data, indent=4, ensure_ascii=False) + "\n"
    merged = compose(text, "erp")
    assert merged.startswith('{\n    "openapi"')
    assert json.loads(merged) == yaml.safe_load(compose(CANONICAL, "erp"))
    assert json.loads(compose(merged)) == data


def test_a_contract_without_tags_gets_them() -> None:
    tags = re.search(r"^tags:\n(?:  .*\n)+", CANONICAL, re.M)
    assert tags is not None
    text = CANONICAL.replace(tags.group(0), "")
    merged = compose(text, "erp")
    assert [t["name"] for t in yaml.safe_load(merged)["tags"]] == ["erp"]
    assert compose(merged) == text


def test_flow_style_where_entries_go_is_refused_with_a_way_out() -> None:
    tags = re.search(r"^tags:\n(?:  .*\n)+", CANONICAL, re.M)
    assert tags is not None
    text = CANONICAL.replace(
        tags.group(0), "tags: [{name: products, description: The catalogue.}]\n"
    )
    with pytest.raises(UserError, match="write `tags`, `paths` and `components` in block style"):
        compose(text, "douyin")


def test_a_module_needing_what_the_contract_lacks_is_refused() -> None:
    text = CANONICAL.replace("    Forbidden:\n", "    Forbidden2:\n", 1)
    with pytest.raises(UserError) as raised:
        compose(text, "douyin")
    assert "module `douyin` refers to `#/components/responses/Forbidden`" in str(raised.value)
    assert str(raised.value).startswith("shop.yaml: ")


def test_every_added_node_carries_the_marker() -> None:
    before = yaml.safe_load(CANONICAL)
    after = yaml.safe_load(compose(CANONICAL, *modules.names()))
    for kind, entries in after["components"].items():
        for name, node in entries.items():
            if name not in before["components"].get(kind, {}):
                assert node[MARKER] in modules.names(), name


def _create_order_body(document: dict[str, Any]) -> dict[str, Any]:
    operation = document["paths"]["/api/v1/orders"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    found: dict[str, Any] = schema
    return found


def test_commission_adds_channel_code_to_the_order_body_and_takes_it_back() -> None:
    merged = compose(CANONICAL, "commission")
    body = _create_order_body(yaml.safe_load(merged))
    added = body["properties"]["channel_code"]
    assert added[MARKER] == "commission" and added["type"] == "string"
    assert "channel_code" not in body.get("required", [])
    assert "channel_code" not in _create_order_body(yaml.safe_load(CANONICAL))["properties"]
    # Textual: the canonical body's own properties keep their lines, in place.
    assert _subsequence(CANONICAL.splitlines(), merged.splitlines())
    assert compose(merged) == CANONICAL
    assert compose(merged, "commission") == merged


def test_commission_needs_an_order_body_with_properties() -> None:
    document = yaml.safe_load(CANONICAL)
    operation = document["paths"]["/api/v1/orders"]["post"]
    operation["requestBody"]["content"]["application/json"]["schema"] = {"type": "object"}
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    with pytest.raises(UserError) as raised:
        compose(text, "commission")
    assert "module `commission` adds to the request body of `createOrder`" in str(raised.value)


def test_a_contract_without_modules_is_not_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """No module picked and nothing of one in the text: the text comes back as it is."""

    def unread(*args: object, **kwargs: object) -> None:
        raise AssertionError("the contract was parsed again")

    monkeypatch.setattr(yaml, "load", unread)
    assert compose(CANONICAL) is CANONICAL


def test_a_module_enum_value_left_without_markers_still_goes() -> None:
    """The quick test on the text must not keep what the full comparison takes out."""
    text = CANONICAL.replace("      enum: [api, shopify]\n", "      enum: [api, shopify, douyin]\n")
    assert text != CANONICAL and MARKER not in text
    assert compose(text) == CANONICAL

"""`$ref`: local and sibling files load; remote, escaping and dangling refs are findings."""

from __future__ import annotations

from pathlib import Path

from shopgen.contract import load_contract
from shopgen.lint import run

HEAD = "openapi: 3.1.0\ninfo: {title: Shop, version: '1'}\npaths: {}\n"


def contract_with(tmp_path: Path, schemas: str, files: dict[str, str] | None = None) -> Path:
    for name, content in (files or {}).items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    path = tmp_path / "shop.yaml"
    path.write_text(HEAD + "components:\n  schemas:\n" + schemas)
    return path


def messages(path: Path) -> list[tuple[str, str]]:
    return [(p.pointer, p.message) for p in load_contract(path).references.problems]


def test_sibling_files_load_and_resolve(tmp_path: Path) -> None:
    path = contract_with(
        tmp_path,
        "    Product: {$ref: 'schemas/product.yaml#/Product'}\n",
        {
            "schemas/product.yaml": "Product:\n  type: object\n  properties:\n"
            "    price: {$ref: 'money.yaml'}\n",
            "schemas/money.yaml": "type: integer\n",
        },
    )
    contract = load_contract(path)
    assert contract.references.problems == []
    product = contract.deref(contract.components("schemas")["Product"])
    assert contract.deref(product["properties"]["price"]) == {"type": "integer"}
    assert set(contract.references.files) == {"schemas/product.yaml", "schemas/money.yaml"}


def test_remote_refs_are_refused_not_fetched(tmp_path: Path) -> None:
    path = contract_with(
        tmp_path,
        "    A: {$ref: 'http://127.0.0.1:9/a.yaml'}\n"
        "    B: {$ref: 'https://example.com/b.yaml#/B'}\n"
        "    C: {$ref: 'file:///etc/passwd'}\n",
    )
    found = dict(messages(path))
    assert "remote" in found["/components/schemas/A/$ref"]
    assert "remote" in found["/components/schemas/B/$ref"]
    assert "remote" in found["/components/schemas/C/$ref"]


def test_refs_leaving_the_directory_are_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.yaml").write_text("type: string\n")
    inner = tmp_path / "api"
    inner.mkdir()
    path = contract_with(
        inner,
        "    A: {$ref: '../secret.yaml'}\n    B: {$ref: '/etc/passwd'}\n",
    )
    found = dict(messages(path))
    assert "leaves the contract's directory" in found["/components/schemas/A/$ref"]
    assert "leaves the contract's directory" in found["/components/schemas/B/$ref"]


def test_symlink_out_of_the_directory_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("type: string\n")
    inner = tmp_path / "api"
    inner.mkdir()
    (inner / "link.yaml").symlink_to(outside)
    path = contract_with(inner, "    A: {$ref: 'link.yaml'}\n")
    assert "outside the contract's directory" in dict(messages(path))["/components/schemas/A/$ref"]


def test_dangling_refs_are_findings_with_positions(tmp_path: Path) -> None:
    path = contract_with(tmp_path, "    A:\n      $ref: '#/components/schemas/Nope'\n")
    findings = [f for f in run(path).findings if f.rule == "ref-resolvable"]
    assert [(f.line, f.column, f.message) for f in findings] == [
        (7, 7, "$ref `/components/schemas/Nope` points at nothing")
    ]


def test_reference_cycles_do_not_hang(tmp_path: Path) -> None:
    path = contract_with(
        tmp_path,
        "    A: {$ref: '#/components/schemas/B'}\n"
        "    B: {$ref: '#/components/schemas/A'}\n"
        "    Node:\n      type: object\n      properties:\n"
        "        children: {type: array, items: {$ref: '#/components/schemas/Node'}}\n",
    )
    contract = load_contract(path)
    assert contract.deref(contract.components("schemas")["A"]) == {}
    properties, _, types = contract.schema_view(contract.components("schemas")["Node"])
    assert "children" in properties and types == {"object"}
    run(path)  # finishes


def test_bundled_inlines_other_files_and_keeps_local_refs(tmp_path: Path) -> None:
    path = contract_with(
        tmp_path,
        "    Money: {type: integer}\n    Product: {$ref: 'schemas/product.yaml#/Product'}\n",
        {
            "schemas/product.yaml": "Product:\n  type: object\n  properties:\n"
            "    price_cents: {$ref: '../shop.yaml#/components/schemas/Money'}\n"
            "    sku: {$ref: '#/Sku'}\nSku: {type: string}\n",
        },
    )
    contract = load_contract(path)
    bundled = contract.bundled()
    product = bundled["components"]["schemas"]["Product"]
    assert product["properties"]["sku"] == {"type": "string"}
    assert product["properties"]["price_cents"] == {"$ref": "#/components/schemas/Money"}
    assert contract.document["components"]["schemas"]["Product"] == {
        "$ref": "schemas/product.yaml#/Product"
    }


def test_bundling_a_cycle_through_files_is_a_user_error(tmp_path: Path) -> None:
    import pytest

    from shopgen.errors import UserError

    path = contract_with(
        tmp_path,
        "    Node: {$ref: 'node.yaml'}\n",
        {"node.yaml": "type: object\nproperties:\n  next: {$ref: 'node.yaml'}\n"},
    )
    with pytest.raises(UserError, match="cycle through other files"):
        load_contract(path).bundled()

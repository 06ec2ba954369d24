"""A `$ref` is a reference only where OpenAPI allows one; elsewhere it is a name or data.

GitHub's SCIM schemas have a property called `$ref`, and an example may show a payload that
contains `$ref`. Reading those as references made lint report valid documents and `shopgen
docs` publish a rewritten contract.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from shopgen import diff, docs
from shopgen.contract import load_contract
from shopgen.lint import run

# Every `$ref` below that is not a reference holds something a reference could not: a schema,
# a remote URL, a pointer to nothing. Read as references, each would be a finding.
LITERAL_REFS = """\
info: {title: Groups, version: '1'}
paths:
  /groups:
    get:
      operationId: listGroups
      responses:
        '200':
          description: The groups.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Group'}
              example: {members: [{$ref: '#/nowhere', value: '1'}]}
            application/vnd.groups+json:
              schema: {type: object}
              examples:
                remote:
                  value: {$ref: 'https://example.com/user.json'}
      x-origin: {$ref: 'https://example.com/origin.yaml'}
components:
  schemas:
    Group:
      type: object
      properties:
        members:
          type: array
          items: {$ref: '#/components/schemas/Member'}
      default: {members: [{$ref: '#/nowhere', value: '1'}]}
    Member:
      type: object
      properties:
        $ref: {type: string}
        value: {type: string}
      enum: [{$ref: '#/nowhere', value: '1'}]
"""


def write(tmp_path: Path, version: str, text: str = LITERAL_REFS) -> Path:
    path = tmp_path / f"groups-{version}.yaml"
    path.write_text(f"openapi: {version}\n{text}")
    return path


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_only_references_are_references(tmp_path: Path, version: str) -> None:
    contract = load_contract(write(tmp_path, version))
    assert contract.references.problems == []
    assert sorted(site.pointer for site in contract.references.sites.values()) == [
        "/components/schemas/Group/properties/members/items",
        "/paths/~1groups/get/responses/200/content/application~1json/schema",
    ]
    member = contract.deref({"$ref": "#/components/schemas/Member"})
    assert member["properties"]["$ref"] == {"type": "string"}


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_loading_changes_nothing(tmp_path: Path, version: str) -> None:
    path = write(tmp_path, version)
    assert load_contract(path).document == yaml.safe_load(path.read_text())


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_lint_finds_no_structural_problem(tmp_path: Path, version: str) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules: {oas-structure: error, ref-resolvable: error}\n")
    only = {"oas-structure", "ref-resolvable"}
    found = [f for f in run(write(tmp_path, version), ruleset=rules).findings if f.rule in only]
    assert found == []


def test_const_and_examples_of_31_schemas_are_data(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "3.1.0",
        "info: {title: x, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n"
        "    Pointer:\n      const: {$ref: '#/nowhere'}\n"
        "      examples: [{$ref: 'https://example.com/x'}]\n"
        "      $defs:\n        Real: {$ref: '#/components/schemas/Gone'}\n",
    )
    contract = load_contract(path)
    assert [(p.pointer, p.message) for p in contract.references.problems] == [
        (
            "/components/schemas/Pointer/$defs/Real/$ref",
            "$ref `/components/schemas/Gone` points at nothing",
        )
    ]


def test_a_reference_into_an_extension_is_followed_there(tmp_path: Path) -> None:
    """The target of a reference is read as what the reference stands for, wherever it is."""
    path = write(
        tmp_path,
        "3.1.0",
        "info: {title: x, version: '1'}\npaths: {}\n"
        "x-shared:\n  Money: {type: object, properties: {amount: {$ref: '#/x-shared/Gone'}}}\n"
        "components:\n  schemas:\n    Price: {$ref: '#/x-shared/Money'}\n",
    )
    problems = load_contract(path).references.problems
    assert [p.pointer for p in problems] == ["/x-shared/Money/properties/amount/$ref"]


def test_docs_embed_the_contract_as_written(tmp_path: Path) -> None:
    path = write(tmp_path, "3.1.0")
    output = tmp_path / "page.html"
    docs.build(path, output, docs.DocsOptions(skip_lint=True))
    embedded = re.search(
        r'<script id="shopgen-spec" type="application/json">(.*?)</script>', output.read_text()
    )
    assert embedded is not None
    assert json.loads(embedded.group(1)) == yaml.safe_load(path.read_text())


def test_diff_sees_no_change_between_equal_files(tmp_path: Path) -> None:
    old = write(tmp_path, "3.1.0")
    new = tmp_path / "copy.yaml"
    new.write_text(old.read_text())
    assert diff.compare(old, new).changes == ()

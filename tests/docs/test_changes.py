"""The changelog's comparisons: leaving out unchanged path items, and forking, change nothing."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest
import yaml

from shopgen import diff
from shopgen.contract import Contract, load_contract
from shopgen.docs._changes import Comparisons, _stable_paths, compare_versions

from ..diff.cases import CASES, Case
from .conftest import REPO


def load_pair(old: object, new: object, directory: Path) -> tuple[Contract, Contract]:
    (directory / "old.json").write_text(json.dumps(old, indent=2), encoding="utf-8")
    (directory / "new.json").write_text(json.dumps(new, indent=2), encoding="utf-8")
    return load_contract(directory / "old.json"), load_contract(directory / "new.json")


@pytest.fixture(scope="module")
def pairs(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Case, Contract, Contract]]:
    loaded = []
    for case in CASES:
        old, new = case.documents()
        loaded.append((case, *load_pair(old, new, tmp_path_factory.mktemp(case.id))))
    return loaded


def test_every_kind_of_change_is_reported_as_by_the_whole_comparison(
    pairs: list[tuple[Case, Contract, Contract]],
) -> None:
    pruned = 0
    for case, old, new in pairs:
        whole = diff.compare_contracts(old, new)
        assert compare_versions(old, new) == whole, case.id
        pruned += bool(_stable_paths(old, new))
    # The cases edit one place each, so most comparisons leave some path items out.
    assert pruned >= len(pairs) // 2


def test_a_change_deep_in_a_shared_component_keeps_every_path_that_reaches_it(
    tmp_path: Path,
) -> None:
    document = yaml.safe_load((REPO / "specs" / "shop.openapi.yaml").read_text("utf-8"))
    changed = json.loads(json.dumps(document))
    statuses = changed["components"]["schemas"]["OrderStatus"]["enum"]
    statuses.append("returned")
    old, new = load_pair(document, changed, tmp_path)
    stable = _stable_paths(old, new)
    whole = diff.compare_contracts(old, new)
    assert compare_versions(old, new) == whole
    exposed = {label.split(" ")[1] for change in whole.changes for label in change.operations}
    assert exposed and not exposed & stable
    assert "/api/v1/products" in stable


def test_a_change_of_the_documents_security_compares_everything(tmp_path: Path) -> None:
    document = yaml.safe_load((REPO / "specs" / "shop.openapi.yaml").read_text("utf-8"))
    changed = json.loads(json.dumps(document))
    changed["security"] = [{"bearerAuth": ["admin"]}]
    old, new = load_pair(document, changed, tmp_path)
    assert _stable_paths(old, new) == set()
    assert compare_versions(old, new) == diff.compare_contracts(old, new)


def test_forked_comparisons_give_the_same_reports(
    pairs: list[tuple[Case, Contract, Contract]],
) -> None:
    forked = Comparisons(parallel=True, fork_above=0)
    for number, (_, old, new) in enumerate(pairs[:6]):
        forked.start(number, old, new)
    reports = forked.results()
    assert [reports[n] for n in range(6)] == [
        diff.compare_contracts(old, new) for _, old, new in pairs[:6]
    ]


def test_leaving_early_stops_the_comparisons_still_running(
    pairs: list[tuple[Case, Contract, Contract]],
) -> None:
    with Comparisons(parallel=True, fork_above=0) as forked:
        for number, (_, old, new) in enumerate(pairs[:2]):
            forked.start(number, old, new)
    assert multiprocessing.active_children() == []

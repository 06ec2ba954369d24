"""`shopgen docs --site` with its versions loaded by forked walks side by side.

Whatever the cut between the walks (a cut beside a skipped tag, one between two tags with the
same contract, one where every walk has a single tag), and whatever happens to a forked walk,
the site is byte for byte the one a single walk writes.
"""

from __future__ import annotations

import functools
import gc
import multiprocessing
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shopgen import docs
from shopgen.docs import _site, _versions
from shopgen.docs._changes import Comparisons
from shopgen.docs._git import open_repository
from shopgen.errors import UserError

from .conftest import FakeFinding, FakeReport, clean_linter
from .site_repo import CONTRACT, V1_1, V1_2, WORKING, git, make_repository, tag

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="forked walks run on Linux only"
)

# The tags, newest first, as numbered by the build.
TAGS = ["v1.6.0", "v1.5.0", "v1.4.0", "v1.3.0", "v1.2.0", "v1.1.0", "v1.0.0"]


@pytest.fixture(scope="module")
def contract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seven tags: the working copy's contract (v1.6.0), a tag without the contract (v1.5.0), a
    tag that does not load (v1.3.0) between two with one contract (v1.4.0, v1.2.0)."""
    repository = tmp_path_factory.mktemp("repo")
    contract = make_repository(repository)
    tag(repository, "v1.3.0", V1_1 + "broken: [\n", date="2025-04-01")
    tag(repository, "v1.4.0", V1_2, date="2025-05-01")
    git(repository, "rm", "-q", CONTRACT)
    git(repository, "commit", "-q", "-m", "move the contract", date="2025-06-01")
    git(repository, "tag", "v1.5.0")
    tag(repository, "v1.6.0", WORKING, date="2025-07-01")
    return contract


@pytest.fixture(scope="module")
def serial(contract: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    site = tmp_path_factory.mktemp("serial") / "site"
    result = docs.build_site(contract, site, docs.DocsOptions(linter=clean_linter), lanes=1)
    assert [v.name for v in result.versions] == ["latest", *TAGS]
    assert [v.name for v in result.versions if v.skipped] == ["v1.5.0", "v1.3.0"]
    return files(site)


@pytest.fixture
def walked_here(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The runs this process walked in place of a forked walk (each by its first tag)."""
    here: list[int] = []
    walk = _versions.walk

    def recording(tags: _versions.Tags, start: int, *args: Any) -> _versions.Lane:
        if os.getpid() == parent:
            here.append(start)
        return walk(tags, start, *args)

    parent = os.getpid()
    monkeypatch.setattr(_versions, "walk", recording)
    # Every comparison in a process of its own: a forked walk forks again.
    monkeypatch.setattr(
        _versions, "Comparisons", functools.partial(Comparisons, parallel=True, fork_above=0)
    )
    return here


def files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def cut_at(monkeypatch: pytest.MonkeyPatch, starts: list[int]) -> None:
    monkeypatch.setattr(_site, "lane_starts", lambda *args: starts)


@pytest.mark.parametrize(
    "starts",
    [
        [0, 1],  # the second walk starts at the tag without the contract
        [0, 2],  # ... at a version (the first walk loads it too, to compare it)
        [0, 3],  # ... at a tag that does not load
        [0, 4],  # ... at a tag whose contract the tag before the skipped one has
        [0, 3, 5],
        list(range(len(TAGS))),  # a walk per tag
    ],
)
def test_walks_side_by_side_write_the_site_a_single_walk_writes(
    contract: Path,
    serial: dict[str, bytes],
    starts: list[int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    walked_here: list[int],
) -> None:
    cut_at(monkeypatch, starts)
    site = tmp_path / "site"
    result = docs.build_site(contract, site, docs.DocsOptions(linter=clean_linter))
    assert files(site) == serial
    assert walked_here == []  # every forked walk delivered
    assert [v.name for v in result.versions if v.skipped] == ["v1.5.0", "v1.3.0"]
    assert multiprocessing.active_children() == []


def test_lanes_cut_where_the_contract_changes(contract: Path, tmp_path: Path) -> None:
    repository = open_repository(contract)
    tags = repository.tags("v*")
    assert [t.name for t in tags] == TAGS
    # One walk for one CPU, or for contracts too small to pay for a process.
    assert _versions.lane_starts(repository, tags, contract, 1) == [0]
    assert _versions.lane_starts(repository, tags, contract, None) == [0]
    # v1.6.0 is the working copy and v1.5.0 has no contract: the first walk's, whatever the cut.
    starts = _versions.lane_starts(repository, tags, contract, 2)
    assert len(starts) == 2 and starts[0] == 0 and starts[1] >= 2
    assert all(0 < s < len(tags) for s in starts[1:])
    assert _versions.lane_starts(repository, tags[:1], contract, 2) == [0]


def test_runs_of_about_equal_work() -> None:
    assert _versions._partition([5, 5, 5], 2) == [0, 1]  # 5 + 3.75 against 10
    assert _versions._partition([5, 5, 5, 5], 2) == [0, 2]
    assert _versions._partition([30, 5, 5, 5, 5], 2) == [0, 1]
    assert _versions._partition([5, 5, 5, 5, 5, 5], 3) == [0, 2, 4]
    assert _versions._partition([5], 2) == [0]


def _failing(how: Callable[[], None], marker: Path) -> Callable[..., _versions.Lane]:
    walk = _versions.walk
    parent = os.getpid()

    def failing(*args: Any) -> _versions.Lane:
        if os.getpid() != parent:
            marker.write_text("failed", encoding="utf-8")
            how()
        return walk(*args)

    return failing


def _raise() -> None:
    raise RuntimeError("a walk that breaks")


def _die() -> None:
    os._exit(3)


@pytest.mark.parametrize("how", [_raise, _die], ids=["raises", "dies"])
def test_a_failing_walk_is_walked_again_here(
    contract: Path,
    serial: dict[str, bytes],
    how: Callable[[], None],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    marker = tmp_path / "failed"
    monkeypatch.setattr(_versions, "walk", _failing(how, marker))
    cut_at(monkeypatch, [0, 3])
    site = tmp_path / "site"
    docs.build_site(contract, site, docs.DocsOptions(linter=clean_linter))
    assert marker.read_text(encoding="utf-8") == "failed"
    assert files(site) == serial
    assert multiprocessing.active_children() == []


def test_walks_that_disagree_give_way_to_a_single_walk(
    contract: Path, serial: dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = os.getpid()

    def linter(checked: Any) -> FakeReport:
        # Another answer in another process: the forked walk skips what this one builds.
        if os.getpid() != parent:
            return FakeReport([FakeFinding(rule="house-rule", message="elsewhere")])
        return FakeReport()

    cut_at(monkeypatch, [0, 2])
    site = tmp_path / "site"
    result = docs.build_site(contract, site, docs.DocsOptions(linter=linter))
    assert files(site) == serial
    assert [v.name for v in result.versions if v.skipped] == ["v1.5.0", "v1.3.0"]


def test_a_failing_working_copy_stops_the_forked_walks(
    contract: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repository = contract.parent.parent
    broken = tmp_path / "repo"
    git(tmp_path, "clone", "-q", str(repository), str(broken))
    git(broken, "fetch", "-q", "--tags")
    (broken / CONTRACT).write_text("openapi: [\n", encoding="utf-8")
    cut_at(monkeypatch, [0, 2, 4])
    with pytest.raises(UserError, match="invalid YAML"):
        docs.build_site(broken / CONTRACT, tmp_path / "site", docs.DocsOptions(linter=clean_linter))
    assert multiprocessing.active_children() == []
    assert not (tmp_path / "site").exists()
    assert gc.isenabled()  # paused for the build only


def test_the_cyclic_collector_is_paused_for_the_build_only(
    contract: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    walk = _versions.walk

    def recording(*args: Any, **kwargs: Any) -> _versions.Lane:
        seen.append(gc.isenabled())
        return walk(*args, **kwargs)

    monkeypatch.setattr(_site, "walk", recording)
    docs.build_site(contract, tmp_path / "site", docs.DocsOptions(linter=clean_linter), lanes=1)
    assert seen == [False]
    assert gc.isenabled()
    gc.disable()
    try:
        docs.build_site(contract, tmp_path / "again", docs.DocsOptions(linter=clean_linter))
        assert not gc.isenabled()  # the caller's choice stands
    finally:
        gc.enable()

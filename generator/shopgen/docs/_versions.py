"""Loading a site's tagged versions: in one walk over the tags, or in several walks side by side.

A walk goes through a run of tags, newest first, loads each tag's contract (or says why it
cannot), and compares each version with the next newer one it built. The site is the walk over
all tags, starting from the working copy.

On Linux with several CPUs, and contracts large enough to pay for a process, the tags are cut
into runs of about equal work, each walked by a forked process while this one walks the first
run from the working copy. A walk that reaches the next run loads that run's first version
once more, for the comparison across the cut, and stops. Every tag's outcome and every
comparison depend only on the tags involved, so the walks put together are the one walk, and the
site is byte for byte the one a single walk writes. A process that fails is walked again here,
where any error surfaces as it would have.
"""

from __future__ import annotations

import dataclasses
import hashlib
import signal
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shopgen.errors import UserError
from shopgen.forking import Forked, cpus

from ._build import PublicContract, public_contract
from ._changelog import Release
from ._changes import Comparisons, compare_versions
from ._page import embed_json
from ._search import Entry, operation_anchors, version_entries

if TYPE_CHECKING:
    from collections.abc import Callable

    from shopgen.contract import Contract
    from shopgen.diff import DiffReport

    from ._git import Repository, Tag
    from ._options import DocsOptions
    from ._theme import Theme

__all__ = [
    "WORKING_COPY",
    "Built",
    "Embedding",
    "Lane",
    "Tags",
    "Walks",
    "lane_starts",
    "prepare",
    "walk",
]

WORKING_COPY = -1
"""The number of the working copy; tags are numbered from 0, newest first."""
_LANES_ABOVE = 1024 * 1024
"""Below this much contract text in all (working copy and tags), one walk does it all."""
_AGAIN = 0.75
"""What loading a version a second time (without embedding it) costs, against a whole version."""


@dataclass
class Embedding:
    """What a version's page embeds and the search and the changelog read of it: made once,
    and shared by the tags that have the version's contract."""

    spec_json: str = ""
    entries: list[Entry] = field(default_factory=list)
    anchors: dict[tuple[str, str], str] = field(default_factory=dict)
    source: tuple[dict[str, Any], Contract] | None = field(default=None, repr=False)
    """The public document and its view, until `make` has run."""

    def make(self) -> None:
        if self.source is not None:
            document, view = self.source
            self.spec_json = embed_json(document)
            self.entries = version_entries(view)
            self.anchors = operation_anchors(view)
            self.source = None


@dataclass
class Built:
    """What a version's page, the index and the changelog need, once it is loaded."""

    number: int
    """The tag's number, or `WORKING_COPY`."""
    name: str
    slug: str
    day: str | None
    key: str
    title: str
    image_origins: tuple[str, ...]
    embedding: Embedding
    view: Contract | None = field(default=None, repr=False)
    """The public contract, kept only until the next version has been compared with it."""

    @property
    def spec_json(self) -> str:
        return self.embedding.spec_json

    @property
    def entries(self) -> list[Entry]:
        return self.embedding.entries

    @property
    def href(self) -> str:
        return f"{self.slug}/index.html" if self.slug else "index.html"

    def release(self) -> Release:
        return Release(self.name, self.href, self.day, self.embedding.anchors)


@dataclass(frozen=True)
class Tags:
    """What every walk reads: the same in this process and in the forked ones."""

    repository: Repository
    tags: list[Tag]
    slugs: dict[str, str]
    options: DocsOptions
    theme: Theme
    scratch: Path
    """An empty directory for the contracts read from git."""


@dataclass
class Lane:
    """What a walk found: each tag's version or why it was skipped, by tag number, and the
    comparison of each version with the next older one it built, by (newer, older) number
    (None where both have the same contract)."""

    outcomes: dict[int, Built | str]
    reports: dict[tuple[int, int], DiffReport | None]


def prepare(
    public: PublicContract, number: int, name: str, day: str | None, slug: str, *, embed: bool
) -> Built:
    """`public` as a version of the site; without `embed`, its embedding is left to
    `Built.embedding.make` (or, for a version only loaded to be compared, to another walk)."""
    view = public.view()
    contract = public.contract
    key = hashlib.sha256(
        "\n".join(
            [contract.sha256]
            + [f"{k} {s.sha256}" for k, s in sorted(contract.references.files.items())]
        ).encode()
    ).hexdigest()
    embedding = Embedding(source=(public.document, view))
    if embed:
        embedding.make()
    return Built(
        number=number,
        name=name,
        slug=slug,
        day=day,
        key=key,
        title=public.title,
        image_origins=public.image_origins,
        embedding=embedding,
        view=view,
    )


def walk(
    tags: Tags,
    start: int,
    stop: int | None,
    newest: Built | None,
    cache: dict[str, Built | str],
    comparisons: Comparisons,
    beside: Callable[[], None] | None = None,
) -> Lane:
    """Walk the tags from number `start`; past `stop`, only as far as the first version built,
    which is loaded to be compared and left to the walk that starts at `stop`.

    `newest` is the version before `start` (the working copy), if this walk has it; `cache`
    holds the versions already loaded, by the sha256 of their contract. `beside` is work to do
    while the last comparison runs (in a process of its own, if it is large).
    """
    end = len(tags.tags) if stop is None else stop
    blobs = tags.repository.read(tags.tags[start:end])
    outcomes: dict[int, Built | str] = {}
    reports: dict[tuple[int, int], DiffReport | None] = {}
    started: list[tuple[int, int]] = []
    # The last comparison found, started when another tag follows (to run beside its load),
    # or run here at the end, where a process of its own would only be waited for.
    waiting: tuple[tuple[int, int], Contract, Contract] | None = None
    for number in range(start, len(tags.tags)):
        if waiting is not None:
            pair, old, new = waiting
            comparisons.start(len(started), old, new)
            started.append(pair)
            waiting = None
        tag = tags.tags[number]
        past = number >= end
        data = blobs[tag.name] if not past else tags.repository.read([tag])[tag.name]
        outcome = _tag_version(tags, number, data, cache, embed=not past)
        if isinstance(outcome, str):
            outcomes[number] = outcome
            continue
        if newest is not None:
            pair = (newest.number, number)
            if outcome.key == newest.key:
                reports[pair] = None
            else:
                assert outcome.view is not None and newest.view is not None
                waiting = (pair, outcome.view, newest.view)
            newest.view = None  # compared with both its neighbours now
        if past:
            outcome.view = outcome.embedding.source = None
            newest = None
            break
        outcomes[number] = outcome
        newest = outcome
    if newest is not None:
        newest.view = None
    if waiting is not None:
        pair, old, new = waiting
        if beside is None:
            reports[pair] = compare_versions(old, new)
        else:
            comparisons.start(len(started), old, new)
            started.append(pair)
    if beside is not None:
        beside()
    for key, report in comparisons.results().items():
        reports[started[key]] = report
    return Lane(outcomes, reports)


def _tag_version(
    tags: Tags, number: int, data: bytes | None, cache: dict[str, Built | str], *, embed: bool
) -> Built | str:
    """The version at tag `number`, or why it cannot be built."""
    repository, tag = tags.repository, tags.tags[number]
    slug = tags.slugs[tag.name]
    if data is None:
        return f"`{repository.contract}` does not exist at this tag"
    digest = hashlib.sha256(data).hexdigest()
    cached = cache.get(digest)
    if isinstance(cached, str):
        return cached
    if cached is not None and cached.view is not None:
        # The tag before has the same contract (a release that did not touch it).
        cache[digest] = dataclasses.replace(
            cached, number=number, name=tag.name, slug=slug, day=tag.day
        )
        return cache[digest]
    scratch = Path(tempfile.mkdtemp(prefix=f"{number}-", dir=tags.scratch))
    contract_path = repository.materialise(tag, data, scratch)
    single_file = sum(1 for item in scratch.rglob("*") if item.is_file()) == 1
    try:
        public = public_contract(contract_path, tags.options, tags.theme)
    except UserError as error:
        reason = _reason(error, scratch)
        if single_file:
            cache[digest] = reason
        return reason
    version = prepare(public, number, tag.name, tag.day, slug, embed=embed)
    if single_file:
        cache[digest] = version
    return version


def _reason(error: UserError, scratch: Path) -> str:
    """The error with the file named as in the repository, not in the scratch directory."""
    if error.path is not None:
        where = Path(error.path)
        if where.is_relative_to(scratch):
            error = UserError(
                error.message,
                path=where.relative_to(scratch).as_posix(),
                line=error.line,
                column=error.column,
            )
    return str(error)


# -- walks side by side ------------------------------------------------------------------------


def lane_starts(
    repository: Repository, tags: list[Tag], working: Path, lanes: int | None
) -> list[int]:
    """The tag number each walk starts at: `[0]` for one walk, else runs of about equal work.

    `lanes` is the most walks to run (one per CPU if None, and then only for contracts large
    enough to pay for a process); forked walks run on Linux only. A run starts only where the
    contract differs from the tag before (or, for the newest tag, from the working copy):
    tags with the same contract cost one load, in one walk. Each walk but the last also loads
    the next run's first version once more, for the comparison across the cut.
    """
    count = cpus() if lanes is None else lanes
    if not sys.platform.startswith("linux") or count < 2 or len(tags) < 2:
        return [0]
    try:
        blobs = repository.identify(tags)
        data = working.read_bytes()
    except (UserError, OSError):
        return [0]  # the walk reports it, where a single build would
    starts, weights = [0], [len(data)]
    previous = _blob_id(data, blobs)
    for number, blob in enumerate(blobs):
        if blob is None or blob[0] == previous:
            continue
        previous, size = blob
        if number == 0:
            weights[0] += size  # the working copy's walk loads this one whatever the cut
        else:
            starts.append(number)
            weights.append(size)
    if lanes is None and sum(weights) < _LANES_ABOVE:
        return [0]
    groups = _partition(weights, min(count, (len(weights) + 1) // 2))
    return [starts[first] for first in groups]


def _blob_id(data: bytes, blobs: list[tuple[str, int] | None]) -> str | None:
    """The id git gives `data` as a blob, in the repository's hash (the length of its ids)."""
    lengths = {len(blob[0]) for blob in blobs if blob is not None}
    if len(lengths) != 1:
        return None
    algorithm = {40: "sha1", 64: "sha256"}.get(lengths.pop())
    if algorithm is None:
        return None
    return hashlib.new(algorithm, b"blob %d\0" % len(data) + data).hexdigest()


def _partition(weights: list[int], parts: int) -> list[int]:
    """The first index of each of `parts` contiguous runs of `weights` with the least largest
    cost: its weights, and `_AGAIN` times the next run's first weight."""
    count = len(weights)
    parts = max(1, min(parts, count))
    prefix = [0]
    for weight in weights:
        prefix.append(prefix[-1] + weight)

    def cost(first: int, end: int) -> float:
        return prefix[end] - prefix[first] + (_AGAIN * weights[end] if end < count else 0)

    worst = float("inf")
    best = [[worst] * (count + 1) for _ in range(parts + 1)]
    cut = [[0] * (count + 1) for _ in range(parts + 1)]
    best[0][0] = 0.0
    for part in range(1, parts + 1):
        for end in range(part, count + 1):
            for first in range(part - 1, end):
                value = max(best[part - 1][first], cost(first, end))
                if value < best[part][end]:
                    best[part][end], cut[part][end] = value, first
    firsts, end = [], count
    for part in range(parts, 0, -1):
        end = cut[part][end]
        firsts.append(end)
    return firsts[::-1]


class Walks:
    """The walks from `starts[1:]`, each in a forked process, while this one walks the first.

    Use it as a context manager: leaving it early (an error elsewhere in the build) stops the
    walks still running.
    """

    def __init__(self, tags: Tags, starts: list[int]) -> None:
        self._tags = tags
        self._bounds = [
            (start, starts[index + 1] if index + 1 < len(starts) else None)
            for index, start in enumerate(starts)
        ]
        self._running: list[Forked[Lane] | None] = []

    def __enter__(self) -> Walks:
        for start, stop in self._bounds[1:]:
            try:
                # Not a daemon: a walk forks comparisons and lint rules of its own, which a
                # daemon may not. Leaving the block stops it whatever happened.
                forked = Forked.start(_lane_walker(self._tags, start, stop), daemon=False)
            except OSError:
                forked = None  # walked here instead
            self._running.append(forked)
        return self

    def __exit__(self, *exc: object) -> None:
        for forked in self._running:
            if forked is not None:
                forked.stop()
        self._running.clear()

    @property
    def first_stop(self) -> int | None:
        """Where the walk from the working copy stops."""
        return self._bounds[0][1]

    def lanes(self) -> list[Lane]:
        """The forked walks' lanes, in order, once they end; a failed one is walked here."""
        lanes = []
        for (start, stop), forked in zip(self._bounds[1:], self._running, strict=True):
            lane = forked.result() if forked is not None else None
            if lane is None:
                with Comparisons() as comparisons:
                    lane = walk(self._tags, start, stop, None, {}, comparisons)
            lanes.append(lane)
        self._running.clear()
        return lanes


def _lane_walker(tags: Tags, start: int, stop: int | None) -> Callable[[], Lane]:
    def walk_lane() -> Lane:
        # Stopped (the build failed elsewhere): leave through the block below, which stops
        # the comparisons this walk forked.
        signal.signal(signal.SIGTERM, _stopped)
        with Comparisons() as comparisons:
            return walk(tags, start, stop, None, {}, comparisons)

    return walk_lane


def _stopped(signum: int, frame: object) -> None:
    raise SystemExit(1)

"""`build_site`: every released version of a contract as one static site.

    DIR/index.html              the working copy ("latest")
    DIR/<tag>/index.html        the contract as it was at each matching tag
    DIR/changelog.html, .md     `shopgen diff` between consecutive versions
    DIR/search-index.json       operations, paths and schemas of every version
    DIR/versions.json           what was built, what was skipped and why

Versions are read from git and built newest first, so each is compared with the one after it
while both are loaded (the comparison of two large ones runs beside the next load), and only
the embedded pages stay in memory; large contracts load in forked processes side by side
(`_versions`), with the same result. A tag whose contract does not load or lint is listed as
skipped with the reason; only the working copy can stop the build. The site is written to a
directory beside `DIR` and swapped in when complete.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import gc
import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shopgen import __version__
from shopgen.errors import UserError
from shopgen.resources import bundled_contract

from ._build import public_contract
from ._changelog import Step, changelog_html, changelog_markdown
from ._changes import Comparisons
from ._chrome import HEADER_ID, VersionLink, chrome, static_page
from ._git import Repository, Tag, open_repository
from ._options import DocsOptions
from ._page import assemble_page, embed_json, text
from ._redoc import RedocScript, cdn_script, inline_script
from ._search import SearchIndex
from ._theme import Theme, load_theme
from ._versions import WORKING_COPY, Built, Lane, Tags, Walks, lane_starts, prepare, walk

__all__ = ["LATEST", "SiteResult", "SiteVersion", "build_site"]

LATEST = "latest"
MANIFEST = "versions.json"
_FILES = ("index.html", "changelog.html", "changelog.md", "search-index.json", MANIFEST)
# Names a version's directory may not take: the site's own files, and `rules/`, where shopgen's
# own site keeps the rule reference.
_RESERVED = frozenset({*_FILES, "rules"})
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class SiteVersion:
    """One version of the site, as the switcher lists it."""

    name: str
    page: Path | None
    """The page written (inside the site), or None if the version was skipped."""
    date: str | None = None
    skipped: str | None = None
    """Why the version could not be built."""
    same_as: str | None = None
    """For the working copy: the newest tag with the same contract, if any."""


@dataclass(frozen=True)
class SiteResult:
    """A site that was written, and what the command should tell about it."""

    output: Path
    versions: tuple[SiteVersion, ...]
    messages: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Skipped:
    name: str
    day: str | None
    reason: str


class _Inconsistent(Exception):
    """The walks side by side disagree on a tag: build it again in one walk."""


def build_site(
    contract: Path | None,
    site: Path,
    options: DocsOptions | None = None,
    *,
    versions: str = "v*",
    lanes: int | None = None,
) -> SiteResult:
    """Write the site of `contract`: the working copy and its version at every tag matching
    the glob `versions`, with a changelog and a search across versions.

    Nothing under `site` changes until the whole new site is written; a `UserError` (the
    working copy does not load or lint, `site` is not a site, git is missing) leaves it as it
    was. `site` must be absent, empty, or a site an earlier build wrote.

    `lanes` is how many processes may load versions side by side (Linux only; the site is the
    same whatever it is); by default one per CPU, when the contracts are large enough to pay
    for the processes.
    """
    options = options or DocsOptions()
    path = contract if contract is not None else bundled_contract()
    _check_site(site)
    theme = load_theme(options.theme)
    script = inline_script(options.redoc_js) if options.redoc_js is not None else cdn_script()
    repository = open_repository(path)
    tags = repository.tags(versions)

    messages: list[str] = []
    if any(tag.name == LATEST for tag in tags):
        tags = [tag for tag in tags if tag.name != LATEST]
        messages.append(f"the tag `{LATEST}` is left out: `{LATEST}` is the working copy")
    if repository.shallow:
        messages.append(
            "the repository is a shallow clone, so older tags may be missing "
            "(actions/checkout needs `fetch-depth: 0`)"
        )
    if not tags:
        messages.append(f"no tag matches `{versions}`: the site has the working copy only")

    slugs = _slugs([tag.name for tag in tags])
    starts = lane_starts(repository, tags, path, lanes)
    load = functools.partial(_load_versions, path, repository, tags, slugs, options, theme)
    with _without_cyclic_collector():
        try:
            latest, latest_messages, built, skipped, steps = load(starts)
        except _Inconsistent:
            # Walks that disagree on a tag (a linter that answers otherwise in another
            # process): the site is what one walk finds.
            latest, latest_messages, built, skipped, steps = load([0])
    messages.extend(latest_messages)
    messages.extend(f"{version.name}: skipped: {version.reason}" for version in skipped)

    newest_tag = built[1] if len(built) > 1 else None
    same_as = newest_tag.name if newest_tag and newest_tag.key == latest.key else None
    return _write_site(
        site,
        built=built,
        skipped=skipped,
        steps=steps,
        tags=tags,
        same_as=same_as,
        theme=theme,
        script=script,
        repository=repository,
        pattern=versions,
        messages=messages,
    )


@contextlib.contextmanager
def _without_cyclic_collector() -> Iterator[None]:
    """Pause the cyclic garbage collector while versions load and compare.

    A site holds several loaded versions at once, each hundreds of thousands of containers:
    every pass of the collector over the oldest generation walks them all again, and finds
    only the few cycles a comparison leaves (freed once it runs again).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load_versions(
    path: Path,
    repository: Repository,
    tags: list[Tag],
    slugs: dict[str, str],
    options: DocsOptions,
    theme: Theme,
    starts: list[int],
) -> tuple[Built, tuple[str, ...], list[Built], list[_Skipped], list[Step]]:
    """The working copy, what its load said, and every version, with a walk from each of
    `starts` (see `_versions`)."""
    with tempfile.TemporaryDirectory(prefix="shopgen-") as scratch:
        each = Tags(repository, tags, slugs, options, theme, Path(scratch))
        with Walks(each, starts) as forked:
            # The older runs of tags load in forked processes while the working copy loads here.
            latest_public = public_contract(path, options, theme)
            # Beside forked walks, the working copy is embedded while its walk's last
            # comparison runs; alone, at once, so that its document can go.
            alone = len(starts) == 1
            latest = prepare(latest_public, WORKING_COPY, LATEST, None, "", embed=alone)
            cache: dict[str, Built | str] = {}
            if not latest_public.contract.references.files:
                # A tag with the working copy's bytes (a build on a release tag) reuses its load.
                cache[latest_public.contract.sha256] = latest
            messages = latest_public.messages
            del latest_public  # what is left of it is `latest`; its document goes with its view
            with Comparisons() as comparisons:
                first = walk(
                    each,
                    0,
                    forked.first_stop,
                    latest,
                    cache,
                    comparisons,
                    beside=None if alone else latest.embedding.make,
                )
            walked = [first, *forked.lanes()]
    built, skipped, steps = _put_together(latest, tags, starts, walked)
    return latest, messages, built, skipped, steps


def _put_together(
    latest: Built, tags: list[Tag], starts: list[int], lanes: list[Lane]
) -> tuple[list[Built], list[_Skipped], list[Step]]:
    """The one walk over every tag, from the walks of its runs: each tag's outcome from the
    walk of its run, each comparison from the walk of the newer version's run.

    `_Inconsistent` if a comparison is missing or one is left over: a walk that went past its
    run found another next version there than the walk of that run.
    """

    def lane(number: int) -> Lane:
        return lanes[bisect.bisect_right(starts, number) - 1] if number >= 0 else lanes[0]

    built, skipped = [latest], []
    between: list[str] = []
    steps: list[Step] = []
    for number, tag in enumerate(tags):
        outcome = lane(number).outcomes.get(number)
        if outcome is None:
            raise _Inconsistent(tag.name)
        if isinstance(outcome, str):
            skipped.append(_Skipped(tag.name, tag.day, outcome))
            between.append(tag.name)
            continue
        newer = built[-1]
        reports = lane(newer.number).reports
        if (newer.number, number) not in reports:
            raise _Inconsistent(tag.name)
        release = newer.release()
        report = reports[(newer.number, number)]
        steps.append(Step(outcome.release(), release, report, tuple(reversed(between))))
        between.clear()
        built.append(outcome)
    if len(steps) != sum(len(walked.reports) for walked in lanes):
        raise _Inconsistent("a comparison across a cut")
    return built, skipped, steps


def _slugs(names: list[str]) -> dict[str, str]:
    """A directory name per tag: the tag itself when it is a safe one, unique in any case."""
    taken: set[str] = set()
    slugs = {}
    for name in names:
        base = re.sub(r"-{2,}", "-", _UNSAFE.sub("-", name)).strip("-.") or "version"
        if base in _RESERVED:
            base = f"{base}-version"
        slug, counter = base, 2
        while slug.lower() in taken:
            slug, counter = f"{base}-{counter}", counter + 1
        taken.add(slug.lower())
        slugs[name] = slug
    return slugs


# -- writing -----------------------------------------------------------------------------------


def _check_site(site: Path) -> None:
    if site.exists() and not site.is_dir():
        raise UserError("is not a directory; --site takes the directory to write", path=site)
    if site.is_dir() and any(site.iterdir()) and not _is_site(site):
        raise UserError(
            f"is not empty and holds no {MANIFEST} from shopgen; --site replaces the whole "
            "directory, so give it a new or empty one",
            path=site,
        )


def _is_site(site: Path) -> bool:
    try:
        manifest = json.loads((site / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and str(manifest.get("generator", "")).startswith("shopgen")


def _write_site(
    site: Path,
    *,
    built: list[Built],
    skipped: list[_Skipped],
    steps: list[Step],
    tags: list[Tag],
    same_as: str | None,
    theme: Theme,
    script: RedocScript,
    repository: Repository,
    pattern: str,
    messages: list[str],
) -> SiteResult:
    """Render every page into a staging directory beside `site`, then swap it in."""
    latest = built[0]
    by_name: dict[str, Built | _Skipped] = {v.name: v for v in built}
    by_name.update((v.name, v) for v in skipped)
    order = [latest.name, *(tag.name for tag in tags)]
    links = []
    for name in order:
        version = by_name[name]
        if isinstance(version, _Skipped):
            links.append(VersionLink(name, None, version.day, version.reason))
        else:
            note = f"same contract as {same_as}" if name == LATEST and same_as else None
            links.append(VersionLink(name, version.href, version.day, note))

    index = SearchIndex()
    for number, version in enumerate(built):
        index.add(number, version.entries)
    search = {
        "versions": [{"name": v.name, "href": v.href} for v in built],
        "entries": index.entries(),
    }
    search_data = embed_json(search)
    site_title = latest.title
    redoc_options: dict[str, Any] = dict(theme.options)
    # ReDoc keeps its sticky sidebar and its scrolling to an operation below the header.
    redoc_options.setdefault("scrollYOffset", f"#{HEADER_ID}")

    pages: dict[str, str] = {}
    for version in built:
        root = "../" if version.slug else ""
        banner = None
        if version.slug and version.key != latest.key:
            day = f" ({text(version.day)})" if version.day else ""
            banner = (
                f"You are reading <strong>{text(version.name)}</strong>{day}, an older version "
                f'of this API. <a href="{root}index.html">Read the latest version</a>.'
            )
        page_chrome = chrome(
            site_title=site_title,
            versions=links,
            current=version.name,
            root=root,
            kind="reference",
            search_data=search_data,
            banner=banner,
        )
        title = version.title if not version.slug else f"{version.title} ({version.name})"
        pages[version.href] = assemble_page(
            version.spec_json,
            title=title,
            options=redoc_options,
            script=script,
            image_origins=version.image_origins,
            chrome=page_chrome,
        )
    oldest = built[-1].release() if len(built) > 1 else None
    pages["changelog.html"] = static_page(
        title=f"{site_title}: changelog",
        body=changelog_html(steps, oldest),
        page_chrome=chrome(
            site_title=site_title,
            versions=links,
            current=None,
            root="",
            kind="changelog",
            search_data=search_data,
        ),
    )
    pages["changelog.md"] = changelog_markdown(steps, oldest)
    pages["search-index.json"] = json.dumps(search, ensure_ascii=False, separators=(",", ":"))
    result_versions = []
    for name in order:
        version = by_name[name]
        if isinstance(version, _Skipped):
            result_versions.append(SiteVersion(name, None, version.day, skipped=version.reason))
        else:
            result_versions.append(
                SiteVersion(
                    name,
                    site / version.href,
                    version.day,
                    same_as=same_as if name == LATEST else None,
                )
            )
    manifest = {
        "generator": f"shopgen {__version__}",
        "contract": repository.contract,
        "pattern": pattern,
        "versions": [
            {
                "name": v.name,
                "page": v.page.relative_to(site).as_posix() if v.page else None,
                "date": v.date,
                "skipped": v.skipped,
                "same_as": v.same_as,
            }
            for v in result_versions
        ],
    }
    pages[MANIFEST] = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    _write_tree(site, pages)
    return SiteResult(output=site, versions=tuple(result_versions), messages=tuple(messages))


def _write_tree(site: Path, files: dict[str, str]) -> None:
    """Write `files` (relative path → text) as the new content of `site`, all or nothing."""
    try:
        site.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{site.name}.", suffix=".new", dir=site.parent))
    except OSError as error:
        raise UserError(f"cannot write: {error.strerror}", path=site) from None
    try:
        staging.chmod(0o755)
        for relative, content in files.items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8", newline="\n")
        _swap(staging, site)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise UserError(f"cannot write: {error.strerror}", path=site) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap(staging: Path, site: Path) -> None:
    """Put `staging` where `site` is; the old site stays in place until the new one is whole."""
    if not site.exists():
        staging.rename(site)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{site.name}.", suffix=".old", dir=site.parent))
    old.rmdir()
    site.rename(old)
    try:
        staging.rename(site)
    except OSError:
        old.rename(site)
        raise
    shutil.rmtree(old, ignore_errors=True)

"""`shopgen docs --site`: every tagged version, a switcher, a changelog and a cross-version search.

Most tests read one site built once from `site_repo`'s three tagged versions; the ones that need
other tags or a broken working copy make their own repository.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from shopgen import docs
from shopgen.docs._git import Tag, _version_key
from shopgen.docs._site import _slugs
from shopgen.errors import LintFailed, UserError

from .conftest import FakeFinding, FakeReport, clean_linter
from .site_repo import CONTRACT, DATES, V1, V1_1, WORKING, git, make_repository, tag
from .test_page import HOSTILE

VERSIONS = ["latest", "v1.2.0", "v1.1.0", "v1.0.0"]


@dataclass
class Page:
    """A page as the browser's tokenizer sees it: links, ids, scripts and the header's text."""

    links: list[dict[str, str]] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    scripts: list[tuple[dict[str, str], str]] = field(default_factory=list)
    elements: list[str] = field(default_factory=list)
    title: str = ""
    banner: str = ""
    header_text: str = ""


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._stack: list[str] = []
        self._script: tuple[dict[str, str], list[str]] | None = None
        self._in_title = False
        self._in_header = False
        self._in_banner = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.page.elements.append(tag)
        if "id" in values:
            self.page.ids.add(values["id"])
        if tag == "a":
            self.page.links.append(values)
        elif tag == "script":
            self._script = (values, [])
        elif tag == "title":
            self._in_title = True
        elif tag == "header":
            self._in_header = True
        elif tag == "p" and values.get("class") == "shopgen-banner":
            self._in_banner = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.page.scripts.append((self._script[0], "".join(self._script[1])))
            self._script = None
        elif tag == "title":
            self._in_title = False
        elif tag == "header":
            self._in_header = False
        elif tag == "p":
            self._in_banner = False

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script[1].append(data)
        if self._in_title:
            self.page.title += data
        if self._in_header:
            self.page.header_text += data
        if self._in_banner:
            self.page.banner += data


def parse(path: Path) -> Page:
    parser = _Parser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser.page


def embedded(page: Page, element_id: str) -> Any:
    (text,) = [text for attrs, text in page.scripts if attrs.get("id") == element_id]
    return json.loads(text)


def resolve(page: Path, href: str) -> tuple[Path, str]:
    """The file a relative link on `page` opens, and its fragment."""
    parts = urlsplit(href)
    assert not parts.scheme and not parts.netloc, f"{href} leaves the site"
    return (page.parent / unquote(parts.path)).resolve(), unquote(parts.fragment)


def switcher(page: Page) -> list[dict[str, str]]:
    return [link for link in page.links if "data-version" in link]


def options(**values: Any) -> docs.DocsOptions:
    return docs.DocsOptions(linter=values.pop("linter", clean_linter), **values)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> docs.SiteResult:
    contract = make_repository(tmp_path_factory.mktemp("repo"))
    site = tmp_path_factory.mktemp("out") / "site"
    return docs.build_site(contract, site, options())


@pytest.fixture(scope="module")
def site(built: docs.SiteResult) -> Path:
    return built.output


# -- pages and the switcher --------------------------------------------------------------------


def test_four_pages_one_per_version_and_the_working_copy(
    built: docs.SiteResult, site: Path
) -> None:
    assert [v.name for v in built.versions] == VERSIONS
    assert [v.page for v in built.versions] == [
        site / "index.html",
        site / "v1.2.0/index.html",
        site / "v1.1.0/index.html",
        site / "v1.0.0/index.html",
    ]
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("index.html")) == [
        "index.html",
        "v1.0.0/index.html",
        "v1.1.0/index.html",
        "v1.2.0/index.html",
    ]
    assert [v.date for v in built.versions] == [None, *(DATES[n] for n in VERSIONS[1:])]
    summaries = {
        name: {
            op.get("summary")
            for item in embedded(parse(page), "shopgen-spec")["paths"].values()
            for op in item.values()
            if isinstance(op, dict)
        }
        for name, page in ((v.name, v.page) for v in built.versions)
        if page is not None
    }
    assert "Withdraw a product from sale" in summaries["v1.0.0"]
    assert "Withdraw a product from sale" not in summaries["v1.1.0"]
    assert "List my orders" in summaries["latest"]
    assert "List my orders" not in summaries["v1.2.0"]
    enums = {
        v.name: embedded(parse(v.page), "shopgen-spec")["components"]["schemas"]["OrderStatus"][
            "enum"
        ]
        for v in built.versions
        if v.page is not None
    }
    assert enums["v1.1.0"] == ["pending_payment", "paid"]
    assert enums["v1.2.0"] == enums["latest"] == ["pending_payment", "paid", "refunded"]


def test_every_page_lists_every_version_newest_first_with_its_date(
    built: docs.SiteResult,
) -> None:
    for version in built.versions:
        assert version.page is not None
        page = parse(version.page)
        links = switcher(page)
        assert [link["data-version"] for link in links] == VERSIONS
        for link, expected in zip(links, built.versions, strict=True):
            target, _ = resolve(version.page, link["href"])
            assert target == expected.page
        current = [link for link in links if link["data-version"] == version.name]
        assert len(current) == 1
        for day in DATES.values():
            assert day in page.header_text
        assert f"Version {version.name}" in page.header_text


def test_old_versions_carry_a_banner_linking_to_the_latest(built: docs.SiteResult) -> None:
    latest, *old = built.versions
    assert latest.page is not None
    assert parse(latest.page).banner == ""
    for version in old:
        assert version.page is not None
        page = parse(version.page)
        assert f"You are reading {version.name} ({version.date}), an older version" in page.banner
        (back,) = [link for link in page.links if link.get("href") == "../index.html"][-1:]
        assert resolve(version.page, back["href"])[0] == latest.page
        assert page.title == f"Corner Shop API ({version.name})"
    assert parse(latest.page).title == "Corner Shop API"


def test_internal_operations_are_left_out_of_every_version_and_the_changelog(
    built: docs.SiteResult, site: Path
) -> None:
    for version in built.versions:
        assert version.page is not None
        text = version.page.read_text(encoding="utf-8")
        assert "reindexCatalogue" not in text
        assert "Rebuild the hidden search index" not in text
    for name in ("changelog.html", "changelog.md", "search-index.json"):
        assert "reindex" not in (site / name).read_text(encoding="utf-8")
    assert built.messages == ()


# -- the changelog -----------------------------------------------------------------------------


def _section(markdown: str, heading: str) -> str:
    start = markdown.index(f"\n## {heading}")
    end = markdown.find("\n## ", start + 1)
    return markdown[start : end if end >= 0 else len(markdown)]


def test_the_changelog_names_the_breaking_changes_first(site: Path) -> None:
    markdown = (site / "changelog.md").read_text(encoding="utf-8")
    headings = [line for line in markdown.splitlines() if line.startswith("## ")]
    assert headings == [
        "## latest (not tagged yet)",
        f"## v1.2.0 ({DATES['v1.2.0']})",
        f"## v1.1.0 ({DATES['v1.1.0']})",
        f"## v1.0.0 ({DATES['v1.0.0']})",
    ]
    removed = _section(markdown, "v1.1.0")
    assert "Compared with [v1.0.0](v1.0.0/index.html): **1 breaking**" in removed
    assert "| `operation-removed` |" in removed
    assert removed.index("### Breaking changes") < removed.index("`operation-removed`")

    enum = _section(markdown, "v1.2.0")
    assert "| `enum-value-added-response` |" in enum
    breaking, _, other = enum.partition("### Other changes")
    assert "`enum-value-added-response`" in breaking
    assert "`enum-value-added-request`" not in breaking

    latest = _section(markdown, "latest")
    assert "nothing breaking, 1 non-breaking" in latest
    assert "| `operation-added` |" in latest


def test_changelog_links_open_both_versions_at_the_operation(site: Path) -> None:
    changelog = site / "changelog.html"
    page = parse(changelog)
    targets = {}
    for link in page.links:
        href = link["href"]
        target, fragment = resolve(changelog, href)
        assert target.is_file(), f"{href} opens nothing"
        targets.setdefault(fragment, set()).add(target.parent.name)
    # The removed operation only exists in the older version; the enum change in both.
    assert targets["operation/deleteProduct"] == {"v1.0.0"}
    assert targets["operation/getOrder"] == {"v1.1.0", "v1.2.0"}
    assert "operation/listOrders" in targets
    breaking = page.header_text  # the header is not part of the changelog's body
    assert "operation-removed" not in breaking
    html = changelog.read_text(encoding="utf-8")
    assert html.index("operation-removed") < html.index("v1.0.0/index.html#operation/deleteProduct")


# -- the search index --------------------------------------------------------------------------


def test_the_search_index_holds_each_entry_once_with_its_versions(
    built: docs.SiteResult, site: Path
) -> None:
    index = json.loads((site / "search-index.json").read_text(encoding="utf-8"))
    assert [v["name"] for v in index["versions"]] == VERSIONS
    by_name: dict[str, list[list[Any]]] = {}
    for kind, name, detail, text, anchor, versions in index["entries"]:
        by_name.setdefault(name, []).append([kind, detail, text, anchor, versions])
    assert by_name["deleteProduct"] == [
        [
            "operation",
            "DELETE /products/{product_id}",
            "Withdraw a product from sale",
            "operation/deleteProduct",
            [3],
        ]
    ]
    assert by_name["listProducts"][0][4] == [0, 1, 2, 3]
    assert by_name["listOrders"][0][4] == [0]
    (product,) = by_name["Product"]
    assert product[:4] == [
        "schema",
        "used by listProducts",
        "Something the shop sells.",
        ("operation/listProducts"),
    ]
    # The same data sits in every page, for the search box.
    for version in built.versions:
        assert version.page is not None
        assert embedded(parse(version.page), "shopgen-site") == index
    assert embedded(parse(site / "changelog.html"), "shopgen-site") == index


# -- skipped versions --------------------------------------------------------------------------


def _lint_fails_on(marker: str) -> Any:
    def linter(contract: Any) -> FakeReport:
        if marker in contract.text:
            return FakeReport([FakeFinding("house-rule", f"`{marker}` is not allowed", None, 3, 5)])
        return FakeReport()

    return linter


def test_a_tag_that_does_not_load_or_lint_is_listed_as_skipped(tmp_path: Path) -> None:
    repository = tmp_path / "repo"
    contract = make_repository(repository)
    tag(repository, "v1.3.0", V1_1 + "broken: [\n", date="2025-04-01")
    tag(repository, "v1.4.0", V1_1.replace("title: Corner", "title: FORBIDDEN"), date="2025-05-01")
    git(repository, "rm", "-q", CONTRACT)
    git(repository, "commit", "-q", "-m", "move the contract", date="2025-06-01")
    git(repository, "tag", "v1.5.0")
    contract.parent.mkdir()
    contract.write_text(WORKING, encoding="utf-8")

    result = docs.build_site(
        contract, tmp_path / "site", options(linter=_lint_fails_on("FORBIDDEN"))
    )
    skipped = {v.name: v.skipped for v in result.versions if v.skipped}
    assert skipped == {
        "v1.5.0": f"`{CONTRACT}` does not exist at this tag",
        "v1.4.0": (
            f"{CONTRACT}:3:5: lint error: `FORBIDDEN` is not allowed [house-rule]; page not "
            "built: `shopgen lint` lists them, --skip-lint builds it anyway"
        ),
        "v1.3.0": f"{CONTRACT}:{len(V1_1.splitlines()) + 1}:9: invalid YAML: unclosed bracket '['",
    }
    assert [v.name for v in result.versions] == [
        "latest",
        "v1.5.0",
        "v1.4.0",
        "v1.3.0",
        "v1.2.0",
        "v1.1.0",
        "v1.0.0",
    ]
    assert all(v.page is None for v in result.versions if v.skipped)
    assert f"v1.3.0: skipped: {skipped['v1.3.0']}" in result.messages
    assert not (tmp_path / "site" / "v1.3.0").exists()

    page = parse(tmp_path / "site" / "index.html")
    assert [link["data-version"] for link in switcher(page)] == VERSIONS
    assert "v1.4.0 (skipped)" in page.header_text
    assert "`FORBIDDEN` is not allowed" in page.header_text
    markdown = (tmp_path / "site" / "changelog.md").read_text(encoding="utf-8")
    assert "Compared with [v1.2.0](v1.2.0/index.html) (v1.3.0, v1.4.0, v1.5.0 were skipped)" in (
        markdown
    )


def test_a_tag_reads_the_files_its_contract_refers_to_as_they_were_then(
    tmp_path: Path,
) -> None:
    repository = tmp_path / "repo"
    repository.mkdir()
    git(repository, "init", "-q", "-b", "main")
    product = "    Product:\n      type: object\n      description: Something the shop sells.\n"
    assert product in V1
    main = V1.replace(
        product,
        "    Product:\n      $ref: parts/product.yaml\n    Unused:\n      type: object\n",
    )
    (repository / "api" / "parts").mkdir(parents=True)
    (repository / "api/parts/product.yaml").write_text(
        "type: object\ndescription: Sold at the tag.\nproperties: {id: {type: integer}}\n"
    )
    tag(repository, "v1.0.0", main, date="2025-01-10")
    (repository / "api/parts/product.yaml").write_text(
        "type: object\ndescription: Sold today.\nproperties: {id: {type: integer}}\n"
    )
    result = docs.build_site(repository / CONTRACT, tmp_path / "site", options())
    pages = {v.name: v.page for v in result.versions}
    assert pages["v1.0.0"] is not None and pages["latest"] is not None
    old = embedded(parse(pages["v1.0.0"]), "shopgen-spec")["components"]["schemas"]["Product"]
    new = embedded(parse(pages["latest"]), "shopgen-spec")["components"]["schemas"]["Product"]
    assert old["description"] == "Sold at the tag."
    assert new["description"] == "Sold today."


def test_the_working_copy_of_a_tagged_release_says_so(tmp_path: Path) -> None:
    repository = tmp_path / "repo"
    contract = make_repository(repository)
    tag(repository, "v1.3.0", WORKING, date="2025-04-01")
    changed = WORKING.replace("List my orders", "List my own orders")
    tag(repository, "v1.3.1", changed, date="2025-04-02")
    tag(repository, "v1.3.2", WORKING, date="2025-04-03")
    tag(repository, "v1.3.3", WORKING, date="2025-04-04")  # a release that kept the contract
    result = docs.build_site(contract, tmp_path / "site", options())
    latest = result.versions[0]
    assert latest.same_as == "v1.3.3"
    page = parse(tmp_path / "site" / "index.html")
    assert "same contract as v1.3.3" in page.header_text
    for name in ("v1.3.2", "v1.3.3"):
        kept = parse(tmp_path / "site" / name / "index.html")
        assert f"Version {name}" in kept.header_text
        assert kept.banner == ""  # the same contract as the latest is not "an older version"
    assert "older version" in parse(tmp_path / "site" / "v1.3.1" / "index.html").banner
    markdown = (tmp_path / "site" / "changelog.md").read_text(encoding="utf-8")
    assert "## latest\n\nCompared with [v1.3.3](v1.3.3/index.html): the same contract." in markdown
    assert "Compared with [v1.3.2](v1.3.2/index.html): the same contract." in markdown
    assert "## v1.3.1 (2025-04-02)" in markdown


# -- safety ------------------------------------------------------------------------------------


def test_hostile_tag_names_and_titles_stay_text(tmp_path: Path) -> None:
    repository = tmp_path / "repo"
    contract = make_repository(repository)
    hostile_tag = 'v2.0.0-"><script>window.__pwned=1</script><img'
    tag(
        repository,
        hostile_tag,
        V1_1.replace("title: Corner Shop API", "title: x"),
        date="2025-07-01",
    )
    title = HOSTILE.replace("\u2028", "").replace("\u2029", "")
    contract.write_text(WORKING.replace("Corner Shop API", json.dumps(title)), encoding="utf-8")
    result = docs.build_site(contract, tmp_path / "site", options())
    names = [v.name for v in result.versions]
    assert names[1] == hostile_tag
    hostile_page = result.versions[1].page
    assert hostile_page is not None
    assert hostile_page.parent.parent == tmp_path / "site"
    assert hostile_page.parent.name == "v2.0.0-script-window.__pwned-1-script-img"
    for page_path in [
        *(v.page for v in result.versions if v.page),
        tmp_path / "site/changelog.html",
    ]:
        page = parse(page_path)
        assert "img" not in page.elements
        inline = [attrs for attrs, _ in page.scripts if not attrs]
        typed = [attrs.get("type") for attrs, _ in page.scripts if attrs.get("type")]
        assert page.elements.count("script") == len(inline) + len(typed) + sum(
            1 for attrs, _ in page.scripts if attrs.get("src")
        )
        assert set(typed) == {"application/json"}
        assert hostile_tag in page.header_text
    assert parse(tmp_path / "site" / "index.html").title == title
    markdown = (tmp_path / "site" / "changelog.md").read_text(encoding="utf-8")
    assert "<script>" not in markdown and "\\<script\\>" in markdown


def test_the_old_site_stays_when_the_working_copy_fails(tmp_path: Path) -> None:
    contract = make_repository(tmp_path / "repo")
    site = tmp_path / "site"
    docs.build_site(contract, site, options())
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}

    contract.write_text(WORKING.replace("title: Corner", "title: FORBIDDEN"), encoding="utf-8")
    with pytest.raises(LintFailed, match="FORBIDDEN"):
        docs.build_site(contract, site, options(linter=_lint_fails_on("FORBIDDEN")))
    contract.write_text("openapi: [\n", encoding="utf-8")
    with pytest.raises(UserError, match="invalid YAML"):
        docs.build_site(contract, site, options())
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo", "site"]


def test_a_rebuild_replaces_the_whole_site(tmp_path: Path) -> None:
    repository = tmp_path / "repo"
    contract = make_repository(repository)
    site = tmp_path / "site"
    docs.build_site(contract, site, options())
    git(repository, "tag", "-d", "v1.0.0")
    result = docs.build_site(contract, site, options())
    assert [v.name for v in result.versions] == VERSIONS[:3]
    assert not (site / "v1.0.0").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo", "site"]


def test_a_directory_that_is_not_a_site_is_refused(tmp_path: Path) -> None:
    contract = make_repository(tmp_path / "repo")
    precious = tmp_path / "notes"
    precious.mkdir()
    (precious / "todo.txt").write_text("keep me")
    with pytest.raises(UserError, match="holds no versions.json from shopgen"):
        docs.build_site(contract, precious, options())
    assert (precious / "todo.txt").read_text() == "keep me"
    with pytest.raises(UserError, match="is not a directory"):
        docs.build_site(contract, precious / "todo.txt", options())


def test_an_offline_site_inlines_redoc_in_every_page(tmp_path: Path, redoc_js: Path) -> None:
    contract = make_repository(tmp_path / "repo")
    result = docs.build_site(contract, tmp_path / "site", options(redoc_js=redoc_js))
    for version in result.versions:
        assert version.page is not None
        text = version.page.read_text(encoding="utf-8")
        assert docs.REDOC_CDN_URL not in text
        assert "Redoc.init" in text


def test_versions_pick_the_tags_by_glob(tmp_path: Path) -> None:
    repository = tmp_path / "repo"
    contract = make_repository(repository)
    git(repository, "tag", "-a", "release-2025-08", "-m", "r", "v1.1.0", date="2025-08-01")
    result = docs.build_site(contract, tmp_path / "site", options(), versions="release-*")
    assert [v.name for v in result.versions] == ["latest", "release-2025-08"]
    git(repository, "tag", "latest", "v1.0.0")
    everything = docs.build_site(contract, tmp_path / "site", options(), versions="*")
    # Two naming schemes: by date, not by number.
    assert [v.name for v in everything.versions] == ["latest", "release-2025-08", *VERSIONS[1:]]
    assert "the tag `latest` is left out: `latest` is the working copy" in everything.messages
    none = docs.build_site(contract, tmp_path / "site", options(), versions="nothing-*")
    assert [v.name for v in none.versions] == ["latest"]
    assert "no tag matches `nothing-*`: the site has the working copy only" in none.messages


def test_the_repository_is_the_contracts_whatever_git_dir_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As in a hook or `git rebase --exec`, where GIT_DIR names the enclosing repository."""
    contract = make_repository(tmp_path / "repo")
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q", "-b", "main")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    result = docs.build_site(contract, tmp_path / "site", options())
    assert [v.name for v in result.versions] == VERSIONS


def test_a_contract_outside_git_is_a_clear_error(tmp_path: Path) -> None:
    contract = tmp_path / "openapi.yaml"
    contract.write_text(V1, encoding="utf-8")
    with pytest.raises(UserError, match="is not in a git work tree"):
        docs.build_site(contract, tmp_path / "site", options())
    assert not (tmp_path / "site").exists()


# -- ordering and names ------------------------------------------------------------------------


def test_versions_sort_by_number_and_releases_after_their_candidates() -> None:
    names = ["v1.9.0", "v1.10.0", "v2.0.0", "v2.0.0-rc.1", "v2.0.0-rc.10", "v2.0.0-rc.2", "v0.1"]
    tags = [Tag(name, "2025-01-01T00:00:00+00:00") for name in names]
    ordered = [tag.name for tag in sorted(tags, key=_version_key, reverse=True)]
    assert ordered == [
        "v2.0.0",
        "v2.0.0-rc.10",
        "v2.0.0-rc.2",
        "v2.0.0-rc.1",
        "v1.10.0",
        "v1.9.0",
        "v0.1",
    ]


def test_directory_names_are_safe_and_unique() -> None:
    assert _slugs(["v1.0.0", "api/v1", "api-v1", "rules", "index.html", "../x"]) == {
        "v1.0.0": "v1.0.0",
        "api/v1": "api-v1",
        "api-v1": "api-v1-2",
        "rules": "rules-version",
        "index.html": "index.html-version",
        "../x": "x",
    }


# -- the command line --------------------------------------------------------------------------


def shopgen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shopgen", *args], cwd=cwd, capture_output=True, text=True
    )


def test_the_command_builds_a_site_of_the_canonical_contract_with_the_real_lint(
    tmp_path: Path,
) -> None:
    canonical = (Path(__file__).parents[2] / "specs" / "shop.openapi.yaml").read_text("utf-8")
    repository = tmp_path / "repo"
    repository.mkdir()
    git(repository, "init", "-q", "-b", "main")
    tag(
        repository,
        "v0.1.0",
        canonical.replace("      enum: [draft, active, archived]", "      enum: [draft, active]"),
        date="2025-01-10",
        path="openapi.yaml",
    )
    tag(
        repository,
        "v0.2.0",
        "openapi: 3.1.0\ninfo: {title: x}\npaths: {}\n",
        date="2025-02-10",
        path="openapi.yaml",
    )
    (repository / "openapi.yaml").write_text(canonical, encoding="utf-8")
    result = shopgen(
        "docs", "openapi.yaml", "--site", "public", "--versions", "v0.*", cwd=repository
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Wrote public/ (2 versions, 1 skipped)\n"
    assert result.stderr.startswith("v0.2.0: skipped: openapi.yaml:")
    assert "lint error" in result.stderr or "[" in result.stderr
    markdown = (repository / "public" / "changelog.md").read_text(encoding="utf-8")
    assert "enum value `archived` added" in markdown


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--site", "out", "-o", "x.html"], "--site and --output exclude each other"),
        (["--versions", "v*"], "--versions needs --site DIR"),
        (["--site", "out", "--serve"], "--serve shows one page"),
    ],
)
def test_conflicting_options_are_one_line_errors(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = shopgen("docs", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"shopgen: {message}")
    assert result.stderr.count("\n") == 1


def test_outside_git_the_command_says_so_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "openapi.yaml").write_text(V1, encoding="utf-8")
    result = shopgen("docs", "openapi.yaml", "--site", "out", "--skip-lint", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("shopgen: openapi.yaml: is not in a git work tree")
    assert result.stderr.count("\n") == 1

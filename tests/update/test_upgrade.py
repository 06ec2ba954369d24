"""A project made by shopgen 0.1.0 updated to the current template: template changes arrive,
the user's edits stay, conflicts are marked, deleted template files stay deleted, and the
shop's database migrates to variants, refunds and shipping with its data.

0.1.0 is the code and template of commit 2b3d5f2; the project is baked by that code itself,
run from `git archive` in a subprocess, so it is byte for byte what a 0.1.0 user has.
"""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from shopgen import __version__, render
from shopgen.render._history import ARCHIVES, release_template, shipped_releases

from .conftest import commit, git, shopgen

REPO = Path(__file__).parents[2]
RELEASE = "0.1.0"
RELEASE_COMMIT = "2b3d5f2"

# A method added in the middle of a part of the file the template has not changed since 0.1.0
# (an edit next to lines the template changed is a conflict, as it should be).
SERVICE_ANCHOR = '    async def cancel(self, order: Order, reason: str = "customer") -> Order:\n'
SERVICE_EDIT = (
    "    def loyalty_points(self, total_cents: int) -> int:\n        return total_cents // 100\n\n"
)
HANDLERS_EDIT = "\n# Bound by hand: see docs/handlers.md\n"
PAYMENT_LINE = "class Payment(Base):\n"
PAYMENT_EDIT = "class Payment(Base):  # WeChat Pay and the mock channel only\n"

_BAKE = """
import sys
from pathlib import Path

import shopgen
from shopgen import render

assert shopgen.__version__ == sys.argv[2], shopgen.__version__
assert Path(shopgen.__file__).is_relative_to(Path(sys.argv[3])), shopgen.__file__
print(render.new(None, output_dir=Path(sys.argv[1]), no_input=True, overrides={},
                 force=False, skip_lint=False))
"""


def _release_source(target: Path) -> Path:
    """The repository at the release commit, unpacked into `target`."""
    found = subprocess.run(
        ["git", "-C", str(REPO), "cat-file", "-e", f"{RELEASE_COMMIT}^{{commit}}"],
        capture_output=True,
        check=False,
    )
    if found.returncode != 0:
        message = f"commit {RELEASE_COMMIT} (shopgen {RELEASE}) is not in this clone's history"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", RELEASE_COMMIT, "generator", "template", "specs"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


@pytest.fixture(scope="module")
def release_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The canonical project as shopgen 0.1.0 baked it, committed."""
    source = _release_source(tmp_path_factory.mktemp("release-source"))
    output = tmp_path_factory.mktemp("release-project")
    env = {**os.environ, "PYTHONPATH": str(source / "generator")}
    baked = subprocess.run(
        [sys.executable, "-c", _BAKE, str(output), RELEASE, str(source)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert baked.returncode == 0, baked.stderr
    project = Path(baked.stdout.strip())
    record = yaml.safe_load((project / ".shopgen.yaml").read_text(encoding="utf-8"))
    assert record["shopgen_version"] == RELEASE and "template" not in record["files"]
    git(project, "init", "-q")
    commit(project, "Generate the project with shopgen 0.1.0")
    return project


@pytest.fixture
def old_project(release_project: Path, tmp_path: Path) -> Path:
    """The 0.1.0 project with the bundled contract of this release in `contract/`.

    The house rules grew since 0.1.0 (the template now answers 503 and 413, so the contract
    must say so): the 0.1.0 contract no longer lints clean, and `update` refuses it until the
    user brings it up to date, as a user does first.
    """
    target = tmp_path / release_project.name
    shutil.copytree(release_project, target, symlinks=True)
    shutil.copyfile(REPO / "specs/shop.openapi.yaml", target / "contract/openapi.yaml")
    commit(target, "Take the contract of the new release")
    return target


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def _insert_before(path: Path, anchor: str, text: str) -> None:
    old = path.read_text(encoding="utf-8")
    assert old.count(anchor) == 1, anchor
    path.write_text(old.replace(anchor, text + anchor), encoding="utf-8")


def test_the_shipped_release_template_is_the_release_s(tmp_path: Path) -> None:
    assert RELEASE in shipped_releases()
    source = _release_source(tmp_path / "source")
    with release_template(RELEASE) as template:
        assert template is not None
        shipped = {
            p.relative_to(template).as_posix(): p.read_bytes()
            for p in template.rglob("*")
            if p.is_file()
        }
    wanted = {
        p.relative_to(source / "template").as_posix(): p.read_bytes()
        for p in (source / "template").rglob("*")
        if p.is_file() and "partials" not in p.parts
    }
    assert shipped == wanted
    # Compressed, and only the template: a few tens of kB per release.
    assert (ARCHIVES / f"template-{RELEASE}.tar.xz").stat().st_size < 100_000


def test_an_old_project_takes_the_new_template_and_keeps_its_edits(old_project: Path) -> None:
    service = old_project / "app/orders/service.py"
    handlers = old_project / "app/api/handlers.py"
    _insert_before(service, SERVICE_ANCHOR, SERVICE_EDIT)
    _append(handlers, HANDLERS_EDIT)
    (old_project / "compose.yaml").unlink()
    commit(old_project, "Our edits")

    dry = shopgen("update", str(old_project), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.splitlines()
    assert "  merged      template  app/orders/service.py" in lines
    assert "  merged      generated app/api/handlers.py" in lines
    assert "  updated     template  app/payments/models.py" in lines

    plan = render.update(old_project, contract=None, dry_run=False, overrides={}, force=False)

    assert plan.exit_code == 0 and plan.conflicted == ()
    assert set(plan.merged) == {"app/orders/service.py", "app/api/handlers.py"}
    # Every template file the user left alone was rebuilt exactly as 0.1.0 wrote it.
    assert plan.kept_unmerged == ()
    assert plan.kept_deleted == ("compose.yaml",)
    assert not (old_project / "compose.yaml").exists()
    assert {"app/payments/contract_fields.py", "app/orders/item_contract_fields.py"} <= set(
        plan.created
    )
    assert "app/payments/models.py" in plan.updated
    assert plan.kind_of("app/payments/models.py") == "template"

    # The template's changes arrived, the user's edits stayed.
    text = service.read_text(encoding="utf-8")
    assert SERVICE_EDIT + SERVICE_ANCHOR in text and "pricing.draft_order(" in text
    assert "PaymentContractFields" in (old_project / "app/payments/models.py").read_text("utf-8")
    handlers_text = handlers.read_text(encoding="utf-8")
    assert handlers_text.endswith(HANDLERS_EDIT)
    assert handlers_text.startswith(render.HEADER) or render.HEADER in handlers_text

    record = yaml.safe_load((old_project / ".shopgen.yaml").read_text(encoding="utf-8"))
    assert record["shopgen_version"] == __version__
    assert "app/orders/service.py" in record["files"]["template"]
    assert "compose.yaml" in record["files"]["template"]
    base = render.kept_bases(old_project) or {}
    assert base["app/orders/service.py"].decode("utf-8") == text.replace(SERVICE_EDIT, "")
    assert "compose.yaml" not in base

    # Committed, a second update has nothing to do, and the deleted file stays deleted.
    commit(old_project, "Update to the new template")
    again = render.update(old_project, contract=None, dry_run=False, overrides={}, force=False)
    assert again.created == again.updated == again.merged == again.conflicted == ()
    assert again.kept_deleted == ("compose.yaml",)

    suite = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"],
        cwd=old_project,
        env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert suite.returncode == 0, suite.stdout[-3000:] + suite.stderr[-2000:]


def test_lines_both_sides_changed_conflict(old_project: Path) -> None:
    models = old_project / "app/payments/models.py"
    text = models.read_text(encoding="utf-8")
    assert PAYMENT_LINE in text
    models.write_text(text.replace(PAYMENT_LINE, PAYMENT_EDIT), encoding="utf-8")
    commit(old_project, "Note the channels")

    result = shopgen("update", str(old_project))

    assert result.returncode == 1, result.stderr
    assert "  conflicted  template  app/payments/models.py" in result.stdout.splitlines()
    merged = models.read_text(encoding="utf-8")
    for marker in ("<<<<<<< yours", "||||||| base", ">>>>>>> shopgen"):
        assert marker in merged
    assert PAYMENT_EDIT in merged and "class Payment(PaymentContractFields, Base):" in merged


def test_a_new_template_file_is_created(tmp_path: Path) -> None:
    """A file the template gained since the project was made (here: one forgotten by the
    record and the base, as a new release's file is) is created."""
    project = render.new(
        None, output_dir=tmp_path, no_input=True, overrides={}, force=False, skip_lint=False
    )
    name = "compose.yaml"
    wanted = (project / name).read_bytes()
    (project / name).unlink()
    bases = render.kept_bases(project) or {}
    del bases[name]
    (project / render.BASE_ARCHIVE).write_bytes(render.pack_bases(bases))
    record_path = project / render.ANSWERS_FILE
    record = yaml.safe_load(record_path.read_text(encoding="utf-8"))
    record["files"]["template"].remove(name)
    record_path.write_text(yaml.safe_dump(record, sort_keys=False), encoding="utf-8")

    plan = render.update(project, contract=None, dry_run=False, overrides={}, force=True)

    assert plan.created == (name,) and plan.kind_of(name) == "template"
    assert (project / name).read_bytes() == wanted
    assert (render.kept_bases(project) or {})[name] == wanted


def _alembic(project: Path, database: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TEST_"))}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{database}"
    result = subprocess.run(
        [sys.executable, "-m", "alembic", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_an_old_shops_database_takes_variants_refunds_and_shipping(
    old_project: Path, tmp_path: Path
) -> None:
    """The 0.1.0 shop has products and a shipped order in its database when it takes the
    contract with variants, refunds, shipping and addresses: the update brings the migrations,
    and they give every product one variant with its sku, price and stock."""
    database = tmp_path / "shop.db"
    _alembic(old_project, database, "upgrade", "head")
    when = "'2025-01-01 08:00:00.000000'"
    with sqlite3.connect(database) as connection:
        connection.executescript(
            "INSERT INTO users (id, email, role, display_name, created_at)"
            f" VALUES (1, 'li.wei@example.com', 'customer', '李伟', {when});"
            "INSERT INTO products (id, sku, title, description, price_cents, currency, stock,"
            " status, category, images, created_at, updated_at) VALUES"
            f" (1, 'TEA-LJ-250', '西湖龙井', '', 16800, 'CNY', 120, 'active', 'tea', '[]',"
            f" {when}, {when}),"
            f" (2, 'CUP-1', '白瓷杯', '', 3000, 'CNY', 0, 'active', NULL, '[]', {when}, {when});"
            "INSERT INTO orders (id, user_id, status, total_cents, currency, source, created_at,"
            f" updated_at) VALUES (10, 1, 'fulfilled', 36600, 'CNY', 'api', {when}, {when});"
            "INSERT INTO order_items (id, order_id, product_id, sku, title, quantity,"
            " unit_price_cents, line_total_cents, currency) VALUES"
            " (100, 10, 1, 'TEA-LJ-250', '西湖龙井', 2, 16800, 33600, 'CNY'),"
            " (101, 10, 2, 'CUP-1', '白瓷杯', 1, 3000, 3000, 'CNY');"
        )

    plan = render.update(old_project, contract=None, dry_run=False, overrides={}, force=False)

    assert plan.exit_code == 0 and plan.conflicted == ()
    revision = "alembic/versions/0006_variants_refunds_shipping.py"
    assert revision in plan.created and plan.kind_of(revision) == "user"
    _alembic(old_project, database, "upgrade", "head")
    with sqlite3.connect(database) as connection:
        variants = connection.execute(
            "SELECT product_id, id, sku, title, price_cents, stock FROM product_variants"
            " ORDER BY product_id"
        ).fetchall()
        lines = connection.execute(
            "SELECT id, variant_id, shipped_quantity FROM order_items ORDER BY id"
        ).fetchall()
        order = connection.execute("SELECT status, shipping_status FROM orders").fetchall()
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    assert [(v[0], v[2], v[3], v[4], v[5]) for v in variants] == [
        (1, "TEA-LJ-250", "Default", 16800, 120),
        (2, "CUP-1", "Default", 3000, 0),
    ]
    assert lines == [(100, variants[0][1], 2), (101, variants[1][1], 1)]
    assert order == [("completed", "shipped")]
    assert "No new upgrade operations detected" in _alembic(old_project, database, "check")

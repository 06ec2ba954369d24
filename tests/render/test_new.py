"""`render.new`: what it writes, what it refuses, and that a failure leaves nothing behind."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import shopgen
from shopgen import render
from shopgen.errors import LintFailed, UserError
from shopgen.resources import bundled_contract, specs_dir, template_dir


def _new(output: Path, contract: Path | None = None, **kwargs: Any) -> Path:
    options: dict[str, Any] = {
        "no_input": True,
        "overrides": {},
        "force": False,
        "skip_lint": False,
    }
    options.update(kwargs)
    return render.new(contract, output_dir=output, **options)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh HOME, to show cookiecutter writes nothing there (shopgen keeps only its cache)."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    return home


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def test_new_writes_the_project_and_its_record(tmp_path: Path, home: Path) -> None:
    project = _new(tmp_path / "out", overrides={"project_name": "Tea House"})
    assert project == tmp_path / "out" / "tea-house"
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["tea-house"]
    written = {p.relative_to(home).as_posix() for p in home.rglob("*") if p.is_file()}
    cache = f".cache/shopgen/templates-{shopgen.__version__}/"
    assert written and all(name.startswith(cache) for name in written), written

    record = yaml.safe_load((project / ".shopgen.yaml").read_text())
    contract_bytes = bundled_contract().read_bytes()
    assert record["shopgen_version"] == shopgen.__version__
    assert record["contract"]["sha256"] == hashlib.sha256(contract_bytes).hexdigest()
    assert record["answers"]["project_slug"] == "tea-house"
    assert (project / "contract/openapi.yaml").read_bytes() == contract_bytes

    generated = set(record["files"]["generated"])
    template = set(record["files"]["template"])
    owned = set(record["files"]["user_owned"])
    # Shopify sync is off by default, so its package and its mixin are left out.
    assert generated == set(render.GENERATED_FILES) - {"app/webhooks/contract_fields.py"}
    assert not (project / "app/webhooks").exists()
    # No stub (every canonical operation is implemented): the migrations alone are written once.
    assert owned and all(name.startswith("alembic/versions/") for name in owned)
    assert {"app/orders/service.py", "README.md", "alembic/env.py"} <= template
    assert not generated & template and not template & owned
    # Every file shopgen merges on update has its base.
    assert set(render.kept_bases(project) or {}) == generated | template
    assert not (project / render.BASE_DIR).exists()
    for name in generated | template | owned:
        text = (project / name).read_text(encoding="utf-8")
        assert "{{ cookiecutter" not in text and "{%" not in text, name
        if name.endswith(".py"):
            assert text.startswith(render.HEADER) == (name in generated), name


@pytest.mark.parametrize(("name", "length"), [("JWT_SECRET", 43), ("PAYMENT_MOCK_SECRET", 43)])
def test_env_file_holds_fresh_secrets(tmp_path: Path, name: str, length: int) -> None:
    first = _new(tmp_path / "a")
    second = _new(tmp_path / "b")

    def secret(project: Path) -> str:
        for line in (project / ".env").read_text().splitlines():
            if line.startswith(f"{name}="):
                return line.partition("=")[2]
        raise AssertionError(f"no {name}")

    assert len(secret(first)) >= length
    assert secret(first) != secret(second)
    assert (first / ".env").stat().st_mode & 0o077 == 0


def test_custom_operations_get_stubs(tmp_path: Path) -> None:
    project = _new(tmp_path, specs_dir() / "examples/catalogue.openapi.yaml")
    stubs = sorted(p.name for p in (project / "app/custom").glob("*.py"))
    assert "list_categories.py" in stubs
    assert "@stub" in (project / "app/custom/list_categories.py").read_text()


def test_existing_directory_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "shop-api"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match="exists and is not empty"):
        _new(tmp_path)
    assert _files(tmp_path) == {"shop-api", "shop-api/notes.txt"}


def test_force_writes_over_and_keeps_other_files(tmp_path: Path) -> None:
    target = tmp_path / "shop-api"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    (target / "README.md").write_text("old")
    (target / ".env").write_text("JWT_SECRET=the-project-s-own\n")
    _new(tmp_path, force=True)
    assert (target / "notes.txt").read_text() == "mine"
    assert (target / ".env").read_text() == "JWT_SECRET=the-project-s-own\n"
    assert (target / "README.md").read_text().startswith("# Shop API")
    assert (target / "app/main.py").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["shop-api"]


def test_bad_set_value_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="database `oracle`"):
        _new(tmp_path / "out", overrides={"database": "oracle"})
    assert not (tmp_path / "out").exists()


def test_invalid_contract_writes_nothing(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("openapi: 3.1.0\npaths: [unclosed\n")
    with pytest.raises(UserError):
        _new(tmp_path / "out", broken)
    assert not (tmp_path / "out").exists()


def test_lint_errors_stop_generation_unless_skipped(tmp_path: Path) -> None:
    document = yaml.safe_load(bundled_contract().read_text())
    document["paths"]["/api/v1/getThings"] = {
        "post": {"operationId": "getThings", "responses": {"200": {"description": "ok"}}}
    }
    contract = tmp_path / "lint.yaml"
    contract.write_text(yaml.safe_dump(document))
    with pytest.raises(LintFailed, match="lint error"):
        _new(tmp_path / "out", contract)
    assert not (tmp_path / "out").exists()
    project = _new(tmp_path / "out", contract, skip_lint=True)
    assert (project / "app/custom/get_things.py").is_file()


def test_unwritable_target_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(UserError, match="cannot write to"):
        _new(blocker / "out")
    assert _files(tmp_path) == {"file"}


def test_failure_while_rendering_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*_: object, **__: object) -> str:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("shopgen.render._bake.generate_models", explode)
    with pytest.raises(RuntimeError):
        _new(tmp_path / "deep" / "out")
    assert not (tmp_path / "deep").exists()


def test_github_expressions_survive_rendering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = tmp_path / "template"
    shutil.copytree(template_dir(), template)
    workflow = template / "{{cookiecutter.project_slug}}/.github/workflows/ci.yml"
    workflow.parent.mkdir(parents=True, exist_ok=True)
    workflow.write_text("run: echo ${{ github.sha }} {% raw %}\n")
    monkeypatch.setattr(render, "template_dir", lambda: template)
    project = _new(tmp_path / "out")
    rendered = project / ".github/workflows/ci.yml"
    assert rendered.read_text() == "run: echo ${{ github.sha }} {% raw %}\n"


def test_bundled_template_workflows_keep_expressions(tmp_path: Path) -> None:
    project = _new(tmp_path)
    sources = template_dir() / "{{cookiecutter.project_slug}}" / ".github"
    for source in sources.rglob("*") if sources.is_dir() else []:
        if source.is_file():
            copy = project / ".github" / source.relative_to(sources)
            assert copy.read_bytes() == source.read_bytes()


def test_cli_exit_codes(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-c", "from shopgen.cli import main; main()", "new", *args]
        return subprocess.run(command, capture_output=True, text=True, check=False)

    bad = run("--no-input", "-o", str(tmp_path), "--set", "database=oracle")
    assert bad.returncode == 2
    assert bad.stderr.startswith("shopgen: database `oracle`")
    good = run("--no-input", "-o", str(tmp_path))
    assert good.returncode == 0, good.stderr
    again = run("--no-input", "-o", str(tmp_path))
    assert again.returncode == 2
    assert "not empty" in again.stderr


def test_interactive_answers(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "from shopgen.cli import main; main()", "new"]
    answers = "Tea House\n\n\nAnna\n2\n\ny\nshopee\n2\n"
    result = subprocess.run(
        [*command, "-o", str(tmp_path)], input=answers, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "Project name" in result.stdout
    assert "  2. erp: " in result.stdout
    assert "modules: `shopee` is not a module; known: douyin, erp" in result.stdout
    record = yaml.safe_load((tmp_path / "tea-house" / ".shopgen.yaml").read_text())
    assert record["answers"] == {
        "project_name": "Tea House",
        "project_slug": "tea-house",
        "description": "A shop API served from its OpenAPI contract.",
        "author": "Anna",
        "database": "postgresql",
        "payment_channels": "wechat,mock",
        "shopify_sync": True,
        "modules": "erp",
    }
    env = (tmp_path / "tea-house" / ".env").read_text()
    assert "DATABASE_URL=postgresql+asyncpg://" in env


def test_interactive_bad_answer_writes_nothing(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "from shopgen.cli import main; main()", "new"]
    result = subprocess.run(
        [*command, "-o", str(tmp_path / "out")],
        input="Tea House\nNot A Slug\n\n\n1\n\nn\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "project_slug `Not A Slug`" in result.stderr
    assert not (tmp_path / "out").exists()


def test_compiled_caches_in_the_template_stay_out_of_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pip compiles an installed template's modules; the caches must not reach a project."""
    template = tmp_path / "template"
    shutil.copytree(template_dir(), template)
    package = template / "{{cookiecutter.project_slug}}" / "app"
    for folder in (package, package / "core"):
        (folder / "__pycache__").mkdir(exist_ok=True)
        (folder / "__pycache__" / "main.cpython-311.pyc").write_bytes(b"\xa7\r\r\n{{ x }}\x00")
    monkeypatch.setattr(render, "template_dir", lambda: template)
    project = _new(tmp_path / "out")
    assert not list(project.rglob("__pycache__"))
    # Files without Jinja in them are copied as they are.
    plain = {
        project / "app" / source.relative_to(package): source
        for source in package.rglob("*.py")
        if "{" not in source.read_text()
    }
    copied = {made: source for made, source in plain.items() if made.exists()}
    assert len(copied) > 10
    for made, source in copied.items():
        assert made.read_bytes() == source.read_bytes()


def test_compiled_templates_are_reused_and_a_missing_cache_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second run reads the templates Jinja compiled in the first from the user's cache;
    a cache that cannot be written (a read-only home) only means compiling every time."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    first = _new(tmp_path / "first")
    entries = {p: p.stat().st_mtime_ns for p in cache.rglob("*.cache")}
    assert len(entries) > 50
    second = _new(tmp_path / "second")
    assert {p: p.stat().st_mtime_ns for p in cache.rglob("*.cache")} == entries
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache directory would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    third = _new(tmp_path / "third")
    for made in (second, third):
        for name in ("app/main.py", "README.md", "pyproject.toml", ".github/workflows/ci.yml"):
            assert (made / name).read_bytes() == (first / name).read_bytes(), name

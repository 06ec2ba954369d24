"""The sdist and wheel as a release builds them, and shopgen installed from that wheel."""

from __future__ import annotations

import email
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from shopgen import __version__

ROOT = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        check=True,
        timeout=600,
    )
    return out


@pytest.fixture(scope="module")
def wheel(dist: Path) -> Path:
    (found,) = dist.glob("*.whl")
    return found


def test_the_version_is_written_once() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project and project["dynamic"] == ["version"]


def test_twine_accepts_both_files(dist: Path) -> None:
    files = sorted(str(path) for path in dist.iterdir())
    assert len(files) == 2
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_wheel_carries_data_types_and_licence_but_no_caches(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "shopgen/py.typed",
        "shopgen/schemas/ruleset.schema.json",
        "shopgen/schemas/project.schema.json",
        "shopgen/_data/template/cookiecutter.json",
        "shopgen/_data/specs/shop.openapi.yaml",
        "shopgen/_data/specs/house-rules.yaml",
        f"shopgen-{__version__}.dist-info/licenses/LICENSE",
    ):
        assert expected in names
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".pyo"))]
    assert not [n for n in names if "node_modules" in n]


def test_the_accelerators_are_default_dependencies_where_wheels_exist(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        metadata = email.message_from_bytes(
            archive.read(f"shopgen-{__version__}.dist-info/METADATA")
        )
    assert metadata["Version"] == __version__
    requires = metadata.get_all("Requires-Dist") or []
    base = [r for r in requires if "extra ==" not in r]
    for accelerator in ("yaml-rs", "openapi-spec-validator-rs"):
        (line,) = [r for r in base if r.startswith(accelerator)]
        assert "platform_python_implementation == 'CPython'" in line
        assert "sys_platform == 'linux'" in line


def test_an_installed_wheel_makes_projects_without_compiled_caches(
    wheel: Path, tmp_path: Path
) -> None:
    """pip compiles every `.py` file a wheel installs: the template's modules are packed as
    `.py-tpl`, so nothing of the template is compiled, and a project gets them as `.py`."""
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        capture_output=True,
        check=True,
        timeout=300,
    )
    template = target / "shopgen" / "_data" / "template"
    packed = [p.relative_to(template).as_posix() for p in template.rglob("*.py-tpl")]
    assert len(packed) > 100 and not list(template.rglob("*.py"))
    assert not list(template.rglob("__pycache__"))
    env = {**os.environ, "PYTHONPATH": str(target)}
    version = subprocess.run(
        [sys.executable, "-m", "shopgen", "--version"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.strip() == f"shopgen {__version__}"
    result = subprocess.run(
        [sys.executable, "-m", "shopgen", "new", "--no-input", "-o", str(tmp_path / "out")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (
        str(target)
        in subprocess.run(
            [sys.executable, "-c", "import shopgen; print(shopgen.__file__)"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    project = tmp_path / "out" / "shop-api"
    assert (project / ".shopgen.yaml").is_file()
    assert not list(project.rglob("__pycache__")) and not list(project.rglob("*-tpl"))
    for name in ("app/main.py", "app/core/tasks.py", "alembic/env.py", "tests/conftest.py"):
        assert f"{{{{cookiecutter.project_slug}}}}/{name}-tpl" in packed, name
        assert (project / name).is_file(), name
    assert "Next steps:" in result.stdout and "cd out/shop-api" in result.stdout

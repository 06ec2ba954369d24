"""A project made with the commission and monitoring modules, end to end: the contract lints
clean, the migrations run on SQLite and PostgreSQL, the suite passes (the ledger's Hypothesis
properties and the promtool rule tests among it), the monthly report shows its charts in a
real Chromium, and a plain project gains both modules, requirements and all, through
`shopgen update`."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from shopgen import lint, render
from shopgen.contract import load_contract

from ..docs.chromium import Browser, find_chromium
from .conftest import POSTGRES_ENV, bake, project_env, run

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "modules"
# The report's chart colours (app/ops/charts.py): bars and lines, and alert spans.
ACCENT = (0x25, 0x63, 0xEB)
ALERT = (0xDC, 0x26, 0x26)
# Seeds November 2026 and writes its report, with a fake Prometheus that saw two incidents.
REPORT_SCRIPT = """
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from app.monitoring.config import MonitoringSettings
from app.ops.report import Month, make_report
from tests.monitoring import seed
from tests.monitoring.test_report import november

url, out = sys.argv[1], Path(sys.argv[2])
seed.seed(url)
with november() as fake:
    settings = MonitoringSettings(_env_file=None, prometheus_url=fake.url)
    month = Month.parse("2026-11", ZoneInfo("Asia/Shanghai"))
    written = make_report(month, out, database_url=url, settings=settings, pdf=False)
print(written.html)
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bake(tmp_path_factory.mktemp("commission"), None, modules="commission,monitoring")


def _alembic(project: Path, url: str, *args: str) -> str:
    result = run([sys.executable, "-m", "alembic", *args], project, project_env(DATABASE_URL=url))
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def _pytest(project: Path, *paths: str) -> subprocess.CompletedProcess[str]:
    return run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *paths],
        project,
        project_env(),
        timeout=1200,
    )


def test_the_contract_with_both_modules_lints_clean(project: Path) -> None:
    report = lint.lint_contract(load_contract(project / "contract/openapi.yaml"))
    assert [f"{f.line}:{f.column} {f.rule} {f.message}" for f in report.findings] == []


def test_the_suite_passes_with_both_modules(project: Path) -> None:
    result = _pytest(project)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " skipped" not in result.stdout


def test_the_project_requires_what_the_modules_use(project: Path) -> None:
    pyproject = (project / "pyproject.toml").read_text(encoding="utf-8")
    for requirement in ('"matplotlib>=3.8"', '"hypothesis>=6.100"', 'pdf = ["weasyprint>=62"]'):
        assert requirement in pyproject


def _migrate_both_ways(project: Path, url: str) -> None:
    _alembic(project, url, "upgrade", "heads")
    assert "No new upgrade operations detected" in _alembic(project, url, "check")
    _alembic(project, url, "downgrade", "commission@base")
    current = _alembic(project, url, "current")
    assert "commission_0001" not in current
    assert any(line[:4].isdigit() for line in current.splitlines()), "the shop's head stays"
    _alembic(project, url, "downgrade", "base")
    assert _alembic(project, url, "current").strip() == ""


def test_migrations_run_on_sqlite(project: Path, tmp_path: Path) -> None:
    _migrate_both_ways(project, f"sqlite+aiosqlite:///{tmp_path / 'commission.db'}")


@pytest.mark.skipif(
    not os.environ.get(POSTGRES_ENV), reason=f"set {POSTGRES_ENV} to a PostgreSQL database URL"
)
def test_migrations_run_on_postgresql(project: Path) -> None:
    _migrate_both_ways(project, os.environ[POSTGRES_ENV])


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = find_chromium()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing; CI must provide it")
        pytest.skip("Chromium is missing: install chromium or set SHOPGEN_CHROMIUM")
    with Browser(executable) as running:
        yield running


def _pixels_like(image: Image.Image, colour: tuple[int, int, int], slack: int = 12) -> int:
    rgb = image.convert("RGB")
    return sum(
        count
        for count, pixel in rgb.getcolors(maxcolors=1 << 24) or ()
        if all(abs(a - b) <= slack for a, b in zip(pixel, colour, strict=True))
    )


def test_the_monthly_report_shows_its_charts_in_chromium(
    project: Path, browser: Browser, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'report.db'}"
    made = run(
        [sys.executable, "-c", REPORT_SCRIPT, url, str(tmp_path / "reports")],
        project,
        project_env(PYTHONPATH=str(project)),
    )
    assert made.returncode == 0, made.stdout + made.stderr
    page = Path(made.stdout.strip().splitlines()[-1])
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        width=1100,
        height=3400,
        deviceScaleFactor=1,
        mobile=False,
    )
    browser.open(page.as_uri())
    charts = "[...document.querySelectorAll('img.chart')]"
    browser.wait_for(f"{charts}.length === 4 && {charts}.every((i) => i.complete)")
    sizes = browser.evaluate(
        f"{charts}.map((i) => [i.id, i.naturalWidth, Math.round(i.getBoundingClientRect().width)])"
    )
    assert [name for name, _, _ in sizes] == [
        "chart-orders",
        "chart-revenue",
        "chart-p99",
        "chart-incidents",
    ]
    assert all(natural >= 600 and shown >= 600 for _, natural, shown in sizes), sizes
    outside = [url for url in browser.requests() if not url.startswith(("file:", "data:"))]
    assert outside == [], "the page needs nothing from outside"
    shot = ARTIFACTS / "monthly-report.png"
    browser.screenshot(shot)
    image = Image.open(io.BytesIO(shot.read_bytes()))
    # Bars of orders per day and p99 per route, in the accent colour; the incidents in red.
    assert _pixels_like(image, ACCENT) > 5_000
    assert _pixels_like(image, ALERT) > 150
    assert "Orders placed" in browser.text("body") and "352.00 CNY" in browser.text("body")


def _git(project: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Shop Dev", "-c", "user.email=dev@example.com", *args],
        cwd=project,
        check=True,
        capture_output=True,
    )


def test_a_project_gains_both_modules_keeping_an_edit(tmp_path: Path) -> None:
    project = render.new(
        None, output_dir=tmp_path, no_input=True, overrides={}, force=False, skip_lint=False
    )
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    _git(project, "commit", "-qm", "Generate")
    service = project / "app/orders/service.py"
    edited = service.read_text(encoding="utf-8").replace(
        '"""', '"""Orders, as our shop takes them.\n\n', 1
    )
    assert edited != service.read_text(encoding="utf-8")
    service.write_text(edited, encoding="utf-8")
    pyproject = (project / "pyproject.toml").read_text(encoding="utf-8")
    _git(project, "commit", "-qam", "Our words")
    shopgen = str(Path(sys.executable).with_name("shopgen"))
    update = run(
        [shopgen, "update", "--set", "modules=commission,monitoring"], project, project_env()
    )
    assert update.returncode == 0, update.stdout + update.stderr
    assert "module commission added" in update.stdout
    assert "module monitoring added" in update.stdout
    # pyproject.toml is a template file: the modules' requirements are merged into it.
    requirements = (project / "pyproject.toml").read_text(encoding="utf-8")
    for added in ('"matplotlib>=3.8",', '"hypothesis>=6.100",', 'pdf = ["weasyprint>=62"]'):
        assert requirements.count(added) == pyproject.count(added) + 1, added
    assert service.read_text(encoding="utf-8").startswith('"""Orders, as our shop takes them.')
    assert "channel_code" in (project / "contract/openapi.yaml").read_text(encoding="utf-8")
    _alembic(project, f"sqlite+aiosqlite:///{tmp_path / 'gained.db'}", "upgrade", "heads")
    result = _pytest(
        project,
        "tests/commission",
        "tests/monitoring",
        "tests/test_orders.py",
        "tests/test_health.py",
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " skipped" not in result.stdout

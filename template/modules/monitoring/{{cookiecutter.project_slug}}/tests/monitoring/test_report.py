"""The monthly report on a seeded month: figures from the database, availability, latency
and incidents from a fake Prometheus, charts embedded as PNG, a PDF where WeasyPrint is."""

import base64
import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from app.monitoring.config import MonitoringSettings
from app.ops.report import Month, Written, make_report
from tests.monitoring import seed
from tests.monitoring.fake_prometheus import FakePrometheus, serve

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOVEMBER = Month.parse("2026-11", SHANGHAI)
PNG = b"\x89PNG\r\n\x1a\n"
ALERT_START = datetime(2026, 11, 12, 3, 0, tzinfo=UTC).timestamp()


@pytest.fixture
def seeded(database_url: str) -> Iterator[str]:
    seed.seed(database_url)
    yield database_url
    seed.drop(database_url)


@contextmanager
def november() -> Iterator[FakePrometheus]:
    """A Prometheus that saw November: availability, two routes' p99 and two incidents."""
    with serve() as fake:
        fake.vector('status=~"5.."', ({}, 0.0005))
        fake.vector(
            "histogram_quantile(0.99",
            ({"method": "GET", "route": "/api/v1/products"}, 0.12),
            ({"method": "POST", "route": "/api/v1/orders"}, 0.48),
            ({"method": "GET", "route": "/api/v1/orders/{order_id}"}, float("nan")),
        )
        fake.matrix(
            "ALERTS",
            (
                {"alertname": "ShopStockBackendDown", "severity": "critical"},
                [(ALERT_START + n * 300, 1.0) for n in range(3)],
            ),
            (
                {"alertname": "ShopRouteSlow", "severity": "warning"},
                [(ALERT_START + 86400, 1.0)],
            ),
        )
        yield fake


@pytest.fixture
def prometheus() -> Iterator[FakePrometheus]:
    with november() as fake:
        yield fake


def _settings(prometheus_url: str | None) -> MonitoringSettings:
    return MonitoringSettings(
        _env_file=None,  # type: ignore[call-arg]
        prometheus_url=prometheus_url,
        report_timezone="Asia/Shanghai",
    )


def _report(database_url: str, out: Path, prometheus_url: str | None, **kw: bool) -> Written:
    with httpx.Client(timeout=5) as http:
        return make_report(
            NOVEMBER,
            out,
            database_url=database_url,
            settings=_settings(prometheus_url),
            http=http,
            **kw,
        )


def _charts(html: str) -> dict[str, bytes]:
    found = re.findall(
        r'<img class="chart" id="chart-([a-z0-9]+)"[^>]*src="data:image/png;base64,([^"]+)"', html
    )
    return {name: base64.b64decode(data) for name, data in found}


def test_the_report_shows_the_month_of_the_shop(
    seeded: str, prometheus: FakePrometheus, tmp_path: Path
) -> None:
    written = _report(seeded, tmp_path, prometheus.url, pdf=False)
    assert written.html == tmp_path / "report-2026-11.html"
    html = written.html.read_text(encoding="utf-8")
    assert f"Orders placed<b>{seed.PLACED}</b>" in html
    assert "Revenue<b>352.00 CNY</b>" in html
    assert "Refunds (1)<b>58.00 CNY</b>" in html
    rows = re.findall(
        r"<tr><td>([A-Z]+-\d)</td><td>[^<]+</td><td class=\"n\">(\d+)</td>"
        r"<td class=\"n\">([^<]+)</td></tr>",
        html,
    )
    assert rows == [("TEA-1", "4", "232.00 CNY"), ("CUP-2", "1", "120.00 CNY")]
    assert "<b>99.950%</b>" in html
    slowest = re.findall(r"<tr><td>([A-Z]+ /[^<]+)</td><td class=\"n\">(\d+)</td></tr>", html)
    assert slowest == [("POST /api/v1/orders", "480"), ("GET /api/v1/products", "120")]
    incidents = written.report.operations.incidents
    assert [(i.alert, i.severity, i.minutes) for i in incidents] == [
        ("ShopStockBackendDown", "critical", 15),
        ("ShopRouteSlow", "warning", 5),
    ]
    assert "<b>2</b>" in html and "ShopStockBackendDown</td><td>critical" in html


def test_every_chart_is_an_embedded_png(
    seeded: str, prometheus: FakePrometheus, tmp_path: Path
) -> None:
    html = _report(seeded, tmp_path, prometheus.url, pdf=False).html.read_text(encoding="utf-8")
    charts = _charts(html)
    assert sorted(charts) == ["incidents", "orders", "p99", "revenue"]
    for name, png in charts.items():
        assert png.startswith(PNG), name
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        assert width >= 600 and height >= 150, (name, width, height)
    assert "http://" not in html.replace(prometheus.url, "") and "https://" not in html


def test_prometheus_is_asked_about_exactly_the_month(
    seeded: str, prometheus: FakePrometheus, tmp_path: Path
) -> None:
    _report(seeded, tmp_path, prometheus.url, pdf=False)
    start = datetime(2026, 10, 31, 16, tzinfo=UTC).timestamp()
    end = datetime(2026, 11, 30, 16, tzinfo=UTC).timestamp()
    seconds = int(end - start)
    instant = [params for path, params in prometheus.asked if path == "/api/v1/query"]
    assert instant and all(float(params["time"]) == end for params in instant)
    assert all(f"[{seconds}s]" in params["query"] for params in instant)
    (ranged,) = [params for path, params in prometheus.asked if path == "/api/v1/query_range"]
    assert (float(ranged["start"]), float(ranged["end"]), ranged["step"]) == (start, end, "300s")


def test_the_shops_time_zone_decides_the_month(seeded: str, tmp_path: Path) -> None:
    in_utc = Month.parse("2026-11", ZoneInfo("UTC"))
    written = make_report(
        in_utc, tmp_path, database_url=seeded, settings=_settings(None), pdf=False
    )
    # The order placed at 00:10 on 1 December in Shanghai is still November in UTC.
    assert written.report.orders_placed == seed.PLACED + 1
    assert "PROMETHEUS_URL is not set" in written.html.read_text(encoding="utf-8")


def test_a_prometheus_that_fails_costs_its_section_only(
    seeded: str, prometheus: FakePrometheus, tmp_path: Path
) -> None:
    prometheus.broken = True
    written = _report(seeded, tmp_path, prometheus.url, pdf=False)
    html = written.html.read_text(encoding="utf-8")
    assert 'id="prometheus-problem"' in html and "503" in html and "overloaded" in html
    assert f"Orders placed<b>{seed.PLACED}</b>" in html
    assert sorted(_charts(html)) == ["orders", "revenue"]


def test_a_pdf_where_weasyprint_is_installed(
    seeded: str, prometheus: FakePrometheus, tmp_path: Path
) -> None:
    written = _report(seeded, tmp_path, prometheus.url)
    pdf = tmp_path / "report-2026-11.pdf"
    if importlib.util.find_spec("weasyprint") is None:
        assert written.pdf is None and not pdf.exists()
        return
    assert written.pdf == pdf
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]
    assert len(data) > 20_000, "the charts are in it"


def _cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.ops.report", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=cwd,
        timeout=120,
    )


def test_the_command_writes_the_report(
    seeded: str, prometheus: FakePrometheus, tmp_path: Path
) -> None:
    project = Path(__file__).resolve().parents[2]
    out = tmp_path / "reports"
    env = {"DATABASE_URL": seeded, "PROMETHEUS_URL": prometheus.url, "PYTHONPATH": str(project)}
    done = _cli(
        "--month",
        "2026-11",
        "--timezone",
        "Asia/Shanghai",
        "--out",
        str(out),
        "--no-pdf",
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"wrote {out / 'report-2026-11.html'}"
    assert sorted(p.name for p in out.iterdir()) == ["report-2026-11.html"]
    prometheus.broken = True
    done = _cli("--month", "2026-11", "--out", str(out), "--no-pdf", env=env, cwd=tmp_path)
    assert done.returncode == 0
    assert done.stderr.startswith("warning: Prometheus left out of the report: ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--month", "2026-13"), "--month `2026-13` is not a month; write it as YYYY-MM"),
        (("--month", "2026-11", "--timezone", "Mars/Olympus"), "--timezone `Mars/Olympus`"),
    ],
)
def test_bad_arguments_are_one_line_and_write_nothing(
    args: tuple[str, ...], message: str, tmp_path: Path
) -> None:
    project = Path(__file__).resolve().parents[2]
    out = tmp_path / "reports"
    done = _cli(*args, "--out", str(out), env={"PYTHONPATH": str(project)}, cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert message in done.stderr.strip().splitlines()[-1]
    assert not out.exists()

"""The monthly operations report, for the shop's owner:

    python -m app.ops.report --month 2026-11 [--out reports] [--timezone Asia/Shanghai]

Reads the database (orders, revenue, refunds, top products) and, when `PROMETHEUS_URL` is set,
Prometheus over its HTTP API (availability, p99 per route, the alerts that fired). Writes
`report-2026-11.html`, one file with its charts embedded, and `report-2026-11.pdf` beside it
where WeasyPrint is installed (`pip install -e ".[pdf]"`). A Prometheus that does not answer
costs its sections, not the report: the page says what is missing and why.
"""

import argparse
import asyncio
import base64
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from app.addresses import models as address_models  # noqa: F401 - registers the tables
from app.auth import models as auth_models  # noqa: F401 - registers the tables
from app.core.config import DatabaseSettings
from app.core.db import create_engine, create_sessionmaker
from app.fulfilment import models as fulfilment_models  # noqa: F401 - registers the tables
from app.monitoring.config import MonitoringSettings, get_monitoring_settings
from app.ops import charts, sales
from app.ops.money import format_amount
from app.ops.prometheus import Prometheus, PrometheusError
from app.refunds import models as refund_models  # noqa: F401 - registers the tables

INCIDENT_STEP = timedelta(minutes=5)
SLOWEST_ROUTES = 15


@dataclass(frozen=True, slots=True)
class Month:
    """A calendar month in the shop's time zone, as the UTC instants [start, end)."""

    label: str
    zone: ZoneInfo
    start: datetime
    end: datetime

    @classmethod
    def parse(cls, label: str, zone: ZoneInfo) -> "Month":
        try:
            first = datetime.strptime(label, "%Y-%m")
        except ValueError:
            raise ValueError(f"--month `{label}` is not a month; write it as YYYY-MM") from None
        following = (first + timedelta(days=32)).replace(day=1)
        return cls(
            label,
            zone,
            first.replace(tzinfo=zone).astimezone(UTC),
            following.replace(tzinfo=zone).astimezone(UTC),
        )

    @property
    def days(self) -> list[date]:
        first = self.start.astimezone(self.zone).date()
        count = (self.end.astimezone(self.zone).date() - first).days
        return [first + timedelta(days=n) for n in range(count)]


@dataclass(frozen=True, slots=True)
class Incident:
    alert: str
    severity: str
    started: datetime
    ended: datetime

    @property
    def minutes(self) -> int:
        return round((self.ended - self.started).total_seconds() / 60)


@dataclass
class Operations:
    """What Prometheus says about the month; `problem` when it could not be asked."""

    source: str | None = None
    problem: str | None = None
    availability: float | None = None
    p99: list[tuple[str, float]] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)


@dataclass
class Report:
    month: Month
    generated_at: datetime
    orders_placed: int
    statuses: dict[str, int]
    revenue: dict[str, int]
    refunds: dict[str, int]
    refund_count: int
    top_products: list[sales.ProductSales]
    days: list[sales.Day]
    operations: Operations
    charts: dict[str, str] = field(default_factory=dict)


async def read_sales(database_url: str, month: Month) -> Report:
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            statuses = await sales.statuses_of_orders_placed(session, month.start, month.end)
            return Report(
                month=month,
                generated_at=datetime.now(UTC),
                orders_placed=sum(statuses.values()),
                statuses=dict(statuses),
                revenue=await sales.revenue(session, month.start, month.end),
                refunds=await sales.refunds(session, month.start, month.end),
                refund_count=await sales.refund_count(session, month.start, month.end),
                top_products=await sales.top_products(session, month.start, month.end),
                days=await sales.daily(session, month.start, month.end, month.zone),
                operations=Operations(),
            )
    finally:
        await engine.dispose()


def _window(month: Month) -> str:
    return f"{int((month.end - month.start).total_seconds())}s"


def read_operations(prometheus: Prometheus, month: Month) -> Operations:
    """Availability (requests answered without a 5xx), p99 per route over the month, and
    the spans during which each alert fired."""
    window = _window(month)
    found = Operations(source=prometheus.base_url)
    failed = 'http_requests_total{status=~"5.."}'
    ratio = prometheus.query(
        f"sum(increase({failed}[{window}])) / sum(increase(http_requests_total[{window}]))",
        month.end,
    )
    if ratio and not math.isnan(ratio[0].value):
        found.availability = 1.0 - ratio[0].value
    buckets = 'http_request_duration_seconds_bucket{route!="<unmatched>"}'
    quantiles = prometheus.query(
        f"histogram_quantile(0.99, sum by (method, route, le) (increase({buckets}[{window}])))",
        month.end,
    )
    routes = [
        (f"{s.labels.get('method', '')} {s.labels.get('route', '')}".strip(), s.value)
        for s in quantiles
        if not math.isnan(s.value) and not math.isinf(s.value)
    ]
    found.p99 = sorted(routes, key=lambda item: (-item[1], item[0]))[:SLOWEST_ROUTES]
    firing = prometheus.query_range(
        'max by (alertname, severity) (ALERTS{alertstate="firing"})',
        month.start,
        month.end,
        INCIDENT_STEP,
    )
    for series in firing:
        found.incidents += _spans(series.labels, [t for t, v in series.points if v > 0])
    found.incidents.sort(key=lambda incident: (incident.started, incident.alert))
    return found


def _spans(labels: Mapping[str, str], moments: Sequence[datetime]) -> list[Incident]:
    """Consecutive evaluation steps where an alert fired, joined into incidents."""
    alert, severity = labels.get("alertname", "?"), labels.get("severity", "")
    spans: list[Incident] = []
    for moment in moments:
        if spans and moment - spans[-1].ended <= INCIDENT_STEP:
            last = spans[-1]
            spans[-1] = Incident(alert, severity, last.started, moment)
        else:
            spans.append(Incident(alert, severity, moment, moment))
    # A point stands for the step it ends.
    return [Incident(s.alert, s.severity, s.started - INCIDENT_STEP, s.ended) for s in spans]


def draw(report: Report) -> None:
    days = report.month.days
    by_day = {day.day: day for day in report.days}
    counts = [by_day[d].orders if d in by_day else 0 for d in days]
    currencies = sorted({c for day in report.days for c in (*day.paid, *day.refunded)})
    paid = {c: [by_day[d].paid.get(c, 0) if d in by_day else 0 for d in days] for c in currencies}
    refunded = {
        c: [by_day[d].refunded.get(c, 0) if d in by_day else 0 for d in days]
        for c in currencies
        if any(day.refunded.get(c) for day in report.days)
    }
    pictures = {
        "orders": charts.orders_per_day(days, counts),
        "revenue": charts.revenue_per_day(days, paid, refunded),
    }
    operations = report.operations
    if operations.p99:
        pictures["p99"] = charts.p99_per_route(
            [route for route, _ in operations.p99], [value for _, value in operations.p99]
        )
    if operations.incidents:
        alerts = sorted({incident.alert for incident in operations.incidents})
        spans = [
            [(i.started, i.ended) for i in operations.incidents if i.alert == name]
            for name in alerts
        ]
        pictures["incidents"] = charts.incidents_timeline(
            alerts, spans, report.month.start, report.month.end
        )
    report.charts = {
        name: "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        for name, png in pictures.items()
    }


def render_html(report: Report) -> str:
    env = Environment(
        loader=PackageLoader("app.ops", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = lambda amounts: (
        ", ".join(format_amount(amounts[c], c) for c in sorted(amounts)) or "none"
    )
    env.filters["amount"] = format_amount
    return env.get_template("report.html").render(report=report)


def write_pdf(html: str, target: Path) -> bool:
    """The PDF of the page, where WeasyPrint is installed; whether it was written."""
    try:
        from weasyprint import HTML  # type: ignore[import-untyped, unused-ignore]
    except (ImportError, OSError):  # not installed, or its Pango libraries are missing
        return False
    HTML(string=html).write_pdf(target)
    return True


@dataclass(frozen=True, slots=True)
class Written:
    html: Path
    pdf: Path | None
    report: Report


def make_report(
    month: Month,
    out: Path,
    *,
    database_url: str,
    settings: MonitoringSettings,
    http: httpx.Client | None = None,
    pdf: bool = True,
) -> Written:
    report = asyncio.run(read_sales(database_url, month))
    if settings.prometheus_url:
        client = http or httpx.Client(timeout=settings.prometheus_timeout)
        try:
            report.operations = read_operations(Prometheus(settings.prometheus_url, client), month)
        except PrometheusError as error:
            report.operations = Operations(source=settings.prometheus_url, problem=str(error))
        finally:
            if http is None:
                client.close()
    draw(report)
    html = render_html(report)
    out.mkdir(parents=True, exist_ok=True)
    html_path = out / f"report-{month.label}.html"
    temporary = html_path.with_suffix(".html.tmp")
    temporary.write_text(html, encoding="utf-8")
    temporary.replace(html_path)
    pdf_path = out / f"report-{month.label}.pdf"
    wrote_pdf = pdf and write_pdf(html, pdf_path)
    return Written(html_path, pdf_path if wrote_pdf else None, report)


def _last_month(zone: ZoneInfo) -> str:
    first_of_this = datetime.now(zone).date().replace(day=1)
    return (first_of_this - timedelta(days=1)).strftime("%Y-%m")


def main(argv: Sequence[str] | None = None) -> int:
    settings = get_monitoring_settings()
    parser = argparse.ArgumentParser(
        prog="python -m app.ops.report", description="Write the monthly operations report."
    )
    parser.add_argument("--month", help="YYYY-MM; the month before this one if left out")
    parser.add_argument("--out", type=Path, default=Path("reports"), help="directory to write")
    parser.add_argument(
        "--timezone",
        default=settings.report_timezone,
        help=f"the shop's time zone, for days and months (default {settings.report_timezone})",
    )
    parser.add_argument("--no-pdf", action="store_true", help="write the HTML only")
    args = parser.parse_args(argv)
    try:
        zone = ZoneInfo(args.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        parser.error(f"--timezone `{args.timezone}` is not a time zone (e.g. Asia/Shanghai)")
    try:
        month = Month.parse(args.month or _last_month(zone), zone)
    except ValueError as error:
        parser.error(str(error))
    written = make_report(
        month,
        args.out,
        database_url=DatabaseSettings().database_url,
        settings=settings,
        pdf=not args.no_pdf,
    )
    problem = written.report.operations.problem
    if problem:
        print(f"warning: Prometheus left out of the report: {problem}", file=sys.stderr)
    print(f"wrote {written.html}" + (f" and {written.pdf}" if written.pdf else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

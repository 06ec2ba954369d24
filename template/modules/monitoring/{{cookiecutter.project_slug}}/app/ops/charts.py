"""The report's charts, drawn with matplotlib's object API (no pyplot, no global state) and
returned as PNG bytes, to be embedded in the page as data URIs."""

import io
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import DateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from app.ops.money import major

WIDTH, HEIGHT, DPI = 9.0, 3.2, 110
ACCENT = "#2563eb"
PALETTE = ("#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c")


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _figure(height: float = HEIGHT) -> Figure:
    return Figure(figsize=(WIDTH, height))


def _num(moment: date) -> float:
    """A day or a moment as matplotlib's date axes count: days since its epoch."""
    at = moment if isinstance(moment, datetime) else datetime.combine(moment, time())
    return float(date2num(at))  # type: ignore[no-untyped-call]


def _days_of_month(axes: Axes) -> None:
    axes.xaxis_date()
    axes.xaxis.set_major_formatter(DateFormatter("%d"))  # type: ignore[no-untyped-call]


def orders_per_day(days: Sequence[date], counts: Sequence[int]) -> bytes:
    figure = _figure()
    axes = figure.add_subplot()
    axes.bar([_num(day) for day in days], list(counts), color=ACCENT, width=0.8)
    axes.set_title("Orders placed per day")
    axes.set_ylabel("orders")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    _days_of_month(axes)
    axes.grid(axis="y", alpha=0.3)
    return _png(figure)


def revenue_per_day(
    days: Sequence[date],
    paid: Mapping[str, Sequence[int]],
    refunded: Mapping[str, Sequence[int]],
) -> bytes:
    """Revenue (lines) and refunds (dashed) per day, one colour per currency, in major units."""
    figure = _figure()
    axes = figure.add_subplot()
    x = [_num(day) for day in days]
    for index, currency in enumerate(sorted(set(paid) | set(refunded))):
        colour = PALETTE[index % len(PALETTE)]
        if currency in paid:
            values = [major(amount, currency) for amount in paid[currency]]
            axes.plot(x, values, color=colour, marker="o", label=f"paid ({currency})")
        if currency in refunded:
            values = [major(amount, currency) for amount in refunded[currency]]
            axes.plot(x, values, color=colour, ls="--", label=f"refunded ({currency})")
    axes.set_title("Revenue and refunds per day")
    _days_of_month(axes)
    axes.grid(alpha=0.3)
    if paid or refunded:
        axes.legend(loc="upper left", fontsize="small")
    return _png(figure)


def p99_per_route(routes: Sequence[str], seconds: Sequence[float]) -> bytes:
    height = max(HEIGHT, 0.35 * len(routes) + 1.0)
    figure = _figure(height)
    axes = figure.add_subplot()
    axes.barh(list(routes), [value * 1000 for value in seconds], color=ACCENT)
    axes.invert_yaxis()
    axes.set_title("p99 latency per route over the month")
    axes.set_xlabel("milliseconds")
    axes.grid(axis="x", alpha=0.3)
    return _png(figure)


def incidents_timeline(
    names: Sequence[str],
    spans: Sequence[Sequence[tuple[datetime, datetime]]],
    start: datetime,
    end: datetime,
) -> bytes:
    """When each alert fired, one row per alert."""
    height = max(2.0, 0.4 * len(names) + 1.2)
    figure = _figure(height)
    axes = figure.add_subplot()
    # An incident of minutes is a hairline on a month: draw each at least a 150th of the
    # chart wide, so that one shows at all.
    shortest = (_num(end) - _num(start)) / 150
    for row, periods in enumerate(spans):
        bars = [
            (_num(moment), max(_num(finish) - _num(moment), shortest)) for moment, finish in periods
        ]
        axes.broken_barh(bars, (row - 0.35, 0.7), color=PALETTE[2])
    axes.set_yticks(range(len(names)), labels=list(names))
    axes.set_xlim(_num(start), _num(end))
    axes.invert_yaxis()
    axes.set_title("Alerts firing")
    _days_of_month(axes)
    axes.grid(axis="x", alpha=0.3)
    return _png(figure)

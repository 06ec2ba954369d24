"""The run's report: a Markdown page, a latency histogram and the figures as JSON."""

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.load import Load


@dataclass(slots=True)
class Outcome:
    """One scenario as measured and checked."""

    key: str
    title: str
    load: Load
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    figures: dict[str, float] = field(default_factory=dict)

    def as_dict(self, ceiling: float) -> dict[str, Any]:
        load = self.load
        return {
            "key": self.key,
            "title": self.title,
            "seconds": round(load.seconds, 3),
            "requests": load.requests,
            "rate": round(load.rate, 1),
            "ratio": round(load.rate / ceiling, 4) if ceiling else None,
            "p50_ms": round(load.percentile_ms(50), 2),
            "p90_ms": round(load.percentile_ms(90), 2),
            "p99_ms": round(load.percentile_ms(99), 2),
            "statuses": load.statuses,
            "socket_errors": load.socket_errors,
            "timeouts": load.timeouts,
            "problems": self.problems,
            "notes": self.notes,
            "figures": self.figures,
        }


def ceiling_rate(outcomes: Sequence[Outcome]) -> float:
    """The mean of the ceiling's runs (one before the service's scenarios, one after)."""
    rates = [o.load.rate for o in outcomes if o.key == "ceiling"]
    return sum(rates) / len(rates) if rates else 0.0


def _answers(load: Load) -> str:
    return ", ".join(f"{code}: {count:,}" for code, count in sorted(load.statuses.items()))


def markdown(
    title: str, context: Sequence[str], outcomes: Sequence[Outcome], image: str | None
) -> str:
    ceiling = ceiling_rate(outcomes)
    lines = [f"# {title}", "", *context, ""]
    lines += [
        "| scenario | req/s | vs ceiling | p50 ms | p99 ms | answers | checks |",
        "| --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for o in outcomes:
        ratio = f"{o.load.rate / ceiling:.2f}" if ceiling else "n/a"
        checks = "ok" if not o.problems else "FAILED"
        lines.append(
            f"| {o.title} | {o.load.rate:,.0f} | {ratio} | {o.load.percentile_ms(50):.1f} "
            f"| {o.load.percentile_ms(99):.1f} | {_answers(o.load)} | {checks} |"
        )
    lines.append("")
    for o in outcomes:
        for note in o.notes:
            lines.append(f"- {o.title}: {note}")
        for problem in o.problems:
            lines.append(f"- **{o.title}: {problem}**")
    if image:
        lines += ["", f"![Latency of every scenario]({image})"]
    return "\n".join(lines).rstrip() + "\n"


def histogram(outcomes: Sequence[Outcome], path: Path) -> bool:
    """Latency distributions on a log scale, one line per scenario; False without
    matplotlib (`pip install '.[bench]'`)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figure, axes = plt.subplots(figsize=(10, 5.5), dpi=110)
    low, high = 0.05, 10_000.0  # ms
    edges = [low * (high / low) ** (i / 120) for i in range(121)]
    for o in outcomes:
        if not o.load.latency_us:
            continue
        counts = [0] * (len(edges) - 1)
        total = 0
        for value_us, count in o.load.latency_us:
            ms = min(max(value_us / 1000, low), high * 0.999)
            index = int(math.log(ms / low) / math.log(high / low) * (len(edges) - 1))
            counts[index] += count
            total += count
        shares = [100 * c / total for c in counts]
        axes.step(edges[:-1], shares, where="post", label=o.title, linewidth=1.4)
    axes.set_xscale("log")
    axes.set_xlabel("latency (ms, log scale)")
    axes.set_ylabel("share of answers (%)")
    axes.set_title("Latency per scenario")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return True


def write_json(path: Path, meta: dict[str, Any], outcomes: Sequence[Outcome]) -> None:
    ceiling = ceiling_rate(outcomes)
    document = {
        "meta": meta,
        "ceiling_rate": round(ceiling, 1),
        "scenarios": [o.as_dict(ceiling) for o in outcomes],
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")

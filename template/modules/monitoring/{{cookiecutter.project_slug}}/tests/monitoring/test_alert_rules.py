"""The alert rules and the dashboard against promtool and the app's own /metrics: every rule
fires and stays quiet where its tests say, every metric they read is one the app exports,
and every runbook link lands on a section of deploy/monitoring/runbooks.md.

promtool comes with Prometheus (`apt install prometheus`); where it is missing these tests
skip, unless `CI` is set: there it is installed on purpose, so its absence is a failure.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI

PROJECT = Path(__file__).resolve().parents[2]
MONITORING = PROJECT / "deploy/monitoring"
RULES = MONITORING / "alert_rules.yaml"
DASHBOARD = MONITORING / "grafana/shop-api.json"
# What PromQL names that is not a metric.
PROMQL_WORDS = {
    "sum", "max", "min", "avg", "rate", "increase", "and", "or", "unless",
    "histogram_quantile", "time",
}  # fmt: skip


def promtool() -> str:
    found = shutil.which("promtool")
    if found:
        return found
    reason = "promtool is not installed (apt install prometheus)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must provide it")
    pytest.skip(reason)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool(), *args], capture_output=True, text=True, cwd=MONITORING, timeout=120
    )


def _rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    return [rule for group in groups for rule in group["rules"]]


def _dashboard() -> dict[str, Any]:
    found: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return found


def _metric_names(expr: str) -> set[str]:
    without_labels = re.sub(r"\{[^}]*\}", "", expr)
    without_labels = re.sub(r"\b(by|on|without|ignoring)\s*\([^)]*\)", "", without_labels)
    without_ranges = re.sub(r"\[[^\]]*\]", "", without_labels)
    names = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", without_ranges))
    return {name for name in names if name not in PROMQL_WORDS and not name.isdigit()}


def test_the_rules_are_valid() -> None:
    done = _run("check", "rules", RULES.name)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(_rules())} rules found" in done.stdout


def test_every_alert_fires_and_stays_quiet_as_its_tests_say() -> None:
    done = _run("test", "rules", "alert_rules_test.yaml")
    assert done.returncode == 0, done.stdout + done.stderr
    tests = yaml.safe_load((MONITORING / "alert_rules_test.yaml").read_text(encoding="utf-8"))
    cases = [case for test in tests["tests"] for case in test["alert_rule_test"]]
    for rule in _rules():
        mine = [case for case in cases if case["alertname"] == rule["alert"]]
        assert any(case["exp_alerts"] for case in mine), f"{rule['alert']} never fires"
        assert any(not case["exp_alerts"] for case in mine), f"{rule['alert']} never stays quiet"


def test_the_prometheus_configuration_is_valid() -> None:
    done = _run("check", "config", "--syntax-only", "prometheus.yml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_alert_has_a_duration_a_severity_and_a_runbook() -> None:
    runbooks = MONITORING / "runbooks.md"
    # Headings become anchors as GitHub and GitLab make them.
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in runbooks.read_text(encoding="utf-8").splitlines()
        if line.startswith("## ")
    }
    for rule in _rules():
        assert rule.get("for"), rule["alert"]
        assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
        target, _, anchor = rule["annotations"]["runbook_url"].partition("#")
        assert PROJECT / target == runbooks and anchor in anchors, rule["alert"]
    assert len(anchors) == len(_rules()), "a runbook for every alert, and no other"


@pytest.fixture
async def exported(app: FastAPI, client: httpx.AsyncClient) -> set[str]:
    """The metric names /metrics shows once a request was served and a sample taken."""
    await app.state.monitoring.sampler.sample()
    await client.get("/api/v1/health")
    text = (await client.get("/metrics")).text
    names = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            names.add(name)
            if kind == "histogram":
                names |= {f"{name}_bucket", f"{name}_count", f"{name}_sum"}
            if kind == "counter":
                names.add(f"{name}_total")
    return names


async def test_the_rules_read_only_metrics_the_app_exports(exported: set[str]) -> None:
    for rule in _rules():
        missing = _metric_names(rule["expr"]) - exported - {"up"}
        assert not missing, f"{rule['alert']} reads {missing}"


async def test_the_dashboard_reads_only_metrics_the_app_exports(exported: set[str]) -> None:
    for panel in _dashboard()["panels"]:
        for target in panel.get("targets", ()):
            missing = _metric_names(target["expr"]) - exported
            assert not missing, f"{panel['title']} reads {missing}"


def test_the_dashboard_expressions_are_promql() -> None:
    """promtool parses PromQL in recording rules: one per panel target."""
    records = [
        {"record": f"dashboard:panel_{panel['id']}_{target['refId']}", "expr": target["expr"]}
        for panel in _dashboard()["panels"]
        for target in panel.get("targets", ())
    ]
    scratch = MONITORING / ".dashboard-check.yaml"
    scratch.write_text(yaml.safe_dump({"groups": [{"name": "d", "rules": records}]}))
    try:
        done = _run("check", "rules", scratch.name)
    finally:
        scratch.unlink()
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_dashboard_has_the_fields_grafana_needs() -> None:
    board = _dashboard()
    assert isinstance(board["uid"], str) and 0 < len(board["uid"]) <= 40
    assert board["title"] and isinstance(board["schemaVersion"], int)
    (variable,) = board["templating"]["list"]
    assert (variable["name"], variable["type"], variable["query"]) == (
        "datasource",
        "datasource",
        "prometheus",
    )
    panels = board["panels"]
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids)) and all(isinstance(i, int) for i in ids)
    taken: set[tuple[int, int]] = set()
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["w"] > 0 and grid["x"] + grid["w"] <= 24, panel["title"]
        cells = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not cells & taken, f"{panel['title']} overlaps another panel"
        taken |= cells
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        refs = [target["refId"] for target in panel["targets"]]
        assert refs and len(refs) == len(set(refs)), panel["title"]
    titles = " ".join(panel["title"] for panel in panels).lower()
    for subject in ("requests", "latency", "orders", "revenue", "stock backend", "payments"):
        assert subject in titles

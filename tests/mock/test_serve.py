"""`shopgen mock` as a process on a free port: HTTP, CORS, `/openapi.json`, reloading."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from shopgen.resources import bundled_contract

from .process import run_mock, wait_for


@pytest.fixture
def contract_copy(tmp_path: Path) -> Path:
    target = tmp_path / "api" / "shop.openapi.yaml"
    target.parent.mkdir()
    shutil.copy(bundled_contract(), target)
    return target


def test_serves_the_contract_with_cors(tmp_path: Path, contract_copy: Path) -> None:
    with run_mock(tmp_path, str(contract_copy)) as (http, _):
        document = http.get("/openapi.json").json()
        assert document == yaml.safe_load(contract_copy.read_text())
        origin = "http://localhost:5173"
        preflight = http.options(
            "/api/v1/orders",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, idempotency-key, content-type",
            },
        )
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == origin
        assert "POST" in preflight.headers["access-control-allow-methods"]
        assert "idempotency-key" in preflight.headers["access-control-allow-headers"]
        busy = http.get("/api/v1/health", headers={"Origin": origin, "Prefer": "code=503"})
        assert busy.status_code == 503 and busy.json()["code"] == 50301
        assert busy.headers["retry-after"] == "5"
        assert "Retry-After" in busy.headers["access-control-expose-headers"]
        missing = http.get("/api/v1/nowhere")
        assert missing.status_code == 404 and missing.json()["code"] == 40401


def test_reloads_when_the_contract_changes(tmp_path: Path, contract_copy: Path) -> None:
    with run_mock(tmp_path, str(contract_copy)) as (http, log):
        assert http.get("/api/v1/gift-cards").status_code == 404
        document = yaml.safe_load(contract_copy.read_text())
        health = document["paths"]["/api/v1/health"]["get"]
        document["paths"]["/api/v1/gift-cards"] = {
            "get": {**health, "operationId": "listGiftCards", "summary": "List gift cards"}
        }
        contract_copy.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
        wait_for(lambda: http.get("/api/v1/gift-cards").status_code == 200, "the reload", log)
        contract_copy.write_text("openapi: [unclosed\n")
        wait_for(lambda: "still serving the previous contract" in log.read_text(), "the report")
        assert http.get("/api/v1/gift-cards").status_code == 200


def test_lint_errors_are_reported_not_fatal(tmp_path: Path, contract_copy: Path) -> None:
    document = yaml.safe_load(contract_copy.read_text())
    document["paths"]["/api/v1/health"]["get"].pop("operationId")
    contract_copy.write_text(json.dumps(document))
    with run_mock(tmp_path, str(contract_copy)) as (http, log):
        assert http.get("/api/v1/health").status_code == 200
        wait_for(lambda: "lint error(s); the mock serves" in log.read_text(), "the lint report")


def test_an_unreadable_contract_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "shopgen", "mock", str(tmp_path / "missing.yaml")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "missing.yaml" in result.stderr


def test_a_body_over_the_services_cap_is_413(tmp_path: Path) -> None:
    with run_mock(tmp_path) as (http, _):
        big = http.post(
            "/api/v1/users",
            content=b'{"email": "' + b"x" * (1024 * 1024) + b'"}',
            headers={"Content-Type": "application/json"},
        )
        assert big.status_code == 413 and big.json()["code"] == 41301

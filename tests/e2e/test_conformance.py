"""The contract is the promise: Schemathesis against the served project of every bundled
contract, in the examples, coverage, fuzzing and stateful phases, with the checks
not_a_server_error, status_code_conformance, content_type_conformance,
response_schema_conformance and negative_data_rejection. Zero failures.

Each project runs under uvicorn against PostgreSQL (a database of its own, when
`SHOPGEN_TEST_POSTGRES_URL` names a server; SQLite otherwise) and a real redis-server, with
every optional feature configured against local fakes (WeChat login, WeChat Pay, Shopify) and
an admin token. Each contract runs with a fixed seed and with one random seed, both printed,
so a failure replays with `--seed`. Operations the project answers 501 for because their code
is not written (stubs in app/custom/, a domain left out at generation) are left out: they
promise nothing until written. The abuse limits are raised here (they have their own tests):
left on, they would turn most fuzzed logins and orders into 429s.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .conformance import CHECKS, FIXED_SEED, MAX_EXAMPLES, PHASES
from .conftest import POSTGRES_ENV, project_env, run, serve
from .fake_wechat import APP_ID, APP_SECRET, FakeWechat, serve_fake_wechat
from .redis_process import RedisProcess
from .test_payments_served import SHOPIFY_SECRET, load_fake_wechat_pay

PROJECTS = ["canonical_project", "catalogue_project", "coupons_project", "b2b_project"]
ADMIN = {"email": "owner@example.com", "password": "owner-password-1"}
GENEROUS = {
    "RATE_LIMIT_AUTH_PER_IP": "1000000/minute",
    "RATE_LIMIT_AUTH_PER_ACCOUNT": "1000000/minute",
    "RATE_LIMIT_CHECKOUT_PER_IP": "1000000/minute",
    "RATE_LIMIT_CHECKOUT_PER_ACCOUNT": "1000000/minute",
    "MAX_PENDING_ORDERS": "1000000",
    "MAX_HELD_UNITS_PER_PRODUCT": "1000000",
}


@dataclass(frozen=True)
class Verdict:
    contract: str
    seed: int
    cases: int
    failures: int
    seconds: float
    output: str


def schemathesis_executable() -> str:
    return str(Path(sys.executable).with_name("schemathesis"))


def database_url(name: str, scratch: Path) -> str:
    """An empty PostgreSQL database of the project's own; SQLite without a server."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        return f"sqlite+aiosqlite:///{scratch / 'conformance.db'}"
    server, _, parent = base.rpartition("/")
    database = f"{parent}_conformance_{name}"
    admin_url = server.replace("+asyncpg", "") + "/" + parent
    for statement in (f"DROP DATABASE IF EXISTS {database}", f"CREATE DATABASE {database}"):
        subprocess.run(["psql", admin_url, "-qc", statement], check=True, capture_output=True)
    return f"{server}/{database}"


def unimplemented(project: Path, env: dict[str, str]) -> list[str]:
    script = (
        "from app.api.binding import unimplemented\n"
        "from app.api.handlers import HANDLERS\n"
        "from app.api.operations import OPERATIONS\n"
        "for op in unimplemented(OPERATIONS, HANDLERS):\n"
        "    print(op.operation_id)\n"
    )
    result = run([sys.executable, "-c", script], project, env)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def admin_token(project: Path, env: dict[str, str]) -> str:
    """An access token of the first superuser (user 1 of a fresh database), minted with the
    project's own codec: not every contract has a login operation."""
    script = (
        "from app.core.config import get_settings\n"
        "from app.core.security import TokenCodec\n"
        "print(TokenCodec(get_settings()).issue('1', 'access', role='admin')[0])\n"
    )
    result = run([sys.executable, "-c", script], project, env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def schemathesis(project: Path, base_url: str, token: str, seed: int, skip: list[str]) -> Verdict:
    report = project / f"schemathesis-{seed}.json"
    command = [
        schemathesis_executable(), "run", "contract/openapi.yaml",
        "--url", base_url,
        "--phases", PHASES,
        "--checks", CHECKS,
        "--max-examples", str(MAX_EXAMPLES),
        "--seed", str(seed),
        # One worker: Hypothesis describes strategies with `ast.parse`, which CPython 3.11
        # does not make safe across threads. Two contracts run at once instead.
        "--workers", "1",
        "--header", f"Authorization: Bearer {token}",
        "--request-timeout", "20",
        "--generation-allow-x00", "true",
        "--suppress-health-check", "all",
        "--report", "json", "--report-json-path", str(report),
    ]  # fmt: skip
    for operation_id in skip:
        command += ["--exclude-operation-id", operation_id]
    started = time.monotonic()
    result = subprocess.run(
        command, cwd=project, capture_output=True, text=True, timeout=900, check=False
    )
    seconds = time.monotonic() - started
    data: dict[str, Any] = json.loads(report.read_text()) if report.is_file() else {}
    cases = int(data.get("test_cases", {}).get("generated", 0))
    failures = int(data.get("test_cases", {}).get("unique_failures", 0)) + len(
        data.get("errors") or []
    )
    if result.returncode != 0 and not failures:
        failures = 1  # the run itself failed
    output = result.stdout[-8000:] + result.stderr[-2000:]
    return Verdict(project.name, seed, cases, failures, seconds, output)


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    process = RedisProcess(tmp_path_factory.mktemp("conformance-redis"))
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def wechat_login() -> Iterator[FakeWechat]:
    with serve_fake_wechat() as fake:
        yield fake


@pytest.fixture(scope="module")
def wechat_pay_settings(canonical_project: Path) -> Iterator[dict[str, str]]:
    fakes = load_fake_wechat_pay(canonical_project)
    fake = fakes.FakeWechatPay(
        merchant_key=fakes.new_key(), platform_key=fakes.new_key(), app_id=APP_ID
    )
    with fakes.serve(fake):
        yield {key.upper(): str(value) for key, value in fake.settings().items()}


def check_contract(
    project: Path,
    scratch: Path,
    redis_url: str,
    features: dict[str, str],
    seeds: tuple[int, ...],
) -> list[Verdict]:
    scratch.mkdir(parents=True, exist_ok=True)
    env = project_env(
        ENVIRONMENT="production",
        DATABASE_URL=database_url(project.parent.name.rstrip("0123456789"), scratch),
        REDIS_URL=redis_url,
        JWT_SECRET="conformance-jwt-secret-" + "c" * 40,
        FIRST_SUPERUSER_EMAIL=ADMIN["email"],
        FIRST_SUPERUSER_PASSWORD=ADMIN["password"],
        ARGON2_TIME_COST="1",
        ARGON2_MEMORY_KIB="8192",
        ARGON2_PARALLELISM="1",
        LOG_LEVEL="WARNING",
        PAYMENT_MOCK_ENABLED="true",
        SHOPIFY_API_SECRET=SHOPIFY_SECRET,
        **features,
        **GENEROUS,
    )
    upgrade = run([sys.executable, "-m", "alembic", "upgrade", "head"], project, env)
    assert upgrade.returncode == 0, upgrade.stderr
    skip = unimplemented(project, env)
    with serve(project, env) as http:
        token = admin_token(project, env)
        base_url = str(http.base_url).rstrip("/")
        return [schemathesis(project, base_url, token, seed, skip) for seed in seeds]


def test_every_contract_keeps_its_promise_under_schemathesis(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    redis_server: RedisProcess,
    wechat_login: FakeWechat,
    wechat_pay_settings: dict[str, str],
) -> None:
    seeds = (FIXED_SEED, random.SystemRandom().randrange(1, 2**31))
    print(f"Schemathesis seeds: {seeds[0]} (fixed), {seeds[1]} (this run)")
    features = {
        "WECHAT_APP_ID": APP_ID,
        "WECHAT_APP_SECRET": APP_SECRET,
        "WECHAT_API_BASE": wechat_login.base_url,
        **wechat_pay_settings,
    }
    projects: list[Path] = [request.getfixturevalue(name) for name in PROJECTS]
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = [
            pool.submit(
                check_contract,
                project,
                tmp_path / project.parent.name,
                redis_server.url.rsplit("/", 1)[0] + f"/{index}",
                features,
                seeds,
            )
            for index, project in enumerate(projects)
        ]
        verdicts = [verdict for future in runs for verdict in future.result()]
    for verdict in verdicts:
        print(
            f"{verdict.contract} seed {verdict.seed}: {verdict.cases} cases, "
            f"{verdict.failures} failures, {verdict.seconds:.0f} s"
        )
    failed = [v for v in verdicts if v.failures or not v.cases]
    assert not failed, "\n\n".join(
        f"{v.contract}, seed {v.seed} (replay with --seed {v.seed}):\n{v.output}" for v in failed
    )

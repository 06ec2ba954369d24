"""How fast is it? Measures this service on this machine, against the database and Redis it is
configured with (`DATABASE_URL`, `REDIS_URL`, from the environment or `.env`):

    python -m bench                  # 2 workers, wrk -t2 -c64, 8 s per scenario
    python -m bench --profile        # and a pyinstrument flame view of each scenario
    python -m bench --seconds 3 --products 100 --scenarios list-customer,order-spread

It migrates the database, starts the service with uvicorn, seeds a catalogue and customers
through the API, and drives each scenario with wrk (`bench/scenario.lua`; this package's own
driver when wrk is missing). A bare FastAPI app answering the same product page from memory
is measured before and after as the ceiling: the ratios say how much of the framework's
speed the service keeps. After every order scenario each `201` is looked up in the
database and the stock is checked there and in Redis. The report (Markdown, a latency
histogram, the figures as JSON) goes to `bench/reports/<time>/`.

Use a scratch database: the run adds products, customers and orders.
"""

import argparse
import asyncio
import os
import platform
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
from pydantic import ValidationError
from redis.asyncio import Redis
from sqlalchemy import func, select, text

from app.core.config import Settings, get_settings, is_placeholder
from app.core.db import create_engine
from app.products.models import Product
from bench import load as loads
from bench.load import Load, Request
from bench.report import Outcome, histogram, markdown, write_json
from bench.servers import free_port, running, uvicorn_command
from bench.shop import (
    SKU_PREFIX,
    BenchError,
    Ledger,
    Shop,
    check_orders,
    operation_paths,
    password_for,
    seed,
)

ROOT = Path(__file__).resolve().parents[1]
ADMIN_EMAIL = "bench-admin@bench.example"
PAGE = "?page=1&limit=20"
# Every request comes from this machine, and a few hundred customers stand for a crowd: the
# limits stay on, so their cost is measured, but cannot refuse the load.
UNLIMITED = "1000000/second"
SCENARIOS = (
    "list-anonymous",
    "list-customer",
    "get-customer",
    "order-one",
    "order-spread",
    "flash-sale",
)


@dataclass(frozen=True, slots=True)
class Scenario:
    key: str
    title: str
    request: Request


def scenarios(shop: Shop, products: int) -> dict[str, Scenario]:
    paths, customers, body = shop.paths, shop.customers, shop.order_body
    listing = paths.list_products + PAGE
    return {
        scenario.key: scenario
        for scenario in (
            Scenario(
                "ceiling",
                "ceiling: bare FastAPI, the same page",
                Request("GET", listing, customers),
            ),
            Scenario("list-anonymous", "`listProducts`, anonymous", Request("GET", listing)),
            Scenario(
                "list-customer",
                "`listProducts`, customer token",
                Request("GET", listing, customers),
            ),
            Scenario(
                "get-customer",
                "`getProduct`, customer token",
                Request("GET", paths.get_product, customers, shop.product_ids),
            ),
            Scenario(
                "order-one",
                "`createOrder`, one product",
                Request("POST", paths.create_order, customers, shop.variant_ids[:1], body),
            ),
            Scenario(
                "order-spread",
                f"`createOrder`, spread over {products:,} products",
                Request("POST", paths.create_order, customers, shop.variant_ids, body),
            ),
            Scenario(
                "flash-sale",
                "flash sale, one product",
                Request("POST", paths.create_order, customers, (shop.flash_id,), body),
            ),
        )
    }


# -- settings and environment ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Setup:
    settings: Settings
    env: dict[str, str]
    secret: str


def prepare(args: argparse.Namespace) -> Setup:
    try:
        settings = get_settings()
    except ValidationError as error:
        raise BenchError(f"the settings are invalid:\n{error}") from None
    configured = ""
    if settings.jwt_secret is not None and not is_placeholder(settings.jwt_secret):
        configured = settings.jwt_secret.get_secret_value()
    jwt_secret = configured or secrets.token_urlsafe(48)
    # Passwords of the bench's users must be the same next run: keyed by a secret the
    # deployment keeps, or by its database when it has none.
    secret = configured or settings.database_url
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        JWT_SECRET=jwt_secret,
        FIRST_SUPERUSER_EMAIL=ADMIN_EMAIL,
        FIRST_SUPERUSER_PASSWORD=password_for(ADMIN_EMAIL, secret),
        # Seeding signs customers up; no scenario hashes a password.
        ARGON2_TIME_COST="1",
        ARGON2_MEMORY_KIB="8192",
        ARGON2_PARALLELISM="1",
        RATE_LIMIT_AUTH_PER_IP=UNLIMITED,
        RATE_LIMIT_AUTH_PER_ACCOUNT=UNLIMITED,
        RATE_LIMIT_CHECKOUT_PER_IP=UNLIMITED,
        RATE_LIMIT_CHECKOUT_PER_ACCOUNT=UNLIMITED,
        MAX_PENDING_ORDERS="1000000",
        MAX_HELD_UNITS_PER_PRODUCT="1000000",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    migrate = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if migrate.returncode != 0:
        raise BenchError(f"`alembic upgrade head` failed:\n{migrate.stderr.strip()}")
    return Setup(settings, env, secret)


async def foreign_products(settings: Settings) -> int:
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            count = await connection.scalar(
                select(func.count(Product.id)).where(~Product.sku.startswith(SKU_PREFIX))
            )
    finally:
        await engine.dispose()
    return int(count or 0)


# -- measuring ---------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace, setup: Setup, out: Path) -> None:
        self.args = args
        self.setup = setup
        self.out = out
        self.run_id = uuid.uuid4().hex[:10]
        self.use_wrk = args.driver == "wrk" or (
            args.driver == "auto" and loads.wrk_executable() is not None
        )
        if args.driver == "wrk" and loads.wrk_executable() is None:
            raise BenchError("wrk is not installed (apt-get install wrk)")

    def measure(self, base_url: str, request: Request, seconds: float, tag: str) -> Load:
        run_id = f"bench-{self.run_id}-{tag}"
        if self.use_wrk:
            return loads.run_wrk(
                base_url,
                request,
                threads=self.args.threads,
                connections=self.args.connections,
                seconds=seconds,
                run_id=run_id,
            )
        return loads.run_driver(
            base_url,
            request,
            connections=self.args.connections,
            seconds=seconds,
            run_id=run_id,
        )

    @contextmanager
    def service(self, workers: int) -> Iterator[str]:
        port = free_port()
        command = uvicorn_command("app.main:create_app", port, workers=workers)
        log = self.out / "service.log"
        ready = operation_paths().list_products
        with running(command, self.setup.env, log, port, ready) as base_url:
            yield base_url

    @contextmanager
    def profiled(self, name: str) -> Iterator[str]:
        port = free_port()
        html = self.out / f"profile-{name}.html"
        command = [sys.executable, "-m", "bench.profiled", "--port", str(port)]
        command += ["--out", str(html)]
        log = self.out / "profile.log"
        with running(command, self.setup.env, log, port, operation_paths().list_products) as url:
            yield url

    def ceiling(self, page: bytes, scenario: Scenario, title: str) -> Outcome:
        body = self.out / "ceiling-page.json"
        body.write_bytes(page)
        env = {
            **self.setup.env,
            "BENCH_CEILING_BODY": str(body),
            "BENCH_CEILING_PATH": scenario.request.path.split("?", 1)[0],
        }
        port = free_port()
        command = uvicorn_command("bench.ceiling:create_app", port, workers=self.args.workers)
        with running(command, env, self.out / "ceiling.log", port, scenario.request.path) as url:
            self.measure(url, scenario.request, self.args.warmup, "ceiling-warmup")
            load = self.measure(url, scenario.request, self.args.seconds, "ceiling")
        outcome = Outcome(scenario.key, title, load)
        outcome.problems = read_problems(load)
        return outcome


def read_problems(load: Load) -> list[str]:
    problems = []
    others = {code: n for code, n in load.statuses.items() if code != "200"}
    if others:
        problems.append(f"answers other than 200: {others}")
    if load.socket_errors or load.timeouts:
        problems.append(f"{load.socket_errors} socket errors, {load.timeouts} timeouts")
    return problems


async def _ledger_call(settings: Settings, work: Callable[[Ledger], Any]) -> Any:
    engine = create_engine(settings.database_url)
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    try:
        return await work(Ledger(engine, redis))
    finally:
        await engine.dispose()
        if redis is not None:
            await redis.aclose()


def ledger(settings: Settings, work: Callable[[Ledger], Any]) -> Any:
    return asyncio.run(_ledger_call(settings, work))


def run_orders(
    bench: Bench, base_url: str, scenario: Scenario, flash_units: int, seconds: float, tag: str
) -> Outcome:
    settings = bench.setup.settings
    units = scenario.request.ids
    before = ledger(settings, lambda lg: lg.stock(units))
    start = datetime.now(UTC)
    load = bench.measure(base_url, scenario.request, seconds, tag)

    async def after_run(lg: Ledger) -> tuple[Any, ...]:
        await lg.settle()
        placed = await lg.placed_since(start)
        return placed, await lg.stock(units), await lg.redis_stock(units)

    placed, after, redis_after = ledger(settings, after_run)
    outcome = Outcome(scenario.key, scenario.title, load)
    outcome.problems = check_orders(
        created=load.created,
        placed=placed,
        before=before,
        after=after,
        redis_after=redis_after,
        in_flight=bench.args.connections,
    )
    if load.socket_errors or load.timeouts:
        outcome.problems.append(f"{load.socket_errors} socket errors, {load.timeouts} timeouts")
    if scenario.key != "flash-sale":
        others = {code: n for code, n in load.statuses.items() if code != "201"}
        if others:
            outcome.problems.append(f"answers other than 201: {others}")
        return outcome
    (flash_id,) = units
    sold = sum(row.quantity for row in placed if row.variant_id == flash_id)
    if set(load.statuses) - {"201", "409"}:
        outcome.problems.append(f"answers other than 201 and 409: {load.statuses}")
    if after[flash_id] + sold != flash_units:
        outcome.problems.append(
            f"{sold} units sold and {after[flash_id]} left of {flash_units}: oversold"
        )
    if after[flash_id] != 0:
        outcome.notes.append(
            f"not sold out in {load.seconds:.1f} s: {after[flash_id]} of {flash_units} units left"
        )
    elif redis_after.get(flash_id) not in (None, 0):
        outcome.problems.append(f"sold out, but Redis counts {redis_after.get(flash_id)}")
    last = max((row.created_at for row in placed if row.variant_id == flash_id), default=None)
    if last is not None and after[flash_id] == 0:
        sellout = max((last - start).total_seconds(), 1e-3)
        refused = sold_out_rate(bench, base_url, scenario, seconds, tag, outcome)
        outcome.figures = {
            "units": sold,
            "sellout_seconds": round(sellout, 3),
            "units_per_second": round(sold / sellout, 1),
            "sold_out_per_second": round(refused, 1),
        }
        where = "the database and Redis" if redis_after else "the database"
        outcome.notes.append(
            f"{sold} units sold in {sellout:.2f} s ({sold / sellout:,.0f} units/s); then "
            f"{seconds:g} s of buyers told it is sold out: 409 at {refused:,.0f}/s; stock "
            f"ends at {after[flash_id]} in {where}"
        )
    return outcome


def sold_out_rate(
    bench: Bench, base_url: str, scenario: Scenario, seconds: float, tag: str, outcome: Outcome
) -> float:
    """How fast buyers hear "sold out" once nothing is left: measured on its own after the
    sale, so the seconds spent selling do not dilute it. Every answer must be a 409, and the
    stock must stay at 0."""
    units = scenario.request.ids
    load = bench.measure(base_url, scenario.request, seconds, f"{tag}-sold-out")
    others = {code: n for code, n in load.statuses.items() if code != "409"}
    if others or load.created:
        outcome.problems.append(f"after the sale, answers other than 409: {others}")
    if load.socket_errors or load.timeouts:
        outcome.problems.append(
            f"after the sale, {load.socket_errors} socket errors, {load.timeouts} timeouts"
        )

    async def counts(lg: Ledger) -> tuple[Any, ...]:
        await lg.settle()
        return await lg.stock(units), await lg.redis_stock(units)

    after, redis_after = ledger(bench.setup.settings, counts)
    if any(after.values()) or any(redis_after.values()):
        outcome.problems.append(f"after the sale, stock {after}, Redis {redis_after}")
    return load.rate_of("409")


def run_scenario(
    bench: Bench, base_url: str, scenario: Scenario, flash_units: int, seconds: float, tag: str
) -> Outcome:
    """Measure one scenario; `tag` makes its Idempotency-Keys unique within the run."""
    if scenario.request.method == "POST":
        return run_orders(bench, base_url, scenario, flash_units, seconds, tag)
    # Right before it is measured: a read's caches lapse while other scenarios run.
    bench.measure(base_url, scenario.request, bench.args.warmup, f"warmup-{tag}")
    load = bench.measure(base_url, scenario.request, seconds, tag)
    outcome = Outcome(scenario.key, scenario.title, load)
    outcome.problems = read_problems(load)
    return outcome


def warm_up(bench: Bench, base_url: str, table: dict[str, Scenario]) -> None:
    """Fill caches and connection pools, and let every worker see requests, unmeasured."""
    for key in ("list-customer", "get-customer", "order-spread"):
        bench.measure(base_url, table[key].request, bench.args.warmup, f"warmup-{key}")
    ledger(bench.setup.settings, lambda lg: lg.settle())


def page_bytes(base_url: str, scenario: Scenario) -> bytes:
    headers = {"Authorization": f"Bearer {scenario.request.tokens[0]}"}
    answer = httpx.get(base_url + scenario.request.path, headers=headers, timeout=30)
    answer.raise_for_status()
    return answer.content


def new_flash(bench: Bench, base_url: str, shop: Shop, tag: str) -> Shop:
    """A shop like `shop` with a fresh flash-sale product."""

    async def make() -> Shop:
        return await seed(
            base_url,
            admin_email=ADMIN_EMAIL,
            secret=bench.setup.secret,
            products=0,
            customers=0,
            flash_units=bench.args.flash_units,
            run_id=f"{bench.run_id}-{tag}",
        )

    fresh = asyncio.run(make())
    return Shop(
        shop.paths,
        shop.admin,
        shop.customers,
        shop.product_ids,
        shop.variant_ids,
        fresh.flash_id,
        shop.order_body,
    )


def measure_all(bench: Bench, wanted: Sequence[str]) -> list[Outcome]:
    args = bench.args
    outcomes: list[Outcome] = []
    with bench.service(args.workers) as base_url:
        shop = asyncio.run(
            seed(
                base_url,
                admin_email=ADMIN_EMAIL,
                secret=bench.setup.secret,
                products=args.products,
                customers=args.customers,
                flash_units=args.flash_units,
                run_id=bench.run_id,
            )
        )
        ledger(bench.setup.settings, lambda lg: lg.analyze())
        table = scenarios(shop, args.products)
        page = page_bytes(base_url, table["list-customer"])
        ceiling = table["ceiling"]
        outcomes.append(bench.ceiling(page, ceiling, f"{ceiling.title}, before"))
        warm_up(bench, base_url, table)
        for key in wanted:
            outcomes.append(
                run_scenario(bench, base_url, table[key], args.flash_units, args.seconds, key)
            )
        outcomes.append(bench.ceiling(page, ceiling, f"{ceiling.title}, after"))
    if args.profile:
        for key in wanted:
            with bench.profiled(key) as url:
                scenario = scenarios(new_flash(bench, url, shop, key), args.products)[key]
                bench.measure(url, table["list-customer"].request, 1, f"profile-warmup-{key}")
                seconds = args.profile_seconds
                run_scenario(bench, url, scenario, args.flash_units, seconds, f"profile-{key}")
    return outcomes


# -- the report ----------------------------------------------------------------------------


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> str:
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def wrk_version() -> str:
    executable = loads.wrk_executable()
    if executable is None:
        return "not installed"
    shown = subprocess.run([executable, "--version"], capture_output=True, text=True, check=False)
    return shown.stdout.split("[", 1)[0].strip() or "unknown"


async def _server_versions(settings: Settings) -> tuple[str, str]:
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                database = str(await connection.scalar(text("SHOW server_version")))
                database = f"PostgreSQL {database.split()[0]}"
            else:
                database = f"SQLite {await connection.scalar(text('select sqlite_version()'))}"
    finally:
        await engine.dispose()
    cache = "none"
    if settings.redis_url:
        redis = Redis.from_url(settings.redis_url)
        try:
            cache = f"Redis {(await redis.info('server'))['redis_version']}"
        finally:
            await redis.aclose()
    return database, cache


def context_lines(
    bench: Bench, started: datetime, loads_before: str, loads_after: str
) -> list[str]:
    args = bench.args
    database, cache = asyncio.run(_server_versions(bench.setup.settings))
    driver = (
        f"wrk ({wrk_version()}) -t{args.threads} -c{args.connections}, `bench/scenario.lua`"
        if bench.use_wrk
        else f"the bench's own asyncio driver, {args.connections} connections (wrk missing)"
    )
    return [
        f"Measured {started:%Y-%m-%d %H:%M} UTC on {machine()}; load average "
        f"{loads_before} before, {loads_after} after (other work on the machine lowers "
        "every figure; compare ratios, and re-run on a quiet machine for absolute ones).",
        "",
        f"- Service: uvicorn, {args.workers} workers, no access log; {database}; {cache}.",
        f"- Load: {driver}; {args.seconds:g} s per scenario after {args.warmup:g} s of warm-up "
        "(a read scenario's own, right before it); "
        f"{args.customers} customers' tokens in turn; orders carry a fresh Idempotency-Key.",
        f"- Catalogue: {args.products:,} products; the flash sale offers "
        f"{args.flash_units} units of one product.",
        f"- Python {platform.python_version()}, FastAPI {_version('fastapi')}, uvicorn "
        f"{_version('uvicorn')}, SQLAlchemy {_version('sqlalchemy')}, pydantic "
        f"{_version('pydantic')}, redis-py {_version('redis')}.",
        "- Ceiling: a bare FastAPI app with the same workers answering the same product page "
        "from memory, measured before and after the scenarios; ratios are to their mean.",
    ]


def load_average() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__.split("\n\n", 1)[0]
    )
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (2)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--connections", type=int, default=64, help="connections (64)")
    parser.add_argument("--seconds", type=float, default=8.0, help="per scenario (8)")
    parser.add_argument("--warmup", type=float, default=4.0, help="unmeasured, first (4)")
    parser.add_argument("--products", type=int, default=1000, help="catalogue size (1000)")
    parser.add_argument("--customers", type=int, default=200, help="signed-in buyers (200)")
    parser.add_argument("--flash-units", type=int, default=300, help="units on sale (300)")
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help=f"comma-separated subset of {','.join(SCENARIOS)}",
    )
    parser.add_argument("--driver", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--profile", action="store_true", help="also record flame views")
    parser.add_argument("--profile-seconds", type=float, default=5.0)
    parser.add_argument("--out", type=Path, help="report directory (bench/reports/<time>)")
    parser.add_argument("--allow-existing-data", action="store_true")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    wanted = [key.strip() for key in args.scenarios.split(",") if key.strip()]
    unknown = sorted(set(wanted) - set(SCENARIOS))
    if unknown:
        raise SystemExit(f"unknown scenarios: {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
    started = datetime.now(UTC)
    out = args.out or ROOT / "bench" / "reports" / f"{started:%Y%m%d-%H%M%S}"
    out.mkdir(parents=True, exist_ok=True)
    try:
        setup = prepare(args)
        foreign = asyncio.run(foreign_products(setup.settings))
        if foreign and not args.allow_existing_data:
            raise BenchError(
                f"the database has {foreign} products of its own; point DATABASE_URL at a "
                "scratch database, or pass --allow-existing-data"
            )
        bench = Bench(args, setup, out)
        before = load_average()
        clock = time.monotonic()
        outcomes = measure_all(bench, wanted)
        context = context_lines(bench, started, before, load_average())
    except BenchError as error:
        raise SystemExit(f"bench: {error}") from None
    except (httpx.HTTPError, RuntimeError) as error:
        raise SystemExit(f"bench: {error!r}; the logs are in {out}") from None
    image = "latency.png" if histogram(outcomes, out / "latency.png") else None
    if image is None:
        context.append("- No histogram: matplotlib is missing (`pip install '.[bench]'`).")
    title = f"How fast is {setup.settings.project_name}?"
    (out / "report.md").write_text(markdown(title, context, outcomes, image), encoding="utf-8")
    meta = {
        "started": started.isoformat(),
        "minutes": round((time.monotonic() - clock) / 60, 1),
        "workers": args.workers,
        "connections": args.connections,
        "threads": args.threads,
        "seconds": args.seconds,
        "driver": "wrk" if bench.use_wrk else "python",
        "context": context,
    }
    write_json(out / "results.json", meta, outcomes)
    print((out / "report.md").read_text(encoding="utf-8"))
    print(f"report: {out / 'report.md'}")
    failed = [o.title for o in outcomes if o.problems]
    if failed:
        raise SystemExit(f"checks failed: {', '.join(failed)}")

"""The shop a run measures: seeded through the API, then checked where stock lives.

Everything the bench creates is marked: products' skus start with `BENCH-`, customers'
emails with `bench-`. Seeding again reuses what an earlier run left, except the flash-sale
product, which is new every run.
"""

import asyncio
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from redis.asyncio import Redis
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from app import main  # noqa: F401 - registers every table the models refer to
from app.api import operations as ops
from app.orders.models import IdempotencyRecord, Order, OrderItem
from app.products.models import ProductVariant
from app.stock.backend import stock_key

SKU_PREFIX = "BENCH-"
EMAIL_DOMAIN = "bench.example"
SEED_CONCURRENCY = 8
SETTLED_POLLS = 3
SPREAD_STOCK = 1_000_000
# Operations the scenarios use, by operationId.
NEEDED = ("listProducts", "getProduct", "createProduct", "createOrder", "registerUser")
TOKEN_OPERATION = "createToken"


class BenchError(Exception):
    """The run cannot go on; the message says why."""


@dataclass(frozen=True, slots=True)
class Paths:
    list_products: str
    get_product: str
    create_product: str
    create_order: str
    register: str
    token: str


def operation_paths() -> Paths:
    by_id = {op.operation_id: op.path for op in ops.OPERATIONS}
    missing = [name for name in (*NEEDED, TOKEN_OPERATION) if name not in by_id]
    if missing:
        raise BenchError(f"the contract lacks operations the bench needs: {', '.join(missing)}")
    product_path = by_id["getProduct"]
    parameter = product_path[product_path.rindex("{") : product_path.rindex("}") + 1]
    return Paths(
        list_products=by_id["listProducts"],
        get_product=product_path.replace(parameter, ":id"),
        create_product=by_id["createProduct"],
        create_order=by_id["createOrder"],
        register=by_id["registerUser"],
        token=by_id[TOKEN_OPERATION],
    )


def password_for(email: str, secret: str) -> str:
    """A strong password that the next run can work out again, never stored anywhere."""
    return hmac.new(secret.encode(), email.encode(), hashlib.sha256).hexdigest()


def _filler(schema: Mapping[str, Any]) -> Any:
    """A value for a required field the bench knows nothing about, from its JSON schema."""
    for key in ("examples", "enum"):
        if schema.get(key):
            return schema[key][0]
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type")
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        return max(1.0, float(schema.get("minimum", 1)))
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if kind == "object":
        return {}
    return "bench"


def body_for(schema: Mapping[str, Any], known: Mapping[str, Any]) -> dict[str, Any]:
    """The known fields a request body of this contract has, plus its other required ones."""
    properties: dict[str, Any] = schema.get("properties", {})
    body = {name: value for name, value in known.items() if name in properties}
    for name in schema.get("required", []):
        if name not in body:
            body[name] = _filler(properties.get(name, {}))
    return body


def order_template() -> str:
    """An order of one unit of the variant `:id`, as this contract's createOrder body has it."""
    schema = ops.CreateOrderBody.model_json_schema()
    items = schema.get("properties", {}).get("items", {}).get("items", {})
    reference = items.get("$ref", "")
    item_schema = schema.get("$defs", {}).get(reference.rsplit("/", 1)[-1], items)
    item = body_for(item_schema, {"variant_id": ":id", "quantity": 1})
    body = body_for(schema, {"items": [item]})
    return json.dumps(body, separators=(",", ":")).replace('":id"', ":id")


@dataclass(frozen=True, slots=True)
class Shop:
    paths: Paths
    admin: str
    customers: tuple[str, ...]
    product_ids: tuple[int, ...]
    # What orders name: the variant of each product, in the same order, and of the flash sale.
    variant_ids: tuple[int, ...]
    flash_id: int
    # The order line's field that names what is bought, and the body of one order.
    order_body: str


class Seeder:
    def __init__(self, http: httpx.AsyncClient, paths: Paths, secret: str) -> None:
        self.http = http
        self.paths = paths
        self.secret = secret
        self._gate = asyncio.Semaphore(SEED_CONCURRENCY)

    async def token(self, email: str) -> str:
        credentials = {"email": email, "password": password_for(email, self.secret)}
        answer = await self.http.post(self.paths.token, json=credentials)
        if answer.status_code != 201:
            raise BenchError(
                f"cannot sign in {email} ({answer.status_code}): it was made by a run with "
                "another JWT_SECRET; use a fresh database"
            )
        token: str = answer.json()["data"]["access_token"]
        return token

    async def customer(self, n: int) -> str:
        email = f"bench-buyer-{n:04d}@{EMAIL_DOMAIN}"
        async with self._gate:
            body = {"email": email, "password": password_for(email, self.secret)}
            answer = await self.http.post(self.paths.register, json=body)
            if answer.status_code not in (201, 409):
                raise BenchError(f"cannot register {email}: {answer.status_code} {answer.text}")
            return await self.token(email)

    async def existing_products(self, admin: str) -> dict[str, tuple[int, int]]:
        found: dict[str, tuple[int, int]] = {}
        page = 1
        while True:
            answer = await self.http.get(
                self.paths.list_products,
                params={"page": page, "limit": 100},
                headers={"Authorization": f"Bearer {admin}"},
            )
            answer.raise_for_status()
            items = answer.json()["data"]["items"]
            found.update({item["sku"]: _ids(item) for item in items})
            if len(items) < 100:
                return {sku: i for sku, i in found.items() if sku.startswith(SKU_PREFIX)}
            page += 1

    async def product(self, admin: str, sku: str, stock: int) -> tuple[int, int]:
        """A new product of one variant: its id and the variant's."""
        known = {
            "sku": sku,
            "title": f"Bench product {sku}",
            "description": "A product of the benchmark catalogue.",
            "price_cents": 1000,
            "currency": "CNY",
            "stock": stock,
            "status": "active",
            "category": "bench",
        }
        body = body_for(ops.CreateProductBody.model_json_schema(), known)
        async with self._gate:
            answer = await self.http.post(
                self.paths.create_product, json=body, headers={"Authorization": f"Bearer {admin}"}
            )
        if answer.status_code != 201:
            raise BenchError(f"cannot create product {sku}: {answer.status_code} {answer.text}")
        return _ids(answer.json()["data"])


def _ids(product: Mapping[str, Any]) -> tuple[int, int]:
    return int(product["id"]), int(product["variants"][0]["id"])


async def seed(
    base_url: str,
    *,
    admin_email: str,
    secret: str,
    products: int,
    customers: int,
    flash_units: int,
    run_id: str,
) -> Shop:
    paths = operation_paths()
    # As many connections as requests at once: none idles long enough for the server to
    # close it under a request being sent.
    pool = httpx.Limits(
        max_connections=SEED_CONCURRENCY, max_keepalive_connections=SEED_CONCURRENCY
    )
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=pool) as http:
        seeder = Seeder(http, paths, secret)
        admin = await seeder.token(admin_email)
        tokens = await asyncio.gather(*(seeder.customer(n) for n in range(customers)))
        existing = await seeder.existing_products(admin)
        wanted = [f"{SKU_PREFIX}{n:05d}" for n in range(products)]
        made = await asyncio.gather(
            *(seeder.product(admin, sku, SPREAD_STOCK) for sku in wanted if sku not in existing)
        )
        fresh = iter(made)
        ids = [existing[sku] if sku in existing else next(fresh) for sku in wanted]
        _, flash_id = await seeder.product(admin, f"{SKU_PREFIX}FLASH-{run_id}", flash_units)
    return Shop(
        paths,
        admin,
        tuple(tokens),
        tuple(product_id for product_id, _ in ids),
        tuple(variant_id for _, variant_id in ids),
        flash_id,
        order_template(),
    )


# -- checks ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Placed:
    order_id: int
    status: str
    variant_id: int | None
    quantity: int
    created_at: datetime


class Ledger:
    """Reads what the run left in the database and in Redis."""

    def __init__(self, engine: AsyncEngine, redis: Redis | None) -> None:
        self.engine = engine
        self.redis = redis

    async def stock(self, variant_ids: Iterable[int]) -> dict[int, int]:
        ids = list(variant_ids)
        async with self.engine.connect() as connection:
            rows = await connection.execute(
                select(ProductVariant.id, ProductVariant.stock).where(ProductVariant.id.in_(ids))
            )
            return {row[0]: row[1] for row in rows}

    async def redis_stock(self, variant_ids: Iterable[int]) -> dict[int, int | None]:
        if self.redis is None:
            return {}
        ids = list(variant_ids)
        async with self.redis.pipeline(transaction=False) as pipe:
            for variant_id in ids:
                pipe.get(stock_key(variant_id))
            values = await pipe.execute()
        return {i: int(v) if v is not None else None for i, v in zip(ids, values, strict=True)}

    async def placed_since(self, start: datetime) -> list[Placed]:
        async with self.engine.connect() as connection:
            rows = await connection.execute(
                select(
                    Order.id,
                    Order.status,
                    OrderItem.variant_id,
                    OrderItem.quantity,
                    Order.created_at,
                )
                .join(OrderItem, OrderItem.order_id == Order.id)
                .where(Order.created_at >= start)
            )
            return [Placed(*row) for row in rows]

    async def analyze(self) -> None:
        """Give the planner statistics of what seeding wrote, as after any bulk load, so that
        autovacuum does not gather them in the middle of a measurement (PostgreSQL)."""
        if self.engine.dialect.name != "postgresql":
            return
        async with self.engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("VACUUM ANALYZE"))

    async def settle(self) -> None:
        """Wait until no order is being written: answers still in flight when a load
        stops (their requests queued in the server) land after it. Settled is no claimed
        Idempotency-Key without its answer, and the count of orders still for 1.5 s."""
        last, still = -1, 0
        for _ in range(240):
            async with self.engine.connect() as connection:
                count = int(await connection.scalar(select(func.count(Order.id))) or 0)
                running = await connection.scalar(
                    select(func.count(IdempotencyRecord.id)).where(
                        IdempotencyRecord.status_code.is_(None)
                    )
                )
            still = still + 1 if count == last and not running else 0
            if still >= SETTLED_POLLS:
                return
            last = count
            await asyncio.sleep(0.5)


def check_orders(
    *,
    created: Sequence[int],
    placed: Sequence[Placed],
    before: Mapping[int, int],
    after: Mapping[int, int],
    redis_after: Mapping[int, int | None],
    in_flight: int,
) -> list[str]:
    """Every 201 is an order in the database, and the stock that left each variant is what
    its orders hold, in the database and in Redis alike."""
    problems: list[str] = []
    orders = {row.order_id for row in placed}
    missing = set(created) - orders
    if missing:
        problems.append(f"{len(missing)} answered orders are not in the database")
    if len(orders) > len(set(created)) + in_flight:
        problems.append(f"{len(orders) - len(set(created))} orders in the database nobody got")
    taken: dict[int, int] = {}
    for row in placed:
        if row.variant_id is not None:
            taken[row.variant_id] = taken.get(row.variant_id, 0) + row.quantity
    for variant_id, units in sorted(taken.items()):
        if variant_id not in before:
            continue
        moved = before[variant_id] - after[variant_id]
        if moved != units:
            problems.append(f"variant {variant_id}: stock moved by {moved}, orders hold {units}")
    for variant_id, count in redis_after.items():
        if count is not None and count != after[variant_id]:
            problems.append(
                f"variant {variant_id}: Redis counts {count}, the database {after[variant_id]}"
            )
    return problems

// Drives a generated shop client through a purchase, as a front end would, under Node.
//
//   node purchase.mjs config.json
//
// config: { clientDir, target: "fetch" | "miniprogram", baseUrl, backend: "mock" | "served",
//           login?: {email, password}, productId?, expiredAccessToken? }
// The mini-program client runs on a fake `wx` whose `request` goes over real HTTP (Node's
// fetch) and whose `login` hands out codes; the web client runs on Node's fetch. Every request
// is recorded, and faults (a 503 with Retry-After) can be queued in front of the server.
// Prints one JSON line of what happened; any failed check exits non-zero.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const config = JSON.parse(readFileSync(process.argv[2], "utf-8"));
const api = await import(pathToFileURL(join(config.clientDir, "index.js")).href);

const sent = [];
const faults = [];
const slept = [];
let codes = 0;

function takeFault(url) {
  const index = faults.findIndex((fault) => url.includes(fault.path));
  return index >= 0 ? faults.splice(index, 1)[0] : undefined;
}

async function recordedFetch(url, init) {
  sent.push({ method: init.method, url, headers: { ...init.headers } });
  const fault = takeFault(url);
  if (fault) {
    return new Response(JSON.stringify(fault.body), { status: fault.status, headers: fault.headers });
  }
  return fetch(url, init);
}

function fakeWx() {
  const storage = new Map();
  return {
    request(options) {
      recordedFetch(options.url, { method: options.method, headers: options.header, body: options.data })
        .then(async (response) => {
          const header = {};
          response.headers.forEach((value, name) => {
            header[name.replace(/(^|-)([a-z])/g, (m) => m.toUpperCase())] = value;
          });
          const text = await response.text();
          const data = options.dataType === "json" ? JSON.parse(text) : text;
          options.success({ statusCode: response.status, header, data });
        })
        .catch((error) => options.fail({ errMsg: "request:fail " + error.message }));
    },
    login(options) {
      codes += 1;
      setTimeout(() => options.success({ code: `client-e2e-code-${codes}` }), 0);
    },
    getStorageSync(key) {
      return storage.has(key) ? JSON.parse(storage.get(key)) : "";
    },
    setStorageSync(key, value) {
      storage.set(key, JSON.stringify(value));
    },
    removeStorageSync(key) {
      storage.delete(key);
    },
  };
}

const wx = config.target === "miniprogram" ? fakeWx() : undefined;
let authRequired = 0;
const shop = api.createShopClient({
  baseUrl: config.baseUrl,
  ...(wx ? { wx } : { fetch: recordedFetch }),
  retry: { attempts: 2, maxDelayMs: 6000 },
  sleep: async (ms) => {
    slept.push(ms);
  },
  onAuthRequired: () => {
    authRequired += 1;
  },
});

const calls = (operationPath, method) =>
  sent.filter((r) => r.method === method && new URL(r.url).pathname === operationPath);

// 1. Sign in: WeChat login in the mini-program, email and password on the web.
if (wx) {
  const pair = await shop.loginWithWechat();
  assert.equal(typeof pair.access_token, "string");
  assert.deepEqual(await shop.tokens.get(), pair, "the session is kept in wx storage");
} else {
  await shop.createToken({ body: config.login });
}
const me = await shop.getCurrentUser();
assert.equal(typeof me.id, "number");

// 2. The catalogue.
const page = await shop.listProducts({ query: { page: 1, limit: 50 } });
assert.ok(page.total >= 1 && page.items.length >= 1, "the catalogue is not empty");
const product = config.productId
  ? page.items.find((p) => p.id === config.productId)
  : page.items.find((p) => p.stock >= 2 && p.status === "active");
assert.ok(product, "a product to buy");

// 3. A 503 with Retry-After: waited for, then retried; one that asks too long fails at once.
faults.push({
  path: `/products/${product.id}`,
  status: 503,
  headers: { "Content-Type": "application/json", "Retry-After": "1" },
  body: { code: 50301, data: null, msg: "Stock backend unavailable" },
});
const fresh = await shop.getProduct({ path: { product_id: product.id } });
assert.equal(fresh.id, product.id);
assert.deepEqual(slept, [1000], "waited Retry-After seconds once");
for (let i = 0; i < 3; i += 1) {
  faults.push({
    path: `/products/${product.id}`,
    status: 429,
    headers: { "Content-Type": "application/json", "Retry-After": "2" },
    body: { code: 42901, data: null, msg: "Too many requests" },
  });
}
const limited = await shop.getProduct({ path: { product_id: product.id } }).then(
  () => assert.fail("a 429 past the retries must fail"),
  (error) => error,
);
assert.ok(limited instanceof api.ShopApiError);
assert.equal(limited.status, 429);
assert.equal(limited.code, 42901);
assert.equal(limited.retryAfter, 2);
assert.deepEqual(slept, [1000, 2000, 2000], "two retries, then the error");
faults.length = 0;

// 4. An order: the client makes up an Idempotency-Key; sending it again replays the order.
const lines = { items: [{ product_id: product.id, quantity: 2 }] };
const order = await shop.createOrder({ body: lines });
assert.equal(order.status, "pending_payment");
assert.equal(order.total_cents, 2 * product.price_cents);
const orderRequest = calls("/api/v1/orders", "POST").at(-1);
const key = orderRequest.headers["Idempotency-Key"];
assert.match(key, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
const replayed = await shop.createOrder({ body: lines, header: { "Idempotency-Key": key } });
assert.equal(replayed.id, order.id, "the same key gives the same order");
const other = await shop.createOrder({ body: { items: [{ product_id: product.id, quantity: 1 }] } });
assert.notEqual(other.id, order.id);
assert.notEqual(calls("/api/v1/orders", "POST").at(-1).headers["Idempotency-Key"], key);

// 5. Pay through the mock channel; the order turns paid.
const payment = await shop.createPayment({ body: { order_id: order.id, channel: "mock" } });
assert.equal(payment.order_id, order.id);
assert.equal(payment.amount_cents, order.total_cents);
let paid = await shop.getOrder({ path: { order_id: order.id } });
for (const deadline = Date.now() + 10000; paid.status !== "paid" && Date.now() < deadline; ) {
  await new Promise((resolve) => setTimeout(resolve, 50));
  paid = await shop.getOrder({ path: { order_id: order.id } });
}
assert.equal(paid.status, "paid");
assert.ok(paid.paid_at);

// 6. Errors arrive typed.
const missing = await shop.getOrder({ path: { order_id: 987654321 } }).then(
  () => assert.fail("an unknown order must fail"),
  (error) => error,
);
assert.ok(missing instanceof api.ShopApiError);
assert.deepEqual([missing.status, missing.code], [404, 40401]);

// 7. The access token expires: three calls at once, one refresh, all three answered.
const before = await shop.tokens.get();
if (config.expiredAccessToken) {
  await shop.tokens.set({ ...before, access_token: config.expiredAccessToken });
} else {
  const lifetime = before.expires_in * 1000;
  await new Promise((resolve) => setTimeout(resolve, lifetime + 150));
}
const refreshesBefore = calls("/api/v1/auth/tokens/refresh", "POST").length;
const expiredSent = sent.length;
const [a, b, c] = await Promise.all([
  shop.getCurrentUser(),
  shop.getOrder({ path: { order_id: order.id } }),
  shop.listOrders(),
]);
assert.equal(a.id, me.id);
assert.equal(b.id, order.id);
assert.ok(c.items.some((o) => o.id === order.id));
const refreshes = calls("/api/v1/auth/tokens/refresh", "POST").length - refreshesBefore;
assert.equal(refreshes, 1, "concurrent callers share one refresh");
const after = await shop.tokens.get();
assert.notEqual(after.access_token, before.access_token);
assert.notEqual(after.refresh_token, before.refresh_token);
const rejected = sent.slice(expiredSent).filter((r) => r.headers.Authorization === `Bearer ${config.expiredAccessToken || before.access_token}`);
assert.ok(rejected.length >= 1, "the old token was tried first");

// 8. A refresh token that no longer works: the session ends, the app is told once.
await shop.tokens.set({ ...after, access_token: config.expiredAccessToken || before.access_token, refresh_token: before.refresh_token });
const ended = await shop.getCurrentUser().then(
  () => assert.fail("a spent refresh token must end the session"),
  (error) => error,
);
assert.ok(ended instanceof api.ShopApiError && ended.status === 401);
assert.equal(authRequired, 1);
assert.equal(await shop.tokens.get(), null, "the spent session is forgotten");

console.log(
  JSON.stringify({
    target: config.target,
    orderId: order.id,
    paymentId: payment.id,
    idempotencyKey: key,
    refreshes,
    requests: sent.length,
  }),
);

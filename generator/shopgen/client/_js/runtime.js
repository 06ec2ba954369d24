// The request pipeline every generated shop client shares: envelope, tokens, retries.
// Plain ES2017 with no dependencies, so it runs in WeChat mini-programs, browsers and Node.

/** @typedef {import("./runtime.js").TokenPair} TokenPair */
/** @typedef {import("./runtime.js").TokenStore} TokenStore */
/** @typedef {import("./runtime.js").OperationSpec} OperationSpec */
/** @typedef {import("./runtime.js").RequestArgs} RequestArgs */
/** @typedef {import("./runtime.js").RequestOptions} RequestOptions */
/** @typedef {import("./runtime.js").CoreOptions} CoreOptions */
/** @typedef {import("./runtime.js").TransportResponse} TransportResponse */

const TOKEN_EXPIRED = 40102;
const RETRIED_STATUSES = [429, 503];

export class ShopApiError extends Error {
  /**
   * @param {{code: number, msg: string, status: number, data?: unknown, operationId: string,
   *          retryAfter?: number}} init
   */
  constructor(init) {
    super(init.operationId + ": " + init.msg + " (" + init.status + ", code " + init.code + ")");
    this.name = "ShopApiError";
    this.code = init.code;
    this.msg = init.msg;
    this.status = init.status;
    this.data = init.data === undefined ? null : init.data;
    this.operationId = init.operationId;
    this.retryAfter = init.retryAfter;
  }
}

/**
 * Tokens kept for as long as the page or process lives.
 * @param {TokenPair | null} [initial]
 * @returns {TokenStore}
 */
export function memoryTokenStore(initial) {
  /** @type {TokenPair | null} */
  let pair = initial || null;
  return {
    get() {
      return pair;
    },
    set(next) {
      pair = next;
    },
  };
}

/** A UUID v4, from the platform's crypto where there is one. */
export function newIdempotencyKey() {
  /** @type {{randomUUID?: () => string, getRandomValues?: (array: Uint8Array) => Uint8Array}} */
  const crypto = typeof globalThis !== "undefined" && globalThis.crypto ? globalThis.crypto : {};
  if (typeof crypto.randomUUID === "function") {
    return crypto.randomUUID();
  }
  const bytes = new Uint8Array(16);
  if (typeof crypto.getRandomValues === "function") {
    crypto.getRandomValues(bytes);
  } else {
    // Mini-program engines have no crypto; keys need to be unique, not secret.
    for (let i = 0; i < 16; i += 1) {
      bytes[i] = Math.floor(Math.random() * 256) ^ ((Date.now() >> (i % 8)) & 0xff);
    }
  }
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.prototype.map.call(bytes, (/** @type {number} */ b) => (b + 0x100).toString(16).slice(1)).join("");
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
}

/**
 * @param {number} ms
 * @returns {Promise<void>}
 */
function wait(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * @param {string} baseUrl
 * @param {string} template
 * @param {Record<string, unknown> | undefined} path
 * @param {Record<string, unknown> | undefined} query
 */
function buildUrl(baseUrl, template, path, query) {
  const filled = template.replace(/\{([^}]+)\}/g, (_, /** @type {string} */ name) => {
    const value = path ? path[name] : undefined;
    if (value === undefined || value === null) {
      throw new TypeError("missing path parameter `" + name + "` for " + template);
    }
    return encodeURIComponent(String(value));
  });
  /** @type {string[]} */
  const pairs = [];
  Object.keys(query || {}).forEach((name) => {
    const value = /** @type {Record<string, unknown>} */ (query)[name];
    const values = Array.isArray(value) ? value : [value];
    values.forEach((item) => {
      if (item !== undefined && item !== null) {
        pairs.push(encodeURIComponent(name) + "=" + encodeURIComponent(String(item)));
      }
    });
  });
  return baseUrl.replace(/\/+$/, "") + filled + (pairs.length ? "?" + pairs.join("&") : "");
}

/**
 * Seconds from a `Retry-After` header (delta-seconds or an HTTP date), if any.
 * @param {string | undefined} header
 * @returns {number | undefined}
 */
function retryAfterSeconds(header) {
  if (header === undefined || header === "") {
    return undefined;
  }
  if (/^\s*\d+\s*$/.test(header)) {
    return Number(header);
  }
  const when = Date.parse(header);
  return Number.isNaN(when) ? undefined : Math.max(0, Math.ceil((when - Date.now()) / 1000));
}

/**
 * @param {TransportResponse} response
 * @returns {unknown}
 */
function parseBody(response) {
  if (!response.body) {
    return undefined;
  }
  try {
    return JSON.parse(response.body);
  } catch (error) {
    return response.body;
  }
}

/**
 * @param {unknown} body
 * @returns {body is {code: number, data: unknown, msg: string}}
 */
function isEnvelope(body) {
  return (
    typeof body === "object" &&
    body !== null &&
    typeof (/** @type {{code?: unknown}} */ (body).code) === "number" &&
    "data" in body &&
    typeof (/** @type {{msg?: unknown}} */ (body).msg) === "string"
  );
}

/**
 * @param {unknown} data
 * @returns {data is TokenPair}
 */
function isTokenPair(data) {
  return (
    typeof data === "object" &&
    data !== null &&
    typeof (/** @type {{access_token?: unknown}} */ (data).access_token) === "string" &&
    typeof (/** @type {{refresh_token?: unknown}} */ (data).refresh_token) === "string"
  );
}

/**
 * @param {CoreOptions} options
 */
export function createCore(options) {
  const tokens = options.tokens || memoryTokenStore();
  const retry = options.retry || {};
  const attempts = retry.attempts === undefined ? 2 : retry.attempts;
  const maxDelayMs = retry.maxDelayMs === undefined ? 10000 : retry.maxDelayMs;
  const sleep = options.sleep || wait;
  /** @type {Promise<TokenPair> | null} */
  let refreshing = null;

  /**
   * One refresh at a time: every caller that meets an expired token waits on the same one.
   * @param {ShopApiError} cause
   * @returns {Promise<TokenPair>}
   */
  function refreshOnce(cause) {
    if (refreshing === null) {
      refreshing = (async () => {
        const spec = options.refresh;
        const pair = await tokens.get();
        if (!spec || !pair) {
          throw cause;
        }
        try {
          const fresh = await send(spec, { body: { refresh_token: pair.refresh_token } }, {});
          if (!isTokenPair(fresh)) {
            throw cause;
          }
          return fresh;
        } catch (error) {
          await tokens.set(null);
          if (options.onAuthRequired) {
            await options.onAuthRequired(error instanceof ShopApiError ? error : cause);
          }
          throw error;
        }
      })();
      refreshing.then(
        () => {
          refreshing = null;
        },
        () => {
          refreshing = null;
        },
      );
    }
    return refreshing;
  }

  /**
   * @param {OperationSpec} spec
   * @param {RequestArgs} args
   * @param {RequestOptions} callOptions
   * @returns {Promise<unknown>}
   */
  async function send(spec, args, callOptions) {
    /** @type {Record<string, string>} */
    const headers = { Accept: "application/json" };
    Object.assign(headers, options.headers || {});
    const given = args.header || {};
    Object.keys(given).forEach((name) => {
      if (given[name] !== undefined && given[name] !== null) {
        headers[name] = String(given[name]);
      }
    });
    Object.assign(headers, callOptions.headers || {});
    if (spec.idempotencyHeader && headers[spec.idempotencyHeader] === undefined) {
      // One key per call, kept across its retries: a retry is the same order, not a new one.
      headers[spec.idempotencyHeader] = newIdempotencyKey();
    }
    /** @type {string | undefined} */
    let body;
    if (args.body !== undefined) {
      body = JSON.stringify(args.body);
      headers["Content-Type"] = "application/json";
    }
    const url = buildUrl(options.baseUrl, spec.path, args.path, args.query);
    const timeoutMs = callOptions.timeoutMs || options.timeoutMs;
    let refreshed = false;
    let retried = 0;
    for (;;) {
      /** @type {string | undefined} */
      let sentToken;
      if (spec.secured) {
        const pair = await tokens.get();
        if (pair) {
          sentToken = pair.access_token;
          headers.Authorization = "Bearer " + sentToken;
        }
      }
      /** @type {TransportResponse} */
      let response;
      try {
        response = await options.transport({ method: spec.method, url, headers, body, timeoutMs });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new ShopApiError({ code: 0, msg: reason, status: 0, operationId: spec.operationId });
      }
      const parsed = parseBody(response);
      const ok = response.status >= 200 && response.status < 300;
      if (ok && (!isEnvelope(parsed) || parsed.code === 0)) {
        const data = isEnvelope(parsed) ? parsed.data : parsed;
        if (spec.issuesTokens && isTokenPair(data)) {
          await tokens.set(data);
        }
        return data;
      }
      const retryAfter = retryAfterSeconds(response.headers["retry-after"]);
      const error = isEnvelope(parsed)
        ? new ShopApiError({
            code: parsed.code,
            msg: parsed.msg,
            status: response.status,
            data: parsed.data,
            operationId: spec.operationId,
            retryAfter,
          })
        : new ShopApiError({
            code: response.status * 100 + 1,
            msg: typeof parsed === "string" && parsed ? parsed : "HTTP " + response.status,
            status: response.status,
            data: parsed === undefined ? null : parsed,
            operationId: spec.operationId,
            retryAfter,
          });
      if (spec.secured && error.status === 401 && error.code === TOKEN_EXPIRED && !refreshed) {
        refreshed = true;
        const current = await tokens.get();
        if (!current || current.access_token === sentToken) {
          await refreshOnce(error);
        }
        continue; // another caller may have refreshed while this one was on the wire
      }
      if (
        RETRIED_STATUSES.indexOf(error.status) >= 0 &&
        retryAfter !== undefined &&
        retryAfter * 1000 <= maxDelayMs &&
        retried < attempts
      ) {
        retried += 1;
        await sleep(retryAfter * 1000);
        continue;
      }
      throw error;
    }
  }

  return {
    tokens,
    /**
     * @template T
     * @param {OperationSpec} spec
     * @param {RequestArgs} [args]
     * @param {RequestOptions} [callOptions]
     * @returns {Promise<T>}
     */
    call(spec, args, callOptions) {
      // The generated client's declarations say what `data` each operation resolves to.
      return /** @type {Promise<T>} */ (send(spec, args || {}, callOptions || {}));
    },
  };
}

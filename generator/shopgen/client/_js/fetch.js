// The web and H5 transport: `fetch`, available in browsers and Node 18+.

/** @typedef {import("./runtime.js").Transport} Transport */

/**
 * @param {typeof fetch} [fetchImpl] another `fetch` (tests, or a polyfill)
 * @returns {Transport}
 */
export function fetchTransport(fetchImpl) {
  const send = fetchImpl || globalThis.fetch.bind(globalThis);
  return async (request) => {
    const controller = typeof AbortController === "function" ? new AbortController() : undefined;
    const timer =
      controller && request.timeoutMs ? setTimeout(() => controller.abort(), request.timeoutMs) : undefined;
    try {
      const response = await send(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: controller ? controller.signal : undefined,
      });
      /** @type {Record<string, string>} */
      const headers = {};
      response.headers.forEach((value, name) => {
        headers[name.toLowerCase()] = value;
      });
      return { status: response.status, headers, body: await response.text() };
    } finally {
      if (timer !== undefined) {
        clearTimeout(timer);
      }
    }
  };
}

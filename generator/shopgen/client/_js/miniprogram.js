// The WeChat mini-program transport: `wx.request`, and tokens kept in `wx` storage.

/** @typedef {import("./runtime.js").Transport} Transport */
/** @typedef {import("./runtime.js").TokenStore} TokenStore */
/** @typedef {import("./runtime.js").TokenPair} TokenPair */
/** @typedef {import("./miniprogram.js").WxLike} WxLike */

/**
 * @param {WxLike} [wxObject]
 * @returns {WxLike}
 */
function resolveWx(wxObject) {
  if (wxObject) {
    return wxObject;
  }
  /** @type {{wx?: WxLike}} */
  const scope = /** @type {{wx?: WxLike}} */ (/** @type {unknown} */ (globalThis));
  if (!scope.wx) {
    throw new Error("no `wx` object: pass one, or use the fetch client outside a mini-program");
  }
  return scope.wx;
}

/**
 * @param {WxLike} [wxObject]
 * @returns {Transport}
 */
export function wxTransport(wxObject) {
  return (request) =>
    new Promise((resolve, reject) => {
      resolveWx(wxObject).request({
        url: request.url,
        method: request.method,
        header: request.headers,
        data: request.body,
        // Read the body as text: the client parses it, envelope or not.
        dataType: "text",
        responseType: "text",
        timeout: request.timeoutMs,
        success(result) {
          /** @type {Record<string, string>} */
          const headers = {};
          Object.keys(result.header || {}).forEach((name) => {
            headers[name.toLowerCase()] = String(result.header[name]);
          });
          const body = typeof result.data === "string" ? result.data : JSON.stringify(result.data);
          resolve({ status: result.statusCode, headers, body });
        },
        fail(error) {
          reject(new Error(error.errMsg));
        },
      });
    });
}

/**
 * @param {string} [key]
 * @param {WxLike} [wxObject]
 * @returns {TokenStore}
 */
export function wxStorageTokenStore(key, wxObject) {
  const name = key || "shop.tokens";
  return {
    get() {
      const stored = resolveWx(wxObject).getStorageSync(name);
      return stored && typeof stored === "object" ? /** @type {TokenPair} */ (stored) : null;
    },
    set(pair) {
      if (pair) {
        resolveWx(wxObject).setStorageSync(name, pair);
      } else {
        resolveWx(wxObject).removeStorageSync(name);
      }
    },
  };
}

/**
 * @param {WxLike} [wxObject]
 * @returns {Promise<string>}
 */
export function wxLoginCode(wxObject) {
  return new Promise((resolve, reject) => {
    resolveWx(wxObject).login({
      success(result) {
        resolve(result.code);
      },
      fail(error) {
        reject(new Error(error.errMsg));
      },
    });
  });
}

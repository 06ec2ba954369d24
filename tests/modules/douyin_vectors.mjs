// Known answers for Douyin Shop signing, computed apart from the service's Python code, from
// the formula alone (see template/modules/douyin/.../tests/douyin/signing_vectors.json):
//   P = secret + "app_key" + app_key + "method" + method + "param_json" + param_json
//       + "timestamp" + timestamp + "v2" + secret
//   hmac-sha256 = hex(HMAC-SHA256(secret, P)); md5 = hex(MD5(P)); a push signs
//   app_key + body + secret the same two ways.
// param_json: keys sorted at every level, no whitespace; raw UTF-8, or \uXXXX when ascii.
// Reads the vectors' inputs as JSON on stdin, writes them back with param_json and sign.
import { createHash, createHmac } from "node:crypto";
import { readFileSync } from "node:fs";

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys(value[key]);
    return out;
  }
  return value;
}

function paramJson(params, ascii) {
  const text = JSON.stringify(sortKeys(params));
  if (!ascii) return text;
  return text.replace(/[\u0080-\uffff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

function digest(how, secret, bytes) {
  return how === "md5"
    ? createHash("md5").update(bytes).digest("hex")
    : createHmac("sha256", secret).update(bytes).digest("hex");
}

const input = JSON.parse(readFileSync(0, "utf8"));
const requests = input.requests.map((v) => {
  const pj = paramJson(v.params, v.ascii);
  const p = v.app_secret + "app_key" + v.app_key + "method" + v.method + "param_json" + pj +
    "timestamp" + v.timestamp + "v2" + v.app_secret;
  return { ...v, param_json: pj, sign: digest(v.sign_method, v.app_secret, Buffer.from(p, "utf8")) };
});
const pushes = input.pushes.map((v) => {
  const bytes = Buffer.concat([Buffer.from(v.app_key), Buffer.from(v.body, "utf8"), Buffer.from(v.app_secret)]);
  return { ...v, sign: digest(v.sign_method, v.app_secret, bytes) };
});
process.stdout.write(JSON.stringify({ requests, pushes }));

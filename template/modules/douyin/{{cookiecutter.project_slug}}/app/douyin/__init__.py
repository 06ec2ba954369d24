"""Selling on Douyin Shop (抖店): a signed open-platform client, a token manager per shop,
incremental order and product sync, and the message-push endpoint.

Douyin's own documents (op.jinritemai.com guide-docs 10/813, 9/21, 9/22) could not be read
when this was written. What each part follows:

- Gateway and request shape (`gateway.py`): `POST {base}/a/b` for method `a.b`, query
  `app_key method access_token timestamp v=2 sign_method sign`, `param_json` as the body.
  Follows independent SDKs (the `doudian` PyPI package and two other public clients), which
  agree with each other and with the shared protocol notes.
- Signature (`signing.py`): `secret + "app_key" ... + "v2" + secret`, HMAC-SHA256 keyed with
  the secret or MD5. Follows the SDKs; `tests/douyin/signing_vectors.json` holds known
  answers computed by a separate implementation straight from that formula and checked
  against the `doudian` package's own signing code.
- `param_json` (`signing.py`): keys sorted at every level, no whitespace, as the SDKs do.
  Whether Douyin wants `\\uXXXX` escapes or raw UTF-8 is open, so the client signs exactly
  the bytes it sends; `DOUYIN_ASCII_PARAM_JSON` chooses.
- Timestamp (`gateway.py`): `YYYY-MM-DD HH:MM:SS`, Beijing time, as two SDKs send it (a
  third sends Unix seconds); the string signed is the string sent.
- Answers and errors (`errors.py`): `code` 10000 (or `err_no` 0 in the older envelope) means
  success; `sub_code` and the code table map to exceptions. From SDKs and public examples;
  unverified.
- Tokens (`client.py`, `tokens.py`): `token.create` with `authorization_self` + `shop_id` or
  `authorization_code` + `code`, `token.refresh`, `expires_in` in seconds: from the SDKs. The
  refresh token's 14 days and refreshing in the access token's last hour come from the
  shared protocol notes; unverified.
- Orders and products (`client.py`, `mirror.py`): `order.searchList`, `order.orderDetail`,
  `product.listV2`, `sku.list`, their fields and order statuses: from public clients;
  unverified.
- Message push (`push.py`): headers `app-id` and `event-sign` = MD5(app key + body + secret)
  follow the `doudian` package; the HMAC-SHA256 variant (`sign-method: hmac-sha256`) and the
  `{"code": 0, "msg": "success"}` acknowledgement are unverified.

Everything unverified is pinned by the fake gateway in `tests/douyin/`: check it against a
sandbox shop (`DOUYIN_API_BASE=https://openapi-sandbox.jinritemai.com`) before going live.
"""

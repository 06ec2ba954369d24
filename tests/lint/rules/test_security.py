"""Edge cases of the security rules: public on purpose, credentials in URLs, loopback servers."""

# ruff: noqa: E501  (tables of inline YAML read best one case per line)

from __future__ import annotations

import pytest
import yaml

from shopgen.contract import Contract
from shopgen.lint import get_rule

POST = "/paths/~1api~1v1~1orders/post"


def check(rule_id: str, text: str) -> list[tuple[str, str]]:
    rule = get_rule(rule_id)
    assert rule is not None
    document = {"openapi": "3.1.0", "info": {"title": "Shop", "version": "1"}, "paths": {}}
    document.update(yaml.safe_load(text))
    return [(p.pointer, p.message) for p in rule.check(Contract.from_document(document))]


SCHEMES = "components: {securitySchemes: {bearerAuth: {type: http, scheme: bearer}}}"

WRITES = [
    (
        "root security applies",
        f"security: [{{bearerAuth: []}}]\n{SCHEMES}\npaths: {{/api/v1/orders: {{post: {{responses: {{}}}}}}}}",
        [],
    ),
    (
        "explicitly public",
        f"{SCHEMES}\npaths: {{/api/v1/orders: {{post: {{security: [], responses: {{}}}}}}}}",
        [],
    ),
    (
        "no security anywhere",
        f"{SCHEMES}\npaths: {{/api/v1/orders: {{post: {{responses: {{}}}}}}}}",
        [POST],
    ),
    (
        "optional auth is not secured",
        f"{SCHEMES}\npaths: {{/api/v1/orders: {{post: {{security: [{{}}, {{bearerAuth: []}}], responses: {{}}}}}}}}",
        [POST],
    ),
    (
        "reads need nothing",
        f"{SCHEMES}\npaths: {{/api/v1/orders: {{get: {{responses: {{}}}}}}}}",
        [],
    ),
    (
        "undeclared scheme",
        f"security: [{{bearer: []}}]\n{SCHEMES}\npaths: {{}}",
        ["/security/0/bearer"],
    ),
    (
        "undeclared scheme on an operation",
        f"{SCHEMES}\npaths: {{/api/v1/orders: {{post: {{security: [{{oauth: [write]}}], responses: {{}}}}}}}}",
        [f"{POST}/security/0/oauth"],
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in WRITES], ids=[c[0] for c in WRITES])
def test_writes_secured(text: str, expected: list[str]) -> None:
    assert [pointer for pointer, _ in check("writes-secured", text)] == expected


def query(name: str) -> str:
    return f"paths: {{/api/v1/orders: {{get: {{parameters: [{{name: {name}, in: query}}], responses: {{}}}}}}}}"


GET_PARAM = "/paths/~1api~1v1~1orders/get/parameters/0"
CREDENTIALS = [
    ("access_token", query("access_token"), [GET_PARAM]),
    ("camelCase accessToken", query("accessToken"), [GET_PARAM]),
    ("api-key", query("api-key"), [GET_PARAM]),
    ("SIG upper case", query("SIG"), [GET_PARAM]),
    ("keyword is fine", query("keyword"), []),
    (
        "token in a header is fine",
        "paths: {/api/v1/orders: {get: {parameters: [{name: token, in: header}], responses: {}}}}",
        [],
    ),
    (
        "apiKey scheme in query",
        "components: {securitySchemes: {key: {type: apiKey, in: query, name: key}}}",
        ["/components/securitySchemes/key/in"],
    ),
    (
        "apiKey scheme in header",
        "components: {securitySchemes: {key: {type: apiKey, in: header, name: X-Key}}}",
        [],
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in CREDENTIALS], ids=[c[0] for c in CREDENTIALS]
)
def test_no_credentials_in_query(text: str, expected: list[str]) -> None:
    assert [pointer for pointer, _ in check("no-credentials-in-query", text)] == expected


def test_path_level_parameter_is_reported_once() -> None:
    text = "paths: {/api/v1/orders: {parameters: [{name: token, in: query}], get: {responses: {}}, post: {responses: {}}}}"
    assert check("no-credentials-in-query", text) == [
        (
            "/paths/~1api~1v1~1orders/parameters/0",
            "query parameter `token` carries a credential; URLs are logged: send it in a header or the body",
        )
    ]


SERVERS = [
    ("https", "servers: [{url: 'https://api.example-shop.com'}]", []),
    ("localhost http", "servers: [{url: 'http://localhost:8000'}]", []),
    ("127.0.0.1 http", "servers: [{url: 'http://127.0.0.1:8000/api'}]", []),
    ("ipv6 loopback http", "servers: [{url: 'http://[::1]:8000'}]", []),
    ("relative", "servers: [{url: /}]", []),
    ("plain http", "servers: [{url: 'http://api.example-shop.com'}]", ["/servers/0/url"]),
    ("0.0.0.0 is not loopback", "servers: [{url: 'http://0.0.0.0:8000'}]", ["/servers/0/url"]),
    (
        "variable default",
        "servers: [{url: '{scheme}://api.example-shop.com', variables: {scheme: {default: https}}}]",
        [],
    ),
    (
        "variable enum allows http",
        "servers: [{url: '{scheme}://api.example-shop.com', variables: {scheme: {default: https, enum: [https, http]}}}]",
        ["/servers/0/url"],
    ),
    ("no servers", "{}", [""]),
    (
        "operation servers",
        "servers: [{url: /}]\npaths: {/api/v1/orders: {get: {servers: [{url: 'http://x.example'}], responses: {}}}}",
        ["/paths/~1api~1v1~1orders/get/servers/0/url"],
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in SERVERS], ids=[c[0] for c in SERVERS]
)
def test_servers_https(text: str, expected: list[str]) -> None:
    assert [pointer for pointer, _ in check("servers-https", text)] == expected

"""House rules: authentication on writes, credentials out of URLs, TLS everywhere."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from shopgen.contract import Contract, Parameter, join_pointer

from .._rule import Problem, rule
from ._descriptions import described

__all__ = ["RULES"]

WRITE_METHODS = ("post", "put", "patch", "delete")


@rule(
    "writes-secured",
    default="error",
    good="""
    paths:
      /api/v1/users:
        post:
          operationId: registerUser
          summary: Register a customer
          tags: [products]
          security: []
          responses:
            '201':
              description: Registered.
    """,
    bad="""
    security: []
    """,
    at="/paths/~1api~1v1~1products/post",
)
def writes_secured(contract: Contract) -> Iterator[Problem]:
    """A write needs authentication unless it says `security: []`; schemes must exist.

    A POST, PUT, PATCH or DELETE that is open by accident lets anyone create orders or change
    prices. The security in force is the operation's own, else the root's; it must hold at
    least one non-empty requirement and no empty `{}` alternative (which makes
    authentication optional). An operation that is public on purpose (registration, sign-in,
    a provider's signed callback) writes `security: []` on itself, so the decision is
    visible where it is made. Every requirement, at the root or on any operation, must name
    schemes declared in `components.securitySchemes`: a misspelt scheme leaves generated
    code with nothing to check.
    """
    schemes = contract.components("securitySchemes")
    for op in contract.operations:
        if op.method in WRITE_METHODS and not op.is_explicitly_public and not op.is_secured:
            own = "security" in op.node
            yield Problem(
                op.pointer,
                f"`{op.method.upper()} {op.path.template}` is a write with "
                f"{'optional or empty' if own else 'no'} security; require a scheme, "
                "or write `security: []` on it to make it public on purpose",
            )
    holders: list[tuple[Any, str]] = [(contract.document.get("security"), "/security")]
    holders += [(op.node.get("security"), f"{op.pointer}/security") for op in contract.operations]
    for requirements, pointer in holders:
        if not isinstance(requirements, list):
            continue
        for index, requirement in enumerate(requirements):
            if not isinstance(requirement, dict):
                continue
            for name in requirement:
                if name not in schemes:
                    declared = "`, `".join(sorted(map(str, schemes))) or "none"
                    yield Problem(
                        f"{pointer}/{index}{join_pointer([str(name)])}",
                        f"security scheme `{name}` is not declared in "
                        f"`components.securitySchemes` (declared: `{declared}`)",
                    )


CREDENTIAL_NAMES = frozenset(
    {
        "token",
        "accesstoken",
        "refreshtoken",
        "apikey",
        "secret",
        "password",
        "passwd",
        "signature",
        "sig",
        "session",
        "sessionid",
    }
)
_SEPARATORS = re.compile(r"[-_.\s]")
AMBIGUOUS_NAMES = frozenset({"key"})
"""Names that are a credential only when nothing says otherwise: a cache key, an asset size."""
_CREDENTIAL_TEXT = re.compile(
    r"\b(?:api|auth\w*|credentials?|secrets?|tokens?|access|passwords?|private|sign(?:ed|ature)?)\b",
    re.IGNORECASE,
)


@rule(
    "no-credentials-in-query",
    default="error",
    good="""
    components:
      securitySchemes:
        apiKey: {type: apiKey, in: header, name: X-Api-Key}
    paths:
      /api/v1/products:
        get:
          security: [{apiKey: []}]
    """,
    bad="""
    components:
      parameters:
        page:
          name: access_token
          in: query
          schema: {type: string}
    """,
    at="/paths/~1api~1v1~1products/get/parameters/0",
)
def no_credentials_in_query(contract: Contract) -> Iterator[Problem]:
    """Tokens, keys, passwords and signatures never travel in the query string.

    URLs are written to access logs, proxy logs, browser history and `Referer` headers;
    a token in one outlives its session everywhere it was logged. A query parameter is a
    credential when its name, compared without case and without `-`, `_` or `.`, is token,
    access_token, refresh_token, api_key, apikey, key, secret, password, passwd, signature,
    sig, session or sessionid (so `accessToken` and `api-key` count too), or when its schema
    has `format: password`. A bare `key` names many things (a cache key, the key of an
    asset size), so it counts only when it has no description or its description speaks of
    an API, authentication, a credential, a secret, a token, access or a signature. An
    `apiKey` security scheme `in: query` is reported as well. Send credentials in the
    `Authorization` header (or a header of the scheme's own) or in the body.
    """
    reported: set[str] = set()
    for op in contract.operations:
        for param in op.parameters:
            if param.location != "query" or param.pointer in reported:
                continue
            if _is_credential(contract, param):
                reported.add(param.pointer)
                yield Problem(
                    param.pointer,
                    f"query parameter `{param.name}` carries a credential; URLs are logged: "
                    "send it in a header or the body",
                )
    for name, scheme in contract.components("securitySchemes").items():
        scheme = contract.deref(scheme)
        if isinstance(scheme, dict) and scheme.get("type") == "apiKey":
            if scheme.get("in") == "query":
                yield Problem(
                    join_pointer(["components", "securitySchemes", str(name), "in"]),
                    f"security scheme `{name}` takes its key `in: query`; URLs are logged: "
                    "use `in: header`",
                )


def _is_credential(contract: Contract, param: Parameter) -> bool:
    name = _SEPARATORS.sub("", param.name.lower())
    schema = contract.deref(param.schema)
    if name in CREDENTIAL_NAMES:
        return True
    if isinstance(schema, dict) and schema.get("format") == "password":
        return True
    if name not in AMBIGUOUS_NAMES:
        return False
    text = described(contract, param.node) + " " + described(contract, param.schema)
    return not text.strip() or bool(_CREDENTIAL_TEXT.search(text))


LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
_VARIABLE = re.compile(r"\{([^{}]+)\}")


@rule(
    "servers-https",
    default="warn",
    good="""
    servers:
      - url: https://api.example-shop.com
        description: Production
      - url: http://127.0.0.1:8000
        description: Local development
      - url: /
        description: The same origin
    """,
    bad="""
    servers:
      - url: http://api.example-shop.com
        description: Production
    """,
    at="/servers/0/url",
)
def servers_https(contract: Contract) -> Iterator[Problem]:
    """The contract declares its servers, and every absolute server URL is `https://`.

    Bearer tokens, addresses and payment parameters cross these URLs; plain HTTP hands them
    to every network in between, and WeChat Pay and app stores refuse it anyway. Without a
    `servers` list, generated clients and the docs' "try it" send requests to wherever the
    docs are hosted. Loopback hosts (`localhost`, `127.0.0.1`, `[::1]`) may use `http://`
    for local development; relative URLs inherit the scheme of the document. Server
    variables are replaced by their defaults, and by each of their `enum` values, before
    the URL is judged. Servers on path items and operations are checked too.
    """
    root = contract.document.get("servers")
    if not isinstance(root, list) or not root:
        yield Problem(
            "", "the contract has no `servers`; declare the `https://` production base URL"
        )
    holders: list[tuple[Any, str]] = [(root, "/servers")]
    holders += [(item.node.get("servers"), f"{item.pointer}/servers") for item in contract.paths]
    holders += [(op.node.get("servers"), f"{op.pointer}/servers") for op in contract.operations]
    for servers, pointer in holders:
        if not isinstance(servers, list):
            continue
        for index, server in enumerate(servers):
            if not isinstance(server, dict) or not isinstance(server.get("url"), str):
                continue
            for url in _expansions(server["url"], server.get("variables")):
                insecure = _insecure(url)
                if insecure:
                    yield Problem(
                        f"{pointer}/{index}/url",
                        f"server `{url}` uses `{insecure}://`; use `https://` "
                        "(plain `http://` only for localhost, 127.0.0.1 or [::1])",
                    )
                    break


def _expansions(url: str, variables: Any) -> list[str]:
    """The URL with each variable replaced by its default, then by each enum value."""
    if not isinstance(variables, dict) or not _VARIABLE.search(url):
        return [url]

    def values(name: str) -> list[str]:
        variable = variables.get(name)
        if not isinstance(variable, dict):
            return [""]
        found = [str(variable["default"])] if "default" in variable else []
        enum = variable.get("enum")
        if isinstance(enum, list):
            found += [str(v) for v in enum if str(v) not in found]
        return found or [""]

    expanded = [url]
    for name in dict.fromkeys(_VARIABLE.findall(url)):
        expanded = [
            candidate.replace("{" + name + "}", value)
            for candidate in expanded
            for value in values(name)
        ][:64]
    return expanded


def _insecure(url: str) -> str | None:
    """The scheme of an absolute non-https, non-loopback URL; None if the URL is fine."""
    try:
        parts = urlsplit(url)
    except ValueError:  # a malformed IPv6 host: oas-structure's concern, not this rule's
        return None
    if not parts.scheme or not parts.netloc:
        return None  # relative: the document's own origin
    scheme = parts.scheme.lower()
    if scheme in ("https", "wss"):
        return None
    if scheme in ("http", "ws") and (parts.hostname or "").lower() in LOOPBACK:
        return None
    return scheme


RULES = (writes_secured, no_credentials_in_query, servers_https)

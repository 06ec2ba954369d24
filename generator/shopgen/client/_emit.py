"""The files of a generated client: its operations, their types, and the shared runtime.

    schema.d.ts                 the contract's types (`_types`)
    client.js / client.d.ts     one function per operation, named by operationId
    runtime.js / .d.ts          envelope, tokens, refresh, retries (the same for every contract)
    miniprogram.js / fetch.js   the transport of the target, with its .d.ts
    index.js / index.d.ts       what an app imports
    package.json                `"type": "module"`, no dependencies
    tsconfig.json               `tsc -p DIR`: strict, the JavaScript checked through JSDoc

What the runtime needs to know about an operation is read from the contract by shape: bearer
security, a required `Idempotency-Key`-like header, a success `data` holding `access_token` and
`refresh_token` (kept as the session), a body with `refresh_token` (the refresh), a body with
`js_code` (WeChat login, for the mini-program's `loginWithWechat`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

from shopgen.contract import Contract, Operation

from ._types import TypeWriter, quote_key

__all__ = ["TARGETS", "Target", "client_file_names", "client_files"]

Target = Literal["miniprogram", "fetch"]
TARGETS: tuple[Target, ...] = ("miniprogram", "fetch")
_IDEMPOTENCY_HEADERS = ("idempotency-key", "x-idempotency-key")


@dataclass(frozen=True)
class _Spec:
    operation: Operation
    secured: bool
    idempotency_header: str | None
    issues_tokens: bool
    refreshes: bool
    wechat_login: bool
    data_type: str
    args_type: str
    args_required: bool


def client_file_names(target: Target) -> tuple[str, ...]:
    """The names of the files a client of `target` has, whatever the contract."""
    transport = "miniprogram" if target == "miniprogram" else "fetch"
    return tuple(
        sorted(
            (
                "schema.d.ts",
                "client.js",
                "client.d.ts",
                "index.js",
                "index.d.ts",
                "package.json",
                "tsconfig.json",
                "runtime.js",
                "runtime.d.ts",
                f"{transport}.js",
                f"{transport}.d.ts",
            )
        )
    )


def client_files(contract: Contract, target: Target, header: str) -> dict[str, str]:
    """Every file of the client, by name; the generated ones open with `header`."""
    writer = TypeWriter(contract)
    specs = [_spec(contract, writer, op) for op in contract.operations if op.operation_id]
    transport = "miniprogram" if target == "miniprogram" else "fetch"
    header = header.rstrip("\n") + "\n"
    files = {
        "schema.d.ts": header + writer.declarations(),
        "client.js": header + _client_js(specs, target),
        "client.d.ts": header + _client_dts(specs, target),
        "index.js": header + _index_js(target),
        "index.d.ts": header + _index_dts(target),
        "package.json": json.dumps(
            {
                "name": "shop-api-client",
                "private": True,
                "type": "module",
                "sideEffects": False,
                "main": "index.js",
                "types": "index.d.ts",
            },
            indent=2,
        )
        + "\n",
    }
    for name in ("runtime.js", "runtime.d.ts", f"{transport}.js", f"{transport}.d.ts"):
        text = resources.files("shopgen.client").joinpath("_js", name).read_text("utf-8")
        files[name] = header + text
    files["tsconfig.json"] = _tsconfig(transport)
    return files


def _tsconfig(transport: str) -> str:
    """`tsc -p DIR` checks the declarations and, through JSDoc, the JavaScript against them."""
    config = {
        "compilerOptions": {
            "strict": True,
            "noEmit": True,
            "allowJs": True,
            "checkJs": True,
            "target": "es2020",
            "module": "esnext",
            "moduleResolution": "bundler",
            "lib": ["es2020", "dom"],
            "types": [],
        },
        "files": ["index.d.ts", "index.js", "client.js", "runtime.js", f"{transport}.js"],
    }
    return json.dumps(config, indent=2) + "\n"


# -- reading operations ----------------------------------------------------------------------


def _spec(contract: Contract, writer: TypeWriter, operation: Operation) -> _Spec:
    success = sorted(k for k in operation.responses if k[:1] == "2")
    returned: dict[str, Any] = {}
    data_type = "void"
    if success:
        data_schema, has_body = _data_schema(contract, operation, success[0])
        if has_body:
            data_type = writer.schema(data_schema, "    ") if data_schema is not None else "unknown"
            returned = contract.schema_view(data_schema)[0] if data_schema is not None else {}
    sent: dict[str, Any] = {}
    for media in operation.request_media:
        if media.is_json:
            sent = contract.schema_view(media.schema)[0]
            break
    idempotency = next(
        (
            p.name
            for p in operation.parameters
            if p.location == "header" and p.required and p.name.lower() in _IDEMPOTENCY_HEADERS
        ),
        None,
    )
    issues = {"access_token", "refresh_token"} <= returned.keys()
    args_type, args_required = _args(contract, writer, operation, idempotency)
    return _Spec(
        operation=operation,
        secured=_bearer(contract, operation),
        idempotency_header=idempotency,
        issues_tokens=issues,
        refreshes=issues and "refresh_token" in sent,
        wechat_login=issues and "js_code" in sent,
        data_type=data_type,
        args_type=args_type,
        args_required=args_required,
    )


def _data_schema(contract: Contract, operation: Operation, status: str) -> tuple[Any, bool]:
    """(schema of what the call resolves to, whether the answer has a body)."""
    media = operation.response_media(status)
    chosen = next((m for m in media if m.is_json), None)
    if chosen is None:
        return None, False
    properties, required, _ = contract.schema_view(chosen.schema)
    if {"code", "msg"} <= properties.keys() and "data" in (required | properties.keys()):
        found = [s for s in contract.property_schemas(chosen.schema, "data") if s]
        return (found[-1] if found else None), True
    return chosen.schema, True


def _bearer(contract: Contract, operation: Operation) -> bool:
    if not operation.is_secured:
        return False
    schemes = contract.components("securitySchemes")
    for requirement in operation.security:
        for name in requirement:
            scheme = contract.deref(schemes.get(name))
            if isinstance(scheme, dict) and (
                scheme.get("type") in ("oauth2", "openIdConnect")
                or (
                    scheme.get("type") == "http"
                    and str(scheme.get("scheme", "")).lower() == "bearer"
                )
            ):
                return True
    return False


def _args(
    contract: Contract, writer: TypeWriter, operation: Operation, idempotency: str | None
) -> tuple[str, bool]:
    """The type of a call's first argument, and whether it may be left out."""
    name = json.dumps(operation.operation_id)
    parameters = f'operations[{name}]["parameters"]'
    fields = []
    required_any = False
    for location in ("path", "query", "header"):
        params = [p for p in operation.parameters if p.location == location]
        if not params:
            continue
        required = any(p.required and p.name != idempotency for p in params)
        required_any = required_any or required
        mark = "" if required else "?"
        kind = f'{parameters}["{location}"]'
        if location == "header" and idempotency is not None:
            kind = f'Omit<{kind}, "{idempotency}"> & {{ {quote_key(idempotency)}?: string }}'
        elif not required:
            kind = f"NonNullable<{kind}>"
        fields.append(f"{location}{mark}: {kind}")
    body = contract.deref(operation.node.get("requestBody"))
    media = next((m for m in operation.request_media if m.is_json), None)
    if isinstance(body, dict) and media is not None:
        required = body.get("required") is True
        required_any = required_any or required
        content = f'NonNullable<operations[{name}]["requestBody"]>["content"]'
        fields.append(f"body{'' if required else '?'}: {content}[{json.dumps(media.media_type)}]")
    if not fields:
        return "", False
    return "{ " + "; ".join(fields) + " }", required_any


# -- client.js and client.d.ts ----------------------------------------------------------------


def _spec_literal(spec: _Spec) -> str:
    operation = spec.operation
    fields = [
        f"operationId: {json.dumps(operation.operation_id)}",
        f"method: {json.dumps(operation.method.upper())}",
        f"path: {json.dumps(operation.path.template)}",
        f"secured: {'true' if spec.secured else 'false'}",
    ]
    if spec.idempotency_header:
        fields.append(f"idempotencyHeader: {json.dumps(spec.idempotency_header)}")
    if spec.issues_tokens:
        fields.append("issuesTokens: true")
    line = "{ " + ", ".join(fields) + " }"
    if len(line) + len(str(operation.operation_id)) + 5 <= 100:
        return line
    return "{\n" + "".join(f"    {field},\n" for field in fields) + "  }"


def _client_js(specs: list[_Spec], target: Target) -> str:
    refresh = next((s for s in specs if s.refreshes), None)
    wechat = next((s for s in specs if s.wechat_login), None)
    lines = [
        'import { createCore, memoryTokenStore } from "./runtime.js";',
    ]
    if target == "miniprogram":
        lines.append(
            'import { wxLoginCode, wxStorageTokenStore, wxTransport } from "./miniprogram.js";'
        )
    else:
        lines.append('import { fetchTransport } from "./fetch.js";')
    lines += ["", "export const OPERATIONS = {"]
    for spec in specs:
        lines.append(f"  {quote_key(str(spec.operation.operation_id))}: {_spec_literal(spec)},")
    lines += ["};", ""]
    lines += [
        "/**",
        ' * @param {import("./client.js").ShopClientOptions} options',
        ' * @returns {import("./client.js").ShopClient}',
        " */",
        "export function createShopClient(options) {",
    ]
    if target == "miniprogram":
        transport = "options.transport || wxTransport(options.wx)"
        tokens = (
            "options.tokens ||\n"
            "      (options.transport && !options.wx\n"
            "        ? memoryTokenStore()\n"
            "        : wxStorageTokenStore(undefined, options.wx))"
        )
    else:
        transport = "options.transport || fetchTransport(options.fetch)"
        tokens = "options.tokens || memoryTokenStore()"
    refresh_line = (
        f"    refresh: OPERATIONS[{json.dumps(refresh.operation.operation_id)}],"
        if refresh is not None
        else "    refresh: undefined,"
    )
    lines += [
        "  const core = createCore({",
        "    baseUrl: options.baseUrl,",
        f"    transport: {transport},",
        f"    tokens: {tokens},",
        refresh_line,
        "    onAuthRequired: options.onAuthRequired,",
        "    retry: options.retry,",
        "    timeoutMs: options.timeoutMs,",
        "    headers: options.headers,",
        "    sleep: options.sleep,",
        "  });",
        "  return {",
        "    tokens: core.tokens,",
        "    async logout() {",
        "      await core.tokens.set(null);",
        "    },",
    ]
    if target == "miniprogram" and wechat is not None:
        op_name = json.dumps(wechat.operation.operation_id)
        lines += [
            "    async loginWithWechat(callOptions) {",
            "      const code = await wxLoginCode(options.wx);",
            "      const args = { body: { js_code: code } };",
            f"      return core.call(OPERATIONS[{op_name}], args, callOptions);",
            "    },",
        ]
    for spec in specs:
        name = str(spec.operation.operation_id)
        call = f"core.call(OPERATIONS[{json.dumps(name)}]"
        if spec.args_type:
            lines.append(f"    {quote_key(name)}(args, callOptions) {{")
            lines.append(f"      return {call}, args, callOptions);")
        else:
            lines.append(f"    {quote_key(name)}(callOptions) {{")
            lines.append(f"      return {call}, {{}}, callOptions);")
        lines.append("    },")
    lines += ["  };", "}", ""]
    return "\n".join(lines)


def _doc(operation: Operation, indent: str) -> str:
    text = operation.summary or operation.name
    description = operation.node.get("description")
    parts = [text]
    if isinstance(description, str) and description.strip():
        parts += ["", *description.strip().splitlines()]
    body = "".join(f"{indent} * {line}".rstrip() + "\n" for line in parts).replace("*/", "*\\/")
    return f"{indent}/**\n{body}{indent} */\n"


def _client_dts(specs: list[_Spec], target: Target) -> str:
    wechat = next((s for s in specs if s.wechat_login), None)
    out = [
        'import type { components, operations } from "./schema.js";\n',
        "import type {\n    OperationSpec,\n    RequestOptions,\n    RetryOptions,\n"
        '    ShopApiError,\n    TokenStore,\n    Transport,\n} from "./runtime.js";\n',
    ]
    if target == "miniprogram":
        out.append('import type { WxLike } from "./miniprogram.js";\n')
    out.append("\nexport interface ShopClientOptions {\n")
    out.append("    /** The service's base URL, e.g. `https://api.example-shop.com`. */\n")
    out.append("    baseUrl: string;\n")
    if target == "miniprogram":
        out.append(
            "    /** The mini-program's `wx` (default: the global one). */\n    wx?: WxLike;\n"
        )
        out.append(
            "    /** Where tokens live (default: `wx` storage, so sessions survive restarts). */\n"
        )
    else:
        out.append(
            "    /** Another `fetch` (default: the global one). */\n    fetch?: typeof fetch;\n"
        )
        out.append("    /** Where tokens live (default: memory). */\n")
    out += [
        "    tokens?: TokenStore;\n",
        "    /** Sends requests instead of the target's own transport (tests, proxies). */\n",
        "    transport?: Transport;\n",
        "    /** Called once refreshing failed: the user must sign in again. */\n",
        "    onAuthRequired?: (error: ShopApiError) => void | Promise<void>;\n",
        "    /** Retries of 429 and 503 answers that carry `Retry-After`. */\n",
        "    retry?: RetryOptions;\n",
        "    timeoutMs?: number;\n",
        "    /** Headers sent with every request. */\n",
        "    headers?: Record<string, string>;\n",
        "    sleep?: (ms: number) => Promise<void>;\n",
        "}\n\n",
        "export interface ShopClient {\n",
        "    readonly tokens: TokenStore;\n",
        "    /** Forget the tokens. */\n",
        "    logout(): Promise<void>;\n",
    ]
    if target == "miniprogram" and wechat is not None:
        out.append(
            f"    /** `wx.login()`, then {wechat.operation.operation_id}: the session is kept. */\n"
        )
        out.append(f"    loginWithWechat(options?: RequestOptions): Promise<{wechat.data_type}>;\n")
    for spec in specs:
        name = quote_key(str(spec.operation.operation_id))
        out.append(_doc(spec.operation, "    "))
        params = ["options?: RequestOptions"]
        if spec.args_type:
            params.insert(0, f"args{'' if spec.args_required else '?'}: {spec.args_type}")
        signature = f"    {name}({', '.join(params)}): Promise<{spec.data_type}>;\n"
        if len(signature) > 101:
            listed = "".join(f"        {param},\n" for param in params)
            signature = f"    {name}(\n{listed}    ): Promise<{spec.data_type}>;\n"
        out.append(signature)
    out.append("}\n\n")
    names = " | ".join(json.dumps(str(s.operation.operation_id)) for s in specs) or "never"
    out.append(f"export type OperationName = {names};\n")
    out.append("export declare const OPERATIONS: Record<OperationName, OperationSpec>;\n")
    out.append(
        "export declare function createShopClient(options: ShopClientOptions): ShopClient;\n"
    )
    return "".join(out)


def _index_js(target: Target) -> str:
    transport = (
        'export { wxLoginCode, wxStorageTokenStore, wxTransport } from "./miniprogram.js";\n'
        if target == "miniprogram"
        else 'export { fetchTransport } from "./fetch.js";\n'
    )
    return (
        'export { createShopClient, OPERATIONS } from "./client.js";\n'
        'export { ShopApiError, memoryTokenStore, newIdempotencyKey } from "./runtime.js";\n'
        + transport
    )


def _index_dts(target: Target) -> str:
    transport = (
        'export { wxLoginCode, wxStorageTokenStore, wxTransport } from "./miniprogram.js";\n'
        'export type { WxLike } from "./miniprogram.js";\n'
        if target == "miniprogram"
        else 'export { fetchTransport } from "./fetch.js";\n'
    )
    return (
        'import type { components } from "./schema.js";\n\n'
        'export { createShopClient, OPERATIONS } from "./client.js";\n'
        'export type { OperationName, ShopClient, ShopClientOptions } from "./client.js";\n'
        'export { ShopApiError, memoryTokenStore, newIdempotencyKey } from "./runtime.js";\n'
        "export type {\n    RequestOptions,\n    RetryOptions,\n    TokenPair,\n    TokenStore,\n"
        '    Transport,\n} from "./runtime.js";\n'
        + transport
        + 'export type { components, operations, paths } from "./schema.js";\n'
        '/** The contract\'s schemas by name: `Schemas["Product"]`. */\n'
        'export type Schemas = components["schemas"];\n'
    )

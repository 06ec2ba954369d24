"""The generated clients type-check strictly, and their types are openapi-typescript's.

openapi-typescript is the reference for what a TypeScript type of an OpenAPI schema is. Every
schema and every operation (parameters, request body, responses) of every bundled contract is
checked to be mutually assignable with its declaration, and neither side may be `any`.

One `tsc` program holds everything (tsc's start-up is most of its time): both clients with
the options of the `tsconfig.json` they ship, code using them, and the comparisons. Each test
then reads the diagnostics of its own files.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from shopgen.client import TARGETS, generate, render_client
from shopgen.contract import load_contract

from ..mock.conftest import CONTRACTS, contract_id
from .node import HERE, node, tool

SAME = """
type IsAny<T> = 0 extends 1 & T ? true : false;
type Same<A, B> = IsAny<A> extends true ? false : IsAny<B> extends true ? false
    : [A] extends [B] ? ([B] extends [A] ? true : false) : false;
"""
USAGE = """\
import {{ createShopClient, ShopApiError }} from "{client}/index.js";
const shop = createShopClient({{ baseUrl: "http://127.0.0.1:4010" }});
export async function buy(): Promise<number> {{
  const page = await shop.listProducts({{ query: {{ limit: 20 }} }});
  const order = await shop.createOrder({{
    body: {{ items: [{{ product_id: page.items[0].id, quantity: 2 }}] }},
  }});
  try {{
    await shop.createPayment({{ body: {{ order_id: order.id, channel: "mock" }} }});
  }} catch (error) {{
    if (error instanceof ShopApiError && error.code === 40902) return -1;
  }}
  return order.total_cents;
}}
// @ts-expect-error: quantity is a number
shop.createOrder({{ body: {{ items: [{{ product_id: 1, quantity: "2" }}] }} }});
// @ts-expect-error: getProduct needs its path parameter
shop.getProduct();
// @ts-expect-error: an order has no `price` field
shop.getOrder({{ path: {{ order_id: 1 }} }}).then((order) => order.price);
"""
DIAGNOSTIC = re.compile(r"^(?P<file>[^(\s][^(]*)\(\d+,\d+\): error ", re.MULTILINE)


@dataclass(frozen=True)
class TypeCheck:
    root: Path
    output: str

    def errors_under(self, folder: Path) -> list[str]:
        found = []
        for match in DIAGNOSTIC.finditer(self.output):
            path = Path(match.group("file"))
            path = path if path.is_absolute() else self.root / path
            if path.resolve().is_relative_to(folder.resolve()):
                found.append(self.output[match.start() : self.output.find("\n", match.end())])
        return found


def _comparison(contract_path: Path, folder: Path) -> None:
    contract = load_contract(contract_path)
    (folder / "ours.d.ts").write_text(render_client(contract, "fetch")["schema.d.ts"])
    lines = [
        'import type * as Ours from "./ours";',
        'import type * as Theirs from "./theirs";',
        SAME,
    ]
    for index, schema in enumerate(contract.components("schemas")):
        key = json.dumps(schema)
        lines.append(
            f"export const schema_{index}: Same<Ours.components['schemas'][{key}], "
            f"Theirs.components['schemas'][{key}]> = true;"
        )
    for index, operation in enumerate(contract.operations):
        op = json.dumps(operation.operation_id)
        for part in ("parameters", "requestBody", "responses"):
            lines.append(
                f"export const op_{index}_{part}: Same<Ours.operations[{op}][{part!r}], "
                f"Theirs.operations[{op}][{part!r}]> = true;"
            )
    lines.append("export const paths: Same<Ours.paths, Theirs.paths> = true;")
    lines.append("export const components: Same<Ours.components, Theirs.components> = true;")
    (folder / "check.ts").write_text("\n".join(lines) + "\n")


CANARIES = {
    "optional": ("total_cents: number;", "total_cents?: number;"),
    "nullable": ("category: string | null;", "category: string;"),
}


def _canaries(compare: Path) -> list[str]:
    """Copies of the shop comparison with one declaration made wrong: each must fail."""
    shop = compare / contract_id(CONTRACTS[0])
    found = []
    for name, (old, new) in CANARIES.items():
        folder = compare.parent / "canary" / name
        folder.mkdir(parents=True)
        ours = (shop / "ours.d.ts").read_text()
        assert old in ours
        (folder / "ours.d.ts").write_text(ours.replace(old, new, 1))
        for copied in ("theirs.d.ts", "check.ts"):
            (folder / copied).write_text((shop / copied).read_text())
        found.append(str(folder / "check.ts"))
    return found


@pytest.fixture(scope="session")
def typecheck(clients: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> TypeCheck:
    root = tmp_path_factory.mktemp("typecheck")
    files: list[str] = []
    options: dict[str, object] = {}
    for target, client in clients.items():
        shipped = json.loads((client / "tsconfig.json").read_text())
        assert not options or shipped["compilerOptions"] == options
        options = shipped["compilerOptions"]
        files += [str(client / name) for name in shipped["files"]]
        usage = root / "usage" / target
        usage.mkdir(parents=True)
        (usage / "app.ts").write_text(USAGE.format(client=client.as_posix()))
        files.append(str(usage / "app.ts"))
    for contract_path in CONTRACTS[1:]:
        # The client a project generated from each example contract carries in `client/`.
        client = root / "projects" / contract_id(contract_path)
        generate(contract_path, "miniprogram", client)
        files += [
            str(client / name)
            for name in json.loads((client / "tsconfig.json").read_text())["files"]
        ]
    references: list[str] = []
    for contract_path in CONTRACTS:
        folder = root / "compare" / contract_id(contract_path)
        folder.mkdir(parents=True)
        _comparison(contract_path, folder)
        references += [str(contract_path), str(folder / "theirs.d.ts")]
        files.append(str(folder / "check.ts"))
    tool("openapi-typescript")
    made = subprocess.run(
        [node(), str(HERE / "reference_types.mjs"), *references],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=HERE,
    )
    assert made.returncode == 0, made.stderr
    files += _canaries(root / "compare")
    (root / "tsconfig.json").write_text(json.dumps({"compilerOptions": options, "files": files}))
    result = subprocess.run(
        [str(tool("tsc")), "-p", str(root), "--pretty", "false"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=root,
    )
    assert result.returncode in (0, 2), result.stderr  # 2: diagnostics, read by the tests
    return TypeCheck(root, result.stdout + result.stderr)


def test_generated_clients_pass_strict_tsc(clients: dict[str, Path], typecheck: TypeCheck) -> None:
    for target in TARGETS:
        config = json.loads((clients[target] / "tsconfig.json").read_text())
        assert config["compilerOptions"]["strict"] is True
        assert config["compilerOptions"]["checkJs"] is True
        assert {"client.js", "runtime.js", "index.d.ts"} <= set(config["files"])
        assert typecheck.errors_under(clients[target]) == []


@pytest.mark.parametrize("contract_path", CONTRACTS[1:], ids=contract_id)
def test_every_example_contracts_client_passes_strict_tsc(
    contract_path: Path, typecheck: TypeCheck
) -> None:
    folder = typecheck.root / "projects" / contract_id(contract_path)
    assert (folder / "client.js").is_file()
    assert typecheck.errors_under(folder) == []


def test_code_using_the_clients_checks_and_mistakes_are_refused(typecheck: TypeCheck) -> None:
    assert typecheck.errors_under(typecheck.root / "usage") == []


@pytest.mark.parametrize("contract_path", CONTRACTS, ids=contract_id)
def test_types_match_openapi_typescript(contract_path: Path, typecheck: TypeCheck) -> None:
    folder = typecheck.root / "compare" / contract_id(contract_path)
    assert (folder / "theirs.d.ts").stat().st_size > 0
    assert typecheck.errors_under(folder) == []
    # Mutual assignability cannot see an `any` inside an object; none is ever written.
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", (folder / "ours.d.ts").read_text(), flags=re.S)
    assert not re.search(r"\bany\b", code)


@pytest.mark.parametrize("canary", CANARIES)
def test_a_wrong_declaration_is_caught(canary: str, typecheck: TypeCheck) -> None:
    assert typecheck.errors_under(typecheck.root / "canary" / canary) != []

"""`shopgen client`: the files it writes, what it reads from the contract, how it refuses."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from shopgen.client import TARGETS, generate, render_client
from shopgen.contract import load_contract
from shopgen.errors import LintFailed, UserError
from shopgen.resources import bundled_contract

from ..mock.conftest import CONTRACTS, contract_id


def operations_table(client_js: str) -> dict[str, str]:
    return dict(re.findall(r'^  "?(\w+)"?: \{(.*?)\},$', client_js, re.M | re.S))


@pytest.mark.parametrize("contract_path", CONTRACTS, ids=contract_id)
def test_one_function_per_operation_of_any_contract(contract_path: Path) -> None:
    contract = load_contract(contract_path)
    for target in TARGETS:
        files = render_client(contract, target)
        table = operations_table(files["client.js"])
        ids = [op.operation_id for op in contract.operations]
        assert list(table) == ids
        for name in ids:
            assert re.search(rf"^    {name}\(", files["client.d.ts"], re.MULTILINE), name
            assert re.search(rf"^    {name}\((args, )?callOptions\)", files["client.js"], re.M)
        assert json.loads(files["package.json"])["type"] == "module"
        assert "dependencies" not in json.loads(files["package.json"])


def test_what_the_runtime_is_told_comes_from_the_contract() -> None:
    files = render_client(load_contract(bundled_contract()), "miniprogram")
    table = operations_table(files["client.js"])
    assert 'idempotencyHeader: "Idempotency-Key"' in table["createOrder"]
    assert "secured: true" in table["createOrder"]
    assert "secured: false" in table["listProducts"]
    for login in ("createToken", "createWechatSession", "refreshToken"):
        assert "issuesTokens: true" in table[login]
    assert 'refresh: OPERATIONS["refreshToken"]' in files["client.js"]
    assert "loginWithWechat" in files["client.d.ts"]
    assert ".request({" in files["miniprogram.js"]
    web = render_client(load_contract(bundled_contract()), "fetch")
    assert "loginWithWechat" not in web["client.d.ts"] and "fetch.js" in web


def test_a_contract_without_refresh_or_wechat_login(tmp_path: Path) -> None:
    document = yaml.safe_load(bundled_contract().read_text())
    del document["paths"]["/api/v1/auth/tokens/refresh"]
    del document["paths"]["/api/v1/auth/wechat-sessions"]
    path = tmp_path / "api.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True))
    files = render_client(load_contract(path), "miniprogram")
    assert "refresh: undefined" in files["client.js"]
    assert "loginWithWechat" not in files["client.js"]


def test_generate_writes_only_its_files(tmp_path: Path) -> None:
    output = tmp_path / "miniprogram" / "api"
    output.mkdir(parents=True)
    (output / "mine.js").write_text("export const mine = 1;\n")
    result = generate(bundled_contract(), "miniprogram", output)
    assert (output / "mine.js").read_text() == "export const mine = 1;\n"
    assert set(result.files) <= {p.name for p in output.iterdir()}
    assert not [p for p in output.iterdir() if p.name.startswith(".")]
    assert (output / "index.js").stat().st_mode & 0o044 == 0o044  # readable, not mkstemp's 0600


def test_lint_errors_write_nothing(tmp_path: Path) -> None:
    document = yaml.safe_load(bundled_contract().read_text())
    document["paths"]["/api/v1/health"]["get"].pop("operationId")
    path = tmp_path / "api.yaml"
    path.write_text(json.dumps(document))
    with pytest.raises(LintFailed, match="lint error"):
        generate(path, "fetch", tmp_path / "out")
    assert not (tmp_path / "out").exists()
    generate(path, "fetch", tmp_path / "out", skip_lint=True)
    assert (tmp_path / "out" / "index.js").is_file()


def test_an_output_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("x")
    with pytest.raises(UserError, match="not a directory"):
        generate(bundled_contract(), "fetch", tmp_path / "taken")


def test_the_command_line(tmp_path: Path) -> None:
    def shopgen(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "shopgen", "client", *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=tmp_path,
        )

    made = shopgen("--target", "fetch", "-o", "web")
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("Wrote 11 files to web")
    assert (tmp_path / "web" / "fetch.js").is_file()
    default = shopgen()
    assert default.returncode == 0 and (tmp_path / "client" / "miniprogram.js").is_file()
    missing = shopgen(str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
    wrong = shopgen("--target", "android")
    assert wrong.returncode == 2

"""The douyin module's signing vectors, computed again by a separate implementation (Node's
crypto, from the formula alone): the fixture the generated tests check against is not a copy
of what the Python code happens to produce."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from shopgen.modules import module_dir
from shopgen.resources import template_dir

SCRIPT = Path(__file__).with_name("douyin_vectors.mjs")
FIXTURE = next(module_dir(template_dir(), "douyin").glob("{{*}}")) / (
    "tests/douyin/signing_vectors.json"
)


def _inputs(vectors: dict[str, Any]) -> dict[str, Any]:
    drop = {"param_json", "sign"}
    return {
        kind: [{k: v for k, v in vector.items() if k not in drop} for vector in vectors[kind]]
        for kind in ("requests", "pushes")
    }


def test_the_fixture_matches_an_independent_implementation() -> None:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI"):
            pytest.fail("node is missing; CI must provide it")
        pytest.skip("node is not installed")
    vectors = json.loads(FIXTURE.read_text(encoding="utf-8"))
    result = subprocess.run(
        [node, str(SCRIPT)],
        input=json.dumps(_inputs(vectors)),
        capture_output=True,
        text=True,
        check=True,
    )
    computed = json.loads(result.stdout)
    assert computed["requests"] == vectors["requests"]
    assert computed["pushes"] == vectors["pushes"]
    methods = {v["sign_method"] for v in vectors["requests"]}
    assert methods == {"hmac-sha256", "md5"}
    assert {v["ascii"] for v in vectors["requests"]} == {True, False}

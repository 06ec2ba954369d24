"""Signing against known answers computed apart from this code (see signing_vectors.json)."""

import json
from pathlib import Path
from typing import Any

import pytest

from app.douyin import signing

VECTORS = json.loads((Path(__file__).parent / "signing_vectors.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("vector", VECTORS["requests"], ids=lambda v: v["name"])
def test_request_signature_matches_the_known_answer(vector: dict[str, Any]) -> None:
    body = signing.param_json(vector["params"], ascii_only=vector["ascii"])
    assert body == vector["param_json"]
    sign = signing.sign(
        vector["sign_method"],
        app_key=vector["app_key"],
        secret=vector["app_secret"],
        method=vector["method"],
        params_json=body,
        timestamp=vector["timestamp"],
    )
    assert sign == vector["sign"]


@pytest.mark.parametrize("vector", VECTORS["pushes"], ids=lambda v: v["name"])
def test_push_signature_matches_the_known_answer(vector: dict[str, Any]) -> None:
    body = vector["body"].encode()
    secret, app_key = vector["app_secret"], vector["app_key"]
    method = vector["sign_method"]
    assert (
        signing.push_signature(method, app_key=app_key, secret=secret, body=body) == vector["sign"]
    )
    assert signing.verify_push(
        method, app_key=app_key, secret=secret, body=body, signature=vector["sign"].upper()
    )
    assert not signing.verify_push(
        method, app_key=app_key, secret=secret, body=body + b" ", signature=vector["sign"]
    )
    assert not signing.verify_push(
        method, app_key=app_key, secret=secret, body=body, signature=None
    )


def test_ascii_and_raw_param_json_sign_differently() -> None:
    raw, escaped = (
        v
        for v in VECTORS["requests"]
        if v["method"] == "order.addOrderRemark" and v["sign_method"] == "hmac-sha256"
    )
    assert raw["params"] == escaped["params"]
    assert raw["param_json"] != escaped["param_json"] and raw["sign"] != escaped["sign"]


def test_floats_are_refused_because_their_text_differs_between_clients() -> None:
    with pytest.raises(TypeError):
        signing.param_json({"price": 1.0})
    with pytest.raises(TypeError):
        signing.param_json({"nested": [{"weight": 0.5}]})

"""Node and the pinned npm tools of `tests/client` (`npm ci --prefix tests/client`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
BIN = HERE / "node_modules" / ".bin"
PURCHASE = HERE / "purchase.mjs"


def missing(what: str, how: str) -> None:
    """Skip when a real part is absent on a workstation; in CI its absence is a failure."""
    message = f"{what} is missing: {how}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def node() -> str:
    found = shutil.which("node")
    if found is None:
        missing("node", "install Node.js 20")
    assert found is not None
    return found


def tool(name: str) -> Path:
    path = BIN / name
    if not path.exists():
        missing(f"{name} ({path})", "run `npm ci --prefix tests/client`")
    return path


def tsc(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(tool("tsc")), "-p", str(project)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def run_purchase(tmp: Path, **config: Any) -> dict[str, Any]:
    """Run `purchase.mjs` with this config; its one JSON line, or a failure with its output."""
    path = tmp / f"purchase-{config['target']}-{config['backend']}.json"
    path.write_text(json.dumps(config))
    result = subprocess.run(
        [node(), str(PURCHASE), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return report

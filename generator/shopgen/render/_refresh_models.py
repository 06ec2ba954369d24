"""Regenerate the shipped models of the bundled contracts (see `_schemas.generate_models`).

python -m shopgen.render._refresh_models specs/shop.openapi.yaml specs/examples/*.yaml
"""

from __future__ import annotations

import sys
from pathlib import Path

from shopgen.contract import load_contract

from ._operations import inline_bodies, pascal_case
from ._schemas import black_format, generate_unformatted, models_key, shipped_models_path

__all__ = ["refresh_shipped_models"]


def refresh_shipped_models(contracts: list[Path]) -> list[Path]:
    """Write the models of these contracts and drop entries no contract needs any more."""
    written: list[Path] = []
    for contract in contracts:
        loaded = load_contract(contract)
        document = loaded.document
        bodies = {f"{pascal_case(k)}Body": v for k, v in inline_bodies(loaded).items()}
        target = shipped_models_path(models_key(document, bodies))
        target.parent.mkdir(exist_ok=True)
        target.write_text(black_format(generate_unformatted(document, bodies)), encoding="utf-8")
        written.append(target)
    folder = written[0].parent if written else None
    if folder is not None:
        for stale in set(folder.glob("*.txt")) - set(written):
            stale.unlink()
    return written


if __name__ == "__main__":
    for path in refresh_shipped_models([Path(arg) for arg in sys.argv[1:]]):
        print(path)

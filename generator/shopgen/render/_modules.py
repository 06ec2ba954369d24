"""The project's contract with its modules: the given contract plus the fragments of the
modules the answers pick, minus those of the others (see `shopgen.modules`)."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

from shopgen import modules
from shopgen.contract import Contract, load_contract
from shopgen.resources import unpacked_name

__all__ = ["ComposedContract", "compose", "module_files"]


@dataclass(frozen=True, slots=True)
class ComposedContract:
    contract: Contract
    content: bytes
    sha256: str


def compose(loaded: Contract, selected: tuple[str, ...], template: Path) -> ComposedContract:
    """`loaded` with the modules merged in; loaded again only if that changed it."""
    content = loaded.path.read_bytes()
    fragments = {
        name: modules.load_fragment(name, modules.module_dir(template, name) / "contract.yaml")
        for name in modules.names()
    }
    text = content.decode("utf-8")
    merged = modules.compose_contract(
        text, selected=selected, known=modules.names(), fragments=fragments, source=loaded.path
    )
    if merged == text:
        return ComposedContract(loaded, content, loaded.sha256)
    data = merged.encode("utf-8")
    with tempfile.TemporaryDirectory(prefix="shopgen-modules-") as tmp:
        path = Path(tmp) / loaded.path.name
        path.write_bytes(data)
        contract = load_contract(path)
    return ComposedContract(contract, data, hashlib.sha256(data).hexdigest())


def module_files(template: Path, name: str) -> tuple[str, ...]:
    """The project-relative paths a module's folder renders (its file names hold no Jinja)."""
    root = next(modules.module_dir(template, name).glob("{{*}}"))
    return tuple(
        sorted(
            unpacked_name(path.relative_to(root).as_posix())
            for path in root.rglob("*")
            if path.is_file() and "__pycache__" not in path.parts
        )
    )

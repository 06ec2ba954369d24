"""Where the bundled template and specs live, installed or in a checkout."""

from __future__ import annotations

from pathlib import Path

__all__ = ["bundled_contract", "bundled_ruleset", "specs_dir", "template_dir", "unpacked_name"]

_PACKAGE = Path(__file__).resolve().parent

_PACKED_PYTHON = ".py-tpl"


def unpacked_name(name: str) -> str:
    """The name a template file renders to: the installed template packs its Python files
    as `main.py-tpl` (see hatch_build.py), since pip byte-compiles every `.py` file of a
    wheel and the compiled files would be copied into every project."""
    return name.removesuffix("-tpl") if name.endswith(_PACKED_PYTHON) else name


def _data_dir(name: str) -> Path:
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    # An editable install or a checkout: the package sits in generator/ beside the data.
    return _PACKAGE.parents[1] / name


def template_dir() -> Path:
    """The Cookiecutter template directory."""
    return _data_dir("template")


def specs_dir() -> Path:
    """The directory holding the canonical contract, the house ruleset and examples."""
    return _data_dir("specs")


def bundled_contract() -> Path:
    """The canonical shop contract, `specs/shop.openapi.yaml`."""
    return specs_dir() / "shop.openapi.yaml"


def bundled_ruleset() -> Path:
    """The default house ruleset, `specs/house-rules.yaml` (`shopgen:house`)."""
    return specs_dir() / "house-rules.yaml"

"""Wheel build hook: the template's Python files are packed as `*.py-tpl`.

pip byte-compiles every `.py` file a wheel installs, the template's too, and Cookiecutter
copies whatever the template folder holds: every `shopgen new` would copy two hundred
compiled files into the project only to delete them. Packed under another suffix, the
template's modules are not compiled; `shopgen` gives them back their names as it renders
(`shopgen.resources.PACKED_SUFFIX`), as Django does with its own project template.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

TEMPLATE = "template"
TARGET = "shopgen/_data/template"
PACKED_SUFFIX = "-tpl"


class TemplateHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        root = Path(self.root) / TEMPLATE
        included = build_data.setdefault("force_include", {})
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith((".pyc", ".pyo")):
                    continue
                source = Path(folder) / name
                relative = source.relative_to(root).as_posix()
                packed = relative + PACKED_SUFFIX if relative.endswith(".py") else relative
                included[str(source)] = f"{TARGET}/{packed}"

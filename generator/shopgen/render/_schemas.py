"""Contract schemas → pydantic v2 models, through datamodel-code-generator's library API."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import sys
import tokenize
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shopgen.errors import UserError

from ._bounds import bounded

__all__ = [
    "black_format",
    "generate_models",
    "group_imports",
    "models_key",
    "normalise_quotes",
    "generate_unformatted",
    "shipped_models_path",
]

# Formats whose pydantic types need packages the generated service does not install
# (email-validator); they stay plain strings, checked by the service where it matters.
_TYPE_MAPPINGS = ["email=string", "idn-email=string", "uri=string", "uri-reference=string"]


# Relative to this file: the wheel carries it as package data.
_MODELS_DIR = Path(__file__).resolve().parent / "_models"


def models_key(document: Mapping[str, Any], inline_bodies: Mapping[str, Any]) -> str:
    """What the generated models depend on: the schemas, and how they are generated."""
    from shopgen import __version__

    components = document.get("components")
    schemas = components.get("schemas") if isinstance(components, Mapping) else None
    material = {
        "schemas": schemas,
        # Bounds from formats, strict integers and booleans, null only where nullable.
        "input": 2,
        "inline": inline_bodies,
        "mappings": _TYPE_MAPPINGS,
        "shopgen": __version__,
    }
    text = json.dumps(material, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def generate_models(
    document: Mapping[str, Any], inline_bodies: Mapping[str, Any], header: str
) -> tuple[str, bool]:
    """The source of `app/api/schemas.py` for a contract.

    Models of the bundled contracts ship precomputed in `_models/` (keyed by `models_key`,
    checked against fresh generation by the tests): generating them costs about a second,
    most of `shopgen new`. Any other contract is generated on the spot. Returns the source
    and whether it is formatted already (shipped models are).
    """
    shipped = shipped_models_path(models_key(document, inline_bodies))
    if shipped.is_file():
        return f"{header}\n{shipped.read_text(encoding='utf-8')}", True
    return f"{header}\n{generate_unformatted(document, inline_bodies)}", False


def shipped_models_path(key: str) -> Path:
    return _MODELS_DIR / f"{key}.txt"


def generate_unformatted(document: Mapping[str, Any], inline_bodies: Mapping[str, Any]) -> str:
    from datamodel_code_generator import InputFileType, LiteralType, PythonVersion, generate
    from datamodel_code_generator.enums import DataModelType, StrictTypes

    doc = copy.deepcopy(dict(document))
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name, schema in inline_bodies.items():
        schemas.setdefault(name, schema)
    components["schemas"] = bounded(schemas)
    # Only the schemas are wanted: drop paths so nothing is generated from operations.
    doc["paths"] = {}
    try:
        source = generate(
            doc,
            input_file_type=InputFileType.OpenAPI,
            output_model_type=DataModelType.PydanticV2BaseModel,
            target_python_version=PythonVersion.PY_311,
            use_annotated=True,
            field_constraints=True,
            use_union_operator=True,
            use_standard_collections=True,
            use_schema_description=True,
            use_double_quotes=True,
            enum_field_as_literal=LiteralType.All,
            disable_timestamp=True,
            type_mappings=_TYPE_MAPPINGS,
            # JSON says what a value is: `true`, `"1"` and `1.0` are not the integer 1.
            strict_types=[StrictTypes.int, StrictTypes.bool],
            # An optional field that is not nullable may be left out, not sent as null.
            strict_nullable=True,
            formatters=[],
        )
    except Exception as error:  # the library raises bare exceptions for bad schemas
        raise UserError(f"cannot turn the contract's schemas into models: {error}") from None
    if not isinstance(source, str):
        raise UserError("the contract's schemas produced no models")
    body = normalise_quotes(source).strip()
    if body.startswith("#"):
        # Drop the library's own header comment: ours says where the file comes from.
        lines = body.splitlines()
        while lines and (lines[0].startswith("#") or not lines[0].strip()):
            lines.pop(0)
        body = "\n".join(lines)
    # Descriptions come verbatim from the contract and may run past the line length.
    return f"# ruff: noqa: E501\n{group_imports(body)}\n"


def group_imports(source: str) -> str:
    """Separate the leading import block into future, standard-library and third-party groups,
    as isort does; the library emits them without the blank lines between."""
    lines = source.splitlines()
    end = 0
    while end < len(lines) and (lines[end].startswith(("from ", "import ")) or not lines[end]):
        end += 1
    groups: list[list[str]] = [[], [], []]
    for line in lines[:end]:
        if not line:
            continue
        module = line.split()[1].split(".")[0]
        if module == "__future__":
            groups[0].append(line)
        elif module in sys.stdlib_module_names:
            groups[1].append(line)
        else:
            groups[2].append(line)
    block = "\n\n".join("\n".join(sorted(group)) for group in groups if group)
    rest = "\n".join(lines[end:]).lstrip("\n")
    return f"{block}\n\n\n{rest}"


def black_format(source: str) -> str:
    """Format with black, which datamodel-code-generator always installs; its style is
    ruff's. Used when ruff is not at hand, and for the shipped models."""
    import black
    from black.mode import TargetVersion

    mode = black.Mode(line_length=100, target_versions={TargetVersion.PY311})
    return black.format_str(source, mode=mode)


def normalise_quotes(source: str) -> str:
    """Rewrite single-quoted string literals as double-quoted ones, as ruff format would."""
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    out = source.splitlines(keepends=True)
    # Replace from the end so earlier columns stay valid.
    for tok in reversed(tokens):
        if tok.type != tokenize.STRING or tok.start[0] != tok.end[0]:
            continue
        text = tok.string
        prefix_len = len(text) - len(text.lstrip("rbuRBUfF"))
        prefix, literal = text[:prefix_len], text[prefix_len:]
        if not literal.startswith("'") or literal.startswith("'''"):
            continue
        inner = literal[1:-1]
        if '"' in inner or "\\'" in inner:
            continue
        row, (start, end) = tok.start[0] - 1, (tok.start[1], tok.end[1])
        line = out[row]
        out[row] = line[:start] + prefix + '"' + inner + '"' + line[end:]
    return "".join(out)

"""Rendering a project into a directory: cookiecutter for the template, Python for the rest."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from shopgen.modules import module_dir, spec
from shopgen.resources import unpacked_name
from shopgen.schemas import modeline

from ._archive import pack_bases
from ._columns import frozenset_literal, tuple_literal
from ._context import ProjectContext
from ._manifest import (
    ANSWERS_FILE,
    BASE_ARCHIVE,
    CLIENT_DIR,
    CLIENT_TARGET,
    CONTRACT_COPY,
    HEADER,
    Manifest,
    build_manifest,
)
from ._payloads import payload_blocks
from ._schemas import black_format, generate_models

if TYPE_CHECKING:
    from jinja2 import BytecodeCache, Environment

__all__ = ["bake", "render_template"]

_CACHES = "__pycache__"


def bake(
    template: Path,
    questions: dict[str, Any],
    context: ProjectContext,
    *,
    contract_bytes: bytes,
    contract_sha256: str,
    into: Path,
    format_code: bool = True,
) -> Path:
    """Render the project under `into` and return its directory."""
    project = _generate(template, questions, context, into)
    _drop_left_out(project, context)
    formatted, stubs = _write_python_made(template, project, context, contract_bytes)
    if not (format_code and format_python(project)) and not formatted:
        # The template is written ruff-clean; only freshly generated models need formatting.
        schemas = project / "app/api/schemas.py"
        schemas.write_text(black_format(schemas.read_text(encoding="utf-8")), encoding="utf-8")
    _write_answers(project, context, contract_sha256, stubs)
    return project


def render_template(
    template: Path,
    questions: dict[str, Any],
    context: ProjectContext,
    *,
    into: Path,
    format_code: bool = True,
) -> Path:
    """Render only the template's own files (no contract-generated ones, no `.env`, no
    record) under `into`, formatted as `bake` formats them: an earlier release's files."""
    project = _generate(template, questions, context, into)
    _drop_left_out(project, context)
    if format_code:
        format_python(project)
    return project


def _generate(
    template: Path, questions: dict[str, Any], context: ProjectContext, into: Path
) -> Path:
    """Cookiecutter renders the template's files.

    Its lower-level API is used on purpose: `cookiecutter()` reads the user's config and
    writes replay files under the home directory. Prompting happened already, `.shopgen.yaml`
    is this project's replay file.
    """
    from cookiecutter.generate import generate_files  # type: ignore[import-untyped]

    variables: OrderedDict[str, Any] = OrderedDict(
        (k, v) for k, v in questions.items() if k.startswith("_") and k != "__prompts__"
    )
    variables.update(context.answers.as_context())
    variables["_shopgen"] = context
    variables["_template"] = str(template)
    # An earlier release's template (see `render_template`) may predate a module.
    modules = tuple(name for name in context.modules if module_dir(template, name).is_dir())
    variables["_modules"] = module_docs(template, modules)
    copied = [
        *variables.get("_copy_without_render", []),
        # pip compiles the installed template's modules; their caches are copied, not
        # rendered, and removed below, so no project carries them.
        f"*/{_CACHES}",
    ]
    variables["_copy_without_render"] = [*copied, *_verbatim(template)]
    variables["_jinja2_env_vars"] = {
        **variables.get("_jinja2_env_vars", {}),
        "bytecode_cache": _bytecode_cache(),
    }
    project = Path(
        generate_files(
            repo_dir=str(template),
            context={"cookiecutter": variables},
            output_dir=str(into),
            overwrite_if_exists=False,
            accept_hooks=True,
        )
    )
    for name in modules:
        # Each module is a template of its own, rendered into the same project directory.
        folder = module_dir(template, name)
        own = OrderedDict(variables)
        own["_copy_without_render"] = [*copied, *_verbatim(folder)]
        generate_files(
            repo_dir=str(folder),
            context={"cookiecutter": own},
            output_dir=str(into),
            overwrite_if_exists=True,
            accept_hooks=False,
        )
    for cache in sorted(project.rglob(_CACHES), reverse=True):
        shutil.rmtree(cache, ignore_errors=True)
    _unpack(project)
    return project


def _unpack(project: Path) -> None:
    """Give the installed template's Python files their names back (`app/main.py-tpl`)."""
    for folder, _, files in os.walk(project):
        for name in files:
            unpacked = unpacked_name(name)
            if unpacked != name:
                (Path(folder) / name).replace(Path(folder) / unpacked)


def _bytecode_cache() -> BytecodeCache | None:
    """The template's compiled files, kept between runs in the user's cache directory.

    Jinja keys each entry by the template's path and checks it against a hash of the source,
    so an upgraded or edited template is compiled afresh. Without a writable cache directory
    every run compiles, as it would without the cache.
    """
    from jinja2 import FileSystemBytecodeCache

    from shopgen import __version__

    base = os.environ.get("XDG_CACHE_HOME")
    try:
        cache = Path(base) if base else Path.home() / ".cache"
        directory = cache / "shopgen" / f"templates-{__version__}"
        directory.mkdir(parents=True, exist_ok=True)
    except (OSError, RuntimeError):  # RuntimeError: no home directory to be found
        return None
    return FileSystemBytecodeCache(str(directory))


def _verbatim(template: Path) -> list[str]:
    """The template's files without Jinja in them, as `_copy_without_render` patterns.

    Most of the template is plain Python; copying those files instead of compiling each one
    as a Jinja template takes a third off `shopgen new`. Their names are still rendered.
    Cookiecutter tries every pattern on every path, so a folder with nothing but such files
    is one pattern (`folder/*`, which reaches into its subfolders) instead of one per file.
    """
    import glob

    plain: set[str] = set()
    templated: set[str] = set()
    for path in template.glob("{{cookiecutter.*}}/**/*"):
        if _CACHES in path.parts or not path.is_file():
            continue
        data = path.read_bytes()
        has_jinja = b"{{" in data or b"{%" in data or b"{#" in data
        (templated if has_jinja else plain).add(path.relative_to(template).as_posix())
    mixed = {
        name.rsplit("/", depth)[0] for name in templated for depth in range(1, name.count("/") + 1)
    }
    found = []
    for name in sorted(plain):
        parts = name.split("/")
        # The outermost folder below the project folder that holds no templated file.
        whole = next(
            (
                "/".join(parts[:depth])
                for depth in range(2, len(parts))
                if "/".join(parts[:depth]) not in mixed
            ),
            None,
        )
        found.append(glob.escape(whole) + "/*" if whole is not None else glob.escape(name))
    return list(dict.fromkeys(found))


def _drop_left_out(project: Path, context: ProjectContext) -> None:
    """Remove the packages of the features the answers turned off (e.g. Shopify sync)."""
    for relative in context.excluded_paths:
        path = project / relative
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def _write_python_made(
    template: Path, project: Path, context: ProjectContext, contract_bytes: bytes
) -> tuple[bool, tuple[str, ...]]:
    """Write what Python makes; whether the models came formatted, and the stubs written."""
    (project / CONTRACT_COPY).parent.mkdir(parents=True, exist_ok=True)
    (project / CONTRACT_COPY).write_bytes(contract_bytes)
    models, formatted = generate_models(context.document, context.inline_bodies, HEADER)
    (project / "app/api/schemas.py").write_text(models, encoding="utf-8")
    stubs = _write_stubs(template, project, context)
    _write_contract_fields(template, project, context)
    _write_client(project, context)
    env_file = project / ".env"
    env_file.write_text(_dotenv(context), encoding="utf-8")
    env_file.chmod(0o600)
    return formatted, stubs


def _write_client(project: Path, context: ProjectContext) -> None:
    """The mini-program client of the contract, regenerated with it like the binding layer."""
    from shopgen.client import render_client

    header = "// " + HEADER.removeprefix("# ")
    directory = project / CLIENT_DIR
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in render_client(context.contract, CLIENT_TARGET, header=header).items():
        (directory / name).write_text(text, encoding="utf-8")


def _partials(template: Path) -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(str(template / "partials")),
        bytecode_cache=_bytecode_cache(),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["frozenset_literal"] = frozenset_literal
    env.filters["tuple_literal"] = tuple_literal
    return env


def _write_stubs(template: Path, project: Path, context: ProjectContext) -> tuple[str, ...]:
    """One handler stub per operation no domain package implements, in the user's zone."""
    stub = _partials(template).get_template("custom_handler.py.jinja")
    written = []
    for op in context.custom:
        name = f"app/custom/{op.function_name}.py"
        (project / name).write_text(stub.render(op=op, ctx=context), encoding="utf-8")
        written.append(name)
    return tuple(written)


def _write_contract_fields(template: Path, project: Path, context: ProjectContext) -> None:
    """The columns of the fields the contract adds to the template's tables, and the values
    the tests add to request bodies for the ones it requires. A table whose domain package
    the answers left out gets no mixin."""
    env = _partials(template)
    mixin = env.get_template("contract_fields.py.jinja")
    for fields in context.fields.values():
        target = project / fields.resource.mixin_path
        if target.parent.is_dir():
            target.write_text(mixin.render(fields=fields, header=HEADER), encoding="utf-8")
    payloads = env.get_template("payloads.py.jinja")
    text = payloads.render(payloads=payload_blocks(context.fields), header=HEADER)
    (project / "tests" / "payloads.py").write_text(text, encoding="utf-8")


def _dotenv(context: ProjectContext) -> str:
    """The local `.env`: this project's own secrets, made now, never a fixed default."""
    database = "sqlite+aiosqlite:///./shop.db"
    if context.answers.database == "postgresql":
        slug = context.answers.project_slug.replace("-", "_")
        database = f"postgresql+asyncpg://shop:shop@127.0.0.1:5432/{slug}"
    text = (
        "# Local settings for development; never commit this file (see .env.example).\n"
        "ENVIRONMENT=development\n"
        f"DATABASE_URL={database}\n"
        f"JWT_SECRET={secrets.token_urlsafe(48)}\n"
        "FIRST_SUPERUSER_EMAIL=admin@example.com\n"
        f"FIRST_SUPERUSER_PASSWORD={secrets.token_urlsafe(18)}\n"
    )
    if "mock" in context.payment_channels:
        # Fixed per project, so mock notifications verify across restarts and workers.
        text += f"PAYMENT_MOCK_SECRET={secrets.token_urlsafe(32)}\n"
    for name in context.modules:
        for setting in spec(name).secrets:
            text += f"{setting}={secrets.token_urlsafe(32)}\n"
    return text


@dataclass(frozen=True, slots=True)
class ModuleDoc:
    """What a module adds to the project's README and `.env.example`."""

    name: str
    summary: str
    readme: str
    env_example: str


def module_docs(template: Path, names: tuple[str, ...]) -> list[ModuleDoc]:
    docs = []
    for name in names:
        folder = module_dir(template, name)
        docs.append(
            ModuleDoc(
                name=name,
                summary=spec(name).summary,
                readme=(folder / "README.md").read_text(encoding="utf-8").strip() + "\n",
                env_example=(folder / "env.example").read_text(encoding="utf-8").strip() + "\n",
            )
        )
    return docs


def _write_answers(
    project: Path, context: ProjectContext, contract_sha256: str, stubs: tuple[str, ...]
) -> None:
    manifest = build_manifest(project, stubs)
    _write_base(project, manifest)
    state = {
        "shopgen_version": context.shopgen_version,
        "contract": {"path": CONTRACT_COPY, "sha256": contract_sha256},
        "answers": context.answers.as_context(),
        "files": manifest.as_dict(),
    }
    text = modeline("project") + "\n"
    text += "# shopgen's record of how this project was made; `shopgen update` reads it.\n"
    text += yaml.safe_dump(state, sort_keys=False, allow_unicode=True)
    (project / ANSWERS_FILE).write_text(text, encoding="utf-8")


def _write_base(project: Path, manifest: Manifest) -> None:
    """Keep the generated and template files as written: `shopgen update` merges edits
    against them."""
    archive = project / BASE_ARCHIVE
    archive.parent.mkdir(parents=True, exist_ok=True)
    archive.write_bytes(
        pack_bases({name: (project / name).read_bytes() for name in manifest.merged})
    )


def _ruff() -> str | None:
    found = shutil.which("ruff")
    if found:
        return found
    candidate = Path(sys.executable).with_name("ruff")
    return str(candidate) if candidate.is_file() and os.access(candidate, os.X_OK) else None


def format_python(project: Path) -> bool:
    """Format the project's Python with ruff when it is installed; the output is already
    close to ruff's style, so without ruff it is left as rendered."""
    ruff = _ruff()
    if ruff is None:
        return False
    subprocess.run(
        [ruff, "format", "--no-cache", "--quiet", "."],
        cwd=project,
        capture_output=True,
        check=False,
    )
    return True

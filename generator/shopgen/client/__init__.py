"""A typed TypeScript client from the contract: plain ES modules and `.d.ts`, no dependencies.

    result = generate("specs/shop.openapi.yaml", "miniprogram", Path("miniprogram/api"))

One function per operation, named by operationId; the `{code, data, msg}` envelope unwrapped
into `data` or thrown as a `ShopApiError`; bearer tokens kept and refreshed once on 40102 with
concurrent callers waiting on that one refresh; `Idempotency-Key` generated where the contract
requires it; `Retry-After` honoured on 429 and 503. Target `miniprogram` sends with
`wx.request` (and logs in with `wx.login`), target `fetch` with `fetch`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shopgen.contract import Contract, load_contract
from shopgen.errors import LintFailed, UserError

from ._emit import TARGETS, Target, client_files

__all__ = ["TARGETS", "ClientResult", "Target", "generate", "render_client"]


@dataclass(frozen=True)
class ClientResult:
    output: Path
    files: tuple[str, ...]


def render_client(contract: Contract, target: Target) -> dict[str, str]:
    """The client's files, by name, without writing anything."""
    if target not in TARGETS:
        raise UserError(f"target `{target}` is unknown; choose {' or '.join(TARGETS)}")
    return client_files(Contract.from_document(contract.bundled()), target, contract.path.name)


def generate(
    contract: str | Path, target: Target, output: Path, *, skip_lint: bool = False
) -> ClientResult:
    """Write the client of `contract` into `output` (created if need be).

    Only the client's own files are written, each replaced atomically; other files in `output`
    stay. A contract with lint errors writes nothing unless `skip_lint`.
    """
    loaded = load_contract(contract)
    if not skip_lint:
        _stop_on_lint_errors(loaded)
    files = render_client(loaded, target)
    _write(output, files)
    return ClientResult(output, tuple(sorted(files)))


def _stop_on_lint_errors(contract: Contract) -> None:
    from shopgen import lint

    errors = lint.lint_contract(contract).errors
    if not errors:
        return
    shown = "; ".join(f"{f.line}:{f.column}: {f.message} [{f.rule}]" for f in errors[:3])
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    raise LintFailed(
        f"the contract has {len(errors)} lint error(s), nothing generated: {shown}{more}; "
        "fix them or pass --skip-lint",
        path=contract.path,
    )


def _write(output: Path, files: dict[str, str]) -> None:
    import os
    import tempfile

    if output.exists() and not output.is_dir():
        raise UserError("is not a directory", path=output)
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot create the directory: {error.strerror}", path=output) from None
    staged: list[tuple[str, Path]] = []
    try:
        for name, text in files.items():
            handle, temporary = tempfile.mkstemp(prefix=f".{name}.", dir=output)
            staged.append((temporary, output / name))
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
                out.write(text)
    except OSError as error:
        for temporary, _ in staged:
            Path(temporary).unlink(missing_ok=True)
        raise UserError(f"cannot write: {error.strerror}", path=output) from None
    for temporary, target in staged:
        Path(temporary).replace(target)

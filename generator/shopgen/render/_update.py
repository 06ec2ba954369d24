"""`shopgen update`: regenerate a project after its contract (or shopgen) changed, keeping
every hand-written line.

    plan = render.update(Path("shop-api"), contract=None, dry_run=False, overrides={},
                         force=False)

How it decides, file by file (the split comes from the manifest in `.shopgen.yaml`):

- The project is rendered again into a temporary directory, from its contract copy (or
  `contract`, which replaces the copy) and the recorded answers (with `overrides`), by the
  installed shopgen's template: the *new* rendering.
- *Generated* files are merged three-way: *base* is the file as shopgen last wrote it, kept in
  `.shopgen/base/` (committed with the project, 239 kB for the bundled contract), *yours*
  is the file in the project, *new* is the new rendering. Untouched by you, it is replaced;
  edited by you, `git merge-file` merges the two changes, and lines both changed are left
  between standard conflict markers and listed (exit 1). The contract copy is not merged: it
  is whatever contract the new rendering came from.
- *User-owned* files are never written once they exist. A new one (a stub in `app/custom/` for
  a new operation, a file a newer template added) is created; one you deleted stays deleted.
  A handler in `app/custom/` whose operation left the contract is reported, not deleted.
- A project made before `.shopgen/base/` existed gets its base by rendering the recorded
  answers and contract again, which is exact only with the same shopgen and an unchanged
  contract copy; otherwise update stops and says how to get there.

Merging needs the `git` command (the project need not be a repository). In a git work tree,
update refuses uncommitted changes unless `force`, so its own changes can always be diffed
and reverted; the contract copy is exempt, since editing it is how a contract changes.
Everything is computed before anything is written, then each file is replaced atomically.
"""

from __future__ import annotations

import hashlib
import itertools
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from shopgen import __version__
from shopgen.contract import Contract, load_contract
from shopgen.errors import UserError
from shopgen.files import load_yaml, parse_yaml, write_atomic
from shopgen.resources import template_dir

from ._answers import Answers, read_questions
from ._bake import bake
from ._context import build_context
from ._fields import collect_fields
from ._manifest import ANSWERS_FILE, BASE_DIR, CONTRACT_COPY
from ._merge import dirty_files, merge_three
from ._record import ProjectRecord, read_record, version_key

__all__ = ["UpdatePlan", "update"]

_CUSTOM_DIR = "app/custom/"


@dataclass(frozen=True, slots=True)
class UpdatePlan:
    """What an update did (or, in a dry run, would do), by project-relative path."""

    project: Path
    dry_run: bool
    created: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    merged: tuple[str, ...] = ()
    conflicted: tuple[str, ...] = ()
    untouched: tuple[str, ...] = ()
    # Handlers in app/custom/ whose operation is gone: (path, operationId or "").
    orphaned_handlers: tuple[tuple[str, str], ...] = ()
    added_operations: tuple[str, ...] = ()
    removed_operations: tuple[str, ...] = ()
    new_columns: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        return 1 if self.conflicted else 0

    @property
    def migration_command(self) -> str | None:
        """The Alembic command that turns the new columns into a revision, if there are any."""
        if not self.new_columns:
            return None
        message = "add " + ", ".join(self.new_columns)
        return f'alembic revision --autogenerate -m "{message}"'

    def lines(self) -> list[str]:
        """The plan as text, one line each."""
        verb = "would change" if self.dry_run else "changed"
        out = [f"{self.project}: dry run, nothing written" if self.dry_run else f"{self.project}:"]
        for kind, names in (
            ("created", self.created),
            ("updated", self.updated),
            ("merged", self.merged),
            ("conflicted", self.conflicted),
        ):
            out.extend(f"  {kind:<11} {name}" for name in names)
        out.append(f"  {'untouched':<11} {len(self.untouched)} file(s)")
        if self.added_operations:
            out.append(f"operations added: {', '.join(self.added_operations)}")
        if self.removed_operations:
            out.append(f"operations removed: {', '.join(self.removed_operations)}")
        for path, operation in self.orphaned_handlers:
            named = f" ({operation})" if operation else ""
            out.append(
                f"kept {path}{named}: its operation left the contract and nothing routes to it; "
                "delete it or move its code"
            )
        if self.migration_command:
            out.append(
                f"new columns: {', '.join(self.new_columns)}; with the database at head "
                f"(`alembic upgrade head`), run `{self.migration_command}`, review the revision "
                "and commit it"
            )
        if self.conflicted:
            out.append(
                f"{len(self.conflicted)} file(s) {verb} with conflicts: resolve the "
                "<<<<<<< yours / >>>>>>> shopgen blocks, then commit"
            )
        return out


@dataclass(slots=True)
class _Write:
    content: bytes
    mode: int


@dataclass(slots=True)
class _Work:
    """The plan under construction and the writes it needs."""

    writes: dict[str, _Write] = field(default_factory=dict)
    kinds: dict[str, list[str]] = field(
        default_factory=lambda: {k: [] for k in ("created", "updated", "merged", "conflicted")}
    )
    untouched: list[str] = field(default_factory=list)


def update(
    project_dir: Path,
    *,
    contract: Path | None,
    dry_run: bool,
    overrides: dict[str, str],
    force: bool,
) -> UpdatePlan:
    """Regenerate `project_dir` from its contract (or `contract`) and the installed template.

    Returns the plan; with `dry_run` nothing is written. Raises `UserError` (nothing written)
    for a directory that is not a shopgen project, a bad `.shopgen.yaml`, a project recorded by
    a newer shopgen, a contract with lint errors, bad overrides or a dirty git work tree
    without `force`. Conflicts are no error: they are in the plan (`exit_code` 1).
    """
    project = project_dir.absolute()
    record = read_record(project)
    _check_version(record)
    answers = record.reanswer(overrides)
    if not force:
        _check_clean(project, exempt=() if contract is not None else (CONTRACT_COPY,))
    loaded = load_contract(contract if contract is not None else project / CONTRACT_COPY)
    from shopgen import lint

    lint.require_clean(loaded, stopped="nothing updated", error=UserError)
    template = template_dir()
    questions = read_questions(template)
    with tempfile.TemporaryDirectory(prefix="shopgen-update-") as tmp:
        rendered = bake(
            template,
            questions,
            build_context(loaded, answers),
            contract_bytes=loaded.path.read_bytes(),
            contract_sha256=loaded.sha256,
            into=Path(tmp) / "new",
        )
        state = _read_state(rendered)
        generated = tuple(state["files"]["generated"])
        base = _base(project, record, generated, template, questions, Path(tmp) / "old")
        work = _Work()
        for name in generated:
            _plan_generated(work, name, project, rendered, base.get(name))
        for name in state["files"]["user_owned"]:
            _plan_user_owned(work, name, project, rendered, record)
        orphans = _orphaned_handlers(project, record, rendered)
        old_document = _old_document(base)
        plan = UpdatePlan(
            project=project,
            dry_run=dry_run,
            created=tuple(work.kinds["created"]),
            updated=tuple(work.kinds["updated"]),
            merged=tuple(work.kinds["merged"]),
            conflicted=tuple(work.kinds["conflicted"]),
            untouched=tuple(work.untouched),
            orphaned_handlers=orphans,
            added_operations=_sorted_difference(
                _operation_ids(loaded.document), _operation_ids(old_document)
            ),
            removed_operations=_sorted_difference(
                _operation_ids(old_document), _operation_ids(loaded.document)
            ),
            new_columns=_new_columns(old_document, loaded),
        )
        if not dry_run:
            _bookkeeping(work, project, rendered, state, record, generated)
            _apply(project, work.writes)
    return plan


def _check_version(record: ProjectRecord) -> None:
    if version_key(record.shopgen_version) > version_key(__version__):
        raise UserError(
            f"the project was made by shopgen {record.shopgen_version}, newer than this "
            f"shopgen {__version__}; upgrade shopgen to update it",
            path=record.path,
        )


def _check_clean(project: Path, *, exempt: tuple[str, ...]) -> None:
    dirty = dirty_files(project, exempt=exempt)
    if dirty:
        more = f" (and {len(dirty) - 1} more)" if len(dirty) > 1 else ""
        raise UserError(
            f"the git work tree has uncommitted changes: `{dirty[0]}`{more}; commit or stash "
            "them so the update can be reviewed and reverted, or pass --force",
            path=project,
        )


def _read_state(rendered: Path) -> dict[str, Any]:
    state: dict[str, Any] = load_yaml(rendered / ANSWERS_FILE)
    return state


def _base(
    project: Path,
    record: ProjectRecord,
    generated: Iterable[str],
    template: Path,
    questions: dict[str, Any],
    scratch: Path,
) -> dict[str, bytes]:
    """The generated files as shopgen last wrote them."""
    kept = project / BASE_DIR
    if kept.is_dir():
        names = set(generated) | set(record.generated)
        return {n: (kept / n).read_bytes() for n in names if (kept / n).is_file()}
    copy = project / CONTRACT_COPY
    unchanged = copy.is_file() and hashlib.sha256(copy.read_bytes()).hexdigest() == (
        record.contract_sha256
    )
    if record.shopgen_version != __version__ or not unchanged:
        raise UserError(
            f"`{BASE_DIR}/` is missing and the project cannot be rendered as it was (made by "
            f"shopgen {record.shopgen_version}, contract copy "
            f"{'unchanged' if unchanged else 'changed'}); restore `{CONTRACT_COPY}` as "
            "generated, pass the new contract with --contract, and use the recorded shopgen",
            path=project,
        )
    old = load_contract(copy)
    answers: Answers = record.reanswer({})
    rendered = bake(
        template,
        questions,
        build_context(old, answers),
        contract_bytes=copy.read_bytes(),
        contract_sha256=old.sha256,
        into=scratch,
    )
    names = set(generated) | set(record.generated)
    return {n: (rendered / n).read_bytes() for n in names if (rendered / n).is_file()}


def _read(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


def _plan_generated(
    work: _Work, name: str, project: Path, rendered: Path, base: bytes | None
) -> None:
    source = rendered / name
    new = source.read_bytes()
    mode = source.stat().st_mode & 0o777
    current = _read(project / name)
    if current is None:
        work.kinds["created"].append(name)
        work.writes[name] = _Write(new, mode)
    elif current == new:
        work.untouched.append(name)
    elif name == CONTRACT_COPY or current == base:
        work.kinds["updated"].append(name)
        work.writes[name] = _Write(new, mode)
    else:
        merged = merge_three(name, current=current, base=base or b"", new=new)
        if merged.content == current:
            work.untouched.append(name)
            return
        work.kinds["conflicted" if merged.conflicts else "merged"].append(name)
        work.writes[name] = _Write(merged.content, (project / name).stat().st_mode & 0o777)


def _plan_user_owned(
    work: _Work, name: str, project: Path, rendered: Path, record: ProjectRecord
) -> None:
    known = name in record.user_owned or name in record.generated
    if (project / name).exists() or known:
        work.untouched.append(name)
        return
    source = rendered / name
    work.kinds["created"].append(name)
    work.writes[name] = _Write(source.read_bytes(), source.stat().st_mode & 0o777)


def _orphaned_handlers(
    project: Path, record: ProjectRecord, rendered: Path
) -> tuple[tuple[str, str], ...]:
    found: list[tuple[str, str]] = []
    for name in record.user_owned:
        if not name.startswith(_CUSTOM_DIR) or not name.endswith(".py"):
            continue
        if name.endswith("/__init__.py") or (rendered / name).exists():
            continue
        path = project / name
        if path.is_file():
            found.append((name, _stub_operation(path)))
    return tuple(found)


def _stub_operation(path: Path) -> str:
    """The operationId a stub's docstring opens with (`\"\"\"createThing: POST /things`)."""
    first = path.read_text(encoding="utf-8", errors="replace").lstrip().split("\n", 1)[0]
    head = first.removeprefix('"""').split(":", 1)[0].strip()
    return head if head.isidentifier() else ""


def _old_document(base: Mapping[str, bytes]) -> Mapping[str, Any]:
    content = base.get(CONTRACT_COPY)
    if content is None:
        return {}
    try:
        document = parse_yaml(content, Path(BASE_DIR, CONTRACT_COPY))
    except UserError:
        return {}
    return document if isinstance(document, Mapping) else {}


def _operation_ids(document: Mapping[str, Any]) -> set[str]:
    ids: set[str] = set()
    paths = document.get("paths")
    for item in paths.values() if isinstance(paths, Mapping) else ():
        for operation in item.values() if isinstance(item, Mapping) else ():
            if isinstance(operation, Mapping) and isinstance(operation.get("operationId"), str):
                ids.add(operation["operationId"])
    return ids


def _sorted_difference(left: set[str], right: set[str]) -> tuple[str, ...]:
    return tuple(sorted(left - right))


def _new_columns(old: Mapping[str, Any], new: Contract) -> tuple[str, ...]:
    """`Model.field` for each column the new contract adds to a table, in `RESOURCES` order."""
    if not old:
        return ()
    before = collect_fields(Contract.from_document(dict(old)))
    columns: list[str] = []
    for table, fields in collect_fields(new).items():
        known = set(before[table].names) if table in before else set()
        columns.extend(f"{fields.resource.model}.{n}" for n in fields.names if n not in known)
    return tuple(columns)


def _bookkeeping(
    work: _Work,
    project: Path,
    rendered: Path,
    state: dict[str, Any],
    record: ProjectRecord,
    generated: tuple[str, ...],
) -> None:
    """Queue the new merge base and the new `.shopgen.yaml`, written after the project files."""
    for name in generated:
        work.writes[f"{BASE_DIR}/{name}"] = _Write((rendered / name).read_bytes(), 0o644)
    rendered_owned = set(state["files"]["user_owned"])
    still_there = {n for n in record.user_owned if (project / n).exists()}
    state["files"]["user_owned"] = sorted((rendered_owned | still_there) - set(generated))
    lines = (rendered / ANSWERS_FILE).read_text(encoding="utf-8").splitlines(keepends=True)
    header = "".join(line for line in itertools.takewhile(lambda x: x.startswith("#"), lines))
    text = header + yaml.safe_dump(state, sort_keys=False, allow_unicode=True)
    work.writes[ANSWERS_FILE] = _Write(text.encode("utf-8"), 0o644)


def _apply(project: Path, writes: Mapping[str, _Write]) -> None:
    """Replace each file atomically; the answers file goes last, so it records a whole update."""
    order = sorted(writes, key=lambda name: (name == ANSWERS_FILE, name))
    for name in order:
        write_atomic(project / name, writes[name].content, mode=writes[name].mode)

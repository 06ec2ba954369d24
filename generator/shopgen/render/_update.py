"""`shopgen update`: regenerate a project after its contract (or shopgen) changed, keeping
every hand-written line.

    plan = render.update(Path("shop-api"), contract=None, dry_run=False, overrides={},
                         force=False)

How it decides, file by file (the kinds come from the new rendering's manifest):

- The project is rendered again into a temporary directory, from its contract copy (or
  `contract`, which replaces the copy) and the recorded answers (with `overrides`), by the
  installed shopgen's template: the *new* rendering.
- *Generated* files (from the contract) and *template* files (from the template: domain
  code, models, tests, README) are merged three-way: *base* is the file as
  shopgen last wrote it, kept in `.shopgen/base.tar` (committed with the project; projects
  of earlier releases keep `.shopgen/base/`, replaced by the archive on update), *yours* is
  the file in the project, *new* is the new rendering. Untouched by you, it is replaced;
  edited by you, `git merge-file` merges the two changes, and lines both changed are left
  between standard conflict markers and listed (exit 1). The contract copy is not merged: it
  is whatever contract the new rendering came from. A template file you deleted stays
  deleted (reported); a new one is created. Without any base to merge against, an edited
  template file is kept as it is (reported).
- *User-owned* files (the stubs in `app/custom/`, and every file shopgen never wrote) are
  never written once they exist; a new stub (for a new operation) is created. A handler in
  `app/custom/` whose operation left the contract is reported, not deleted.
- Bases the project lacks (template files of projects made by 0.1.0, which kept bases
  for generated files only) are rebuilt by rendering the template of the release that made
  the project, shipped with shopgen, with the recorded answers (see `_bases`).
- `--set modules=...` adds modules (their contract fragment is merged into the contract
  copy, their files are created) or, only with `remove_modules`, removes them: their marked
  operations and schemas leave the contract and the files their folder renders are deleted,
  with their bases.

Merging needs the `git` command (the project need not be a repository). In a git work tree,
update refuses uncommitted changes unless `force`, so its own changes can always be diffed
and reverted; the contract copy is exempt, since editing it is how a contract changes.
Everything is computed before anything is written, then each file is replaced atomically.
"""

from __future__ import annotations

import itertools
import shutil
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

from ._answers import read_questions
from ._archive import kept_bases, pack_bases
from ._bake import bake
from ._bases import merge_bases
from ._context import build_context
from ._fields import collect_fields
from ._manifest import ANSWERS_FILE, BASE_ARCHIVE, BASE_DIR, CONTRACT_COPY
from ._merge import dirty_files, merge_three
from ._modules import compose, module_files
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
    # Template files the user deleted, kept deleted; edited ones without a base, kept as is.
    kept_deleted: tuple[str, ...] = ()
    kept_unmerged: tuple[str, ...] = ()
    # (path, "generated" | "template" | "user") of every file listed above.
    kinds: tuple[tuple[str, str], ...] = ()
    # Handlers in app/custom/ whose operation is gone: (path, operationId or "").
    orphaned_handlers: tuple[tuple[str, str], ...] = ()
    added_operations: tuple[str, ...] = ()
    removed_operations: tuple[str, ...] = ()
    new_columns: tuple[str, ...] = ()
    # Files of removed modules, deleted.
    deleted: tuple[str, ...] = ()
    added_modules: tuple[str, ...] = ()
    removed_modules: tuple[str, ...] = ()
    # The project's modules after the update: migrations then live on several branches.
    modules: tuple[str, ...] = ()

    def kind_of(self, name: str) -> str:
        """`generated`, `template` or `user`."""
        return dict(self.kinds).get(name, "user")

    @property
    def exit_code(self) -> int:
        return 1 if self.conflicted else 0

    @property
    def migration_command(self) -> str | None:
        """The Alembic command that turns the new columns into a revision, if there are any."""
        if not self.new_columns:
            return None
        message = "add " + ", ".join(self.new_columns)
        head = " --head 0001@head" if self.modules else ""
        return f'alembic revision --autogenerate{head} -m "{message}"'

    def lines(self) -> list[str]:
        """The plan as text, one line each."""
        verb = "would change" if self.dry_run else "changed"
        out = [f"{self.project}: dry run, nothing written" if self.dry_run else f"{self.project}:"]
        for kind, names in (
            ("created", self.created),
            ("updated", self.updated),
            ("merged", self.merged),
            ("conflicted", self.conflicted),
            ("deleted", self.deleted),
        ):
            out.extend(f"  {kind:<11} {self.kind_of(name):<10}{name}" for name in names)
        out.append(f"  {'untouched':<11} {len(self.untouched)} file(s)")
        out.extend(
            f"kept deleted {name}: a template file you deleted; to have it back, drop it "
            f"from `files.template` in {ANSWERS_FILE} and update again"
            for name in self.kept_deleted
        )
        out.extend(
            f"kept {name} as it is: edited, and no base to merge the template's changes against"
            for name in self.kept_unmerged
        )
        if self.added_operations:
            out.append(f"operations added: {', '.join(self.added_operations)}")
        if self.removed_operations:
            out.append(f"operations removed: {', '.join(self.removed_operations)}")
        for name in self.added_modules:
            out.append(
                f"module {name} added: run `alembic upgrade heads` for its tables and set its "
                "settings (see its section of the README of a project made with it)"
            )
        for name in self.removed_modules:
            out.append(f"module {name} removed, with its operations, code and migrations")
        for path, operation in self.orphaned_handlers:
            named = f" ({operation})" if operation else ""
            out.append(
                f"kept {path}{named}: its operation left the contract and nothing routes to it; "
                "delete it or move its code"
            )
        if self.migration_command:
            out.append(
                f"new columns: {', '.join(self.new_columns)}; with the database at head "
                f"(`alembic upgrade {'heads' if self.modules else 'head'}`), run "
                f"`{self.migration_command}`, review the revision and commit it"
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
    kept_deleted: list[str] = field(default_factory=list)
    kept_unmerged: list[str] = field(default_factory=list)


def update(
    project_dir: Path,
    *,
    contract: Path | None,
    dry_run: bool,
    overrides: dict[str, str],
    force: bool,
    remove_modules: bool = False,
) -> UpdatePlan:
    """Regenerate `project_dir` from its contract (or `contract`) and the installed template.

    Returns the plan; with `dry_run` nothing is written. Raises `UserError` (nothing written)
    for a directory that is not a shopgen project, a bad `.shopgen.yaml`, a project recorded by
    a newer shopgen, a contract with lint errors, bad overrides or a dirty git work tree
    without `force`, or an answer that removes a module without `remove_modules`. Conflicts are
    no error: they are in the plan (`exit_code` 1).
    """
    project = project_dir.absolute()
    record = read_record(project)
    _check_version(record)
    answers = record.reanswer(overrides)
    before = record.reanswer({}).modules
    removed = tuple(name for name in before if name not in answers.modules)
    if removed and not remove_modules:
        _refuse_removal(removed, record)
    if not force:
        _check_clean(project, exempt=() if contract is not None else (CONTRACT_COPY,))
    loaded = load_contract(contract if contract is not None else project / CONTRACT_COPY)
    from shopgen import lint

    lint.require_clean(loaded, stopped="nothing updated", error=UserError)
    template = template_dir()
    questions = read_questions(template)
    composed = compose(loaded, answers.modules, template)
    with tempfile.TemporaryDirectory(prefix="shopgen-update-") as tmp:
        rendered = bake(
            template,
            questions,
            build_context(composed.contract, answers),
            contract_bytes=composed.content,
            contract_sha256=composed.sha256,
            into=Path(tmp) / "new",
        )
        state = _read_state(rendered)
        generated = tuple(state["files"]["generated"])
        from_template = tuple(state["files"]["template"])
        kept = kept_bases(project)
        base = merge_bases(project, record, generated + from_template, kept=kept, scratch=Path(tmp))
        work = _Work()
        for name in generated:
            _plan_generated(work, name, project, rendered, base.get(name))
        for name in from_template:
            _plan_template(work, name, project, rendered, base.get(name), record)
        for name in state["files"]["user_owned"]:
            _plan_user_owned(work, name, project, rendered, record)
        kinds = dict.fromkeys(generated, "generated") | dict.fromkeys(from_template, "template")
        deleted = tuple(
            name
            for module in removed
            for name in module_files(template, module)
            if (project / name).is_file()
        )
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
            kept_deleted=tuple(work.kept_deleted),
            kept_unmerged=tuple(work.kept_unmerged),
            kinds=tuple(
                (name, kinds.get(name, "user")) for names in work.kinds.values() for name in names
            ),
            orphaned_handlers=orphans,
            added_operations=_sorted_difference(
                _operation_ids(composed.contract.document), _operation_ids(old_document)
            ),
            removed_operations=_sorted_difference(
                _operation_ids(old_document), _operation_ids(composed.contract.document)
            ),
            new_columns=_new_columns(old_document, composed.contract),
            deleted=deleted,
            added_modules=tuple(name for name in answers.modules if name not in before),
            removed_modules=removed,
            modules=answers.modules,
        )
        if not dry_run:
            _bookkeeping(work, project, rendered, state, record, kept or {}, deleted)
            _apply(project, work.writes)
            # A removed module's files go (their bases left with the new archive), and so
            # does the folder of bases an earlier release kept, now that the archive has them.
            _delete(project, deleted)
            shutil.rmtree(project / BASE_DIR, ignore_errors=True)
    return plan


def _refuse_removal(removed: tuple[str, ...], record: ProjectRecord) -> None:
    names = ", ".join(removed)
    downgrades = " and ".join(f"`alembic downgrade {name}@base`" for name in removed)
    raise UserError(
        f"this removes module(s) {names}: their operations, code, tests and migrations are "
        f"deleted; first run {downgrades} on every database (it drops their tables and "
        "data), then run again with --remove-modules",
        path=record.path,
    )


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


def _plan_template(
    work: _Work, name: str, project: Path, rendered: Path, base: bytes | None, record: ProjectRecord
) -> None:
    source = rendered / name
    new = source.read_bytes()
    current = _read(project / name)
    if current is None:
        if name in record.files:
            work.kept_deleted.append(name)
        else:
            work.kinds["created"].append(name)
            work.writes[name] = _Write(new, source.stat().st_mode & 0o777)
    elif current == new or base == new:
        work.untouched.append(name)
    elif base is None:
        work.kept_unmerged.append(name)
    elif current == base:
        work.kinds["updated"].append(name)
        work.writes[name] = _Write(new, (project / name).stat().st_mode & 0o777)
    else:
        merged = merge_three(name, current=current, base=base, new=new)
        if merged.content == current:
            work.untouched.append(name)
            return
        work.kinds["conflicted" if merged.conflicts else "merged"].append(name)
        work.writes[name] = _Write(merged.content, (project / name).stat().st_mode & 0o777)


def _plan_user_owned(
    work: _Work, name: str, project: Path, rendered: Path, record: ProjectRecord
) -> None:
    if (project / name).exists() or name in record.files:
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
        document = parse_yaml(content, Path(BASE_ARCHIVE, CONTRACT_COPY))
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
    kept: Mapping[str, bytes],
    deleted: tuple[str, ...] = (),
) -> None:
    """Queue the new merge bases and the new `.shopgen.yaml`, written after the project files.

    Every generated and template file the project keeps gets the new rendering as its base;
    one left deleted or unmerged keeps the base it had in `kept` (if any), so nothing
    pretends shopgen wrote it; a removed module's files lose theirs."""
    files = state["files"]
    skipped = set(work.kept_deleted) | set(work.kept_unmerged)
    bases = dict(kept)
    for name in deleted:
        bases.pop(name, None)
    for name in [*files["generated"], *files["template"]]:
        if name not in skipped:
            bases[name] = (rendered / name).read_bytes()
    work.writes[BASE_ARCHIVE] = _Write(pack_bases(bases), 0o644)
    merged = set(files["generated"]) | set(files["template"])
    still_there = {n for n in record.user_owned if (project / n).exists()}
    files["user_owned"] = sorted((set(files["user_owned"]) | still_there) - merged - set(deleted))
    lines = (rendered / ANSWERS_FILE).read_text(encoding="utf-8").splitlines(keepends=True)
    header = "".join(line for line in itertools.takewhile(lambda x: x.startswith("#"), lines))
    text = header + yaml.safe_dump(state, sort_keys=False, allow_unicode=True)
    work.writes[ANSWERS_FILE] = _Write(text.encode("utf-8"), 0o644)


def _apply(project: Path, writes: Mapping[str, _Write]) -> None:
    """Replace each file atomically; the answers file goes last, so it records a whole update."""
    order = sorted(writes, key=lambda name: (name == ANSWERS_FILE, name))
    for name in order:
        write_atomic(project / name, writes[name].content, mode=writes[name].mode)


def _delete(project: Path, names: Iterable[str]) -> None:
    """Delete a removed module's files, then the directories that leaves empty."""
    folders: set[Path] = set()
    for name in names:
        path = project / name
        path.unlink(missing_ok=True)
        folders.update(parent for parent in path.parents if project in parent.parents)
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        cache = folder / "__pycache__"
        if cache.is_dir() and not any(p.suffix != ".pyc" for p in cache.iterdir()):
            for stale in cache.iterdir():
                stale.unlink()
            cache.rmdir()
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()

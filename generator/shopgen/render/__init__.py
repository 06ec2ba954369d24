"""`shopgen new`: a contract and a few answers become a runnable shop API project;
`shopgen update`: the project follows its changed contract, keeping the user's edits.

    project = render.new(None, output_dir=Path("."), no_input=True, overrides={}, force=False,
                         skip_lint=False)
    plan = render.update(project, contract=None, dry_run=True, overrides={}, force=False)

The contract is loaded and linted, the answers are asked and checked, the project is
rendered into a staging directory beside the target and moved into place only when whole.
"""

from __future__ import annotations

from pathlib import Path

from shopgen.contract import load_contract
from shopgen.resources import bundled_contract, template_dir

from ._answers import Answers, ask, read_questions
from ._archive import kept_bases, pack_bases
from ._bake import bake
from ._context import ProjectContext, build_context
from ._manifest import ANSWERS_FILE, BASE_ARCHIVE, BASE_DIR, GENERATED_FILES, HEADER, Manifest
from ._modules import compose
from ._placement import check_target, place, staging_dir
from ._resources import RESOURCES, ContractView, TableResource
from ._update import UpdatePlan, update

__all__ = [
    "ANSWERS_FILE",
    "BASE_ARCHIVE",
    "BASE_DIR",
    "GENERATED_FILES",
    "HEADER",
    "RESOURCES",
    "Answers",
    "ContractView",
    "Manifest",
    "ProjectContext",
    "TableResource",
    "UpdatePlan",
    "kept_bases",
    "new",
    "pack_bases",
    "update",
]


def new(
    contract: Path | None,
    *,
    output_dir: Path,
    no_input: bool,
    overrides: dict[str, str],
    force: bool,
    skip_lint: bool,
    format_code: bool = True,
) -> Path:
    """Generate a project from `contract` (default: the bundled one) under `output_dir`.

    Returns the project directory. Raises `UserError` for a bad contract, answer or target
    and `LintFailed` when the contract has lint errors (unless `skip_lint`); in every failure
    nothing is left on disk. `format_code=False` skips running ruff on the output.
    """
    path = contract if contract is not None else bundled_contract()
    loaded = load_contract(path)
    if not skip_lint:
        from shopgen import lint

        lint.require_clean(loaded, stopped="nothing generated", skip="--skip-lint generates anyway")
    template = template_dir()
    questions = read_questions(template)
    answers = ask(questions, overrides, no_input=no_input)
    output_dir = output_dir.absolute()
    target = output_dir / answers.project_slug
    check_target(target, force=force)
    composed = compose(loaded, answers.modules, template)
    context = build_context(composed.contract, answers)
    with staging_dir(output_dir) as staging:
        rendered = bake(
            template,
            questions,
            context,
            contract_bytes=composed.content,
            contract_sha256=composed.sha256,
            into=staging,
            format_code=format_code,
        )
        place(rendered, target)
    return target

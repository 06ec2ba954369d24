"""The `shopgen` command line: argument handling and exit codes, nothing else."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Optional, TextIO, TypeVar

import typer

from shopgen import __version__
from shopgen.errors import UserError
from shopgen.modules import catalogue_lines

app = typer.Typer(
    name="shopgen",
    help="Contract-first scaffold generator for e-commerce APIs.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@contextmanager
def _user_errors() -> Iterator[None]:
    """Print a user mistake as one stderr line and exit non-zero; let bugs raise."""
    try:
        yield
    except UserError as error:
        typer.echo(f"shopgen: {error}", err=True)
        raise typer.Exit(error.exit_code) from None
    except KeyboardInterrupt:
        typer.echo("shopgen: interrupted", err=True)
        raise typer.Exit(130) from None


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"shopgen {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        Optional[bool],  # noqa: UP045 - Typer reads the annotation at runtime
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Show the version and exit."
        ),
    ] = None,
) -> None:
    """Contract-first scaffold generator for e-commerce APIs."""


_Report = TypeVar("_Report")
_ReportFile = Annotated[
    Optional[Path],  # noqa: UP045 - Typer reads the annotation at runtime
    typer.Option("--output", "-o", help="Write the report to this file instead of stdout."),
]


class _Format(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


class _Severity(StrEnum):
    error = "error"
    warn = "warn"
    info = "info"
    hint = "hint"


class _RulesFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"
    html = "html"


@app.command()
def lint(
    contract: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Argument(help="The contract to lint (default: the bundled shop contract)."),
    ] = None,
    *,
    ruleset: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--ruleset", "-r", help="A ruleset file (default: shopgen:house)."),
    ] = None,
    output_format: Annotated[
        _Format, typer.Option("--format", "-f", help="Output format.")
    ] = _Format.text,
    fail_severity: Annotated[
        _Severity,
        typer.Option("--fail-severity", help="Exit 1 on findings at or above this severity."),
    ] = _Severity.error,
    output: _ReportFile = None,
) -> None:
    """Check a contract: OpenAPI structure plus the house rules."""
    from shopgen import lint as linter
    from shopgen.lint.reporters import FORMATS
    from shopgen.resources import bundled_contract
    from shopgen.terminal import progress

    # A contract loads as hundreds of thousands of long-lived containers and a run adds a
    # finding per problem: the cyclic collector would walk them all again and again (a fifth
    # of the time of linting 100,000 operations) and free nothing, since a run makes no cycles
    # worth collecting before the process ends.
    gc.disable()
    target = contract or bundled_contract()
    with _user_errors():
        with progress(f"linting {target.name}"):
            report = linter.run(target, ruleset=ruleset, parallel=True)
        _emit(report, FORMATS[output_format.value], output)
    raise typer.Exit(report.exit_code(fail_severity.value))


def _emit(report: _Report, write: Callable[[_Report, TextIO], None], output: Path | None) -> None:
    """Write a report to stdout, or atomically to `output`."""
    if output is None:
        write(report, sys.stdout)
    else:
        _write_atomically(output, lambda out: write(report, out))


def _write_atomically(path: Path, fill: Callable[[TextIO], None]) -> None:
    import io

    from shopgen.files import write_atomic

    buffer = io.StringIO()
    fill(buffer)
    write_atomic(path, buffer.getvalue())


@app.command()
def rules(
    rule_id: Annotated[
        Optional[str],  # noqa: UP045
        typer.Argument(metavar="[RULE]", help="Show one rule's documentation."),
    ] = None,
    *,
    output_format: Annotated[
        _RulesFormat, typer.Option("--format", "-f", help="Output format.")
    ] = _RulesFormat.text,
) -> None:
    """List the house rules, or explain one."""
    from shopgen.docs import describe_rules

    with _user_errors():
        typer.echo(describe_rules(rule_id, output_format.value), nl=False)


class _DiffFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"
    github = "github"


class _FailOn(StrEnum):
    breaking = "breaking"
    any = "any"
    none = "none"


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="The contract clients use today.")],
    new: Annotated[Path, typer.Argument(help="The changed contract.")],
    *,
    output_format: Annotated[
        _DiffFormat, typer.Option("--format", "-f", help="Output format.")
    ] = _DiffFormat.text,
    fail_on: Annotated[
        _FailOn,
        typer.Option("--fail-on", help="Exit 1 on breaking changes, on any change, or never."),
    ] = _FailOn.breaking,
    output: _ReportFile = None,
) -> None:
    """Tell which changes between two contracts break existing clients."""
    from shopgen import diff as differ

    with _user_errors():
        report = differ.compare(old, new)
        _emit(report, differ.FORMATS[output_format.value], output)
    raise typer.Exit(report.exit_code(fail_on.value))


def _parse_sets(values: list[str]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--set `{item}` is not key=value")
        pairs[key.strip()] = value
    return pairs


_MODULES_EPILOG = "\b\nModules (--set modules=NAME,NAME; empty for none):\n" + "\n".join(
    f"  {line}" for line in catalogue_lines()
)


@app.command(epilog=_MODULES_EPILOG)
def new(
    contract: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Argument(help="The contract to generate from (default: the bundled shop contract)."),
    ] = None,
    *,
    output_dir: Annotated[
        Path, typer.Option("--output-dir", "-o", help="Where the project directory is created.")
    ] = Path(),
    no_input: Annotated[
        bool, typer.Option("--no-input", help="Take the defaults instead of prompting.")
    ] = False,
    set_: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--set", help="Set a template variable: key=value (repeatable)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Write into an existing non-empty project directory.")
    ] = False,
    skip_lint: Annotated[
        bool, typer.Option("--skip-lint", help="Generate even if the contract has lint errors.")
    ] = False,
) -> None:
    """Generate a runnable shop API service from a contract."""
    from shopgen import render

    with _user_errors():
        project = render.new(
            contract,
            output_dir=output_dir,
            no_input=no_input,
            overrides=_parse_sets(set_ or []),
            force=force,
            skip_lint=skip_lint,
        )
    typer.echo(f"Created {project}")
    typer.echo(_next_steps(project))


def _next_steps(project: Path) -> str:
    """What to type next, from where the user is now to a served, tested project."""
    import os
    import shlex

    try:
        where = os.path.relpath(project)
    except ValueError:  # another drive on Windows
        where = str(project)
    python = "py" if os.name == "nt" else "python3"
    bin_dir = r".venv\Scripts" if os.name == "nt" else ".venv/bin"
    steps = [
        f"cd {shlex.quote(where)}",
        f"{python} -m venv .venv && {bin_dir}/pip install -e '.[test]'",
        f"{bin_dir}/alembic upgrade head",
        f"{bin_dir}/python -m pytest",
        f"{bin_dir}/uvicorn app.main:create_app --factory --reload",
    ]
    return (
        "\nNext steps:\n"
        + "\n".join(f"  {step}" for step in steps)
        + (
            "\n\nThe project's README says what each part does; after the contract changes, "
            "`shopgen update` regenerates the project."
        )
    )


class _SchemaName(StrEnum):
    ruleset = "ruleset"
    project = "project"


@app.command()
def schema(
    name: Annotated[
        _SchemaName,
        typer.Argument(
            help="`ruleset` (house-rules.yaml and team rulesets) or `project` (.shopgen.yaml)."
        ),
    ],
) -> None:
    """Print the JSON Schema of a ruleset or of a project's .shopgen.yaml, for editors."""
    from shopgen.schemas import schema_text

    typer.echo(schema_text(name.value), nl=False)


@app.command()
def update(
    project_dir: Annotated[
        Path, typer.Argument(help="The project to update (default: the current directory).")
    ] = Path(),
    *,
    contract: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--contract", help="Update from this contract; it replaces the copy."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan and change nothing.")
    ] = False,
    set_: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--set", help="Change a recorded answer: key=value (repeatable)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Run even with uncommitted changes in git.")
    ] = False,
    remove_modules: Annotated[
        bool,
        typer.Option(
            "--remove-modules",
            help="Confirm that --set modules=... removes modules: their code, tests and "
            "migrations are deleted.",
        ),
    ] = False,
) -> None:
    """Regenerate a project from its changed contract, keeping your edits."""
    from shopgen import render

    with _user_errors():
        plan = render.update(
            project_dir,
            contract=contract,
            dry_run=dry_run,
            overrides=_parse_sets(set_ or []),
            force=force,
            remove_modules=remove_modules,
        )
    for line in plan.lines():
        typer.echo(line)
    raise typer.Exit(plan.exit_code)


@app.command()
def docs(
    contract: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Argument(help="The contract to document (default: the bundled shop contract)."),
    ] = None,
    *,
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--output", "-o", help="The HTML file to write (default: site/index.html)."),
    ] = None,
    site: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--site",
            help="Write a site of every tagged version, a changelog and search here.",
        ),
    ] = None,
    versions: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--versions", help="With --site: the git tags to publish, a glob (default: v*)."
        ),
    ] = None,
    title: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--title", help="Page title (default: the contract's info.title)."),
    ] = None,
    include_internal: Annotated[
        bool,
        typer.Option("--include-internal", help="Keep operations marked x-internal-only."),
    ] = False,
    redoc_js: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--redoc-js", help="Inline this redoc.standalone.js (offline page)."),
    ] = None,
    cdn: Annotated[
        bool, typer.Option("--cdn", help="Load ReDoc from the pinned CDN URL (the default).")
    ] = False,
    theme: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--theme", help="A YAML file of ReDoc theme and options."),
    ] = None,
    skip_lint: Annotated[
        bool, typer.Option("--skip-lint", help="Build even if the contract has lint errors.")
    ] = False,
    serve: Annotated[
        bool, typer.Option("--serve", help="Serve the page on 127.0.0.1 and rebuild on change.")
    ] = False,
    port: Annotated[int, typer.Option("--port", help="Port for --serve.")] = 8000,
) -> None:
    """Build a self-contained ReDoc page for a contract, or a site of its versions."""
    from shopgen import docs as docs_builder

    with _user_errors():
        if redoc_js is not None and cdn:
            raise UserError("--redoc-js and --cdn exclude each other")
        if site is not None and output is not None:
            raise UserError("--site and --output exclude each other: a site is a directory")
        if site is not None and serve:
            raise UserError("--serve shows one page; build the site and serve its directory")
        if versions is not None and site is None:
            raise UserError("--versions needs --site DIR")
        options = docs_builder.DocsOptions(
            title=title,
            include_internal=include_internal,
            redoc_js=redoc_js,
            theme=theme,
            skip_lint=skip_lint,
        )
        if site is not None:
            built = docs_builder.build_site(contract, site, options, versions=versions or "v*")
            for line in built.messages:
                typer.echo(line, err=True)
            pages = [v for v in built.versions if v.page is not None]
            skipped = len(built.versions) - len(pages)
            note = f", {skipped} skipped" if skipped else ""
            typer.echo(f"Wrote {built.output}/ ({len(pages)} versions{note})")
            return
        page = output if output is not None else Path("site/index.html")
        if serve:
            docs_builder.serve(contract, page, options, port=port)
            return
        result = docs_builder.build(contract, page, options)
    for line in result.messages:
        typer.echo(line, err=True)
    typer.echo(f"Wrote {result.output}")


@app.command()
def mock(
    contract: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Argument(help="The contract to mock (default: the bundled shop contract)."),
    ] = None,
    *,
    port: Annotated[int, typer.Option("--port", "-p", help="Port to listen on.")] = 4010,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    stateful: Annotated[
        bool,
        typer.Option("--stateful", help="Keep created resources and issued tokens in memory."),
    ] = False,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of generated values: same seed, same answers.")
    ] = 0,
    token_ttl: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(
            "--token-ttl",
            min=1,
            help="Seconds a --stateful access token lives (default: the login example's).",
        ),
    ] = None,
    no_cors: Annotated[
        bool, typer.Option("--no-cors", help="Do not answer CORS preflights or add CORS headers.")
    ] = False,
) -> None:
    """Serve a mock of a contract's API: examples, validation, Prefer, --stateful."""
    from shopgen import mock as mocker
    from shopgen.resources import bundled_contract

    with _user_errors():
        options = mocker.MockOptions(
            seed=seed, stateful=stateful, token_ttl=token_ttl, cors=not no_cors
        )
        mocker.serve(contract or bundled_contract(), options, host=host, port=port)


class _ClientTarget(StrEnum):
    miniprogram = "miniprogram"
    fetch = "fetch"


@app.command()
def client(
    contract: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Argument(help="The contract to read (default: the bundled shop contract)."),
    ] = None,
    *,
    target: Annotated[
        _ClientTarget,
        typer.Option(
            "--target", "-t", help="wx.request for a WeChat mini-program, or fetch for web/H5."
        ),
    ] = _ClientTarget.miniprogram,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The directory the client is written to.")
    ] = Path("client"),
    skip_lint: Annotated[
        bool, typer.Option("--skip-lint", help="Generate even if the contract has lint errors.")
    ] = False,
) -> None:
    """Generate a typed TypeScript client (ES modules + .d.ts) from a contract."""
    from shopgen import client as clients
    from shopgen.resources import bundled_contract

    with _user_errors():
        result = clients.generate(
            contract or bundled_contract(), target.value, output, skip_lint=skip_lint
        )
    typer.echo(f"Wrote {len(result.files)} files to {result.output}")


def main() -> None:
    """Console-script entry point."""
    app(prog_name="shopgen")


if __name__ == "__main__":  # pragma: no cover
    main()

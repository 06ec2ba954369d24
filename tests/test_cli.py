"""The command line as users run it: exit codes, one-line errors, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shopgen import __version__

SPECS = Path(__file__).parents[1] / "specs"


def shopgen(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shopgen", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_version() -> None:
    result = shopgen("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"shopgen {__version__}"


def test_help_lists_the_commands() -> None:
    result = shopgen("--help")
    assert result.returncode == 0
    for command in ("lint", "rules", "new", "docs"):
        assert command in result.stdout


def test_startup_imports_nothing_heavy() -> None:
    code = (
        "import sys, shopgen.cli\n"
        "heavy = {'openapi_spec_validator', 'cookiecutter', 'jinja2', 'jsonschema', 'yaml_rs'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]"


def test_lint_canonical_contract_is_clean() -> None:
    result = shopgen("lint", str(SPECS / "shop.openapi.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no problems" in result.stdout


def test_lint_findings_exit_1_and_fail_severity(tmp_path: Path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text("openapi: 3.1.0\ninfo: {title: x}\npaths: {}\n")
    result = shopgen("lint", str(path), "--format", "json")
    assert result.returncode == 1
    findings = json.loads(result.stdout)["findings"]
    assert any(f["rule"] == "oas-structure" and f["line"] == 2 for f in findings)


def test_warnings_pass_unless_fail_severity_says_otherwise(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  oas-structure: warn\n")
    path = tmp_path / "shop.yaml"
    path.write_text("openapi: 3.1.0\ninfo: {title: x}\npaths: {}\n")
    assert shopgen("lint", str(path), "-r", str(rules)).returncode == 0
    assert shopgen("lint", str(path), "-r", str(rules), "--fail-severity", "warn").returncode == 1


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "file is empty"),
        (b"\x00\x01\x02", "NUL byte"),
        (b"- a\n", "top level is a list"),
        (b"a: 1\na: 2\n", "duplicate key `a`"),
    ],
)
def test_unusable_contracts_exit_2_with_one_line(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "shop.yaml"
    path.write_bytes(content)
    result = shopgen("lint", str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and str(path) in lines[0]
    assert "Traceback" not in result.stderr


def test_bad_arguments_exit_2() -> None:
    result = shopgen("lint", "--format", "xml")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_bad_ruleset_exit_2(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  nope: warn\n")
    result = shopgen("lint", str(SPECS / "shop.openapi.yaml"), "-r", str(rules))
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == f"shopgen: {rules}:2:3: unknown rule `nope`; `shopgen rules` lists them"
    )


def test_output_file_is_written(tmp_path: Path) -> None:
    out = tmp_path / "report.sarif"
    result = shopgen("lint", str(SPECS / "shop.openapi.yaml"), "-f", "sarif", "-o", str(out))
    assert result.returncode == 0
    assert json.loads(out.read_text())["version"] == "2.1.0"
    assert [p.name for p in tmp_path.iterdir()] == ["report.sarif"]


def test_output_to_a_pipe_writes_through_it(tmp_path: Path) -> None:
    """`-o /dev/null` or a named pipe is written to, never replaced by a regular file."""
    import os
    import stat

    pipe = tmp_path / "report.pipe"
    os.mkfifo(pipe)
    args = [sys.executable, "-m", "shopgen", "lint", "-f", "json", "-o", str(pipe)]
    with subprocess.Popen(args, stderr=subprocess.PIPE, text=True) as process:
        received = pipe.read_text()
        assert process.wait(timeout=120) == 0, process.stderr.read() if process.stderr else ""
    assert json.loads(received)["summary"]["total"] == 0
    assert stat.S_ISFIFO(pipe.stat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["report.pipe"]


def test_output_directories_are_created_as_for_every_written_file(tmp_path: Path) -> None:
    out = tmp_path / "no" / "such" / "dir" / "r.txt"
    result = shopgen("lint", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert out.is_file()


def test_output_that_cannot_be_written_is_a_user_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    result = shopgen("lint", "-o", str(tmp_path / "file" / "r.txt"))
    assert result.returncode == 2
    assert "cannot write" in result.stderr and "Traceback" not in result.stderr


def test_rules_list_one_and_json() -> None:
    listing = shopgen("rules")
    assert listing.returncode == 0 and "oas-structure" in listing.stdout
    one = shopgen("rules", "ref-resolvable")
    assert one.returncode == 0 and "Bad:" in one.stdout and "Good:" in one.stdout
    data = json.loads(shopgen("rules", "--format", "json").stdout)
    assert {"id", "severity", "summary"} <= set(data[0])
    unknown = shopgen("rules", "nope")
    assert unknown.returncode == 2 and "unknown rule `nope`" in unknown.stderr


def test_rules_reference_formats() -> None:
    markdown = shopgen("rules", "--format", "markdown")
    assert markdown.returncode == 0
    assert "\n## path-kebab-case\n" in markdown.stdout
    page = shopgen("rules", "--format", "html")
    assert page.returncode == 0
    assert page.stdout.startswith("<!DOCTYPE html>")
    assert 'id="money-integer-minor-units"' in page.stdout


def test_completion_can_be_shown_for_each_shell() -> None:
    result = shopgen("--show-completion", "bash")
    assert result.returncode == 0, result.stderr
    assert "_SHOPGEN_COMPLETE" in result.stdout
    assert "--install-completion" in shopgen("--help").stdout


def test_new_ends_with_the_next_steps(tmp_path: Path) -> None:
    result = shopgen("new", "--no-input", "-o", "made", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    start = lines.index("Next steps:")
    steps = [line.strip() for line in lines[start + 1 : start + 6]]
    assert steps[0] == "cd made/shop-api"
    assert "-m venv .venv" in steps[1] and "pip install -e '.[test]'" in steps[1]
    assert steps[2:] == [
        ".venv/bin/alembic upgrade head",
        ".venv/bin/python -m pytest",
        ".venv/bin/uvicorn app.main:create_app --factory --reload",
    ]


def _report_through_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """Run shopgen with stdout and stderr on a pseudo-terminal and return what it showed."""
    import os
    import pty

    leader, follower = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "shopgen", *args],
        stdout=follower,
        stderr=follower,
        env={**os.environ, "TERM": "xterm", **env},
    ) as process:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=120)
    os.close(leader)
    return b"".join(chunks).decode()


@pytest.mark.parametrize(("no_color", "coloured"), [("", True), ("1", False)])
def test_colour_on_a_terminal_unless_no_color(
    tmp_path: Path, no_color: str, coloured: bool
) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text("openapi: 3.1.0\ninfo: {title: x}\npaths: {}\n")
    shown = _report_through_a_terminal(["lint", str(path)], {"NO_COLOR": no_color})
    assert "oas-structure" in shown
    assert ("\x1b[31merror" in shown) is coloured
    assert ("\x1b[" in shown) is coloured


def test_no_colour_into_a_pipe(tmp_path: Path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text("openapi: 3.1.0\ninfo: {title: x}\npaths: {}\n")
    result = shopgen("lint", str(path))
    assert "\x1b[" not in result.stdout + result.stderr


def test_a_long_lint_shows_progress_on_a_terminal_only(tmp_path: Path) -> None:
    paths = {
        f"/api/v1/items-{i}": {
            "get": {"operationId": f"getItem{i}", "responses": {"200": {"description": "ok"}}}
        }
        for i in range(40_000)
    }
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"openapi": "3.1.0", "info": {"title": "x"}, "paths": paths}))
    args = ["lint", str(path), "-o", str(tmp_path / "report.txt")]
    shown = _report_through_a_terminal(args, {"NO_COLOR": "1"})
    assert "linting big.json" in shown
    assert shown.rstrip().endswith("\x1b[K")  # the progress line is erased at the end
    piped = shopgen(*args)
    assert piped.stdout == "" and piped.stderr == ""

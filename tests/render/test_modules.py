"""The modules answer: asked, checked, recorded, and what a module adds to a baked project."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from shopgen import render
from shopgen.errors import UserError
from shopgen.render._answers import ask, read_questions
from shopgen.render._record import read_record
from shopgen.resources import template_dir

QUESTIONS = read_questions(template_dir())


def test_no_modules_unless_asked() -> None:
    assert ask(QUESTIONS, {}, no_input=True).modules == ()


def test_modules_are_set_checked_and_ordered() -> None:
    answers = ask(QUESTIONS, {"modules": "erp,douyin"}, no_input=True)
    assert answers.modules == ("douyin", "erp")
    assert answers.as_context()["modules"] == "douyin,erp"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "douyin,shopee",
            "modules: `shopee` is not a module; known: douyin, erp, commission, monitoring",
        ),
        ("erp,erp", "modules: `erp,erp` names a module twice"),
    ],
)
def test_bad_modules_are_refused_before_anything_is_asked(value: str, message: str) -> None:
    with pytest.raises(UserError) as raised:
        ask(QUESTIONS, {"modules": value}, no_input=False)
    assert str(raised.value) == message


@pytest.fixture(scope="module")
def baked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render.new(
        None,
        output_dir=tmp_path_factory.mktemp("modules"),
        no_input=True,
        overrides={"modules": "douyin"},
        force=False,
        skip_lint=False,
        format_code=False,
    )


def test_the_answer_is_recorded(baked: Path) -> None:
    state = yaml.safe_load((baked / ".shopgen.yaml").read_text(encoding="utf-8"))
    assert state["answers"]["modules"] == "douyin"
    assert read_record(baked).reanswer({}).modules == ("douyin",)
    assert "app/modules.py" in state["files"]["generated"]
    # A module's code is template code: an update merges a newer release's into yours.
    assert "app/douyin/module.py" in state["files"]["template"]
    assert "alembic/versions/douyin_0001_shops_and_sync.py" in state["files"]["user_owned"]


def test_a_module_brings_its_operations_code_settings_and_docs(baked: Path) -> None:
    contract = yaml.safe_load((baked / "contract/openapi.yaml").read_text(encoding="utf-8"))
    operation = contract["paths"]["/api/v1/douyin/shops"]["post"]
    assert operation["x-shopgen-module"] == "douyin"
    assert "douyin" in contract["components"]["schemas"]["OrderSource"]["enum"]
    assert "/api/v1/erp/outbox" not in contract["paths"]
    assert (
        "from app.douyin.module import MODULE as douyin" in (baked / "app/modules.py").read_text()
    )
    handlers = (baked / "app/api/handlers.py").read_text()
    assert "from app.douyin import handlers as douyin" in handlers
    assert "**douyin.HANDLERS" in handlers
    assert not (baked / "app/custom/connect_douyin_shop.py").exists()
    assert (baked / "tests/douyin/test_tokens.py").is_file()
    assert not (baked / "app/erp").exists()
    env = (baked / ".env").read_text()
    (key,) = [line for line in env.splitlines() if line.startswith("DOUYIN_TOKEN_KEYS=")]
    assert len(key.split("=", 1)[1]) >= 32
    assert "DOUYIN_APP_KEY=" in (baked / ".env.example").read_text()
    readme = (baked / "README.md").read_text()
    assert "## Modules" in readme and "### Douyin Shop (`douyin`)" in readme


def test_a_project_without_modules_lists_none(tmp_path: Path) -> None:
    project = render.new(
        None,
        output_dir=tmp_path,
        no_input=True,
        overrides={},
        force=False,
        skip_lint=False,
        format_code=False,
    )
    assert "MODULES: tuple[Module, ...] = ()" in (project / "app/modules.py").read_text()
    assert "## Modules" not in (project / "README.md").read_text()
    assert "x-shopgen-module" not in (project / "contract/openapi.yaml").read_text()


def test_a_record_from_before_modules_means_none(baked: Path, tmp_path: Path) -> None:
    state = yaml.safe_load((baked / ".shopgen.yaml").read_text(encoding="utf-8"))
    del state["answers"]["modules"]
    (tmp_path / ".shopgen.yaml").write_text(yaml.safe_dump(state), encoding="utf-8")
    assert read_record(tmp_path).reanswer({}).modules == ()

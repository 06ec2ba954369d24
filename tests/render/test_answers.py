from __future__ import annotations

import pytest

from shopgen.errors import UserError
from shopgen.render._answers import ask, read_questions
from shopgen.resources import template_dir

QUESTIONS = read_questions(template_dir())


def test_defaults_without_input() -> None:
    answers = ask(QUESTIONS, {}, no_input=True)
    assert answers.project_name == "Shop API"
    assert answers.project_slug == "shop-api"
    assert answers.database == "sqlite"
    assert answers.payment_channels == ("wechat", "mock")
    assert answers.shopify_sync is False


def test_overrides_win_and_the_slug_follows_the_name() -> None:
    answers = ask(
        QUESTIONS,
        {"project_name": "Tea House", "database": "postgresql", "shopify_sync": "yes"},
        no_input=True,
    )
    assert answers.project_slug == "tea-house"
    assert answers.database == "postgresql"
    assert answers.shopify_sync is True


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("database", "mysql", "database `mysql` is not supported"),
        ("project_slug", "Bad Slug", "project_slug `Bad Slug`"),
        ("payment_channels", "wechat,paypal", "payment_channels `wechat,paypal`"),
        ("shopify_sync", "maybe", "shopify_sync `maybe` is not a yes/no value"),
        ("project_name", "  ", "`project_name` must not be empty"),
        ("colour", "red", "--set `colour` is not a template variable"),
        ("_shopgen", "{}", "--set `_shopgen` is not a template variable"),
    ],
)
def test_bad_values_are_refused(key: str, value: str, message: str) -> None:
    with pytest.raises(UserError, match=message.replace("[", r"\[")):
        ask(QUESTIONS, {key: value}, no_input=True)


def test_cookiecutter_json_declares_every_question() -> None:
    public = [k for k in QUESTIONS if not k.startswith("_")]
    assert public == [
        "project_name",
        "project_slug",
        "description",
        "author",
        "database",
        "payment_channels",
        "shopify_sync",
        "modules",
    ]
    assert QUESTIONS["_copy_without_render"] == [".github/*"]
    assert QUESTIONS["_jinja2_env_vars"] == {"trim_blocks": True, "lstrip_blocks": True}

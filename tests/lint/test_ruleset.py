"""Rulesets: extends, overrides, plugins and errors that name the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopgen.errors import UserError
from shopgen.lint import all_rules, load_ruleset


def ruleset(tmp_path: Path, content: str, name: str = "rules.yaml") -> Path:
    path = tmp_path / name
    path.write_text(content)
    return path


def test_house_is_the_default_and_enables_every_rule() -> None:
    assert set(load_ruleset().severities) == {r.id for r in all_rules()}


def test_overrides_change_severity_and_turn_rules_off(tmp_path: Path) -> None:
    path = ruleset(
        tmp_path,
        "extends: [shopgen:house]\nrules:\n  oas-structure: warn\n  ref-resolvable: off\n",
    )
    severities = load_ruleset(path).severities
    assert severities["oas-structure"] == "warn"
    assert "ref-resolvable" not in severities


def test_extends_a_relative_file_and_the_child_wins(tmp_path: Path) -> None:
    ruleset(tmp_path, "extends: [shopgen:house]\nrules:\n  oas-structure: hint\n", "team.yaml")
    path = ruleset(tmp_path, "extends: [team.yaml]\nrules:\n  oas-structure: info\n")
    assert load_ruleset(path).severities["oas-structure"] == "info"


def test_without_extends_only_listed_rules_run(tmp_path: Path) -> None:
    path = ruleset(tmp_path, "rules:\n  ref-resolvable: error\n")
    assert load_ruleset(path).severities == {"ref-resolvable": "error"}


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        (
            "extends: [shopgen:house]\nrules:\n  no-such-rule: warn\n",
            3,
            "unknown rule `no-such-rule`",
        ),
        ("rules:\n  oas-structure: loud\n", 2, "has severity `loud`; allowed: error, warn"),
        ("extends: [shopgen:nope]\n", 1, "unknown ruleset `shopgen:nope`"),
        ("extends: [missing.yaml]\n", 1, "extended ruleset `missing.yaml` does not exist"),
        ("rule:\n  oas-structure: warn\n", 1, "unknown key `rule`"),
        ("rules: [oas-structure]\n", 1, "`rules` must map rule ids to a severity"),
        ("plugins: [no_such_module_xyz]\n", 1, "plugin `no_such_module_xyz` cannot be imported"),
    ],
)
def test_bad_rulesets_name_file_and_line(
    tmp_path: Path, content: str, line: int, message: str
) -> None:
    path = ruleset(tmp_path, content)
    with pytest.raises(UserError) as caught:
        load_ruleset(path)
    assert message in caught.value.message
    assert (caught.value.path, caught.value.line) == (str(path.resolve()), line)


def test_a_ruleset_extending_itself_is_refused(tmp_path: Path) -> None:
    path = ruleset(tmp_path, "extends: [rules.yaml]\n")
    with pytest.raises(UserError, match="extends itself"):
        load_ruleset(path)


def test_plugins_register_their_rules(tmp_path: Path) -> None:
    (tmp_path / "acme_rules.py").write_text(
        "from shopgen.lint import Problem, rule\n\n"
        "@rule('acme-title', default='warn', good='info: {title: Acme}', "
        "bad='info: {title: x}', at='/info/title')\n"
        "def acme_title(contract):\n"
        "    '''Titles start with Acme.\n\n    Our portal sorts APIs by title.'''\n"
        "    if not contract.title.startswith('Acme'):\n"
        "        yield Problem('/info/title', 'title must start with `Acme`')\n\n"
        "RULES = (acme_title,)\n"
    )
    path = ruleset(tmp_path, "extends: [shopgen:house]\nplugins: [acme_rules]\n")
    resolved = load_ruleset(path)
    assert resolved.severities["acme-title"] == "warn"
    assert resolved.rules["acme-title"].summary == "Titles start with Acme."

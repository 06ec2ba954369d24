from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

from shopgen import docs


@dataclass(frozen=True)
class StandInRule:
    id: str
    default_severity: str
    summary: str
    rationale: str
    good: str
    bad: str


RULES = (
    StandInRule(
        "path-kebab-case",
        "warn",
        "Path segments are kebab-case | lower case.",
        "Clients type these URLs by hand; one casing means nobody guesses.\n\nSee `/gift-cards`.",
        "paths:\n  /gift-cards: {}\n",
        "paths:\n  /giftCards: {}\n",
    ),
    StandInRule(
        "money-integer-cents",
        "error",
        "Money is an integer number of cents.",
        "Floats round: <script>alert(1)</script> is text here.",
        "price_cents: {type: integer}\n",
        "price: {type: number, description: '```'}\n",
    ),
)


def test_markdown_has_a_table_and_a_section_per_rule() -> None:
    text = docs.rule_reference_markdown(RULES)
    assert text.startswith("# shopgen house rules\n")
    assert (
        "| [`path-kebab-case`](#path-kebab-case) | warn | "
        "Path segments are kebab-case \\| lower case. |" in text
    )
    assert "## money-integer-cents\n\nDefault severity: **error**" in text
    assert "**Bad**\n\n```yaml\npaths:\n  /giftCards: {}\n```" in text
    # A snippet holding a fence gets a longer one.
    assert "````yaml\nprice: {type: number, description: '```'}\n````" in text


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.ids += [value for name, value in attrs if name == "id" and value]


def test_html_has_an_anchor_per_rule_and_no_script() -> None:
    text = docs.rule_reference_html(RULES)
    parser = _Anchors()
    parser.feed(text)
    assert parser.ids == [docs.rule_anchor(rule.id) for rule in RULES]
    assert "script" not in parser.tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<code>/gift-cards</code>" in text


def test_anchors_match_the_links_findings_carry() -> None:
    from shopgen.lint import rule_url

    for rule in RULES:
        assert rule_url(rule.id).endswith("#" + docs.rule_anchor(rule.id))


def test_the_registered_rules_render() -> None:
    from shopgen.lint import all_rules

    rules = all_rules()
    markdown = docs.rule_reference_markdown(rules)
    page = docs.rule_reference_html(rules)
    for rule in rules:
        assert f"\n## {rule.id}\n" in markdown
        assert f'id="{docs.rule_anchor(rule.id)}"' in page

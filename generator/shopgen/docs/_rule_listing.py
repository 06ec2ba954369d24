"""What `shopgen rules` prints: the rule list, one rule's page, JSON, Markdown or HTML.

It lives with the docs, which may read lint's registry; lint never imports docs.
"""

from __future__ import annotations

import json
import textwrap

from shopgen.errors import UserError
from shopgen.lint import Rule, all_rules, get_rule, load_ruleset, rule_url

from ._rules import rule_reference_html, rule_reference_markdown

__all__ = ["describe_rules", "rules_as_dicts"]


def rules_as_dicts(rules: tuple[Rule, ...]) -> list[dict[str, str]]:
    house = load_ruleset().severities
    return [
        {
            "id": r.id,
            "severity": r.default_severity,
            "enabled": "yes" if r.id in house else "no",
            "family": r.family,
            "summary": r.summary,
            "rationale": r.rationale,
            "good": r.good,
            "bad": r.bad,
            "url": rule_url(r.id),
        }
        for r in rules
    ]


def describe_rules(rule_id: str | None, output_format: str) -> str:
    """One rule (or all) as `text`, `json`, `markdown` or `html`."""
    rules = all_rules()
    if rule_id is not None:
        found = get_rule(rule_id)
        if found is None:
            raise UserError(f"unknown rule `{rule_id}`; `shopgen rules` lists them")
        rules = (found,)
    if output_format == "json":
        return json.dumps(rules_as_dicts(rules), indent=2, ensure_ascii=False) + "\n"
    if output_format == "markdown":
        return _markdown(rules)
    if output_format == "html":
        # The published site keeps the rule reference at /rules/, beside the API reference.
        return str(rule_reference_html(rules, api_reference="../"))
    if rule_id is not None:
        return _page(rules[0])
    width = max(len(r.id) for r in rules)
    lines = [f"{r.id:<{width}}  {r.default_severity:<5}  {r.summary}" for r in rules]
    return "\n".join(lines) + f"\n\n{len(rules)} rules. `shopgen rules ID` explains one.\n"


def _page(rule: Rule) -> str:
    bad, good = textwrap.indent(rule.bad, "    "), textwrap.indent(rule.good, "    ")
    return (
        f"{rule.id} ({rule.default_severity})\n\n{rule.summary}\n\n{rule.rationale}\n\n"
        f"Bad:\n{bad}\n\nGood:\n{good}\n\n"
        f"Silence it in one place with `x-shopgen-ignore: [{rule.id}]` on the operation or "
        f"schema, or everywhere with `{rule.id}: off` in a ruleset.\n"
    )


def _markdown(rules: tuple[Rule, ...]) -> str:
    return str(rule_reference_markdown(rules))

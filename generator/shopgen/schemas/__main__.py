"""`python -m shopgen.schemas`: rewrite the ruleset schema from the rule registry."""

from __future__ import annotations

from shopgen.schemas import render_ruleset_schema, schema_path

path = schema_path("ruleset")
path.write_text(render_ruleset_schema(), encoding="utf-8")
print(f"wrote {path}")

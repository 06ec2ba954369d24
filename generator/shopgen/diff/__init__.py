"""Comparing two contracts: which changes break the clients of the old one.

report = diff.compare("main/openapi.yaml", "openapi.yaml")
for change in report.breaking:
    print(change.kind, change.message)
diff.FORMATS["markdown"](report, sys.stdout)
sys.exit(report.exit_code("breaking"))

The decisions, for each of which some tool decides the other way:

- **Direction.** A request may only widen and a response may only narrow (`_schemas`). A new
  response enum value is *breaking*: oasdiff only warns, but shop clients are mostly generated
  SDKs that decode enums into closed types (Swift, Kotlin, TypeScript unions) and fail on an
  order status they have never seen. A response property that becomes optional or nullable, or
  a looser response bound, breaks for the same reason.
- **Removed inputs break.** A removed parameter, request property or request body is silently
  ignored by a tolerant server: the client's `?status=paid` filter stops filtering and nothing
  says so. oasdiff warns; we fail.
- **Error statuses.** A removed 4xx/5xx/default response is not breaking (clients keep their
  handler, nothing they parse disappears); a removed success status is.
- **operationId** renames break: SDK method names come from it, and a shopgen service binds its
  handlers by it.
- **Dedupe.** A change inside a shared component is one change listing every operation that
  exposes it (the message names the first and counts the rest); on GitHub's description a
  per-operation report would repeat one schema edit hundreds of times.
- **Matching.** Operations are matched by method and path template with path parameter names
  normalised; renaming `{id}` to `{order_id}` is not a change.
"""

from __future__ import annotations

from ._compare import compare, compare_contracts
from ._kinds import KINDS, Kind
from ._report import Change, DiffReport, FailOn
from .reporters import FORMATS, Reporter

__all__ = [
    "FORMATS",
    "KINDS",
    "Change",
    "DiffReport",
    "FailOn",
    "Kind",
    "Reporter",
    "compare",
    "compare_contracts",
]

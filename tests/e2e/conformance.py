"""What the contract-conformance gate runs: shopgen's own test and every generated project's
CI job (`contract-conformance` in its ci.yml) run the same phases and checks."""

from __future__ import annotations

PHASES = "examples,coverage,fuzzing,stateful"
CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
    )
)
FIXED_SEED = 20250314
MAX_EXAMPLES = 10

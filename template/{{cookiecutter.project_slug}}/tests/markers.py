import pytest

from app.api.operations import OPERATIONS


def requires(*operation_ids: str) -> pytest.MarkDecorator:
    """Skip a test when the contract lacks an operation it exercises."""
    missing = sorted(set(operation_ids) - {op.operation_id for op in OPERATIONS})
    return pytest.mark.skipif(bool(missing), reason=f"not in the contract: {', '.join(missing)}")

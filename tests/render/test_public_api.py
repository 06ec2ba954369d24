from __future__ import annotations

from shopgen import render


def test_public_names_exist_and_are_grouped_then_sorted() -> None:
    names = render.__all__
    assert all(hasattr(render, name) for name in names)
    constants = [n for n in names if n.isupper()]
    classes = [n for n in names if n[0].isupper() and not n.isupper()]
    functions = [n for n in names if n[0].islower()]
    assert names == sorted(constants) + sorted(classes) + sorted(functions)

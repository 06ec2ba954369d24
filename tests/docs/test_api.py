from __future__ import annotations

import shopgen.docs


def test_public_names_are_complete_and_sorted() -> None:
    public = {name for name in vars(shopgen.docs) if not name.startswith("_")}
    public -= {"annotations"}
    assert set(shopgen.docs.__all__) == public
    assert shopgen.docs.__all__ == sorted(shopgen.docs.__all__, key=lambda n: (not n.isupper(), n))

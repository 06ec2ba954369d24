"""A product cache entry is read again by one request late in its life, never by a crowd."""

from app.products.cache import REFRESH_FROM, REFRESH_UNTIL, ProductCache, read_through

TTL = 30.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_one_reader_refreshes_an_entry_late_in_its_life() -> None:
    clock = Clock()
    cache = ProductCache(TTL, clock=clock)
    cache.put("product:1", "price 100")
    clock.now += TTL * REFRESH_FROM - 0.01
    assert cache.get("product:1") == "price 100"
    clock.now = 1000.0 + TTL * (REFRESH_UNTIL + 1) / 2  # past any refresh point, before the end
    assert cache.get("product:1") is None  # this reader reads the database again
    assert [cache.get("product:1") for _ in range(50)] == ["price 100"] * 50
    cache.put("product:1", "price 90")
    assert cache.get("product:1") == "price 90"
    clock.now += TTL * REFRESH_FROM - 0.01
    assert cache.get("product:1") == "price 90"


def test_an_entry_nobody_refreshed_lapses_at_its_ttl() -> None:
    clock = Clock()
    cache = ProductCache(TTL, clock=clock)
    cache.put("product:1", "price 100")
    clock.now += TTL - 0.01
    assert cache.get("product:1") is None  # the refresher, who never comes back
    assert cache.get("product:1") == "price 100"
    clock.now += 0.02
    assert cache.get("product:1") is None
    assert cache.get("product:1") is None


def test_entries_filled_together_are_refreshed_at_different_times() -> None:
    clock = Clock()
    cache = ProductCache(TTL, clock=clock)
    for n in range(200):
        cache.put(f"product:{n}", n)
    clock.now += TTL * (REFRESH_FROM + REFRESH_UNTIL) / 2
    due = [n for n in range(200) if cache.get(f"product:{n}") is None]
    assert 40 < len(due) < 160, len(due)
    clock.now = 1000.0 + TTL - 0.01
    assert all(cache.get(f"product:{n}") is None for n in range(200) if n not in due)


def test_refilling_a_full_cache_keeps_every_other_entry() -> None:
    cache = ProductCache(TTL)
    for n in range(4096):
        cache.put(n, n)
    cache.put(7, "again")
    assert cache.get(0) == 0 and cache.get(7) == "again"


def test_the_refresher_may_answer_with_the_kept_value() -> None:
    clock = Clock()
    cache = ProductCache(TTL, clock=clock)
    cache.put("product:1", "price 100")
    assert cache.peek("product:1") == ("price 100", False)
    clock.now += TTL * REFRESH_UNTIL
    assert cache.peek("product:1") == ("price 100", True)
    assert cache.peek("product:1") == ("price 100", False)  # one refresher only
    clock.now += TTL
    assert cache.peek("product:1") == (None, False)


def test_reads_made_for_another_cache_come_from_the_database() -> None:
    cache = ProductCache(TTL)
    cache.put("product:1", "price 100")
    with read_through():
        assert cache.get("product:1") is None
        cache.put("product:1", "price 90")
    assert cache.get("product:1") == "price 90"

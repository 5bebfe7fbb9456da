"""The bounded LRU behind the feed cache (bytes) and the event blocks (entries)."""
from __future__ import annotations

import threading

from tutoring.lru import LRU


def test_weighted_entries_go_least_recently_used_first_until_the_total_fits():
    cache: LRU[str, bytes] = LRU(10, weigh=len)
    cache.put("a", b"aaaa")
    cache.put("b", b"bbbb")
    assert cache.get("a") == b"aaaa"  # now the most recently used
    cache.put("c", b"cccc")  # 12 > 10: the least recently used, b, goes
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (b"aaaa", None, b"cccc")


def test_a_value_heavier_than_the_limit_is_not_kept_and_evicts_nothing():
    cache: LRU[str, bytes] = LRU(5, weigh=len)
    cache.put("small", b"12")
    cache.put("big", b"123456")
    assert (cache.get("big"), cache.get("small"), len(cache)) == (None, b"12", 1)


def test_putting_a_key_again_replaces_its_weight_and_a_new_limit_applies_at_once():
    cache: LRU[str, bytes] = LRU(10, weigh=len)
    cache.put("a", b"123456")
    cache.put("a", b"12")  # the old 6 bytes are no longer counted
    cache.put("b", b"12345678")
    assert (cache.get("a"), cache.get("b")) == (b"12", b"12345678")
    cache.put("c", b"1", limit=3)  # the limit comes from settings read per request
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (None, None, b"1")
    cache.clear()
    assert len(cache) == 0


def test_threads_putting_at_once_never_exceed_the_limit():
    cache: LRU[int, bytes] = LRU(100, weigh=len)

    def fill(offset: int) -> None:
        for number in range(500):
            cache.put(offset + number, b"x" * (number % 7 + 1))

    threads = [threading.Thread(target=fill, args=(n * 1000,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(len(cache.get(key) or b"") for key in list(cache._items)) <= 100

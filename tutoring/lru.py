"""A bounded least-recently-used map, safe across threads: the process's small content-keyed caches.

Used for rendered feeds (bounded in bytes), feed event blocks, and the
search pages' cards, forms and zone bars (bounded in entries). Plain Python, so the pure calendar core may use it too. Callers key
entries by everything the value depends on, so an entry is never stale; the
limit only decides how long old ones stay.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _one(_value: object) -> int:
    return 1


class LRU(Generic[K, V]):
    """At most ``limit`` in total weight (``weigh(value)``, 1 each by default); the least recently used go first."""

    def __init__(self, limit: int, weigh: Callable[[V], int] = _one) -> None:
        self.limit = limit
        self._weigh = weigh
        self._items: OrderedDict[K, V] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: K, value: V, limit: int | None = None) -> None:
        """Keep ``value`` under ``key``; ``limit`` (if given) replaces the limit, e.g. from settings read per request.

        A value heavier than the whole limit is not kept.
        """
        if limit is not None:
            self.limit = limit
        weight = self._weigh(value)
        if weight > self.limit:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._weight -= self._weigh(old)
            self._items[key] = value
            self._weight += weight
            while self._weight > self.limit and self._items:
                _key, evicted = self._items.popitem(last=False)
                self._weight -= self._weigh(evicted)

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._weight = 0

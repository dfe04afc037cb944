"""Generational entity ids packed into one int64: (generation << 32) | index.

A despawned slot's generation is bumped, so a stale id held anywhere (a Parent
column, a LookAt target) is detected instead of silently aliasing a new entity.
"""

from __future__ import annotations

import numpy as np

INDEX_BITS = 32
INDEX_MASK = (1 << INDEX_BITS) - 1


def pack(index: int, generation: int) -> int:
    return (generation << INDEX_BITS) | index


def index_of(entity):
    """Slot index of an entity id (works on ints and int64 arrays)."""
    return entity & INDEX_MASK


def generation_of(entity):
    return entity >> INDEX_BITS


class EntityAllocator:
    """Hands out slots with generations; tracks where each live entity is stored.

    `table_of` / `row_of` are numpy arrays indexed by slot so that a whole
    column of entity ids can be resolved to storage locations in one gather.
    """

    def __init__(self, capacity: int = 1024):
        self.generations = np.zeros(capacity, np.int64)
        self.table_of = np.full(capacity, -1, np.int32)
        self.row_of = np.full(capacity, -1, np.int32)
        self._free: list[int] = []
        self._next = 0
        self.alive_count = 0

    @property
    def capacity(self) -> int:
        return len(self.generations)

    def _grow(self, needed: int) -> None:
        capacity = self.capacity
        while capacity < needed:
            capacity *= 2
        for name, fill in (("generations", 0), ("table_of", -1), ("row_of", -1)):
            old = getattr(self, name)
            new = np.full(capacity, fill, old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)

    def allocate(self) -> int:
        if self._free:
            index = self._free.pop()
        else:
            index = self._next
            self._next += 1
            if index >= self.capacity:
                self._grow(index + 1)
        self.alive_count += 1
        return pack(index, int(self.generations[index]))

    def free(self, entity: int) -> None:
        index = index_of(entity)
        self.generations[index] += 1
        self.table_of[index] = -1
        self.row_of[index] = -1
        self._free.append(index)
        self.alive_count -= 1

    def is_alive(self, entity: int) -> bool:
        if entity < 0:
            return False
        index = index_of(entity)
        return index < self._next and self.generations[index] == generation_of(entity) and self.table_of[index] >= 0

    def alive_mask(self, entities: np.ndarray) -> np.ndarray:
        """Vectorised liveness check for an array of entity ids."""
        entities = np.asarray(entities, np.int64)
        index = index_of(entities)
        ok = (entities >= 0) & (index < self._next)
        safe = np.where(ok, index, 0)
        return ok & (self.generations[safe] == generation_of(entities)) & (self.table_of[safe] >= 0)

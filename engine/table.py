"""Archetype table: one C-contiguous numpy column per component field.

Rows are dense (0..len-1). Columns grow by doubling; despawn swaps the last row
into the hole so every column stays dense and systems see contiguous views.
"""

from __future__ import annotations

import numpy as np

from engine.component import ComponentMeta, Field


class Table:
    def __init__(self, table_id: int, components: frozenset[ComponentMeta], capacity: int = 64):
        self.id = table_id
        self.components = components
        self.len = 0
        self.entities = np.full(capacity, -1, np.int64)
        self.columns: dict[Field, np.ndarray] = {}
        for comp in sorted(components, key=lambda c: c.__name__):
            for f in comp.__fields__:
                self.columns[f] = np.zeros((capacity, *f.type.shape), f.type.dtype)
        # bumped whenever columns are reallocated, so cached views can be refreshed
        self.layout_version = 0

    @property
    def capacity(self) -> int:
        return len(self.entities)

    def _grow(self, needed: int) -> None:
        capacity = max(self.capacity, 1)
        while capacity < needed:
            capacity *= 2
        grown = np.full(capacity, -1, np.int64)
        grown[: self.len] = self.entities[: self.len]
        self.entities = grown
        for f, col in self.columns.items():
            new = np.zeros((capacity, *col.shape[1:]), col.dtype)
            new[: self.len] = col[: self.len]
            self.columns[f] = new
        self.layout_version += 1

    def reserve(self, additional: int) -> None:
        if self.len + additional > self.capacity:
            self._grow(self.len + additional)

    def push(self, entity: int) -> int:
        """Append a row with default-zero values; returns the row index."""
        self.reserve(1)
        row = self.len
        self.entities[row] = entity
        self.len += 1
        return row

    def push_many(self, entities: np.ndarray) -> slice:
        count = len(entities)
        self.reserve(count)
        start = self.len
        self.entities[start : start + count] = entities
        self.len += count
        return slice(start, start + count)

    def swap_remove(self, row: int) -> int:
        """Remove `row`; returns the entity moved into it (or -1 if it was the last)."""
        last = self.len - 1
        moved = -1
        if row != last:
            self.entities[row] = self.entities[last]
            for col in self.columns.values():
                col[row] = col[last]
            moved = int(self.entities[row])
        self.entities[last] = -1
        self.len = last
        return moved

    def column(self, f: Field) -> np.ndarray:
        """Live-row view of one field's column (no copy)."""
        return self.columns[f][: self.len]

    def has(self, comp: ComponentMeta) -> bool:
        return comp in self.components

    def __repr__(self) -> str:
        return f"Table({sorted(c.__name__ for c in self.components)}, len={self.len})"

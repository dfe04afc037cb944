"""The World: archetype tables, entity locations, resources and events.

Structural changes (spawn, despawn, insert, remove) are immediate here; systems
make them through `Commands`, which the schedule applies between phases so no
table moves under a running system.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

import numpy as np

from engine.component import ComponentMeta, ComponentValue, Field
from engine.entity_ids import EntityAllocator, index_of
from engine.events import Events
from engine.table import Table

T = TypeVar("T")


class World:
    def __init__(self):
        self.entities = EntityAllocator()
        self.tables: list[Table] = []
        self._table_by_key: dict[frozenset, Table] = {}
        self.resources: dict[type, object] = {}
        self.events: dict[type, Events] = {}
        # bumped on every spawn/despawn/insert/remove; caches (queries, hierarchy order) key on it
        self.structure_version = 0
        self.table_version = 0  # bumped when a new table appears (query caches)

    # ---- tables -------------------------------------------------------------
    def table_for(self, components: Iterable[ComponentMeta]) -> Table:
        key = frozenset(components)
        table = self._table_by_key.get(key)
        if table is None:
            table = Table(len(self.tables), key)
            self.tables.append(table)
            self._table_by_key[key] = table
            self.table_version += 1
        return table

    def location(self, entity: int) -> tuple[Table, int]:
        if not self.entities.is_alive(entity):
            raise KeyError(f"entity {entity:#x} is not alive")
        index = index_of(entity)
        return self.tables[self.entities.table_of[index]], int(self.entities.row_of[index])

    def _place(self, entity: int, table: Table, row: int) -> None:
        index = index_of(entity)
        self.entities.table_of[index] = table.id
        self.entities.row_of[index] = row

    def _remove_row(self, table: Table, row: int) -> None:
        moved = table.swap_remove(row)
        if moved >= 0:
            self._place(moved, table, row)

    # ---- structural changes ---------------------------------------------------
    def spawn(self, *values: ComponentValue) -> int:
        return self.spawn_reserved(self.entities.allocate(), *values)

    def reserve_entity(self) -> int:
        """An id that is not alive until `spawn_reserved` places it (used by Commands)."""
        return self.entities.allocate()

    def spawn_reserved(self, entity: int, *values: ComponentValue) -> int:
        table = self.table_for(v.component for v in values)
        row = table.push(entity)
        for v in values:
            for name, value in v.values.items():
                table.columns[getattr(v.component, name)][row] = value
        self._place(entity, table, row)
        self.structure_version += 1
        return entity

    def spawn_batch(self, count: int, components: Iterable[ComponentMeta], **columns: np.ndarray) -> np.ndarray:
        """Spawn `count` entities into one table at once; `columns` maps 'Comp.field' to (count, ...) arrays.

        Fields not given take their declared default. Returns the new ids.
        """
        components = list(components)
        table = self.table_for(components)
        ids = np.fromiter((self.entities.allocate() for _ in range(count)), np.int64, count)
        rows = table.push_many(ids)
        for comp in components:
            for f in comp.__fields__:
                key = f"{comp.__name__}.{f.name}"
                table.columns[f][rows] = columns.pop(key) if key in columns else f.coerce(f.default)
        if columns:
            raise KeyError(f"unknown column(s) {sorted(columns)}")
        index = index_of(ids)
        self.entities.table_of[index] = table.id
        self.entities.row_of[index] = np.arange(rows.start, rows.stop, dtype=np.int32)
        self.structure_version += 1
        return ids

    def despawn(self, entity: int) -> None:
        if not self.entities.is_alive(entity):
            return  # despawning twice is harmless (e.g. two commands in one frame)
        table, row = self.location(entity)
        self._remove_row(table, row)
        self.entities.free(entity)
        self.structure_version += 1

    def insert(self, entity: int, *values: ComponentValue) -> None:
        """Add (or overwrite) components, moving the entity to the matching table."""
        table, row = self.location(entity)
        target = self.table_for(table.components | {v.component for v in values})
        if target is not table:
            row = self._move(entity, table, row, target)
        for v in values:
            for name, value in v.values.items():
                target.columns[getattr(v.component, name)][row] = value
        self.structure_version += 1

    def remove(self, entity: int, *components: ComponentMeta) -> None:
        table, row = self.location(entity)
        target = self.table_for(table.components - set(components))
        if target is not table:
            self._move(entity, table, row, target)
            self.structure_version += 1

    def _move(self, entity: int, source: Table, row: int, target: Table) -> int:
        new_row = target.push(entity)
        for f, col in target.columns.items():
            if f in source.columns:
                col[new_row] = source.columns[f][row]
            else:
                col[new_row] = f.coerce(f.default)
        self._remove_row(source, row)
        self._place(entity, target, new_row)
        return new_row

    # ---- single-entity access (tools, tests, scene loading; not per-frame paths) ----
    def has(self, entity: int, comp: ComponentMeta) -> bool:
        table, _ = self.location(entity)
        return comp in table.components

    def get(self, entity: int, f: Field) -> np.ndarray:
        """One entity's value of one field: a writable view for array fields, a scalar copy otherwise."""
        table, row = self.location(entity)
        if f not in table.columns:
            raise KeyError(f"entity {entity:#x} has no {f.component.__name__}")
        return table.columns[f][row]

    def set(self, entity: int, f: Field, value) -> None:
        table, row = self.location(entity)
        table.columns[f][row] = f.coerce(value)

    def is_alive(self, entity: int) -> bool:
        return self.entities.is_alive(entity)

    @property
    def entity_count(self) -> int:
        return self.entities.alive_count

    # ---- resources ------------------------------------------------------------
    def insert_resource(self, resource: object, key: type | None = None) -> None:
        self.resources[key or type(resource)] = resource

    def resource(self, key: type[T]) -> T:
        try:
            return self.resources[key]  # type: ignore[return-value]
        except KeyError:
            raise KeyError(f"resource {key.__name__} is missing; did you add its plugin?") from None

    def get_resource(self, key: type[T]) -> T | None:
        return self.resources.get(key)  # type: ignore[return-value]

    # ---- events ---------------------------------------------------------------
    def event_queue(self, event_type: type) -> Events:
        queue = self.events.get(event_type)
        if queue is None:
            queue = self.events[event_type] = Events()
        return queue

    def send(self, event: object) -> None:
        self.event_queue(type(event)).send(event)

    # ---- queries --------------------------------------------------------------
    def query(self, *access, with_=(), without=()):
        from engine.query import Query

        return Query(self, access, with_, without)

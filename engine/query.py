"""Queries: which tables hold the wanted components, handed out as column views.

Iterating a query yields one `TableView` per matching, non-empty table; a view
returns slices of the table's columns (no copy). Components asked for with
`Read` come back as read-only arrays, so a system that writes what it only
declared reading fails loudly instead of corrupting a frame.
"""

from __future__ import annotations

import numpy as np

from engine.component import ComponentMeta, Field


class Access:
    """`Read[C]` / `Write[C]` / `With[C]` / `Without[C]` markers (usable in annotations or called)."""

    writable = False
    filter_only = False
    excluded = False

    def __init__(self, comp: ComponentMeta):
        if not isinstance(comp, ComponentMeta):
            raise TypeError(f"{type(self).__name__} needs a component class, got {comp!r}")
        self.component = comp

    def __class_getitem__(cls, comp: ComponentMeta) -> "Access":
        return cls(comp)

    def __repr__(self) -> str:
        return f"{type(self).__name__}[{self.component.__name__}]"


class Read(Access):
    pass


class Write(Access):
    writable = True


class With(Access):
    filter_only = True


class Without(Access):
    filter_only = True
    excluded = True


class TableView:
    """The live rows of one table, as seen through one query's access rights."""

    __slots__ = ("table", "_writable", "_readable")

    def __init__(self, table, writable: frozenset, readable: frozenset):
        self.table = table
        self._writable = writable
        self._readable = readable

    def __len__(self) -> int:
        return self.table.len

    def __getitem__(self, f: Field) -> np.ndarray:
        comp = f.component
        if comp in self._writable:
            return self.table.columns[f][: self.table.len]
        if comp in self._readable:
            view = self.table.columns[f][: self.table.len]
            view.flags.writeable = False
            return view
        raise KeyError(f"{f!r} is not in this query's access list")

    def __setitem__(self, f: Field, value) -> None:
        # `view[F] += x` updates in place, then Python assigns the same view back: skip that copy.
        if f.component not in self._writable:
            raise KeyError(f"{f!r} is not writable in this query (declare Write[{f.component.__name__}])")
        column = self.table.columns[f][: self.table.len]
        if isinstance(value, np.ndarray) and value.shape == column.shape and value.ctypes.data == column.ctypes.data:
            return
        column[...] = value

    @property
    def entities(self) -> np.ndarray:
        view = self.table.entities[: self.table.len]
        view.flags.writeable = False
        return view

    def has(self, comp: ComponentMeta) -> bool:
        return comp in self.table.components


class QuerySpec:
    """What a system parameter annotated `Query[...]` asks for."""

    def __init__(self, terms):
        terms = terms if isinstance(terms, tuple) else (terms,)
        self.terms = tuple(t if isinstance(t, Access) else Write(t) for t in terms)

    @property
    def writes(self) -> frozenset:
        return frozenset(t.component for t in self.terms if t.writable)

    @property
    def reads(self) -> frozenset:
        return frozenset(t.component for t in self.terms if not t.filter_only and not t.writable)

    @property
    def required(self) -> frozenset:
        return frozenset(t.component for t in self.terms if not t.excluded)

    @property
    def excluded(self) -> frozenset:
        return frozenset(t.component for t in self.terms if t.excluded)


class Query:
    """A query bound to a world. Matching tables are cached until a new table appears."""

    def __class_getitem__(cls, terms) -> QuerySpec:
        return QuerySpec(terms)

    def __init__(self, world, access=(), with_=(), without=(), spec: QuerySpec | None = None):
        if spec is None:
            spec = QuerySpec(tuple(access) + tuple(With(c) for c in with_) + tuple(Without(c) for c in without))
        self.world = world
        self.spec = spec
        self._writable = spec.writes
        self._readable = spec.reads | spec.writes
        self._cached_version = -1
        self._views: list[TableView] = []

    def _matching_views(self) -> list[TableView]:
        if self._cached_version != self.world.table_version:
            required, excluded = self.spec.required, self.spec.excluded
            self._views = [
                TableView(t, self._writable, self._readable)
                for t in self.world.tables
                if required <= t.components and not (excluded & t.components)
            ]
            self._cached_version = self.world.table_version
        return self._views

    def __iter__(self):
        return (v for v in self._matching_views() if v.table.len)

    def count(self) -> int:
        return sum(v.table.len for v in self._matching_views())

    def gather(self, f: Field) -> np.ndarray:
        """One array of a field across all matching tables (a copy: the explicit cross-table gather)."""
        parts = [v[f] for v in self]
        if not parts:
            return np.zeros((0, *f.type.shape), f.type.dtype)
        return np.concatenate(parts)

    def entities(self) -> np.ndarray:
        parts = [v.entities for v in self]
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)

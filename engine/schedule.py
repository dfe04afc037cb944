"""Phases, systems and their declared access.

A system is a plain function; its annotated parameters say what it touches:

    def integrate(q: Query[Write[Transform], Read[Velocity]], clock: Res[Clock]): ...

The schedule resolves the annotations once, at registration, into fetchers;
running a system is then just `fn(*fetched)`. Declared access also enforces
the frame's contract: extract and render systems may not write components.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from enum import IntEnum

from engine.commands import Commands
from engine.query import Query, QuerySpec


class Phase(IntEnum):
    CAPTURE = 0
    ANIMATE = 1
    SIMULATE = 2  # runs once per fixed step, possibly several times a frame
    EFFECTS = 3
    EXTRACT = 4
    RENDER = 5


class _ResourceParam:
    mutable = False

    def __init__(self, key: type):
        self.key = key

    def __class_getitem__(cls, key: type):
        return cls(key)

    def __repr__(self) -> str:
        return f"{type(self).__name__}[{self.key.__name__}]"


class Res(_ResourceParam):
    """Read access to a resource."""


class ResMut(_ResourceParam):
    """Write access to a resource."""

    mutable = True


class _EventParam:
    def __init__(self, event_type: type):
        self.event_type = event_type

    def __class_getitem__(cls, event_type: type):
        return cls(event_type)


class EventReader(_EventParam):
    """Yields the events of a type sent since this system last ran."""


class EventWriter(_EventParam):
    """A callable that sends events of one type."""


class WorldAccess:
    """Annotation for an exclusive system that gets the whole World (loading, tools)."""


class _Reader:
    def __init__(self, world, event_type):
        self._queue = world.event_queue(event_type)
        self._cursor = 0

    def read(self) -> list:
        events, self._cursor = self._queue.read_from(self._cursor)
        return events


class System:
    def __init__(self, fn: Callable, phase: Phase, name: str | None = None):
        self.fn = fn
        self.phase = phase
        self.name = name or fn.__name__
        self.specs: list = []
        hints = typing.get_type_hints(fn)
        for pname in inspect.signature(fn).parameters:
            spec = hints.get(pname)
            if spec is None:
                raise TypeError(f"system {self.name}: parameter '{pname}' needs an annotation (Query[...], Res[...], ...)")
            self.specs.append(spec)
        self.reads = frozenset().union(*(s.reads for s in self.specs if isinstance(s, QuerySpec)))
        self.writes = frozenset().union(*(s.writes for s in self.specs if isinstance(s, QuerySpec)))
        self.resources_read = frozenset(s.key for s in self.specs if isinstance(s, _ResourceParam))
        self.resources_written = frozenset(s.key for s in self.specs if isinstance(s, ResMut))
        if phase in (Phase.EXTRACT, Phase.RENDER) and self.writes:
            raise TypeError(f"system {self.name}: {phase.name.lower()} systems only read components, "
                            f"but it writes {sorted(c.__name__ for c in self.writes)}")
        self._args: list | None = None
        self._world = None

    def _bind(self, world, commands: Commands) -> list:
        args = []
        for spec in self.specs:
            if isinstance(spec, QuerySpec):
                args.append(Query(world, spec=spec))
            elif isinstance(spec, _ResourceParam):
                args.append(_LazyResource(world, spec.key))
            elif isinstance(spec, EventReader):
                args.append(_Reader(world, spec.event_type))
            elif isinstance(spec, EventWriter):
                args.append(world.event_queue(spec.event_type).send)
            elif spec is Commands:
                args.append(commands)
            elif spec is WorldAccess:
                args.append(world)
            else:
                raise TypeError(f"system {self.name}: unsupported parameter annotation {spec!r}")
        return args

    def run(self, world, commands: Commands) -> None:
        if self._world is not world:
            self._args = self._bind(world, commands)
            self._world = world
        self.fn(*(a.get() if isinstance(a, _LazyResource) else a for a in self._args))

    def __repr__(self) -> str:
        return f"System({self.name}, {self.phase.name})"


class _LazyResource:
    """Resolved at each run so a resource inserted after registration is still found."""

    __slots__ = ("world", "key")

    def __init__(self, world, key):
        self.world = world
        self.key = key

    def get(self):
        return self.world.resource(self.key)


class Schedule:
    def __init__(self):
        self.systems: dict[Phase, list[System]] = {p: [] for p in Phase}

    def add(self, fn: Callable, phase: Phase, *, before: str | None = None, after: str | None = None,
            name: str | None = None) -> System:
        system = System(fn, phase, name)
        systems = self.systems[phase]
        if any(s.name == system.name for s in systems):
            raise ValueError(f"system {system.name} is already in phase {phase.name}")
        position = len(systems)
        if before is not None:
            position = self._index(phase, before)
        if after is not None:
            position = self._index(phase, after) + 1
        systems.insert(position, system)
        return system

    def _index(self, phase: Phase, name: str) -> int:
        for i, s in enumerate(self.systems[phase]):
            if s.name == name:
                return i
        raise ValueError(f"no system named {name} in phase {phase.name}")

    def run_phase(self, phase: Phase, world, commands: Commands) -> None:
        for system in self.systems[phase]:
            system.run(world, commands)
        commands.apply()

    def describe(self) -> str:
        """A table of phases, systems and declared access (for `main.py info` and debugging)."""
        lines = []
        for phase, systems in self.systems.items():
            for s in systems:
                reads = ",".join(sorted(c.__name__ for c in s.reads)) or "-"
                writes = ",".join(sorted(c.__name__ for c in s.writes)) or "-"
                lines.append(f"{phase.name:9s} {s.name:32s} reads {reads:40s} writes {writes}")
        return "\n".join(lines)

"""Deferred structural changes, applied by the schedule after each phase.

Systems never move rows while other systems hold column views: they record
spawns, despawns and component changes here instead.
"""

from __future__ import annotations

from collections.abc import Callable

from engine.component import ComponentMeta, ComponentValue


class Commands:
    def __init__(self, world):
        self._world = world
        self._queue: list[Callable] = []

    def spawn(self, *values: ComponentValue) -> int:
        """Reserve an id now (usable in other commands of this frame); the entity appears after the phase."""
        entity = self._world.reserve_entity()
        self._queue.append(lambda w: w.spawn_reserved(entity, *values))
        return entity

    def despawn(self, entity: int) -> None:
        self._queue.append(lambda w: w.despawn(entity))

    def insert(self, entity: int, *values: ComponentValue) -> None:
        self._queue.append(lambda w: w.insert(entity, *values) if w.is_alive(entity) else None)

    def remove(self, entity: int, *components: ComponentMeta) -> None:
        self._queue.append(lambda w: w.remove(entity, *components) if w.is_alive(entity) else None)

    def add(self, fn: Callable) -> None:
        """Any other deferred world change: `fn(world)`."""
        self._queue.append(fn)

    def __len__(self) -> int:
        return len(self._queue)

    def apply(self) -> None:
        queue, self._queue = self._queue, []
        for command in queue:
            command(self._world)

"""ParticlePool: every particle's state in shared structure-of-arrays columns, one segment per emitter.

An emitter owns the fixed segment [offset, offset + capacity) of the columns; its live particles are always the
front of it, [offset, offset + live): a dead particle is replaced by the segment's last live one, so the renderer
uploads one contiguous range per emitter and the kernels never test a liveness flag. Columns and scratch grow
only when a segment is allocated, never while stepping, and never past the budget.
"""

from __future__ import annotations

import numpy as np

from systems.particles.emitter_table import EMITTER_DTYPE
from systems.particles.work_chunks import chunks_needed

DEFAULT_BUDGET = 2_000_000  # 80 MB of particle state; a scene sets its own with [scene] particle_budget
MAX_BUDGET = 50_000_000  # 2 GB


class ParticleBudgetError(ValueError):
    """Allocating a segment would take the pool past its particle budget."""


class ParticlePool:
    def __init__(self, budget: int = DEFAULT_BUDGET):
        self.budget = budget
        self.used = 0  # slots handed out to segments
        # the state the kernels integrate: 40 bytes per particle
        self.position = np.zeros((0, 3), np.float32)
        self.velocity = np.zeros((0, 3), np.float32)
        self.age = np.zeros(0, np.float32)
        self.lifetime = np.zeros(0, np.float32)
        self.size = np.zeros(0, np.float32)
        self.seed = np.zeros(0, np.uint32)
        self.emitters = np.zeros(4, EMITTER_DTYPE)  # one row per segment
        self.emitter_count = 0
        self._free: dict[int, list[int]] = {}  # capacity -> released segments
        # kernel scratch: work items, and where each advance item records its expired particles
        self.chunk_emitter = np.zeros(0, np.int64)
        self.chunk_start = np.zeros(0, np.int64)
        self.chunk_stop = np.zeros(0, np.int64)
        self.dead_count = np.zeros(0, np.int64)
        self.dead_slot = np.zeros(0, np.int32)  # an item's expired slots are stored within its own slot range
        self.expired = np.zeros(0, np.uint8)  # set by the fused pass, so expiry is found 8 particles per load
        self._chunks_needed = 0

    @property
    def columns(self) -> tuple:
        return self.position, self.velocity, self.age, self.lifetime, self.size, self.seed

    @property
    def scratch(self) -> tuple:
        return self.chunk_emitter, self.chunk_start, self.chunk_stop, self.dead_count, self.dead_slot, self.expired

    def allocate(self, capacity: int) -> int:
        """A segment of `capacity` slots with no live particles; returns its row in `emitters`."""
        if capacity < 1:
            raise ValueError(f"an emitter needs a capacity of at least 1, got {capacity}")
        reusable = self._free.get(capacity)
        if reusable:
            segment = reusable.pop()
        else:
            if self.used + capacity > self.budget:
                raise ParticleBudgetError(f"{capacity} more particles would make {self.used + capacity}, "
                                          f"over the particle budget of {self.budget}")
            segment = self._new_segment(capacity)
        row = self.emitters[segment]
        row["live"] = row["spawned"] = row["spawn_count"] = 0
        row["carry"] = 0.0
        row["has_previous"] = row["active"] = False
        return segment

    def release(self, segment: int) -> None:
        """Hand a segment back (its emitter was despawned); a later emitter of the same capacity reuses it."""
        row = self.emitters[segment]
        row["live"] = 0
        row["active"] = False
        self._free.setdefault(int(row["capacity"]), []).append(segment)

    def clear(self) -> None:
        """Every emitter empty, as at t = 0 (the columns keep their storage)."""
        rows = self.emitters[: self.emitter_count]
        rows["live"] = rows["spawned"] = rows["spawn_count"] = 0
        rows["carry"] = 0.0
        rows["has_previous"] = False
        rows["velocity"] = 0.0

    def live_range(self, segment: int) -> slice:
        row = self.emitters[segment]
        return slice(int(row["offset"]), int(row["offset"] + row["live"]))

    def _new_segment(self, capacity: int) -> int:
        offset = self.used
        self.used += capacity
        if self.used > len(self.age):
            self._grow_columns(max(self.used, min(2 * len(self.age), self.budget)))
        segment = self.emitter_count
        if segment == len(self.emitters):
            grown = np.zeros(2 * len(self.emitters), EMITTER_DTYPE)
            grown[:segment] = self.emitters
            self.emitters = grown
        self.emitter_count += 1
        self.emitters[segment] = np.zeros((), EMITTER_DTYPE)
        self.emitters[segment]["offset"] = offset
        self.emitters[segment]["capacity"] = capacity
        self._chunks_needed += chunks_needed(capacity)
        if self._chunks_needed > len(self.chunk_emitter):
            size = max(self._chunks_needed, 2 * len(self.chunk_emitter))
            self.chunk_emitter, self.chunk_start, self.chunk_stop, self.dead_count = (
                np.zeros(size, np.int64) for _ in range(4))
        return segment

    def _grow_columns(self, capacity: int) -> None:
        for name in ("position", "velocity", "age", "lifetime", "size", "seed"):
            old = getattr(self, name)
            new = np.zeros((capacity, *old.shape[1:]), old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)
        self.dead_slot = np.zeros(capacity, np.int32)
        self.expired = np.zeros(capacity, np.uint8)

"""New particles for the step: rate with a fractional carry, plus bursts, appended after each live range.

Counts are decided sequentially in float64 (deterministic); the births run in parallel, each keyed by the
emitter's running spawn counter, so the n-th particle an emitter ever spawns is the same on any thread count.
Particles beyond capacity are dropped, not deferred.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from systems.particles.counter_rng import particle_key
from systems.particles.emit import emit_particle
from systems.particles.work_chunks import PARALLEL_MIN_PARTICLES, SPAWN_CHUNK, append_chunks

_CARRY_EPSILON = 1e-9  # float64 sums of rate * dt can land a hair below a whole particle


@njit(cache=True)
def count_new_particles(step, dt, emitters, emitter_count, burst_times, burst_counts):
    """Each active emitter's spawn_count for the step covering scene time [step dt, (step + 1) dt)."""
    t0 = step * dt
    t1 = t0 + dt
    for e in range(emitter_count):
        row = emitters[e]
        row.spawn_count = 0
        if not row.active:
            continue
        emitting = max(0.0, min(t1, np.float64(row.emit_stop)) - max(t0, np.float64(row.emit_start)))
        row.carry += row.rate * emitting
        whole = math.floor(row.carry + _CARRY_EPSILON)
        row.carry -= whole
        count = np.int64(whole)
        for b in range(row.burst_first, row.burst_first + row.burst_count):
            if t0 <= burst_times[b] < t1:
                count += burst_counts[b]
        row.spawn_count = min(count, row.capacity - row.live)


@njit(cache=True, fastmath=True)
def spawn_chunk(dt, emitter, start, stop, columns, surfaces):
    """Births into slots [start, stop) past the emitter's live range, keyed by its running spawn counter."""
    first_new = emitter.offset + emitter.live
    for slot in range(start, stop):
        counter = emitter.spawned + np.uint64(slot - first_new)
        emit_particle(emitter, slot, particle_key(emitter.seed, counter), dt, surfaces, columns)


@njit(cache=True, parallel=True, fastmath=True)
def spawn_new_particles(step, dt, emitters, emitter_count, burst_times, burst_counts, columns, surfaces, scratch):
    """Spawn this step's particles of every emitter at the end of its live range."""
    chunk_emitter, chunk_start, chunk_stop = scratch[0], scratch[1], scratch[2]
    count_new_particles(step, dt, emitters, emitter_count, burst_times, burst_counts)
    chunk_count = 0
    total = 0
    for e in range(emitter_count):
        row = emitters[e]
        first = row.offset + row.live
        chunk_count = append_chunks(e, first, first + row.spawn_count, SPAWN_CHUNK, chunk_emitter, chunk_start,
                                    chunk_stop, chunk_count)
        total += row.spawn_count
    # births cost ~20x an advance, so fewer of them are worth the threads
    if total * 20 >= PARALLEL_MIN_PARTICLES:
        for c in prange(chunk_count):
            spawn_chunk(dt, emitters[chunk_emitter[c]], chunk_start[c], chunk_stop[c], columns, surfaces)
    else:
        for c in range(chunk_count):
            spawn_chunk(dt, emitters[chunk_emitter[c]], chunk_start[c], chunk_stop[c], columns, surfaces)
    for e in range(emitter_count):
        row = emitters[e]
        row.live += row.spawn_count
        row.spawned += np.uint64(row.spawn_count)

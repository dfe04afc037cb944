"""Removing expired particles while keeping every emitter's live range contiguous.

Each listed slot takes the segment's last live particle (swap with last). Slots are handled from the highest
down, so the last live particle is never one that is itself waiting to be removed. Sequential: it moves only
the dead, a few per step, and its order is fixed, so results don't depend on threads.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def remove_expired_particles(emitters, chunk_count, columns, scratch):
    """Apply the removals listed by `advance_live_particles` in its `chunk_count` work items."""
    position, velocity, age, lifetime, size, seed = columns
    chunk_emitter, chunk_start, dead_count, dead_slot = scratch[0], scratch[1], scratch[3], scratch[4]
    for c in range(chunk_count - 1, -1, -1):  # an emitter's items are consecutive and ascending
        row = emitters[chunk_emitter[c]]
        for k in range(dead_count[c] - 1, -1, -1):
            slot = dead_slot[chunk_start[c] + k]
            last = row.offset + row.live - 1
            if slot != last:
                position[slot] = position[last]
                velocity[slot] = velocity[last]
                age[slot] = age[last]
                lifetime[slot] = lifetime[last]
                size[slot] = size[last]
                seed[slot] = seed[last]
            row.live -= 1

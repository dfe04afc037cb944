"""One fixed step of every live particle: force fields, the fused integration pass, sphere collisions, expiry.

Work items are fixed-size blocks of one emitter's live range, run in parallel. Each item makes its passes over a
block small enough to stay in cache, so main memory sees one read and one write of the state. Expired particles
are reborn in place (respawning emitters) or listed for `remove_expired_particles`.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from systems.particles.collisions import collide_with_spheres
from systems.particles.emit import emit_particle, respawn_key
from systems.particles.force_fields import apply_force_fields
from systems.particles.integrate import integrate_block
from systems.particles.work_chunks import ADVANCE_CHUNK, PARALLEL_MIN_PARTICLES, append_chunks


@njit(cache=True)
def track_emitter_motion(emitters, emitter_count, dt):
    """Each active emitter's velocity over this step, from its origin now and at its previous step."""
    for e in range(emitter_count):
        row = emitters[e]
        if not row.active:
            continue
        for axis in range(3):
            origin = row.matrix[3, axis]
            row.velocity[axis] = (origin - row.previous_origin[axis]) / dt if row.has_previous else 0.0
            row.previous_origin[axis] = origin
        row.has_previous = True


@njit(cache=True, inline="always")
def _retire(step, dt, emitter, slot, start, listed, surfaces, columns, dead_slot):
    """Rebirth an expired particle in place, or list it for removal; returns the new number listed."""
    if emitter.respawn:
        emit_particle(emitter, slot, respawn_key(emitter.seed, step, slot - emitter.offset), dt, surfaces, columns)
        return listed
    dead_slot[start + listed] = slot
    return listed + 1


@njit(cache=True)
def expire_block(step, dt, emitter, start, stop, surfaces, columns, expired, dead_slot):
    """Handle the flagged particles of [start, stop) in slot order; returns how many were listed (from
    dead_slot[start]). Flags are read eight at a time: most words are zero."""
    listed = 0
    whole = (stop - start) // 8
    words = expired[start:start + 8 * whole].view(np.uint64)
    for w in range(whole):
        if words[w]:
            for slot in range(start + 8 * w, start + 8 * w + 8):
                if expired[slot]:
                    listed = _retire(step, dt, emitter, slot, start, listed, surfaces, columns, dead_slot)
    for slot in range(start + 8 * whole, stop):
        if expired[slot]:
            listed = _retire(step, dt, emitter, slot, start, listed, surfaces, columns, dead_slot)
    return listed


@njit(cache=True, fastmath=True)
def advance_chunk(step, dt, emitter, start, stop, columns, surfaces, fields, field_count, spheres, sphere_count,
                  ground_height, dead_slot, expired):
    """All passes over one work item [start, stop); returns how many expired particles it listed."""
    position, velocity, age, lifetime = columns[0], columns[1], columns[2], columns[3]
    block_position = position[start:stop].reshape(3 * (stop - start))
    block_velocity = velocity[start:stop].reshape(3 * (stop - start))
    if field_count > 0:
        apply_force_fields(fields, field_count, block_position, block_velocity, dt)
    integrate_block(emitter, block_position, block_velocity, age[start:stop], lifetime[start:stop],
                    expired[start:stop], dt, ground_height)
    if sphere_count > 0 and emitter.collide:
        collide_with_spheres(spheres, sphere_count, block_position, block_velocity)
    return expire_block(step, dt, emitter, start, stop, surfaces, columns, expired, dead_slot)


@njit(cache=True, parallel=True, fastmath=True)
def advance_live_particles(step, dt, emitters, emitter_count, columns, surfaces, fields, field_count, spheres,
                           sphere_count, ground_height, scratch):
    """Advance every active emitter's live particles by one step; returns the number of work items used."""
    chunk_emitter, chunk_start, chunk_stop, dead_count, dead_slot, expired = scratch
    track_emitter_motion(emitters, emitter_count, dt)
    chunk_count = 0
    total = 0
    for e in range(emitter_count):
        row = emitters[e]
        if row.active:
            chunk_count = append_chunks(e, row.offset, row.offset + row.live, ADVANCE_CHUNK, chunk_emitter,
                                        chunk_start, chunk_stop, chunk_count)
            total += row.live
    if total >= PARALLEL_MIN_PARTICLES:
        for c in prange(chunk_count):
            dead_count[c] = advance_chunk(step, dt, emitters[chunk_emitter[c]], chunk_start[c], chunk_stop[c], columns,
                                          surfaces, fields, field_count, spheres, sphere_count, ground_height,
                                          dead_slot, expired)
    else:
        for c in range(chunk_count):
            dead_count[c] = advance_chunk(step, dt, emitters[chunk_emitter[c]], chunk_start[c], chunk_stop[c], columns,
                                          surfaces, fields, field_count, spheres, sphere_count, ground_height,
                                          dead_slot, expired)
    return chunk_count

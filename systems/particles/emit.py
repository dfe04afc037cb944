"""Birth of one particle at its emitter: the shared body of spawning and respawning.

Everything random comes from the particle's key (see counter_rng), so a particle's birth depends only on its
emitter's settings and its counter, never on the thread or the order in which particles are born.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from systems.particles.counter_rng import particle_key, random_bits, uniform
from systems.particles.emitter_shapes import direction_in_cone, sample_shape

RESPAWN_SALT = np.uint64(0x52455350)  # keeps respawn keys apart from the spawn counter's keys


@njit(cache=True, inline="always")
def respawn_key(seed, step, local_slot):
    """The key of a particle reborn in slot `local_slot` of its segment at fixed step `step`."""
    return particle_key(np.uint64(seed) ^ RESPAWN_SALT, (np.uint64(step) << np.uint64(32)) | np.uint64(local_slot))


@njit(cache=True, inline="always")
def _lerp(a, b, t):
    return a + (b - a) * t


@njit(cache=True, inline="always")
def emit_particle(emitter, slot, key, dt, surfaces, columns):
    """Write a newborn particle into `slot`: sampled in the emitter's shape, placed by its matrix."""
    position, velocity, age, lifetime, size, seed = columns
    triangles, triangle_cdf = surfaces
    lx, ly, lz, dx, dy, dz = sample_shape(emitter, triangles, triangle_cdf, uniform(key, 0), uniform(key, 1),
                                          uniform(key, 2), uniform(key, 3))
    m = emitter.matrix  # GL layout: world = local @ m
    wx = lx * m[0, 0] + ly * m[1, 0] + lz * m[2, 0] + m[3, 0]
    wy = lx * m[0, 1] + ly * m[1, 1] + lz * m[2, 1] + m[3, 1]
    wz = lx * m[0, 2] + ly * m[1, 2] + lz * m[2, 2] + m[3, 2]
    ax = dx * m[0, 0] + dy * m[1, 0] + dz * m[2, 0]
    ay = dx * m[0, 1] + dy * m[1, 1] + dz * m[2, 1]
    az = dx * m[0, 2] + dy * m[1, 2] + dz * m[2, 2]
    length = max(math.sqrt(ax * ax + ay * ay + az * az), 1e-20)
    sx, sy, sz = direction_in_cone(ax / length, ay / length, az / length, emitter.spread_cos,
                                   uniform(key, 4), uniform(key, 5))
    speed = _lerp(emitter.speed_min, emitter.speed_max, uniform(key, 6))
    # born somewhere along the emitter's path during this step, so a moving emitter leaves a trail, not clumps
    back = dt * uniform(key, 7)
    motion = emitter.velocity
    inherit = emitter.inherit_velocity
    position[slot, 0] = wx - motion[0] * back
    position[slot, 1] = wy - motion[1] * back
    position[slot, 2] = wz - motion[2] * back
    velocity[slot, 0] = sx * speed + motion[0] * inherit
    velocity[slot, 1] = sy * speed + motion[1] * inherit
    velocity[slot, 2] = sz * speed + motion[2] * inherit
    age[slot] = 0.0
    lifetime[slot] = _lerp(emitter.lifetime_min, emitter.lifetime_max, uniform(key, 8))
    size[slot] = _lerp(emitter.size_min, emitter.size_max, uniform(key, 9))
    seed[slot] = random_bits(key, 10)

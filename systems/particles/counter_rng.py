"""Counter-based random numbers: hashes of (key, draw), so parallel kernels get the same values in any order.

A particle's key comes from its emitter's seed and a counter unique to that particle within the emitter (the
emitter's running spawn index, or the step and slot of a respawn). Its draws are hashes of (key, draw number):
no state is carried between particles, so the result does not depend on how particles are split across threads.
The hash is the PCG output permutation (Jarzynski and Olano, "Hash Functions for GPU Rendering", JCGT 2020),
a bijection on 32-bit words, so distinct counters give distinct keys.
"""

from __future__ import annotations

import numpy as np
from numba import njit

MASK32 = np.uint64(0xFFFFFFFF)
_MULTIPLIER = np.uint64(747796405)
_INCREMENT = np.uint64(2891336453)
_OUTPUT_MULTIPLIER = np.uint64(277803737)
_DRAW_STRIDE = np.uint64(0x9E3779B9)  # 2^32 / golden ratio: spreads consecutive draw numbers over the words
_UNIT = np.float32(1.0 / (1 << 24))


@njit(cache=True, inline="always")
def hash32(word):
    """PCG output permutation of a 32-bit word held in a uint64."""
    state = (np.uint64(word) * _MULTIPLIER + _INCREMENT) & MASK32
    shifted = (state >> ((state >> np.uint64(28)) + np.uint64(4))) ^ state
    mixed = (shifted * _OUTPUT_MULTIPLIER) & MASK32
    return (mixed >> np.uint64(22)) ^ mixed


@njit(cache=True, inline="always")
def particle_key(seed, counter):
    """A particle's key from its emitter's seed and a counter (< 2^64) unique within that emitter."""
    counter = np.uint64(counter)
    base = hash32(np.uint64(seed) ^ hash32(counter >> np.uint64(32)))
    return hash32(base ^ (counter & MASK32))


@njit(cache=True, inline="always")
def random_bits(key, draw):
    """The draw-th 32-bit random word of a key."""
    return hash32((np.uint64(key) + np.uint64(draw) * _DRAW_STRIDE) & MASK32)


@njit(cache=True, inline="always")
def uniform(key, draw):
    """The draw-th float32 of a key, uniform in [0, 1)."""
    return np.float32(random_bits(key, draw) >> np.uint64(8)) * _UNIT

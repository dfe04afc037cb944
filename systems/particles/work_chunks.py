"""Fixed-size work items for the parallel particle kernels.

Items never straddle two emitters, and their boundaries depend only on the emitters' ranges, not on the thread
count. Each particle therefore always runs through the same code path (vectorised body or remainder), so a
simulation is bit-identical on one thread or many.
"""

from __future__ import annotations

from numba import njit

ADVANCE_CHUNK = 4096  # 160 KB of state: it stays in L2 between the passes over one item
SPAWN_CHUNK = 1024  # spawning costs far more per particle than advancing
PARALLEL_MIN_PARTICLES = 32768  # below this, waking the worker threads costs more than the work saves


def chunks_needed(capacity: int) -> int:
    """Work items an emitter of `capacity` can need in one kernel (the smaller chunk size bounds both)."""
    return -(-capacity // min(ADVANCE_CHUNK, SPAWN_CHUNK))


@njit(cache=True, inline="always")
def append_chunks(emitter, start, stop, size, chunk_emitter, chunk_start, chunk_stop, count):
    """Split [start, stop) of one emitter into items of at most `size`, appended after `count` items; new count."""
    while start < stop:
        end = min(start + size, stop)
        chunk_emitter[count] = emitter
        chunk_start[count] = start
        chunk_stop[count] = end
        count += 1
        start = end
    return count

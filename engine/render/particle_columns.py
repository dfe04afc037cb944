"""A ParticleBatch's per-particle columns in the one layout both particle paths read."""

from __future__ import annotations

import numpy as np

from engine.render.frame import ParticleBatch

# Column -> dtype. Positions and velocities are (n, 3), the others (n,).
COLUMN_DTYPES = {
    "positions": np.float32,
    "velocities": np.float32,
    "ages": np.float32,
    "lifetimes": np.float32,
    "sizes": np.float32,
    "seeds": np.uint32,
}


def particle_column(batch: ParticleBatch, name: str) -> np.ndarray:
    """C-contiguous in its dtype: the simulation's view itself when it already is (no copy).

    One layout also means one compiled specialization of each splat kernel."""
    return np.ascontiguousarray(getattr(batch, name), COLUMN_DTYPES[name])


def particle_columns(batch: ParticleBatch) -> tuple[np.ndarray, ...]:
    """(positions, velocities, ages, lifetimes, sizes, seeds)."""
    return tuple(particle_column(batch, name) for name in COLUMN_DTYPES)

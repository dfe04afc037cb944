"""Over-life curves: keys [(t, value), ...] with t in 0..1 of a particle's lifetime, baked into lookup tables.

Values are linear between keys and held before the first key and after the last. The renderer indexes the
tables by age / lifetime, so the simulation never evaluates a curve.
"""

from __future__ import annotations

import numpy as np

from components.particles import CURVE_SAMPLES


def bake_curve(keys, width: int) -> np.ndarray:
    """(CURVE_SAMPLES, width) float32 samples of piecewise-linear keys at t = i / (CURVE_SAMPLES - 1)."""
    times = np.array([k[0] for k in keys], np.float64)
    values = np.array([np.broadcast_to(np.asarray(k[1], np.float64), (width,)) for k in keys])
    t = np.linspace(0.0, 1.0, CURVE_SAMPLES)
    return np.stack([np.interp(t, times, values[:, c]) for c in range(width)], axis=1).astype(np.float32)


def color_over_life(color_keys, opacity_keys) -> np.ndarray:
    """(CURVE_SAMPLES, 4) linear RGBA; RGB keys have alpha 1, and the opacity curve multiplies alpha."""
    rgba_keys = [(t, list(value) + [1.0] * (4 - len(value))) for t, value in color_keys]
    table = bake_curve(rgba_keys, 4)
    table[:, 3] *= bake_curve(opacity_keys, 1)[:, 0]
    return table


def size_over_life(keys) -> np.ndarray:
    """(CURVE_SAMPLES,) size multipliers."""
    return bake_curve(keys, 1)[:, 0].copy()

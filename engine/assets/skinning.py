"""CPU linear-blend skinning: bounds at load time, and a reference for tests and tools."""

from __future__ import annotations

import numpy as np


def skin_positions(positions: np.ndarray, joints: np.ndarray, weights: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Skinned positions: sum_k weights[:, k] * (p @ palette[joints[:, k]]) in GL layout."""
    homogeneous = np.concatenate([positions, np.ones((len(positions), 1), positions.dtype)], axis=1)
    out = np.zeros((len(positions), 3), np.float64)
    for k in range(joints.shape[1]):  # four influences: loop over slots, vectorised over vertices
        matrices = palette[joints[:, k].astype(np.int64)]
        out += weights[:, k : k + 1] * np.einsum("ni,nij->nj", homogeneous, matrices)[:, :3]
    return out.astype(np.float32)


def transform_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    return points @ matrix[:3, :3] + matrix[3, :3]

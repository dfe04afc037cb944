"""Screen-space terms of a GL-layout projection matrix, shared by the shaders
(through uniforms) and the CPU particle splat so both measure alike."""

from __future__ import annotations

import numpy as np


def view_distance_coefficients(projection: np.ndarray) -> np.ndarray:
    """(a, b, c, d): distance in front of the camera = (z * a + b) / (z * c + d) for NDC depth z.

    Exact for perspective and orthographic projections alike, because clip z
    and w depend on view-space z alone: with clip = [x y z 1] @ P,
    z_clip = z P[2,2] + P[3,2] and w_clip = z P[2,3] + P[3,3].
    """
    p = np.asarray(projection, np.float64)
    return np.array([p[3, 3], -p[3, 2], p[2, 3], -p[2, 2]], np.float32)


def focal_length_px(projection: np.ndarray, viewport_height: int) -> float:
    """Pixels per metre of object size at clip w = 1 (a distance of 1 m in perspective)."""
    return float(np.asarray(projection)[1, 1]) * viewport_height * 0.5

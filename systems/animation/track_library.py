"""TrackLibrary: keyframed paths from the scene timeline, in flat arrays, and their kernel.

Paths are Catmull-Rom splines through the keys (or straight segments), held
at the first and last key outside their time range.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


class TrackLibrary:
    def __init__(self):
        self.start = np.zeros(0, np.int32)
        self.count = np.zeros(0, np.int32)
        self.smooth = np.zeros(0, np.bool_)
        self.times = np.zeros(0, np.float64)
        self.positions = np.zeros((0, 3), np.float32)

    def add(self, times, positions, smooth: bool = True) -> int:
        times = np.asarray(times, np.float64)
        positions = np.asarray(positions, np.float32).reshape(-1, 3)
        track = len(self.start)
        self.start = np.append(self.start, np.int32(len(self.times)))
        self.count = np.append(self.count, np.int32(len(times)))
        self.smooth = np.append(self.smooth, smooth)
        self.times = np.concatenate([self.times, times])
        self.positions = np.concatenate([self.positions, positions])
        return track


@njit(cache=True, fastmath=True, inline="always")
def _point(positions, start, count, k):
    return positions[start + min(max(k, 0), count - 1)]


@njit(cache=True, fastmath=True, parallel=True)
def evaluate_tracks(track_ids, t, start, count, smooth, times, positions, out_position, out_tangent):
    """Position and unit tangent of each follower's track at time t (constant tangent past the ends)."""
    for i in prange(track_ids.shape[0]):
        track = track_ids[i]
        s0, n = start[track], count[track]
        if n == 1:
            out_position[i] = positions[s0]
            out_tangent[i, 0], out_tangent[i, 1], out_tangent[i, 2] = 0.0, 0.0, 1.0
            continue
        tt = min(max(t, times[s0]), times[s0 + n - 1])
        k = 0
        while k < n - 2 and times[s0 + k + 1] <= tt:
            k += 1
        span = times[s0 + k + 1] - times[s0 + k]
        u = (tt - times[s0 + k]) / span if span > 0 else 0.0
        p0, p1 = _point(positions, s0, n, k - 1), _point(positions, s0, n, k)
        p2, p3 = _point(positions, s0, n, k + 1), _point(positions, s0, n, k + 2)
        if smooth[track]:
            u2, u3 = u * u, u * u * u
            for c in range(3):
                out_position[i, c] = 0.5 * (2 * p1[c] + (-p0[c] + p2[c]) * u + (2 * p0[c] - 5 * p1[c] + 4 * p2[c] - p3[c]) * u2
                                            + (-p0[c] + 3 * p1[c] - 3 * p2[c] + p3[c]) * u3)
                out_tangent[i, c] = 0.5 * ((-p0[c] + p2[c]) + 2 * (2 * p0[c] - 5 * p1[c] + 4 * p2[c] - p3[c]) * u
                                           + 3 * (-p0[c] + 3 * p1[c] - 3 * p2[c] + p3[c]) * u2)
        else:
            for c in range(3):
                out_position[i, c] = p1[c] + u * (p2[c] - p1[c])
                out_tangent[i, c] = p2[c] - p1[c]
        length = np.sqrt(out_tangent[i, 0] ** 2 + out_tangent[i, 1] ** 2 + out_tangent[i, 2] ** 2)
        if length > 1e-9:
            for c in range(3):
                out_tangent[i, c] /= length

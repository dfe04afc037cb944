"""Vectorised quaternion helpers, (x, y, z, w) like glTF, column-vector convention.

`quat_multiply(a, b)` rotates by `b` first, then by `a` (as R_a @ R_b).
Every function broadcasts over leading axes, so whole tracks of frames are
handled in one call.
"""

from __future__ import annotations

import numpy as np

IDENTITY = np.array([0.0, 0.0, 0.0, 1.0])


def axis_angle(axis, angle) -> np.ndarray:
    """Rotation by `angle` radians (scalar or array) about `axis` (unit (3,) or (..., 3))."""
    axis = np.asarray(axis, np.float64)
    half = 0.5 * np.asarray(angle, np.float64)[..., None]
    return np.concatenate([axis * np.sin(half), np.cos(half)], axis=-1)


def about_x(angle) -> np.ndarray:
    return axis_angle([1.0, 0.0, 0.0], angle)


def about_y(angle) -> np.ndarray:
    return axis_angle([0.0, 1.0, 0.0], angle)


def about_z(angle) -> np.ndarray:
    return axis_angle([0.0, 0.0, 1.0], angle)


def quat_multiply(a, b) -> np.ndarray:
    a, b = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(b, np.float64))
    ax, ay, az, aw = np.moveaxis(a, -1, 0)
    bx, by, bz, bw = np.moveaxis(b, -1, 0)
    return np.stack([
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
        aw * bw - ax * bx - ay * by - az * bz,
    ], axis=-1)


def compose(*rotations) -> np.ndarray:
    """compose(a, b, c) applies c first, then b, then a."""
    result = rotations[-1]
    for rotation in reversed(rotations[:-1]):
        result = quat_multiply(rotation, result)
    return result


def conjugate(q) -> np.ndarray:
    return np.asarray(q, np.float64) * np.array([-1.0, -1.0, -1.0, 1.0])


def rotate(q, v) -> np.ndarray:
    """Rotate vectors `v` (..., 3) by unit quaternions `q` (..., 4)."""
    q = np.asarray(q, np.float64)
    xyz, w = q[..., :3], q[..., 3:]
    t = 2.0 * np.cross(xyz, v)
    return v + w * t + np.cross(xyz, t)


def from_matrix(m) -> np.ndarray:
    """Unit quaternions from (..., 3, 3) rotation matrices (Shepperd's method, branch-free)."""
    m = np.asarray(m, np.float64)
    trace = m[..., 0, 0] + m[..., 1, 1] + m[..., 2, 2]
    candidates = np.stack([
        np.stack([m[..., 2, 1] - m[..., 1, 2], m[..., 0, 2] - m[..., 2, 0], m[..., 1, 0] - m[..., 0, 1], 1 + trace], -1),
        np.stack([1 + m[..., 0, 0] - m[..., 1, 1] - m[..., 2, 2], m[..., 0, 1] + m[..., 1, 0],
                  m[..., 0, 2] + m[..., 2, 0], m[..., 2, 1] - m[..., 1, 2]], -1),
        np.stack([m[..., 0, 1] + m[..., 1, 0], 1 + m[..., 1, 1] - m[..., 0, 0] - m[..., 2, 2],
                  m[..., 1, 2] + m[..., 2, 1], m[..., 0, 2] - m[..., 2, 0]], -1),
        np.stack([m[..., 0, 2] + m[..., 2, 0], m[..., 1, 2] + m[..., 2, 1],
                  1 + m[..., 2, 2] - m[..., 0, 0] - m[..., 1, 1], m[..., 1, 0] - m[..., 0, 1]], -1),
    ], -2)
    # The candidate with the largest norm is the numerically stable one.
    norms = np.linalg.norm(candidates, axis=-1)
    best = np.take_along_axis(candidates, np.argmax(norms, axis=-1)[..., None, None], axis=-2)[..., 0, :]
    return best / np.linalg.norm(best, axis=-1, keepdims=True)


def mirror_x(q) -> np.ndarray:
    """The rotation seen in a mirror across the YZ plane (left side <-> right side)."""
    return np.asarray(q, np.float64) * np.array([1.0, -1.0, -1.0, 1.0])


def continuous(track) -> np.ndarray:
    """Flip signs along axis 0 so neighbouring keys lie in one hemisphere (short slerp paths)."""
    track = np.asarray(track, np.float64)
    dots = np.sum(track[1:] * track[:-1], axis=-1)
    signs = np.concatenate([np.ones((1,) + dots.shape[1:]), np.cumprod(np.where(dots < 0, -1.0, 1.0), axis=0)])
    return track * signs[..., None]

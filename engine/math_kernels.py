"""numba kernels for transform math over columns (GL layout: row vectors, M[3,:3] = translation).

All kernels take preallocated outputs so per-frame callers allocate nothing.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, fastmath=True, inline="always")
def _write_trs(t, q, s, out):
    x, y, z, w = q[0], q[1], q[2], q[3]
    norm = np.sqrt(x * x + y * y + z * z + w * w)
    if norm > 0.0:
        x, y, z, w = x / norm, y / norm, z / norm, w / norm
    # rows are the rotated, scaled basis vectors (row-vector convention)
    out[0, 0] = (1.0 - 2.0 * (y * y + z * z)) * s[0]
    out[0, 1] = (2.0 * (x * y + z * w)) * s[0]
    out[0, 2] = (2.0 * (x * z - y * w)) * s[0]
    out[0, 3] = 0.0
    out[1, 0] = (2.0 * (x * y - z * w)) * s[1]
    out[1, 1] = (1.0 - 2.0 * (x * x + z * z)) * s[1]
    out[1, 2] = (2.0 * (y * z + x * w)) * s[1]
    out[1, 3] = 0.0
    out[2, 0] = (2.0 * (x * z + y * w)) * s[2]
    out[2, 1] = (2.0 * (y * z - x * w)) * s[2]
    out[2, 2] = (1.0 - 2.0 * (x * x + y * y)) * s[2]
    out[2, 3] = 0.0
    out[3, 0] = t[0]
    out[3, 1] = t[1]
    out[3, 2] = t[2]
    out[3, 3] = 1.0


@njit(cache=True, fastmath=True, inline="always")
def _mul4(a, b, out):
    """out = a @ b for 4x4 (out must not alias a or b)."""
    for i in range(4):
        a0, a1, a2, a3 = a[i, 0], a[i, 1], a[i, 2], a[i, 3]
        for j in range(4):
            out[i, j] = a0 * b[0, j] + a1 * b[1, j] + a2 * b[2, j] + a3 * b[3, j]


@njit(cache=True, fastmath=True, parallel=True)
def compose_trs(translation, rotation, scale, out):
    """out[i] = matrix of (translation[i], rotation[i], scale[i])."""
    for i in prange(translation.shape[0]):
        _write_trs(translation[i], rotation[i], scale[i], out[i])


@njit(cache=True, fastmath=True)
def compose_trs_serial(translation, rotation, scale, out):
    for i in range(translation.shape[0]):
        _write_trs(translation[i], rotation[i], scale[i], out[i])


@njit(cache=True, fastmath=True, parallel=True)
def multiply_batched(a, b, out):
    """out[i] = a[i] @ b[i]."""
    for i in prange(a.shape[0]):
        _mul4(a[i], b[i], out[i])


@njit(cache=True, fastmath=True)
def negative_determinants(matrices, out):
    """out[i] = det(matrices[i, :3, :3]) < 0: the instance is mirrored (its triangles wind the other way)."""
    for i in range(matrices.shape[0]):
        m = matrices[i]
        det = (m[0, 0] * (m[1, 1] * m[2, 2] - m[1, 2] * m[2, 1])
               - m[0, 1] * (m[1, 0] * m[2, 2] - m[1, 2] * m[2, 0])
               + m[0, 2] * (m[1, 0] * m[2, 1] - m[1, 1] * m[2, 0]))
        out[i] = det < 0.0


@njit(cache=True, fastmath=True)
def propagate_hierarchy(local, parent, out, start, stop):
    """out[i] = local[i] @ out[parent[i]] for i in [start, stop); parents come first (topological order)."""
    for i in range(start, stop):
        p = parent[i]
        if p < 0:
            out[i] = local[i]
        else:
            _mul4(local[i], out[p], out[i])


@njit(cache=True, fastmath=True)
def pose_matrices(translation, rotation, scale, parent, model, count):
    """Model-space matrices of a topologically ordered node pool (one sequential pass)."""
    local = np.empty((4, 4), np.float32)
    for i in range(count):
        p = parent[i]
        if p < 0:
            _write_trs(translation[i], rotation[i], scale[i], model[i])
        else:
            _write_trs(translation[i], rotation[i], scale[i], local)
            _mul4(local, model[p], model[i])


def trs_matrix(translation, rotation=(0, 0, 0, 1), scale=(1, 1, 1)) -> np.ndarray:
    """One matrix, for tools and tests (not per-frame paths)."""
    out = np.empty((1, 4, 4), np.float32)
    compose_trs_serial(np.asarray([translation], np.float32), np.asarray([rotation], np.float32),
                       np.asarray([scale], np.float32), out)
    return out[0]


def quat_from_axis_angle(axis, angle: float) -> np.ndarray:
    axis = np.asarray(axis, np.float64)
    axis = axis / np.linalg.norm(axis)
    half = 0.5 * angle
    return np.array([*(axis * np.sin(half)), np.cos(half)], np.float32)


def quat_from_rotation_matrix(rotation: np.ndarray) -> np.ndarray:
    """(x, y, z, w) unit quaternion of a column-vector 3x3 rotation matrix (Shepperd's method)."""
    r = rotation
    trace = r[0, 0] + r[1, 1] + r[2, 2]
    if trace > 0:
        s = 2.0 * np.sqrt(trace + 1.0)
        q = [(r[2, 1] - r[1, 2]) / s, (r[0, 2] - r[2, 0]) / s, (r[1, 0] - r[0, 1]) / s, 0.25 * s]
    elif r[0, 0] > r[1, 1] and r[0, 0] > r[2, 2]:
        s = 2.0 * np.sqrt(1.0 + r[0, 0] - r[1, 1] - r[2, 2])
        q = [0.25 * s, (r[0, 1] + r[1, 0]) / s, (r[0, 2] + r[2, 0]) / s, (r[2, 1] - r[1, 2]) / s]
    elif r[1, 1] > r[2, 2]:
        s = 2.0 * np.sqrt(1.0 + r[1, 1] - r[0, 0] - r[2, 2])
        q = [(r[0, 1] + r[1, 0]) / s, 0.25 * s, (r[1, 2] + r[2, 1]) / s, (r[0, 2] - r[2, 0]) / s]
    else:
        s = 2.0 * np.sqrt(1.0 + r[2, 2] - r[0, 0] - r[1, 1])
        q = [(r[0, 2] + r[2, 0]) / s, (r[1, 2] + r[2, 1]) / s, 0.25 * s, (r[1, 0] - r[0, 1]) / s]
    quaternion = np.array(q, np.float64)
    return (quaternion / np.linalg.norm(quaternion)).astype(np.float32)


def quat_from_euler_degrees(euler_xyz) -> np.ndarray:
    """Scene-file rotation [pitch about X, yaw about Y, roll about Z] in degrees; roll is applied first, yaw last."""
    pitch, yaw, roll = np.radians(np.asarray(euler_xyz, np.float64))
    qy = quat_from_axis_angle((0, 1, 0), yaw)
    qx = quat_from_axis_angle((1, 0, 0), pitch)
    qz = quat_from_axis_angle((0, 0, 1), roll)
    return quat_multiply(quat_multiply(qy, qx), qz)


def quat_multiply(a, b) -> np.ndarray:
    """Hamilton product a*b (apply b, then a, in column convention)."""
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return np.array([
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
        aw * bw - ax * bx - ay * by - az * bz,
    ], np.float32)

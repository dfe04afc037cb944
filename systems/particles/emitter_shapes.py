"""Where in an emitter's shape a particle is born, and its direction there (emitter-local, +Y is the axis).

Each sampler turns uniform numbers in [0, 1) into a point and a unit direction: POINT and BOX emit along +Y,
SPHERE outwards from its centre, CONE within its half-angle of +Y from a disc, MESH along the sampled face's normal.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from components.particles import EmitterShape

_TWO_PI = np.float32(2.0 * math.pi)  # angles in float32: cosf/sinf cost half of cos/sin, and u is float32


@njit(cache=True, inline="always")
def direction_in_cone(ax, ay, az, cos_max, u1, u2):
    """A uniform unit direction within the cone of half-angle acos(cos_max) around the unit axis (ax, ay, az)."""
    cos_t = 1.0 - u1 * (1.0 - cos_max)
    sin_t = math.sqrt(max(0.0, 1.0 - cos_t * cos_t))
    phi = _TWO_PI * u2
    # an orthonormal basis (t, b) around the axis without a branch on its direction (Duff et al., JCGT 2017)
    sign = math.copysign(1.0, az)
    a = -1.0 / (sign + az)
    c = ax * ay * a
    tx, ty, tz = 1.0 + sign * ax * ax * a, sign * c, -sign * ax
    bx, by, bz = c, sign + ay * ay * a, -ay
    u, w = sin_t * math.cos(phi), sin_t * math.sin(phi)
    return cos_t * ax + u * tx + w * bx, cos_t * ay + u * ty + w * by, cos_t * az + u * tz + w * bz


@njit(cache=True, inline="always")
def _mesh_point(triangles, triangle_cdf, first, count, u1, u2, u3):
    """A point on a triangle soup, uniform by area, and the unit normal of its face."""
    index = first + min(np.searchsorted(triangle_cdf[first:first + count], u1, side="right"), count - 1)
    corner = triangles[index]
    root = math.sqrt(u2)
    w1, w2 = root * (1.0 - u3), root * u3
    e1x, e1y, e1z = corner[1, 0] - corner[0, 0], corner[1, 1] - corner[0, 1], corner[1, 2] - corner[0, 2]
    e2x, e2y, e2z = corner[2, 0] - corner[0, 0], corner[2, 1] - corner[0, 1], corner[2, 2] - corner[0, 2]
    nx, ny, nz = e1y * e2z - e1z * e2y, e1z * e2x - e1x * e2z, e1x * e2y - e1y * e2x
    length = max(math.sqrt(nx * nx + ny * ny + nz * nz), 1e-20)
    return (corner[0, 0] + w1 * e1x + w2 * e2x, corner[0, 1] + w1 * e1y + w2 * e2y, corner[0, 2] + w1 * e1z + w2 * e2z,
            nx / length, ny / length, nz / length)


@njit(cache=True, inline="always")
def sample_shape(emitter, triangles, triangle_cdf, u1, u2, u3, u4):
    """Local (x, y, z, dx, dy, dz) of a new particle for the emitter's shape, from four uniform numbers."""
    shape = emitter.shape
    if shape == EmitterShape.SPHERE:
        dx, dy, dz = direction_in_cone(0.0, 1.0, 0.0, -1.0, u1, u2)
        r = emitter.radius * u3 ** (1.0 / 3.0)
        return r * dx, r * dy, r * dz, dx, dy, dz
    if shape == EmitterShape.BOX:
        size = emitter.box_size
        return (u1 - 0.5) * size[0], (u2 - 0.5) * size[1], (u3 - 0.5) * size[2], 0.0, 1.0, 0.0
    if shape == EmitterShape.CONE:
        r = emitter.radius * math.sqrt(u1)
        angle = _TWO_PI * u2
        dx, dy, dz = direction_in_cone(0.0, 1.0, 0.0, emitter.cone_cos, u3, u4)
        return r * math.cos(angle), 0.0, r * math.sin(angle), dx, dy, dz
    if shape == EmitterShape.MESH and emitter.surface_count > 0:
        return _mesh_point(triangles, triangle_cdf, emitter.surface_first, emitter.surface_count, u1, u2, u3)
    return 0.0, 0.0, 0.0, 0.0, 1.0, 0.0

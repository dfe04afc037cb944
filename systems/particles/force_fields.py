"""Force fields: point attractors and vortices placed by entities, applied as a velocity kick each step.

Each field is a row (centre, axis, strength, radius, falloff) rebuilt every frame from `ForceField` entities. The
kernel loops fields outside and particles inside, so the inner loop is a flat vectorisable pass over a block.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from components.particles import Falloff, ForceField, ForceKind
from components.transform import GlobalTransform
from systems.particles.record_rows import RecordRows

_F4 = np.float32
_ONE = np.float32(1.0)
_TINY = np.float32(1e-12)


class ParticleForceFields(RecordRows):
    dtype = np.dtype([("center", _F4, 3), ("axis", _F4, 3), ("kind", np.int32), ("strength", _F4), ("radius", _F4),
                      ("falloff", np.int32)], align=True)

    def write(self, fields) -> None:
        """Rows from a query of (ForceField, GlobalTransform): centre at the origin, axis along local +Y."""
        rows = self.resize(fields.count())
        if not self.count:
            return
        matrices = fields.gather(GlobalTransform.matrix)
        rows["center"] = matrices[:, 3, :3]
        axis = matrices[:, 1, :3]
        rows["axis"] = axis / np.maximum(np.linalg.norm(axis, axis=1, keepdims=True), 1e-12)
        for name in ("kind", "strength", "radius", "falloff"):
            rows[name] = fields.gather(getattr(ForceField, name))


@njit(cache=True, fastmath=True, inline="always")
def _weight(falloff, distance, inverse_radius):
    x = min(distance * inverse_radius, _ONE)
    if falloff == Falloff.LINEAR:
        return _ONE - x
    if falloff == Falloff.SMOOTH:
        s = _ONE - x * x
        return s * s
    return _ONE if x < _ONE else np.float32(0.0)


@njit(cache=True, fastmath=True)
def apply_force_fields(fields, field_count, position, velocity, dt):
    """Add every field's acceleration times dt to the velocities of a flat (3n) block."""
    count = position.shape[0] // 3
    for f in range(field_count):
        field = fields[f]
        cx, cy, cz = field.center[0], field.center[1], field.center[2]
        ax, ay, az = field.axis[0], field.axis[1], field.axis[2]
        inverse_radius = _ONE / field.radius
        kick = field.strength * np.float32(dt)
        falloff = field.falloff
        vortex = field.kind == ForceKind.VORTEX
        for i in range(count):
            j = 3 * i
            rx, ry, rz = position[j] - cx, position[j + 1] - cy, position[j + 2] - cz
            distance = math.sqrt(rx * rx + ry * ry + rz * rz)
            if vortex:  # around the axis: axis x r, counter-clockwise seen from the axis tip
                ux, uy, uz = ay * rz - az * ry, az * rx - ax * rz, ax * ry - ay * rx
            else:  # towards the centre
                ux, uy, uz = -rx, -ry, -rz
            scale = kick * _weight(falloff, distance, inverse_radius) / max(math.sqrt(ux * ux + uy * uy + uz * uz), _TINY)
            velocity[j] += ux * scale
            velocity[j + 1] += uy * scale
            velocity[j + 2] += uz * scale

"""What particles collide with: the ground plane (in the fused pass) and sphere colliders (a pass per sphere).

A particle found inside a sphere is put back on its surface; if it was moving inwards, its normal speed is
reflected and scaled by the sphere's restitution and its tangential speed is reduced by the sphere's friction.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from components.particles import SphereCollider
from components.transform import GlobalTransform
from systems.particles.integrate import NO_GROUND
from systems.particles.record_rows import RecordRows

_F4 = np.float32
_ONE = np.float32(1.0)
_TINY = np.float32(1e-12)


class ParticleColliders(RecordRows):
    dtype = np.dtype([("center", _F4, 3), ("radius", _F4), ("restitution", _F4), ("friction", _F4)], align=True)

    def __init__(self):
        super().__init__()
        self.ground_height = float(NO_GROUND)  # the scene's ground plane y, NO_GROUND when there is none

    def write(self, spheres, ground) -> None:
        """Rows from a query of (SphereCollider, GlobalTransform); `ground` is the environment's GroundParams."""
        self.ground_height = float(ground.height) if ground is not None else float(NO_GROUND)
        rows = self.resize(spheres.count())
        if not self.count:
            return
        matrices = spheres.gather(GlobalTransform.matrix)
        rows["center"] = matrices[:, 3, :3]
        rows["radius"] = spheres.gather(SphereCollider.radius) * np.linalg.norm(matrices[:, :3, :3], axis=2).max(axis=1)
        rows["restitution"] = spheres.gather(SphereCollider.restitution)
        rows["friction"] = spheres.gather(SphereCollider.friction)


@njit(cache=True, fastmath=True)
def collide_with_spheres(spheres, sphere_count, position, velocity):
    """Push particles of a flat (3n) block out of every sphere and bounce the ones moving inwards."""
    count = position.shape[0] // 3
    for s in range(sphere_count):
        sphere = spheres[s]
        cx, cy, cz = sphere.center[0], sphere.center[1], sphere.center[2]
        radius, restitution, keep = sphere.radius, sphere.restitution, _ONE - sphere.friction
        for i in range(count):
            j = 3 * i
            dx, dy, dz = position[j] - cx, position[j + 1] - cy, position[j + 2] - cz
            distance = math.sqrt(dx * dx + dy * dy + dz * dz)
            if distance < radius:
                inverse = _ONE / max(distance, _TINY)
                nx, ny, nz = dx * inverse, dy * inverse, dz * inverse
                position[j], position[j + 1], position[j + 2] = cx + nx * radius, cy + ny * radius, cz + nz * radius
                vx, vy, vz = velocity[j], velocity[j + 1], velocity[j + 2]
                normal_speed = vx * nx + vy * ny + vz * nz
                if normal_speed < 0.0:
                    tx, ty, tz = vx - normal_speed * nx, vy - normal_speed * ny, vz - normal_speed * nz
                    bounce = -restitution * normal_speed
                    velocity[j] = tx * keep + nx * bounce
                    velocity[j + 1] = ty * keep + ny * bounce
                    velocity[j + 2] = tz * keep + nz * bounce

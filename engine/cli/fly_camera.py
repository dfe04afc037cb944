"""Free-fly camera for the window: WASD to move, mouse to look, Q/E down/up, Shift faster."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from engine.math_kernels import quat_from_axis_angle, quat_multiply

LOOK_RADIANS_PER_PIXEL = 0.0025
SPEED_M_PER_S = 3.0
FAST_FACTOR = 4.0


@dataclass
class FlyCamera:
    position: np.ndarray = field(default_factory=lambda: np.zeros(3, np.float32))
    yaw: float = 0.0  # radians about +Y; 0 looks down -Z
    pitch: float = 0.0  # radians about the camera's +X

    @classmethod
    def from_matrix(cls, world: np.ndarray) -> "FlyCamera":
        """Start where a scene camera is (GL layout: row 2 is the camera's +Z, it looks along -Z)."""
        forward = -world[2, :3] / max(np.linalg.norm(world[2, :3]), 1e-9)
        return cls(np.array(world[3, :3], np.float32), math.atan2(-forward[0], -forward[2]),
                   math.asin(float(np.clip(forward[1], -1.0, 1.0))))

    def rotation(self) -> np.ndarray:
        return quat_multiply(quat_from_axis_angle((0, 1, 0), self.yaw), quat_from_axis_angle((1, 0, 0), self.pitch))

    def look(self, dx_pixels: float, dy_pixels: float) -> None:
        self.yaw -= dx_pixels * LOOK_RADIANS_PER_PIXEL
        self.pitch = float(np.clip(self.pitch - dy_pixels * LOOK_RADIANS_PER_PIXEL, -1.55, 1.55))

    def move(self, dt: float, forward: float, right: float, up: float, fast: bool) -> None:
        """forward/right/up in -1..1 from held keys; motion is relative to where the camera looks."""
        speed = SPEED_M_PER_S * (FAST_FACTOR if fast else 1.0) * dt
        cos_p = math.cos(self.pitch)
        look = np.array([-math.sin(self.yaw) * cos_p, math.sin(self.pitch), -math.cos(self.yaw) * cos_p])
        side = np.array([math.cos(self.yaw), 0.0, -math.sin(self.yaw)])
        self.position += (look * forward + side * right + np.array([0.0, 1.0, 0.0]) * up).astype(np.float32) * speed

"""Where the sun's orthographic shadow frustum goes each frame (pure numpy).

Light space: x, y across the sun's rays, z along them. A shadow at a point
comes from casters on the same ray, i.e. with the same light-space (x, y), so
the map must cover the casters' (x, y) footprint where it overlaps what the
camera sees; depth must span every caster (even off-screen ones) down to the
farthest receiver. The window is snapped to whole texels and its size to
1/8-octave steps so the shadow edges do not crawl while the camera moves.
"""

from __future__ import annotations

import numpy as np

from engine.render.frame import LightParams, ViewParams

SHADOW_DISTANCE = 60.0  # metres of view depth that receive sun shadows when auto-fitting
DEPTH_MARGIN = 1.0  # metres added at both ends of the depth range


def light_basis(sun_direction: np.ndarray) -> np.ndarray:
    """(3, 3) rows: right, up, forward (= direction the light travels)."""
    forward = np.asarray(sun_direction, np.float64)
    forward = forward / max(np.linalg.norm(forward), 1e-9)
    helper = np.array([0.0, 0.0, 1.0]) if abs(forward[1]) > 0.99 else np.array([0.0, 1.0, 0.0])
    right = np.cross(helper, forward)
    right /= np.linalg.norm(right)
    return np.stack([right, np.cross(forward, right), forward])


def view_region_corners(view: ViewParams, distance: float) -> np.ndarray:
    """(8, 3) world corners of the view frustum cut at `distance` metres of depth."""
    ndc = np.array([[x, y, z, 1.0] for z in (-1.0, 1.0) for y in (-1.0, 1.0) for x in (-1.0, 1.0)])
    view_space = ndc @ np.linalg.inv(np.asarray(view.projection, np.float64))
    view_space = view_space[:, :3] / view_space[:, 3:]
    near, far = view_space[:4], view_space[4:]
    near_depth, far_depth = -near[:, 2:], -far[:, 2:]
    t = np.clip((distance - near_depth) / np.maximum(far_depth - near_depth, 1e-9), 0.0, 1.0)
    cut = near + (far - near) * t
    corners = np.concatenate([near, cut])
    homogeneous = np.concatenate([corners, np.ones((8, 1))], axis=1)
    return (homogeneous @ np.linalg.inv(np.asarray(view.view, np.float64)))[:, :3]


def box_corners(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    return np.array([[(low, high)[i >> k & 1][k] for k in range(3)] for i in range(8)])


def fit_sun_shadow(
    lights: LightParams,
    view: ViewParams,
    casters_low: np.ndarray,
    casters_high: np.ndarray,
    map_size: int,
) -> tuple[np.ndarray, float] | None:
    """(light view-projection (4, 4) float32 in GL layout, world size of one texel),
    or None when no caster can shadow anything visible."""
    basis = light_basis(lights.sun_direction)
    casters = box_corners(casters_low, casters_high) @ basis.T
    if lights.shadow_center is not None and lights.shadow_radius is not None:
        center = np.asarray(lights.shadow_center, np.float64) @ basis.T
        radius = float(lights.shadow_radius)
        low, high = center - radius, center + radius
    else:
        receivers = view_region_corners(view, min(view.far, SHADOW_DISTANCE)) @ basis.T
        low = np.maximum(casters.min(axis=0), receivers.min(axis=0))
        high = np.minimum(casters.max(axis=0), receivers.max(axis=0))
        high[2] = receivers[:, 2].max()
        if np.any(low[:2] >= high[:2]):
            return None
    low[2] = min(low[2], casters[:, 2].min())
    high[2] = max(high[2], casters[:, 2].max())

    half = _quantize_up(0.5 * float(max(high[0] - low[0], high[1] - low[1])) + 0.05)
    texel = 2.0 * half / map_size
    center_xy = np.round(0.5 * (low[:2] + high[:2]) / texel) * texel
    z_near, z_far = low[2] - DEPTH_MARGIN, high[2] + DEPTH_MARGIN

    matrix = np.zeros((4, 4))
    matrix[:3, 0] = basis[0] / half
    matrix[:3, 1] = basis[1] / half
    matrix[:3, 2] = basis[2] * 2.0 / (z_far - z_near)
    matrix[3, :3] = (-center_xy[0] / half, -center_xy[1] / half, -2.0 * z_near / (z_far - z_near) - 1.0)
    matrix[3, 3] = 1.0
    return matrix.astype(np.float32), texel


def _quantize_up(value: float) -> float:
    return float(2.0 ** (np.ceil(np.log2(max(value, 1e-3)) * 8.0) / 8.0))

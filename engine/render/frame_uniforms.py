"""The per-frame uniform block, packed with numpy in std140 layout.

Mirrors `FrameUniforms` in shaders/include/frame.glsl field for field; every
member is a vec4, mat4 or array of vec4, so std140 adds no padding.
"""

from __future__ import annotations

import numpy as np

from engine.render.frame import MAX_POINT_LIGHTS, RenderFrame
from engine.render.projection_terms import view_distance_coefficients

FRAME_UNIFORMS_DTYPE = np.dtype(
    [
        ("view_proj", np.float32, (4, 4)),
        ("light_view_proj", np.float32, (4, 4)),
        ("inverse_view_proj", np.float32, (4, 4)),
        ("camera_position", np.float32, 4),
        ("to_sun", np.float32, 4),
        ("sun_radiance", np.float32, 4),
        ("sky_ambient", np.float32, 4),
        ("ground_ambient", np.float32, 4),
        ("horizon_color", np.float32, 4),
        ("shadow_params", np.float32, 4),
        ("view_distance_coefficients", np.float32, 4),
        ("point_position_range", np.float32, (MAX_POINT_LIGHTS, 4)),
        ("point_radiance", np.float32, (MAX_POINT_LIGHTS, 4)),
        ("light_counts", np.int32, 4),
    ]
)


def pack_frame_uniforms(
    frame: RenderFrame,
    view_proj: np.ndarray,
    light_view_proj: np.ndarray | None,
    shadow_texel_world: float,
    shadow_map_size: int,
    out: np.ndarray,
) -> None:
    """Fill the one-element structured array `out` (reused every frame)."""
    view, lights = frame.view, frame.lights
    u = out[0]
    u["view_proj"] = view_proj
    u["inverse_view_proj"] = np.linalg.inv(view_proj.astype(np.float64))
    u["light_view_proj"] = np.eye(4, dtype=np.float32) if light_view_proj is None else light_view_proj
    u["camera_position"][:3] = view.position[:3]

    to_sun = -np.asarray(lights.sun_direction, np.float64)
    to_sun /= max(np.linalg.norm(to_sun), 1e-9)
    u["to_sun"] = (*to_sun, 1.0 if light_view_proj is not None else 0.0)
    u["sun_radiance"][:3] = np.asarray(lights.sun_color[:3]) * lights.sun_intensity
    u["sky_ambient"][:3] = np.asarray(lights.sky_color[:3]) * lights.ambient_intensity
    u["ground_ambient"][:3] = np.asarray(lights.ground_color[:3]) * lights.ambient_intensity
    u["horizon_color"][:3] = frame.clear_color[:3]
    u["shadow_params"] = (1.0 / shadow_map_size, shadow_texel_world, 0.0, 0.0)
    u["view_distance_coefficients"] = view_distance_coefficients(view.projection)

    count = min(len(lights.point_positions), MAX_POINT_LIGHTS)
    u["point_position_range"][:count, :3] = lights.point_positions[:count]
    u["point_position_range"][:count, 3] = lights.point_ranges[:count] if len(lights.point_ranges) else 0.0
    u["point_radiance"][:count, :3] = (
        lights.point_colors[:count] * np.asarray(lights.point_intensities[:count])[:, None]
    )
    u["light_counts"] = (count, 0, 0, 0)

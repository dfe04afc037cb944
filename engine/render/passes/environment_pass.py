"""Grid floor and sky gradient background, drawn into the HDR target after the
opaque meshes so depth testing skips the pixels those already cover."""

from __future__ import annotations

import moderngl
import numpy as np

from engine.render.frame import GroundParams
from engine.render.passes.attributeless import AttributelessDraw
from engine.render.render_stats import RenderStats
from engine.render.shader_library import ShaderLibrary


class EnvironmentPass:
    def __init__(self, ctx: moderngl.Context, shaders: ShaderLibrary):
        self.ctx = ctx
        self._sky = AttributelessDraw(
            ctx, shaders.program("fullscreen.vert", "sky.frag", {"AT_FAR_PLANE": 1}), moderngl.TRIANGLES, 3
        )
        self._ground = AttributelessDraw(ctx, shaders.program("ground.vert", "ground.frag"), moderngl.TRIANGLE_STRIP, 4)

    def draw_sky(self, framebuffer: moderngl.Framebuffer, stats: RenderStats) -> None:
        """Fills the pixels still at the far plane, so no colour clear is needed."""
        self.ctx.disable(moderngl.CULL_FACE | moderngl.BLEND)
        self.ctx.depth_func = "<="
        framebuffer.depth_mask = False
        self._sky.render()
        framebuffer.depth_mask = True
        self.ctx.depth_func = "<"
        stats.count_draw()

    def draw_ground(self, ground: GroundParams, camera_position: np.ndarray, stats: RenderStats) -> None:
        # The quad follows the camera in whole grid cells; the grid itself is in world space.
        step = ground.grid_spacing * 10.0
        center_xz = np.round(np.asarray(camera_position)[[0, 2]] / step) * step
        self.ctx.disable(moderngl.CULL_FACE)  # visible from below too
        self._ground.render(
            {
                "u_ground_center": (float(center_xz[0]), float(ground.height), float(center_xz[1])),
                "u_ground_extent": float(ground.extent),
                "u_ground_color": tuple(float(c) for c in ground.color[:3]),
                "u_grid_color": tuple(float(c) for c in ground.grid_color[:3]),
                "u_grid_spacing": float(ground.grid_spacing),
            }
        )
        stats.count_draw(2)

    def release(self) -> None:
        self._sky.release()
        self._ground.release()

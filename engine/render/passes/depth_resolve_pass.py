"""The HDR target's depth -> one view distance per pixel, for the particle passes."""

from __future__ import annotations

import moderngl

from engine.render import bindings
from engine.render.passes.attributeless import AttributelessDraw
from engine.render.render_stats import RenderStats
from engine.render.render_targets import HdrTarget, SceneDistanceTarget
from engine.render.shader_library import ShaderLibrary


class DepthResolvePass:
    def __init__(self, ctx: moderngl.Context, shaders: ShaderLibrary, hdr_samples: int):
        self.ctx = ctx
        program = shaders.program("fullscreen.vert", "depth_resolve.frag", {"HDR_SAMPLES": hdr_samples})
        self._resolve = AttributelessDraw(ctx, program, moderngl.TRIANGLES, 3)
        self._target: SceneDistanceTarget | None = None

    def run(
        self, hdr: HdrTarget, stats: RenderStats, box: tuple[int, int, int, int] | None = None
    ) -> SceneDistanceTarget:
        """Resolve (only the pixel box (x, y, width, height) when given), bind the result to
        SCENE_DISTANCE_UNIT and leave `hdr` bound again."""
        if self._target is None or self._target.size != hdr.size:
            self._release_target()
            self._target = SceneDistanceTarget(self.ctx, hdr.size)
        ctx = self.ctx
        ctx.disable(moderngl.DEPTH_TEST | moderngl.CULL_FACE | moderngl.BLEND)
        hdr.depth.use(bindings.HDR_DEPTH_UNIT)
        self._target.framebuffer.use()
        ctx.viewport = (0, 0, *hdr.size)
        if box is not None:
            ctx.scissor = box
        self._resolve.render()
        ctx.scissor = None
        stats.count_draw()
        self._target.texture.use(bindings.SCENE_DISTANCE_UNIT)
        hdr.framebuffer.use()
        ctx.viewport = (0, 0, *hdr.size)
        return self._target

    def release(self) -> None:
        self._resolve.release()
        self._release_target()

    def _release_target(self) -> None:
        if self._target is not None:
            self._target.release()
            self._target = None

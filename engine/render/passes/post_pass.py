"""HDR -> display: per-sample resolve + ACES tonemap + sRGB, optional FXAA."""

from __future__ import annotations

import moderngl

from engine.render import bindings
from engine.render.passes.attributeless import AttributelessDraw
from engine.render.render_stats import RenderStats
from engine.render.render_targets import HdrTarget
from engine.render.shader_library import ShaderLibrary


class PostPass:
    def __init__(self, ctx: moderngl.Context, shaders: ShaderLibrary, hdr_samples: int, fxaa: bool):
        self.ctx = ctx
        self.fxaa = fxaa
        tonemap = shaders.program("fullscreen.vert", "tonemap.frag", {"HDR_SAMPLES": hdr_samples})
        self._tonemap = AttributelessDraw(ctx, tonemap, moderngl.TRIANGLES, 3)
        self._fxaa = (
            AttributelessDraw(ctx, shaders.program("fullscreen.vert", "fxaa.frag"), moderngl.TRIANGLES, 3)
            if fxaa
            else None
        )
        self._ldr_texture: moderngl.Texture | None = None
        self._ldr_framebuffer: moderngl.Framebuffer | None = None

    def run(self, hdr: HdrTarget, exposure: float, output: moderngl.Framebuffer, stats: RenderStats) -> None:
        width, height = hdr.size
        self.ctx.disable(moderngl.DEPTH_TEST | moderngl.CULL_FACE | moderngl.BLEND)
        hdr.color.use(bindings.HDR_COLOR_UNIT)
        tonemap_target = self._ldr_target(hdr.size) if self.fxaa else output
        tonemap_target.use()
        self.ctx.viewport = (0, 0, width, height)
        self._tonemap.render({"u_exposure": float(exposure)})
        stats.count_draw()
        if self.fxaa:
            self._ldr_texture.use(bindings.LDR_COLOR_UNIT)
            output.use()
            self.ctx.viewport = (0, 0, width, height)
            self._fxaa.render()
            stats.count_draw()

    def _ldr_target(self, size: tuple[int, int]) -> moderngl.Framebuffer:
        if self._ldr_texture is None or self._ldr_texture.size != size:
            self._release_ldr()
            self._ldr_texture = self.ctx.texture(size, 4)
            self._ldr_texture.filter = (moderngl.LINEAR, moderngl.LINEAR)
            self._ldr_texture.repeat_x = self._ldr_texture.repeat_y = False
            self._ldr_framebuffer = self.ctx.framebuffer([self._ldr_texture])
        return self._ldr_framebuffer

    def _release_ldr(self) -> None:
        if self._ldr_texture is not None:
            self._ldr_framebuffer.release()
            self._ldr_texture.release()
            self._ldr_texture = self._ldr_framebuffer = None

    def release(self) -> None:
        self._tonemap.release()
        if self._fxaa is not None:
            self._fxaa.release()
        self._release_ldr()

"""HDR -> display: per-sample resolve + ACES tonemap + sRGB, optional FXAA.

The CPU particle splat, when a frame has one, is composited over each HDR
sample inside the tonemap (see shaders/tonemap.frag)."""

from __future__ import annotations

import moderngl

from engine.render import bindings
from engine.render.gl_context import gl_flush
from engine.render.passes.attributeless import AttributelessDraw
from engine.render.passes.particle_splat_pass import SplatLayer
from engine.render.render_stats import RenderStats
from engine.render.render_targets import HdrTarget
from engine.render.shader_library import ShaderLibrary


class PostPass:
    def __init__(self, ctx: moderngl.Context, shaders: ShaderLibrary, hdr_samples: int, fxaa: bool):
        self.ctx = ctx
        self.fxaa = fxaa
        self._shaders = shaders
        self._hdr_samples = hdr_samples
        self._tonemap = self._tonemap_draw(splat=False)
        self._tonemap_with_splat: AttributelessDraw | None = None  # built on the first splat frame
        self._fxaa = (
            AttributelessDraw(ctx, shaders.program("fullscreen.vert", "fxaa.frag"), moderngl.TRIANGLES, 3)
            if fxaa
            else None
        )
        self._size = (0, 0)
        self._ldr_texture: moderngl.Texture | None = None
        self._ldr_framebuffer: moderngl.Framebuffer | None = None

    def run(
        self,
        hdr: HdrTarget,
        exposure: float,
        output: moderngl.Framebuffer,
        stats: RenderStats,
        splat: SplatLayer | None = None,
    ) -> None:
        width, height = self._size = hdr.size
        self.ctx.disable(moderngl.DEPTH_TEST | moderngl.CULL_FACE | moderngl.BLEND)
        hdr.color.use(bindings.HDR_COLOR_UNIT)
        tonemap_target = self._ldr_target(hdr.size) if self.fxaa else output
        tonemap_target.use()
        self.ctx.viewport = (0, 0, width, height)
        if splat is None:
            self._tonemap.render({"u_exposure": float(exposure)})
        else:
            self._tonemap_around_splat(splat, exposure)
        stats.count_draw()
        if self.fxaa:
            self._ldr_texture.use(bindings.LDR_COLOR_UNIT)
            output.use()
            self.ctx.viewport = (0, 0, width, height)
            self._fxaa.render()
            stats.count_draw()

    def _tonemap_around_splat(self, splat: SplatLayer, exposure: float) -> None:
        """The plain tonemap in up to four scissor bands around the splat's box, the splat
        variant inside it: a software rasterizer runs a shader's texel fetch on every pixel,
        branch or not, so only the box's pixels pay for the particle layer."""
        width, height = self._size
        x0, y0, x1, y1 = splat.box
        bands = [(0, 0, width, y0), (0, y1, width, height - y1), (0, y0, x0, y1 - y0), (x1, y0, width - x1, y1 - y0)]
        uniforms = {"u_exposure": float(exposure)}
        for band in bands:
            if band[2] > 0 and band[3] > 0:
                self.ctx.scissor = band
                self._tonemap.render(uniforms)
        gl_flush()  # the rasterizer tonemaps the bands while the CPU splats the particles
        splat.complete()
        if self._tonemap_with_splat is None:
            self._tonemap_with_splat = self._tonemap_draw(splat=True)
        splat.texture.use(bindings.PARTICLE_SPLAT_UNIT)
        self.ctx.scissor = (x0, y0, x1 - x0, y1 - y0)
        self._tonemap_with_splat.render(uniforms)
        self.ctx.scissor = None

    def _tonemap_draw(self, splat: bool) -> AttributelessDraw:
        defines = {"HDR_SAMPLES": self._hdr_samples, "PARTICLE_SPLAT": int(splat)}
        program = self._shaders.program("fullscreen.vert", "tonemap.frag", defines)
        return AttributelessDraw(self.ctx, program, moderngl.TRIANGLES, 3)

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
        if self._tonemap_with_splat is not None:
            self._tonemap_with_splat.release()
        if self._fxaa is not None:
            self._fxaa.release()
        self._release_ldr()

"""GL particle path: camera-facing billboards, one instanced draw per batch.

shaders/particle.vert builds each quad from the particle's columns (position
extrapolated, size and colour over life from the LUT texture, stretched along
the screen-space velocity) and particle.frag fades it against the resolved
scene distance. Blending is premultiplied ONE / ONE_MINUS_SRC_ALPHA for both
modes (additive particles write alpha 0), depth tested without depth writes.
"""

from __future__ import annotations

import moderngl

from engine.render import bindings
from engine.render.frame import ParticleBatch
from engine.render.gpu_cache import GpuCache
from engine.render.particle_lut_texture import ParticleLutTexture
from engine.render.particle_slots import ParticleSlot
from engine.render.particle_view import MIN_RADIUS_PX, ParticleView, near_fade_defines
from engine.render.render_stats import RenderStats
from engine.render.shader_library import ShaderLibrary

VARIANTS = [(velocity, textured) for velocity in (False, True) for textured in (False, True)]


class ParticleBillboardPass:
    def __init__(self, ctx: moderngl.Context, shaders: ShaderLibrary, cache: GpuCache):
        self.ctx = ctx
        self.cache = cache
        # Every variant up front: a hot reload then never meets one compiled for the first time.
        self._programs = {
            (velocity, textured): shaders.program(
                "particle.vert", "particle.frag", _variant_defines(velocity, textured)
            )
            for velocity, textured in VARIANTS
        }
        self._luts = ParticleLutTexture(ctx)
        self.slots: list[ParticleSlot] = []

    def draw(
        self,
        batches: list[tuple[int, ParticleBatch]],
        view: ParticleView,
        framebuffer: moderngl.Framebuffer,
        stats: RenderStats,
    ) -> None:
        """`batches`: (slot index, batch) in draw order, into the bound HDR framebuffer."""
        while len(self.slots) <= max(index for index, _ in batches):
            self.slots.append(ParticleSlot(self.ctx))
        curves = self._luts.upload([batch for _, batch in batches])
        self._luts.texture.use(bindings.PARTICLE_LUT_UNIT)

        ctx = self.ctx
        ctx.enable(moderngl.DEPTH_TEST | moderngl.BLEND)
        ctx.disable(moderngl.CULL_FACE)
        ctx.depth_func = "<"
        ctx.blend_func = moderngl.ONE, moderngl.ONE_MINUS_SRC_ALPHA
        framebuffer.depth_mask = False
        for (index, batch), (lut_row, lut_lengths) in zip(batches, curves):
            moving = batch.stretch > 0.0 or batch.extrapolate != 0.0
            program = self._programs[(moving, batch.texture is not None)]
            slot = self.slots[index]
            slot.upload(batch, with_velocities=moving)
            if batch.texture is not None:
                self.cache.texture(batch.texture).use(bindings.PARTICLE_SPRITE_UNIT)
            program.set_uniforms(_batch_uniforms(batch, view, lut_row, lut_lengths))
            slot.vertex_array(program).render(moderngl.TRIANGLE_STRIP, vertices=4, instances=len(batch.positions))
            stats.count_draw(2 * len(batch.positions))
        framebuffer.depth_mask = True
        ctx.disable(moderngl.BLEND)

    def release(self) -> None:
        for slot in self.slots:
            slot.release()
        self.slots.clear()
        self._luts.release()


def _variant_defines(velocity: bool, textured: bool) -> dict[str, float]:
    """Variant switches are tested with #ifdef, so only the enabled ones are passed."""
    switches = {name: 1 for name, enabled in (("VELOCITY", velocity), ("TEXTURED", textured)) if enabled}
    return switches | near_fade_defines()


def _batch_uniforms(batch: ParticleBatch, view: ParticleView, lut_row: int, lut_lengths: tuple[int, int]) -> dict:
    return {
        "u_viewport_size": tuple(float(v) for v in view.viewport),
        "u_focal_length_px": view.focal_length_px,
        "u_min_radius_px": MIN_RADIUS_PX,
        "u_emissive": float(batch.emissive),
        "u_stretch": float(batch.stretch),
        "u_extrapolate": float(batch.extrapolate),
        "u_flipbook": tuple(int(n) for n in batch.flipbook),
        "u_lut_row": lut_row,
        "u_lut_lengths": lut_lengths,
        "u_softness": float(batch.softness),
        "u_alpha_blend": 1.0 if batch.blend == "alpha" else 0.0,
    }

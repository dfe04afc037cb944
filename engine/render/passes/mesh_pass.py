"""Instanced mesh draws: one draw call per batch per pass.

The colour pass shades with mesh.vert + mesh.frag into the HDR target; the
shadow pass reuses mesh.vert (DEPTH_ONLY) so skinning and morphs deform the
caster exactly as the visible mesh.
"""

from __future__ import annotations

import logging

import moderngl

from engine.assets.model import Material, TextureImage
from engine.render.frame import EffectUse
from engine.render import bindings
from engine.render.draw_list import PassInstances, PreparedBatch
from engine.render.gpu_cache import GpuCache
from engine.render.render_stats import RenderStats
from engine.render.shader_library import ShaderError, ShaderLibrary, ShaderProgram

log = logging.getLogger(__name__)


class MeshPass:
    def __init__(self, ctx: moderngl.Context, shaders: ShaderLibrary, cache: GpuCache):
        self.ctx = ctx
        self.shaders = shaders
        self.cache = cache
        # While shaders are live-edited, a variant first needed when a file is
        # broken cannot compile; its batches are skipped instead of ending the
        # frame loop, and retried once a reload succeeds.
        self.skip_broken_variants = False
        self.broken_variants: set[tuple] = set()  # (vertex, fragment, defines)
        self.unreported_errors: list[str] = []
        self.effect_textures: dict[tuple, moderngl.Texture] = {}  # learned effects of this frame, by key

    def draw_shadow_casters(self, prepared: list[PreparedBatch], stats: RenderStats) -> None:
        """Into the bound shadow framebuffer; both faces, so open meshes still cast."""
        self.ctx.disable(moderngl.CULL_FACE)
        for item in prepared:
            if item.shadow.count:
                defines = {**item.variant_defines, "DEPTH_ONLY": 1}
                if item.batch.material.alpha_mode != "OPAQUE":
                    defines["ALPHA_MASK"] = 1
                self._draw(self._program("shadow.frag", defines), item, item.shadow, stats)

    def draw_opaque(self, prepared: list[PreparedBatch], stats: RenderStats) -> None:
        for item in prepared:
            if not item.blended and item.color.count:
                self._draw_shaded(item, stats)

    def draw_blended(
        self, prepared: list[PreparedBatch], framebuffer: moderngl.Framebuffer, stats: RenderStats
    ) -> None:
        """Back to front over the opaque scene, testing but not writing depth."""
        blended = [item for item in prepared if item.blended and item.color.count]
        if not blended:
            return
        self.ctx.enable(moderngl.BLEND)
        self.ctx.blend_func = moderngl.SRC_ALPHA, moderngl.ONE_MINUS_SRC_ALPHA
        framebuffer.depth_mask = False
        for item in sorted(blended, key=lambda item: -item.view_distance):
            self._draw_shaded(item, stats)
        framebuffer.depth_mask = True
        self.ctx.disable(moderngl.BLEND)

    def _draw_shaded(self, item: PreparedBatch, stats: RenderStats) -> None:
        material = item.batch.material
        if material.double_sided:
            self.ctx.disable(moderngl.CULL_FACE)
        else:
            self.ctx.enable(moderngl.CULL_FACE)
        self.ctx.front_face = "cw" if item.batch.mirrored else "ccw"
        defines = item.variant_defines
        if material.alpha_mode == "MASK":
            defines = {**defines, "ALPHA_MASK": 1}
        self._draw(self._program("mesh.frag", defines), item, item.color, stats)

    def _program(self, fragment: str, defines: dict[str, int]) -> ShaderProgram | None:
        key = ("mesh.vert", fragment, tuple(sorted(defines.items())))
        if key in self.broken_variants:
            return None
        try:
            return self.shaders.program("mesh.vert", fragment, defines)
        except ShaderError as error:
            if not self.skip_broken_variants:
                raise
            self.broken_variants.add(key)
            self.unreported_errors.append(str(error))
            log.error("skipping batches whose shader variant does not compile: %s", error)
            return None

    def _draw(
        self, program: ShaderProgram | None, item: PreparedBatch, instances: PassInstances, stats: RenderStats
    ) -> None:
        if program is None:
            return
        _bind_material(program, item.batch.material, item.batch.textures, self.cache)
        if item.batch.effect is not None:
            _bind_effect(program, item.batch.material, item.batch.effect, self.effect_textures)
        program.set_uniforms(instances.deform_uniforms)
        if item.gpu.morph_deltas is not None:
            item.gpu.morph_deltas.use(bindings.MORPH_DELTAS_UNIT)
        vertex_array = item.slot.vertex_array(program, item.gpu, instances.buffers)
        vertex_array.render(moderngl.TRIANGLES, instances=instances.count)
        stats.count_draw(item.gpu.index_count // 3 * instances.count)


def _bind_material(program: ShaderProgram, material: Material, textures: list[TextureImage], cache: GpuCache) -> None:
    def bind(index: int | None, unit: int) -> bool:
        present = index is not None and 0 <= index < len(textures)
        (cache.texture(textures[index]) if present else cache.white_texture).use(unit)
        return present

    bind(material.base_color_texture, bindings.BASE_COLOR_UNIT)
    bind(material.metallic_roughness_texture, bindings.METALLIC_ROUGHNESS_UNIT)
    has_normal_texture = bind(material.normal_texture, bindings.NORMAL_UNIT)
    has_occlusion_texture = bind(material.occlusion_texture, bindings.OCCLUSION_UNIT)
    bind(material.emissive_texture, bindings.EMISSIVE_UNIT)
    program.set_uniforms(
        {
            "u_base_color_factor": tuple(float(c) for c in material.base_color[:4]),
            "u_metallic_factor": float(material.metallic),
            "u_roughness_factor": float(material.roughness),
            "u_normal_scale": float(material.normal_scale),
            "u_occlusion_strength": float(material.occlusion_strength) if has_occlusion_texture else 0.0,
            "u_emissive_factor": tuple(float(c) for c in material.emissive[:3]),
            "u_alpha_blend": material.alpha_mode == "BLEND",
            # Blended surfaces cast shadows where they are mostly opaque.
            "u_alpha_cutoff": float(material.alpha_cutoff) if material.alpha_mode == "MASK" else 0.5,
            "u_has_normal_texture": has_normal_texture,
            "u_unlit": bool(material.unlit),
            "u_effect_uv_scale": 1.0,
        }
    )


def _bind_effect(program: ShaderProgram, material: Material, effect: EffectUse, textures: dict) -> None:
    """A learned effect's texture (linear RGB) in place of the material's base colour or emissive."""
    texture = textures.get(effect.key)
    if texture is None:
        return
    tint = tuple(float(c) for c in effect.tint)
    if effect.channel == "base_color":
        texture.use(bindings.BASE_COLOR_UNIT)
        program.set_uniforms({"u_base_color_factor": (*tint, float(material.base_color[3]))})
    else:
        texture.use(bindings.EMISSIVE_UNIT)
        program.set_uniforms({"u_emissive_factor": tint})
    program.set_uniforms({"u_effect_uv_scale": float(effect.scale)})

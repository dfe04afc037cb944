"""Forward PBR renderer: RenderFrame in, tonemapped image in a framebuffer out.

Per frame:
  1. upload instance data (matrices, tints, joint palettes, morph weights),
  2. sun shadow map (casters, one instanced draw per batch),
  3. HDR scene into a multisampled RGBA16F target: opaque and masked
     batches (front to back), ground, sky behind them, then blended batches
     back to front,
  4. particles, depth tested and softened against the scene: GL billboards
     into the same HDR target, or on software rasterizers a CPU splat into a
     layer the tonemap composites,
  5. per-sample resolve + ACES tonemap + sRGB into the caller's framebuffer
     (through FXAA when MSAA is unavailable), then the HUD text.
The renderer works with any moderngl context (window or headless) and never
creates GL objects per frame once batches, targets and shaders are warm.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable

import moderngl
import numpy as np

from engine.assets.model import ModelAsset, Primitive, TextureImage
from engine.render import bindings
from engine.render.batch_slots import BatchSlots
from engine.render.bindings import FIXED_BINDINGS
from engine.render.draw_list import PreparedBatch, caster_bounds, collect_batches, upload_instances
from engine.render.frame import RenderFrame
from engine.render.frame_uniforms import FRAME_UNIFORMS_DTYPE, pack_frame_uniforms
from engine.render.gpu_cache import GpuCache
from engine.render.instance_data import InstanceDataTexture
from engine.render.passes.environment_pass import EnvironmentPass
from engine.render.passes.mesh_pass import MeshPass
from engine.render.passes.effect_pass import EffectPass
from engine.render.passes.particle_pass import ParticlePass
from engine.render.passes.post_pass import PostPass
from engine.render.render_stats import RenderStats
from engine.render.render_targets import HdrTarget, ShadowMap, usable_msaa_samples
from engine.render.shader_library import DEFAULT_SHADER_DIR, ReloadReport, ShaderLibrary
from engine.render.shadow_fit import fit_sun_shadow
from engine.render.text_overlay import TextOverlay

# Slope-scaled depth bias for the shadow pass (glPolygonOffset factor, units).
SHADOW_POLYGON_OFFSET = (2.0, 4.0)


class Renderer:
    def __init__(
        self,
        ctx: moderngl.Context,
        shader_dir: str | os.PathLike = DEFAULT_SHADER_DIR,
        *,
        msaa_samples: int = 4,
        fxaa: bool | None = None,
        shadow_map_size: int = 2048,
        hud_font_size: int = 14,
    ):
        """`msaa_samples` is clamped to what the driver offers; `fxaa=None` turns
        FXAA on exactly when that leaves no MSAA (e.g. `msaa_samples=1`, which
        on llvmpipe roughly halves the frame time at 720p)."""
        self.ctx = ctx
        self.samples = usable_msaa_samples(ctx, msaa_samples)
        self.shaders = ShaderLibrary(ctx, shader_dir, FIXED_BINDINGS)
        self.cache = GpuCache(ctx)
        self.stats = RenderStats()
        self._slots = BatchSlots(ctx)
        self._instance_data = InstanceDataTexture(ctx)
        self._shadow_map = ShadowMap(ctx, shadow_map_size)
        self._meshes = MeshPass(ctx, self.shaders, self.cache)
        self._environment = EnvironmentPass(ctx, self.shaders)
        self._particles = ParticlePass(ctx, self.shaders, self.cache, self.samples)
        self._effects = EffectPass(ctx)
        self._post = PostPass(ctx, self.shaders, self.samples, self.samples == 1 if fxaa is None else fxaa)
        self._overlay = TextOverlay(ctx, self.shaders, hud_font_size)
        self._frame_uniforms = np.zeros(1, FRAME_UNIFORMS_DTYPE)
        self._frame_uniform_buffer = ctx.buffer(reserve=FRAME_UNIFORMS_DTYPE.itemsize, dynamic=True)
        self._hdr: HdrTarget | None = None

    # ------------------------------------------------------------------ frame
    def render(self, frame: RenderFrame, fbo: moderngl.Framebuffer, viewport_size: tuple[int, int]) -> None:
        """Draw `frame` into `fbo` at viewport (0, 0, width, height)."""
        started = time.perf_counter()
        ctx = self.ctx
        stats = self.stats = RenderStats()
        size = (int(viewport_size[0]), int(viewport_size[1]))
        if size[0] <= 0 or size[1] <= 0:  # a minimised window
            return
        hdr = self._hdr_target(size)
        camera_position = np.asarray(frame.view.position, np.float32)

        # Learned effects step first (their own framebuffers); materials sample their textures below.
        self._meshes.effect_textures = self._effects.prepare(frame.effects, stats) if frame.effects else {}
        prepared = collect_batches(frame.batches, self.cache, self._slots)
        stats.instances = sum(item.instance_count for item in prepared)
        light_view_proj, texel_world = self._fit_shadow(frame, prepared)
        view_proj = np.asarray(frame.view.view, np.float32) @ np.asarray(frame.view.projection, np.float32)
        upload_instances(prepared, camera_position, view_proj, light_view_proj, self._instance_data)

        pack_frame_uniforms(frame, view_proj, light_view_proj, texel_world, self._shadow_map.size, self._frame_uniforms)
        self._frame_uniform_buffer.write(self._frame_uniforms)
        self._frame_uniform_buffer.bind_to_uniform_block(bindings.FRAME_UNIFORMS_BINDING)
        self._instance_data.texture.use(bindings.INSTANCE_DATA_UNIT)

        # Whatever else drew with this context may have left other state behind.
        ctx.enable(moderngl.DEPTH_TEST)
        ctx.disable(moderngl.BLEND)
        ctx.depth_func = "<"
        ctx.front_face = "ccw"
        ctx.cull_face = "back"
        if light_view_proj is not None:
            self._shadow_map.framebuffer.use()
            ctx.viewport = (0, 0, self._shadow_map.size, self._shadow_map.size)
            self._shadow_map.framebuffer.clear(depth=1.0)
            ctx.polygon_offset = SHADOW_POLYGON_OFFSET
            self._meshes.draw_shadow_casters(prepared, stats)
            ctx.polygon_offset = (0.0, 0.0)
        self._shadow_map.depth.use(bindings.SHADOW_MAP_UNIT)

        hdr.framebuffer.use()
        ctx.viewport = (0, 0, *hdr.size)
        hdr.framebuffer.clear(depth=1.0)
        self._meshes.draw_opaque(prepared, stats)
        if frame.ground is not None:
            self._environment.draw_ground(frame.ground, camera_position, stats)
        self._environment.draw_sky(hdr.framebuffer, stats)
        self._meshes.draw_blended(prepared, hdr.framebuffer, stats)
        splat = self._particles.draw(frame, hdr, view_proj, stats) if frame.particles else None

        self._post.run(hdr, frame.view.exposure, fbo, stats, splat)
        if frame.overlay_lines:
            self._overlay.draw(frame.overlay_lines, hdr.size, stats)
        stats.cpu_ms = (time.perf_counter() - started) * 1000.0

    def _fit_shadow(self, frame: RenderFrame, prepared: list[PreparedBatch]) -> tuple[np.ndarray | None, float]:
        """Light view-projection and world texel size, or (None, 0) when nothing needs a shadow map."""
        bounds = caster_bounds(prepared) if frame.lights.sun_shadows else None
        if bounds is None:
            return None, 0.0
        fitted = fit_sun_shadow(frame.lights, frame.view, bounds[0], bounds[1], self._shadow_map.size)
        return (None, 0.0) if fitted is None else fitted

    def particle_path_for(self, requested: str = "auto") -> str:
        """The particle path ("gl" or "cpu") a `RenderFrame.particle_path` selects on this context."""
        return self._particles.path_for(requested)

    # ------------------------------------------------------------- resources
    def reload_shaders(self) -> ReloadReport:
        """Hot reload: recompile changed shader files; broken edits keep the old program.

        Calling this switches the renderer to live-editing mode: from then on a
        shader variant that fails to compile skips its batches (reported here)
        instead of raising out of `render`."""
        meshes = self._meshes
        meshes.skip_broken_variants = True
        report = self.shaders.reload_changed()
        if report.reloaded or report.errors:
            meshes.broken_variants.clear()  # files changed: retry them
        report.errors.extend(meshes.unreported_errors)
        meshes.unreported_errors.clear()
        return report

    def release_assets(self, primitives: Iterable[Primitive] = (), textures: Iterable[TextureImage] = ()) -> None:
        """Free GPU resources of unloaded model data (they are re-uploaded if drawn again)."""
        primitives = list(primitives)
        self._slots.release_for(primitives)
        textures = list(textures)
        self.cache.release_assets(primitives, textures)
        self._particles.release_textures(textures)

    def release_model(self, asset: ModelAsset) -> None:
        self.release_assets((p for mesh in asset.meshes for p in mesh.primitives), asset.textures)

    def release(self) -> None:
        self._slots.release()
        self.cache.release()
        self._instance_data.release()
        self._shadow_map.release()
        self._environment.release()
        self._particles.release()
        self._effects.release()
        self._post.release()
        self._overlay.release()
        self._frame_uniform_buffer.release()
        if self._hdr is not None:
            self._hdr.release()
            self._hdr = None
        self.shaders.release()

    def _hdr_target(self, size: tuple[int, int]) -> HdrTarget:
        if self._hdr is None or self._hdr.size != size:
            if self._hdr is not None:
                self._hdr.release()
            self._hdr = HdrTarget(self.ctx, size, self.samples)
        return self._hdr

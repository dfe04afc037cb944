"""GPU copies of model data, keyed by object identity.

Extract hands the renderer the same `Primitive` / `TextureImage` objects every
frame, so each is uploaded once and found again by identity (the dataclasses
use eq=False, so they hash by identity and the dict keeps them alive, which
keeps ids from being reused). `release_assets` drops what an unloaded asset
used; `release` frees everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import moderngl
import numpy as np

from engine.assets.model import GL_CLAMP_TO_EDGE, Primitive, TextureImage
from engine.render.flat_texture import create_flat_texture

GL_SRGB8_ALPHA8 = 0x8C43
_MIPMAP_MIN_FILTERS = {9984, 9985, 9986, 9987}  # GL_{NEAREST,LINEAR}_MIPMAP_{NEAREST,LINEAR}
MAX_ANISOTROPY = 8.0


@dataclass(eq=False)
class GpuPrimitive:
    """Vertex/index buffers of one primitive plus what draws need to know about it."""

    vertex_buffers: list[tuple[moderngl.Buffer, str, str]]  # (buffer, moderngl format, attribute name)
    index_buffer: moderngl.Buffer
    index_count: int
    vertex_count: int
    layout_defines: dict[str, int]  # shader variant matching the attributes present
    has_skin_attributes: bool
    morph_deltas: moderngl.Texture | None
    morph_target_count: int
    bounds_center: np.ndarray  # (3,) model space
    bounds_radius: float

    def release(self) -> None:
        for buffer, _, _ in self.vertex_buffers:
            buffer.release()
        self.index_buffer.release()
        if self.morph_deltas is not None:
            self.morph_deltas.release()


class GpuCache:
    def __init__(self, ctx: moderngl.Context):
        self.ctx = ctx
        self._primitives: dict[Primitive, GpuPrimitive] = {}
        self._textures: dict[tuple[TextureImage, bool], moderngl.Texture] = {}
        self._anisotropy = min(MAX_ANISOTROPY, float(ctx.max_anisotropy))
        self.white_texture = ctx.texture((1, 1), 4, b"\xff\xff\xff\xff")

    def primitive(self, primitive: Primitive) -> GpuPrimitive:
        cached = self._primitives.get(primitive)
        if cached is None:
            cached = self._primitives[primitive] = self._upload_primitive(primitive)
        return cached

    def texture(self, image: TextureImage) -> moderngl.Texture:
        key = (image, bool(image.srgb))
        cached = self._textures.get(key)
        if cached is None:
            cached = self._textures[key] = self._upload_texture(image)
        return cached

    def release_assets(self, primitives: Iterable[Primitive] = (), textures: Iterable[TextureImage] = ()) -> None:
        """Free the GPU copies of these objects (no-op for ones never uploaded)."""
        for primitive in primitives:
            cached = self._primitives.pop(primitive, None)
            if cached is not None:
                cached.release()
        for image in textures:
            for srgb in (False, True):
                cached = self._textures.pop((image, srgb), None)
                if cached is not None:
                    cached.release()

    def release(self) -> None:
        self.release_assets(list(self._primitives), [image for image, _ in self._textures])
        self.white_texture.release()

    # ----------------------------------------------------------------- upload
    def _upload_primitive(self, primitive: Primitive) -> GpuPrimitive:
        ctx = self.ctx
        vertex_buffers = []
        layout_defines = {}

        def add(array: np.ndarray, dtype, attribute: str, define: str | None = None) -> None:
            data = np.ascontiguousarray(array, dtype=dtype)
            code = "u2" if dtype == np.uint16 else "f"
            vertex_buffers.append((ctx.buffer(data), f"{data.shape[1]}{code}", attribute))
            if define:
                layout_defines[define] = 1

        add(primitive.positions, np.float32, "a_position")
        if primitive.normals is not None:
            add(primitive.normals, np.float32, "a_normal", "HAS_NORMALS")
            if primitive.tangents is not None:
                add(primitive.tangents, np.float32, "a_tangent", "HAS_TANGENTS")
        if primitive.uv0 is not None:
            add(primitive.uv0, np.float32, "a_uv", "HAS_UV")
        if primitive.colors is not None:
            add(primitive.colors, np.float32, "a_color", "HAS_COLORS")
        has_skin = primitive.joints is not None and primitive.weights is not None
        if has_skin:
            add(primitive.joints, np.uint16, "a_joints")
            add(primitive.weights, np.float32, "a_weights")

        morph_deltas = None
        if primitive.morph_target_count:
            morph_deltas = create_flat_texture(ctx, _interleave_morph_deltas(primitive))

        indices = np.ascontiguousarray(primitive.indices, dtype=np.uint32)
        low, high = primitive.bounds()
        center = (low + high) * 0.5
        radius = float(np.sqrt(((primitive.positions - center) ** 2).sum(axis=1).max()))
        if primitive.morph_target_count:
            # Morphs can push vertices out by at most the sum of their deltas (weights <= 1).
            radius += float(np.linalg.norm(primitive.morph_positions, axis=2).sum(axis=0).max())
        return GpuPrimitive(
            vertex_buffers=vertex_buffers,
            index_buffer=ctx.buffer(indices),
            index_count=int(indices.size),
            vertex_count=primitive.vertex_count,
            layout_defines=layout_defines,
            has_skin_attributes=has_skin,
            morph_deltas=morph_deltas,
            morph_target_count=primitive.morph_target_count,
            bounds_center=center.astype(np.float32),
            bounds_radius=radius,
        )

    def _upload_texture(self, image: TextureImage) -> moderngl.Texture:
        pixels = np.ascontiguousarray(image.pixels, dtype=np.uint8)
        height, width = pixels.shape[:2]
        texture = self.ctx.texture((width, height), 4, pixels, internal_format=GL_SRGB8_ALPHA8 if image.srgb else None)
        texture.filter = (image.min_filter, image.mag_filter)
        texture.repeat_x = image.wrap_s != GL_CLAMP_TO_EDGE
        texture.repeat_y = image.wrap_t != GL_CLAMP_TO_EDGE
        if image.min_filter in _MIPMAP_MIN_FILTERS:
            texture.build_mipmaps()
            # only with mipmaps: llvmpipe's anisotropic path on a single level is ~300x slower
            texture.anisotropy = self._anisotropy
        return texture


def _interleave_morph_deltas(primitive: Primitive) -> np.ndarray:
    """(T, N, 2, 4) float32 flattened to texels: per target and vertex, position delta then normal delta."""
    targets, vertices = primitive.morph_positions.shape[:2]
    texels = np.zeros((targets, vertices, 2, 4), np.float32)
    texels[:, :, 0, :3] = primitive.morph_positions
    if primitive.morph_normals is not None:
        texels[:, :, 1, :3] = primitive.morph_normals
    return texels.reshape(-1, 4)

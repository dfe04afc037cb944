"""Float arrays stored as RGBA32F textures read by a flat texel index.

GLSL 330 has no storage buffers and moderngl has no buffer textures, so big
per-vertex or per-instance float data (morph deltas, joint palettes, morph
weights) goes into 2D textures FLAT_WIDTH texels wide; shaders turn the flat
index i into (i & (FLAT_WIDTH - 1), i >> FLAT_WIDTH_LOG2). Keep FLAT_WIDTH_LOG2
equal to INSTANCE_DATA_WIDTH_LOG2 in shaders/include/instance_data.glsl.
"""

from __future__ import annotations

import moderngl
import numpy as np

FLAT_WIDTH_LOG2 = 10
FLAT_WIDTH = 1 << FLAT_WIDTH_LOG2


def rows_for(texel_count: int) -> int:
    return max(1, -(-texel_count // FLAT_WIDTH))


def create_flat_texture(ctx: moderngl.Context, texels: np.ndarray) -> moderngl.Texture:
    """Upload (N, 4) float32 texels once (static data such as morph deltas)."""
    count = texels.shape[0]
    padded = np.zeros((rows_for(count) * FLAT_WIDTH, 4), np.float32)
    padded[:count] = texels
    return create_empty_flat_texture(ctx, rows_for(count), padded)


def create_empty_flat_texture(ctx: moderngl.Context, rows: int, data: np.ndarray | None = None) -> moderngl.Texture:
    texture = ctx.texture((FLAT_WIDTH, rows), 4, data, dtype="f4")
    texture.filter = (moderngl.NEAREST, moderngl.NEAREST)  # texelFetch only; nearest keeps it complete
    return texture

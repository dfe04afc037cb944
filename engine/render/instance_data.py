"""Per-frame joint palettes and morph weights in one float texture.

Every batch's arrays are written into one staging (pixel unpack) buffer at
their texel offsets, then the texture is updated from it in a single call, so
the shadow and colour passes read identical data. Capacity grows by doubling.
"""

from __future__ import annotations

import moderngl
import numpy as np

from engine.render.flat_texture import FLAT_WIDTH, create_empty_flat_texture, rows_for

TEXEL_BYTES = 16  # RGBA32F


class InstanceDataTexture:
    def __init__(self, ctx: moderngl.Context, initial_rows: int = 16):
        self.ctx = ctx
        self._rows = initial_rows
        self.texture = create_empty_flat_texture(ctx, initial_rows)
        self._staging = ctx.buffer(reserve=initial_rows * FLAT_WIDTH * TEXEL_BYTES, dynamic=True)
        self._pending: list[tuple[int, np.ndarray]] = []
        self._texels_used = 0

    def begin_frame(self) -> None:
        self._pending.clear()
        self._texels_used = 0

    def add(self, array: np.ndarray) -> int:
        """Queue float data for this frame; returns the texel index where it starts."""
        data = np.ascontiguousarray(array, dtype=np.float32)
        base = self._texels_used
        self._texels_used += -(-data.size // 4)
        self._pending.append((base, data))
        return base

    def upload(self) -> None:
        if not self._pending:
            return
        rows = rows_for(self._texels_used)
        if rows > self._rows:
            self._grow(rows)
        for base, data in self._pending:
            self._staging.write(data, offset=base * TEXEL_BYTES)
        self.texture.write(self._staging, viewport=(0, 0, FLAT_WIDTH, rows))

    def release(self) -> None:
        self.texture.release()
        self._staging.release()

    def _grow(self, rows_needed: int) -> None:
        while self._rows < rows_needed:
            self._rows *= 2
        self.texture.release()
        self.texture = create_empty_flat_texture(self.ctx, self._rows)
        self._staging.orphan(self._rows * FLAT_WIDTH * TEXEL_BYTES)

"""Colour and size over life of every particle batch, in one small float texture.

Row 2i holds the i-th batch's colour curve (RGBA), row 2i + 1 its size curve
(in R). shaders/include/particle_curves.glsl interpolates the entries itself.
The texture grows by doubling and is rewritten each frame (a few KiB).
"""

from __future__ import annotations

import moderngl
import numpy as np

from engine.render.frame import ParticleBatch


class ParticleLutTexture:
    def __init__(self, ctx: moderngl.Context, width: int = 64, rows: int = 8):
        self.ctx = ctx
        self._staging = np.zeros((rows, width, 4), np.float32)
        self.texture = self._create(width, rows)

    def upload(self, batches: list[ParticleBatch]) -> list[tuple[int, tuple[int, int]]]:
        """Write the curves of `batches`; per batch (first row, (colour entries, size entries))."""
        curves = [
            (np.asarray(b.color_over_life, np.float32).reshape(-1, 4), np.asarray(b.size_over_life, np.float32).ravel())
            for b in batches
        ]
        self._fit(2 * len(curves), max(max(len(color), len(size)) for color, size in curves))
        placements = []
        for index, (color, size) in enumerate(curves):
            self._staging[2 * index, : len(color)] = color
            self._staging[2 * index + 1, : len(size), 0] = size
            placements.append((2 * index, (len(color), len(size))))
        self.texture.write(self._staging)
        return placements

    def release(self) -> None:
        self.texture.release()

    def _fit(self, rows: int, width: int) -> None:
        capacity_rows, capacity_width = self._staging.shape[:2]
        if rows <= capacity_rows and width <= capacity_width:
            return
        while capacity_rows < rows:
            capacity_rows *= 2
        while capacity_width < width:
            capacity_width *= 2
        self._staging = np.zeros((capacity_rows, capacity_width, 4), np.float32)
        self.texture.release()
        self.texture = self._create(capacity_width, capacity_rows)

    def _create(self, width: int, rows: int) -> moderngl.Texture:
        texture = self.ctx.texture((width, rows), 4, dtype="f4")
        texture.filter = (moderngl.NEAREST, moderngl.NEAREST)  # texelFetch only
        return texture

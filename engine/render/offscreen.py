"""A single-sample RGBA8 framebuffer to render into without a window.

The renderer does its own multisampling in its HDR target and writes the
finished, tonemapped image here, so this target needs no MSAA or depth.
"""

from __future__ import annotations

import moderngl
import numpy as np


class OffscreenTarget:
    def __init__(self, ctx: moderngl.Context, size: tuple[int, int]):
        self.ctx = ctx
        self.size = (int(size[0]), int(size[1]))
        self.color = ctx.texture(self.size, 4)
        self.framebuffer = ctx.framebuffer([self.color])

    def read_rgb(self) -> np.ndarray:
        """(H, W, 3) uint8, top row first."""
        width, height = self.size
        data = self.framebuffer.read(viewport=(0, 0, width, height), components=3, alignment=1)
        # GL rows start at the bottom.
        return np.frombuffer(data, np.uint8).reshape(height, width, 3)[::-1].copy()

    def release(self) -> None:
        self.framebuffer.release()
        self.color.release()

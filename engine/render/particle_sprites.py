"""CPU copies of particle sprites for the splat path.

A `TextureImage` becomes linear float RGBA (sRGB decoded, as the GPU samples
it) plus each flipbook cell's mean colour and coverage, which particles too
small to show the sprite are drawn with. Cached by object identity, like the
GPU copies in `GpuCache`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from engine.assets.model import TextureImage

# The default soft disc, (1 - d^2)^2, averaged over its square quad: white, coverage pi/12.
DISC_CELL_MEANS = np.array([[1.0, 1.0, 1.0, math.pi / 12.0]], np.float32)
NO_ATLAS = np.zeros((1, 1, 4), np.float32)

_UNORM = np.arange(256) / 255.0
_UNORM_TO_FLOAT = _UNORM.astype(np.float32)
_SRGB_TO_LINEAR = np.where(_UNORM <= 0.04045, _UNORM / 12.92, ((_UNORM + 0.055) / 1.055) ** 2.4).astype(np.float32)


class SpriteAtlasCache:
    def __init__(self):
        self._atlases: dict[tuple[TextureImage, tuple[int, int]], tuple[np.ndarray, np.ndarray]] = {}

    def get(self, image: TextureImage | None, flipbook: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """(atlas (H, W, 4) float32 linear, cell means (columns * rows, 4)); the disc when `image` is None."""
        if image is None:
            return NO_ATLAS, DISC_CELL_MEANS
        key = (image, (int(flipbook[0]), int(flipbook[1])))
        cached = self._atlases.get(key)
        if cached is None:
            cached = self._atlases[key] = _prepare(image, *key[1])
        return cached

    def release(self, images: Iterable[TextureImage]) -> None:
        doomed = set(images)
        for key in [key for key in self._atlases if key[0] in doomed]:
            del self._atlases[key]


def _prepare(image: TextureImage, columns: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
    pixels = np.asarray(image.pixels, np.uint8)
    atlas = np.empty(pixels.shape[:2] + (4,), np.float32)
    atlas[..., :3] = (_SRGB_TO_LINEAR if image.srgb else _UNORM_TO_FLOAT)[pixels[..., :3]]
    atlas[..., 3] = _UNORM_TO_FLOAT[pixels[..., 3]]
    height, width = atlas.shape[:2]
    row_edges = np.linspace(0, height, rows + 1).round().astype(int)
    column_edges = np.linspace(0, width, columns + 1).round().astype(int)
    means = np.zeros((rows * columns, 4), np.float32)
    for cell in range(rows * columns):
        row, column = divmod(cell, columns)
        block = atlas[row_edges[row] : row_edges[row + 1], column_edges[column] : column_edges[column + 1]]
        coverage = float(block[..., 3].mean()) if block.size else 0.0
        premultiplied = (block[..., :3] * block[..., 3:]).reshape(-1, 3).mean(axis=0) if block.size else 0.0
        means[cell, :3] = premultiplied / coverage if coverage > 0.0 else 0.0
        means[cell, 3] = coverage
    return np.ascontiguousarray(atlas), means

"""ParticleTextures: sprite and flipbook images, loaded once per file; appearances hold an index."""

from __future__ import annotations

import os
from pathlib import Path

from engine.assets.model import GL_CLAMP_TO_EDGE, TextureImage
from engine.assets.textures import decode_image_bytes
from engine.errors import AssetError


class ParticleTextures:
    def __init__(self):
        self.images: list[TextureImage] = []
        self._by_path: dict[str, int] = {}

    def load(self, path: str | os.PathLike) -> int:
        key = os.path.realpath(os.fspath(path))
        if key in self._by_path:
            return self._by_path[key]
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise AssetError(path, f"cannot read: {exc.strerror or exc}") from None
        pixels, reason = decode_image_bytes(data)
        if pixels is None:
            raise AssetError(path, f"not an image ({reason})")
        # clamped, so flipbook frames at the atlas edge don't bleed into the opposite edge
        self.images.append(TextureImage(name=Path(path).name, pixels=pixels, srgb=True, wrap_s=GL_CLAMP_TO_EDGE,
                                        wrap_t=GL_CLAMP_TO_EDGE))
        self._by_path[key] = len(self.images) - 1
        return self._by_path[key]

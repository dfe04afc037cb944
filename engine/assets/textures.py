"""Image bytes -> RGBA8 pixel arrays (Pillow), with a visible stand-in for failures."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, UnidentifiedImageError

# 1x1 magenta: impossible to miss on screen when an image failed to decode.
MISSING_TEXTURE_RGBA = (255, 0, 255, 255)


def missing_texture_pixels() -> np.ndarray:
    return np.array([[MISSING_TEXTURE_RGBA]], np.uint8)


def pixels_from_image(image: Image.Image) -> np.ndarray:
    """(H, W, 4) uint8, row 0 = top. 16-bit and float modes are scaled to 8 bits."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # Pillow's RGBA conversion clips 16-bit greyscale instead of scaling it.
        grey = (np.asarray(image, np.float32) * (255.0 / 65535.0)).clip(0, 255).astype(np.uint8)
        image = Image.fromarray(grey, "L")
    elif image.mode == "F":
        grey = (np.asarray(image, np.float32) * 255.0).clip(0, 255).astype(np.uint8)
        image = Image.fromarray(grey, "L")
    return np.ascontiguousarray(np.asarray(image.convert("RGBA"), np.uint8))


def decode_image_bytes(data: bytes) -> tuple[np.ndarray | None, str | None]:
    """Pixels, or (None, reason) when Pillow cannot decode the bytes."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            return pixels_from_image(image), None
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError) as exc:
        return None, " ".join(str(exc).split()) or type(exc).__name__

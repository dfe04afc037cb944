"""What both particle paths need to know about the frame's camera and image."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.render.frame import ViewParams
from engine.render.projection_terms import focal_length_px, view_distance_coefficients

# Particles never shrink below this radius on screen: smaller ones keep this
# footprint and dim by the area they lost (GL), or become 2x2 bilinear splats
# with the same energy (CPU), so sub-pixel particles neither alias nor vanish.
MIN_RADIUS_PX = 1.0
# Particles fade out as they near the lens, from fully visible at NEAR_FADE_END to gone at
# NEAR_FADE_START (view distance, metres): an ember drifting through the lens would
# otherwise fill the frame as one huge blob.
NEAR_FADE_START, NEAR_FADE_END = 0.15, 0.6


def near_fade_defines() -> dict[str, float]:
    return {"NEAR_FADE_START": NEAR_FADE_START, "NEAR_FADE_END": NEAR_FADE_END}


@dataclass(frozen=True)
class ParticleView:
    view_proj: np.ndarray  # (4, 4) float32, GL layout: clip = [p 1] @ view_proj
    viewport: tuple[int, int]  # width, height in pixels
    focal_length_px: float  # pixels per metre at clip w = 1
    distance_coefficients: np.ndarray  # (4,) NDC depth -> view distance (projection_terms)
    camera_position: np.ndarray  # (3,) world

    @staticmethod
    def of(view: ViewParams, view_proj: np.ndarray, viewport: tuple[int, int]) -> ParticleView:
        return ParticleView(
            view_proj=np.ascontiguousarray(view_proj, np.float32),
            viewport=viewport,
            focal_length_px=focal_length_px(view.projection, viewport[1]),
            distance_coefficients=view_distance_coefficients(view.projection),
            camera_position=np.asarray(view.position, np.float32)[:3],
        )

"""Moviola's procedural mannequin characters: skeleton, dressed skinned body, face, clips.

`build_mannequin("a" | "b")` returns a `ModelAsset`; `python -m
engine.assets.mannequin OUT_DIR` writes `mannequin_a.glb` and `mannequin_b.glb`.
The walk clip is in place; `walk_speed(VARIANTS[v])` is the forward speed in
m/s that matches its stride (also stored in the file as the walk animation's
`extras.forwardSpeed`).
"""

from engine.assets.mannequin.build import build_mannequin, clip_extras
from engine.assets.mannequin.gait import WALK_CYCLE_SECONDS, walk_speed
from engine.assets.mannequin.variants import VARIANTS

__all__ = ["VARIANTS", "WALK_CYCLE_SECONDS", "build_mannequin", "clip_extras", "walk_speed"]

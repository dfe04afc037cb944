"""Drawable models and their animation.

A model instance owns a contiguous segment of the `PosePool` (one slot per node
of its asset): local TRS, model-space matrices and morph weights live there, in
pooled columns, because their length differs per asset. The entity stores the
handles.
"""

from engine.component import F32, F64, I32, Bool, Vec4, component


@component
class ModelInstance:
    model: I32 = -1  # handle into the AssetLibrary
    pose_offset: I32 = -1  # first slot in the PosePool
    weight_offset: I32 = 0  # first morph weight in the PosePool's weight column
    tint: Vec4 = (1.0, 1.0, 1.0, 1.0)  # multiplies every material's base colour
    visible: Bool = True
    cast_shadows: Bool = True


@component
class AnimationPlayer:
    """Plays one clip of the instance's asset. Clip time is a pure function of scene time:
    clip_time = (scene_time - start_time) * speed + offset, so frames can be rendered in any order."""

    clip: I32 = 0  # index into the asset's clips; -1 = hold the rest pose
    start_time: F64 = 0.0
    offset: F64 = 0.0
    speed: F32 = 1.0
    loop: Bool = True
    playing: Bool = True
    time: F64 = 0.0  # written by advance_animation_players: the clip time sampled this frame


@component
class ClipCues:
    """Timeline switches of the AnimationPlayer's clip (a range in the CueLibrary)."""

    first: I32 = 0
    count: I32 = 0

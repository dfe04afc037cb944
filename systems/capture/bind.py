"""A recorded performance onto a character: one AnimationClip, played like any other.

Retargeting a take, BVH or Live Link recording happens once, when it is bound (scene
load, `render --take`, `retarget`); the frame loop then samples a clip, so a take plus
a scene renders the same frames every time, at any frame rate or frame order.

Body motion comes from the body solve (MediaPipe landmarks or a BVH skeleton) and
drives the hips and every bone below; face weights drive the model's ARKit-named morph
targets. The head follows the body solve when there is one; a face-only performance
(a Live Link recording, a face take) turns the neck and head by its head rotation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.assets.model import AnimationClip, ModelAsset
from engine.errors import InputError
from systems.capture.performance import Performance

CLIP_FPS = 30.0  # body clips are resampled to this rate (BVH files run at 120)


@dataclass(frozen=True)
class BindParts:
    body: bool = True
    face: bool = True
    hands: bool = True


def performance_clip(performance: Performance, asset: ModelAsset, name: str, parts: BindParts = BindParts(),
                     bone_map: dict[str, str] | None = None) -> AnimationClip:
    """The performance retargeted onto `asset` as one clip whose times start at 0."""
    channels = []
    body = parts.body and performance.has_body
    if body:
        from systems.capture.retarget import RigTarget, retarget_clip

        rig = RigTarget.from_asset(asset, bone_map)
        channels += retarget_clip(body_motion(performance, parts.hands), rig, name, fps=CLIP_FPS).channels
    if parts.face and performance.has_face:
        from systems.capture.face_retarget import FaceRetarget

        face = FaceRetarget(asset, bone_map=_resolved_bone_map(asset, bone_map))
        if not len(face.shapes) and (body or performance.head_rotation is None):
            pass  # no ARKit-named morph targets and nothing for the head to do
        else:
            head = None if body else _clean_rotations(performance.head_rotation)
            weights = np.nan_to_num(performance.face_weights, nan=0.0)
            channels += face.clip(name, performance.times, weights, head).channels
    if not channels:
        what = ", ".join(k for k, on in (("body", parts.body), ("face", parts.face)) if on) or "nothing"
        raise InputError(performance.path, f"nothing to drive {asset.path} with: the recording has no {what} data "
                                           f"the character can use")
    return AnimationClip(name, channels, extras={"retargeted": True, "source": performance.path})


def body_motion(performance: Performance, hands: bool = True):
    """The performance's body as a HumanoidMotion (engine frame, metres)."""
    from systems.capture.retarget import humanoid_motion_from_bvh, humanoid_motion_from_landmarks

    if performance.bvh is not None:
        return humanoid_motion_from_bvh(performance.bvh)
    hand_tracks = performance.hands if hands else {}
    # MediaPipe's image landmarks sit on the joints; its world landmarks lean towards an average pose.
    refine = {"pose_image": performance.pose_image, "image_aspect": performance.image_aspect} \
        if performance.pose_image is not None else {}
    return humanoid_motion_from_landmarks(performance.times, performance.body_landmarks, hand_tracks or None,
                                          **refine)


def _resolved_bone_map(asset: ModelAsset, bone_map):
    if not bone_map:
        return None
    from engine.capture.humanoid import detect_bone_map

    return detect_bone_map(asset, bone_map)


def _clean_rotations(rotations: np.ndarray | None) -> np.ndarray | None:
    """Frames where the head was lost hold the identity (facing the camera), not NaN."""
    if rotations is None:
        return None
    rotations = np.array(rotations, np.float64)
    lost = ~np.isfinite(rotations).all(axis=1) | (np.linalg.norm(np.nan_to_num(rotations), axis=1) < 1e-6)
    rotations[lost] = (0.0, 0.0, 0.0, 1.0)
    return rotations


def bind_performance(world, entity: int, performance: Performance, *, start: float = 0.0, speed: float = 1.0,
                     loop: bool = False, parts: BindParts = BindParts(), bone_map=None) -> int:
    """Retarget `performance` onto a spawned character and make it play from scene time `start`.
    Replaces the entity's clip and clip cues; returns the clip's asset-local index."""
    from components.model import AnimationPlayer, ClipCues, ModelInstance
    from engine.assets.library import AssetLibrary

    library = world.resource(AssetLibrary)
    handle = int(world.get(entity, ModelInstance.model))
    asset = library[handle].asset
    clip = library.add_clip(handle, performance_clip(performance, asset, f"capture:{performance.path}", parts,
                                                     bone_map))
    player = AnimationPlayer(clip=clip, start_time=start, speed=speed, loop=loop)
    if world.has(entity, ClipCues):
        world.remove(entity, ClipCues)
    if world.has(entity, AnimationPlayer):
        world.remove(entity, AnimationPlayer)
    world.insert(entity, player)
    return clip

"""The mannequin's looping clips: idle, walk (see `gait`), wave and talk, keyed at 30 fps.

Every periodic term completes whole cycles over its clip, so the last key
equals the first and each clip loops without a pop.
"""

from __future__ import annotations

import numpy as np

from engine.assets.mannequin import rotations as rot
from engine.assets.mannequin.gait import FootContact, plant_feet, walk
from engine.assets.mannequin.pose import Track, curl_fingers, relaxed_arms
from engine.assets.mannequin.skeleton import SIDES, Skeleton
from engine.assets.mannequin.variants import Variant
from engine.assets.model import AnimationClip


def build_clips(variant: Variant, skeleton: Skeleton, joint_nodes: np.ndarray, face_node: int,
                contact_points: dict[str, dict[str, np.ndarray]]) -> list[AnimationClip]:
    contacts = {side: FootContact(skeleton, side, contact_points[side]) for side in SIDES}
    tracks = {
        "idle": _idle(variant, skeleton, contacts),
        "walk": walk(variant, skeleton, contacts),
        "wave": _wave(variant, skeleton, contacts),
        "talk": _talk(variant, skeleton, contacts),
    }
    return [track.to_clip(name, joint_nodes, face_node) for name, track in tracks.items()]


def _wave_form(phase: np.ndarray, cycles: int, shift: float = 0.0) -> np.ndarray:
    return np.sin(2 * np.pi * (cycles * phase + shift))


def _blink(times: np.ndarray, at: float) -> np.ndarray:
    """A 0.25 s blink starting at `at`: quick close, short hold, slower open."""
    t = times - at
    closing, opening = np.clip(t / 0.07, 0, 1), np.clip((0.25 - t) / 0.15, 0, 1)
    return np.minimum(closing, opening)


def _standing(variant: Variant, skeleton: Skeleton, contacts, duration: float, sway: float) -> Track:
    """Quiet standing: slow breathing and a weight shift from foot to foot, feet planted."""
    track = Track(skeleton, duration)
    s = variant.body.height / 1.75
    phase = track.phase
    breath = _wave_form(phase, round(duration / 4.0))
    shift = _wave_form(phase, 1)
    track.hips[:, 0] += sway * s * shift
    track.hips[:, 1] += -0.012 * s - 0.002 * s * np.abs(shift)
    track.set("Hips", rot.compose(rot.about_z(np.radians(2.0 * sway / 0.018) * shift), rot.about_y(np.radians(2.0) * shift)))
    # The spine takes the hip roll back out so the shoulders stay level; the chest lifts on each breath.
    track.set("Spine", rot.compose(rot.about_z(np.radians(-1.5 * sway / 0.018) * shift), rot.about_x(np.radians(1.0))))
    track.set("Spine1", rot.about_x(np.radians(-0.8) * breath))
    track.set("Spine2", rot.compose(rot.about_z(np.radians(-0.5 * sway / 0.018) * shift), rot.about_x(np.radians(-0.8) * breath)))
    track.set_both("Shoulder", rot.about_z(np.radians(1.2) * (breath + 1.0) / 2.0))
    relaxed_arms(track, skeleton)
    plant_feet(track, contacts)
    return track


def _idle(variant: Variant, skeleton: Skeleton, contacts) -> Track:
    track = _standing(variant, skeleton, contacts, 4.0, sway=0.018)
    phase = track.phase
    track.set("Neck", rot.about_y(np.radians(3.0) * _wave_form(phase, 1, 0.2)))
    track.set("Head", rot.compose(rot.about_y(np.radians(4.0) * _wave_form(phase, 1, 0.15)),
                                  rot.about_x(np.radians(2.0) * _wave_form(phase, 2, 0.1))))
    blink = _blink(track.times, 1.2) + _blink(track.times, 3.1)
    track.set_face("eyeBlinkLeft", blink)
    track.set_face("eyeBlinkRight", blink)
    return track


def _wave(variant: Variant, skeleton: Skeleton, contacts) -> Track:
    """Right arm raised, forearm swinging side to side, hand flapping a beat behind; a smile."""
    track = _standing(variant, skeleton, contacts, 2.0, sway=0.008)
    phase = track.phase
    swing = _wave_form(phase, 3)
    relaxed = track.get("LeftArm").copy(), track.get("LeftForeArm").copy(), track.get("LeftHand").copy()
    raised = rot.compose(rot.about_y(np.radians(-25.0)), rot.about_z(np.radians(8.0)), rot.about_x(np.radians(-90.0)))
    forearm = rot.about_y(np.radians(-(85.0 + 25.0 * swing)))
    hand = rot.about_y(np.radians(-12.0 * _wave_form(phase, 3, -0.12)))
    track.set_both("Arm", relaxed[0], np.tile(raised, (len(phase), 1)))
    track.set_both("ForeArm", relaxed[1], forearm)
    track.set_both("Hand", relaxed[2], hand)
    left_fingers = {name: track.get(name).copy() for name in skeleton.names if name.startswith("LeftHand")}
    curl_fingers(track, skeleton, 0.15)  # the waving hand opens; the other stays relaxed
    for name, rotation in left_fingers.items():
        track.set(name, rotation)
    track.set("Head", rot.compose(rot.about_z(np.radians(-4.0)), rot.about_y(np.radians(-6.0))))
    track.set_face("mouthSmileLeft", 0.7)
    track.set_face("mouthSmileRight", 0.7)
    track.set_face("browInnerUp", 0.25 + 0.1 * _wave_form(phase, 1))
    return track


def _talk(variant: Variant, skeleton: Skeleton, contacts) -> Track:
    """Speech-like jaw and lip motion in phrases, blinks, nods and a small hand gesture."""
    track = _standing(variant, skeleton, contacts, 4.0, sway=0.01)
    phase, times = track.phase, track.times
    phrases = np.clip(1.3 * _wave_form(phase, 2, 0.1) + 0.5, 0.0, 1.0)  # two phrases with pauses
    syllables = 0.5 + 0.5 * _wave_form(phase, 15) * (0.7 + 0.3 * _wave_form(phase, 7, 0.3))
    track.set_face("jawOpen", 0.05 + 0.45 * phrases * syllables)
    track.set_face("mouthFunnel", 0.5 * phrases * np.clip(_wave_form(phase, 5, 0.2), 0.0, None) ** 3)
    track.set_face("mouthSmileLeft", 0.15 + 0.1 * _wave_form(phase, 1))
    track.set_face("mouthSmileRight", 0.15 + 0.1 * _wave_form(phase, 1))
    track.set_face("browInnerUp", 0.4 * np.clip(_wave_form(phase, 2, 0.05), 0.0, None) ** 4)
    blink = _blink(times, 0.9) + _blink(times, 2.8)
    track.set_face("eyeBlinkLeft", blink)
    track.set_face("eyeBlinkRight", blink)
    nod = np.radians(4.0) * _wave_form(phase, 4) * phrases
    track.set("Neck", rot.about_y(np.radians(3.0) * _wave_form(phase, 1, 0.3)))
    track.set("Head", rot.compose(rot.about_x(nod), rot.about_z(np.radians(2.5) * _wave_form(phase, 1, 0.6))))
    gesture = 0.5 + 0.5 * _wave_form(phase, 2, -0.15)
    right_arm = rot.compose(rot.about_x(np.radians(-(8.0 + 10.0 * gesture))), rot.about_z(np.radians(-72.0)))
    track.set_both("Arm", track.get("LeftArm").copy(), right_arm)
    track.set_both("ForeArm", track.get("LeftForeArm").copy(), rot.about_y(np.radians(-(35.0 + 35.0 * gesture))))
    return track

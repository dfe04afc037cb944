"""A clip under construction: per-frame local joint rotations, hips position and face weights.

Clips are authored on the left side and mirrored to the right where the
motion is symmetric; `Track.to_clip` turns the arrays into glTF channels.
"""

from __future__ import annotations

import numpy as np

from engine.assets.mannequin import rotations as rot
from engine.assets.mannequin.face import TARGET_NAMES
from engine.assets.mannequin.skeleton import FINGERS, Skeleton
from engine.assets.model import AnimationChannel, AnimationClip

FPS = 30


class Track:
    def __init__(self, skeleton: Skeleton, duration: float):
        frames = int(round(duration * FPS))
        self.skeleton = skeleton
        self.times = np.arange(frames + 1) / FPS  # the last key repeats the first: a seamless loop
        self.phase = self.times / self.times[-1]  # 0..1 over the loop
        self.rotations = np.tile(rot.IDENTITY, (len(self.times), len(skeleton.names), 1))
        self.hips = np.tile(skeleton.positions[skeleton.index("Hips")], (len(self.times), 1))
        self.face = np.zeros((len(self.times), len(TARGET_NAMES)))

    def set(self, name: str, rotation) -> None:
        self.rotations[:, self.skeleton.index(name)] = rotation

    def set_both(self, name: str, left_rotation, right_rotation=None) -> None:
        """`name` without side prefix; the right side mirrors `right_rotation` (default: the left one)."""
        self.set("Left" + name, left_rotation)
        self.set("Right" + name, rot.mirror_x(left_rotation if right_rotation is None else right_rotation))

    def get(self, name: str) -> np.ndarray:
        return self.rotations[:, self.skeleton.index(name)]

    def set_face(self, name: str, weight) -> None:
        self.face[:, TARGET_NAMES.index(name)] = np.clip(weight, 0.0, 1.0)

    def to_clip(self, name: str, joint_nodes: np.ndarray, face_node: int) -> AnimationClip:
        channels = [self._channel(int(joint_nodes[self.skeleton.index("Hips")]), "translation", self.hips)]
        for joint, node in enumerate(joint_nodes):
            channels.append(self._channel(int(node), "rotation", rot.continuous(self.rotations[:, joint])))
        channels.append(self._channel(face_node, "weights", self.face))
        return AnimationClip(name, channels)

    def _channel(self, node: int, path: str, values: np.ndarray) -> AnimationChannel:
        times = self.times
        if np.allclose(values, values[0], atol=1e-6):
            # A held value needs only the loop's two ends; every clip still keys every joint,
            # so switching clips never leaves a joint where the previous clip put it.
            times, values = times[[0, -1]], values[[0, 0]]
        return AnimationChannel(node, path, "LINEAR", times.astype(np.float32), values.astype(np.float32))


def relaxed_arms(track: Track, skeleton: Skeleton, down_degrees: float = 76.0) -> None:
    """Arms hanging at the sides, palms towards the thighs, elbows and fingers softly bent."""
    track.set_both("Arm", rot.compose(rot.about_x(np.radians(-4.0)), rot.about_z(np.radians(-down_degrees))))
    track.set_both("ForeArm", rot.about_y(np.radians(-12.0)))
    track.set_both("Hand", rot.about_z(np.radians(-6.0)))
    curl_fingers(track, skeleton, 1.0)


def curl_fingers(track: Track, skeleton: Skeleton, amount) -> None:
    """Relaxed finger curl, scaled by `amount` (scalar or per frame); 0 = flat hand."""
    amount = np.asarray(amount, np.float64)
    for finger, base in zip(FINGERS[1:], (16.0, 20.0, 24.0, 28.0)):
        for segment, scale in ((1, 1.0), (2, 1.2), (3, 0.6)):
            track.set_both(f"Hand{finger}{segment}", rot.about_z(np.radians(-base * scale) * amount))
    thumb = skeleton.positions[skeleton.index("LeftHandThumb3")] - skeleton.positions[skeleton.index("LeftHandThumb1")]
    across_palm = np.cross(thumb / np.linalg.norm(thumb), [0.0, -1.0, 0.0])
    across_palm /= np.linalg.norm(across_palm)
    # The thumb swings in beside the index finger, then its joints bend across the palm.
    swing_in = rot.about_y(np.radians(18.0) * amount)
    for segment, degrees in ((1, 8.0), (2, 12.0), (3, 10.0)):
        bend = rot.axis_angle(across_palm, np.radians(-degrees) * amount)
        track.set_both(f"HandThumb{segment}", rot.quat_multiply(swing_in, bend) if segment == 1 else bend)

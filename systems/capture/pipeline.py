"""One capture frame end to end: trackers -> stabiliser -> the solved take channels.

Used by `main.py capture` (recording takes), by the live capture system and by the
capture bench, so a take recorded from a file and the same performance played live
go through the same code.

Solved channels (what a take replays; see engine/capture/take.py for the raw ones):

    face.weights        (52,)    ARKit weights in [0, 1], filtered; rest = 0
    face.head_rotation  (4,)     xyzw, head relative to facing the camera, in the engine's character frame
    body.landmarks      (33, 3)  MediaPipe world landmarks, filtered (metres, MediaPipe's axes: y down)
    body.confidence     (33,)    1 tracked, falling while predicted, 0 at rest
    hand.left.landmarks (21, 3), hand.left.confidence (21,), and the same for the right hand

The head rotation needs no mirroring: MediaPipe's camera space (x right, y up, the face
looking along +z at the camera) and the engine's character frame (left = +X, up = +Y,
facing +Z) agree for a performer facing the camera, whose left is image right.
"""

from __future__ import annotations

import numpy as np

from engine.capture.take import STANDARD_CHANNELS, ChannelSpec
from engine.math_kernels import quat_from_rotation_matrix
from systems.capture.stabilize import CaptureStabilizer, Stabilized
from systems.capture.trackers import CaptureTracker, frame_channels

SOLVED_CHANNELS: dict[str, ChannelSpec] = {
    "face.weights": STANDARD_CHANNELS["face.weights"],
    "face.head_rotation": STANDARD_CHANNELS["face.head_rotation"],
    "body.landmarks": ChannelSpec((33, 3), "solved"),
    "body.confidence": ChannelSpec((33,), "solved"),
    "hand.left.landmarks": ChannelSpec((21, 3), "solved"),
    "hand.left.confidence": ChannelSpec((21,), "solved"),
    "hand.right.landmarks": ChannelSpec((21, 3), "solved"),
    "hand.right.confidence": ChannelSpec((21,), "solved"),
}
RAW_CHANNELS = {name: spec for name, spec in STANDARD_CHANNELS.items() if spec.kind == "raw"}


def take_channels(face: bool, pose: bool, hands: bool) -> dict[str, ChannelSpec]:
    """The raw and solved channels a capture with these trackers records."""
    wanted = []
    if face:
        wanted += ["face.blendshapes", "face.matrix", "face.weights", "face.head_rotation"]
    if pose:
        wanted += ["pose.world", "pose.image", "body.landmarks", "body.confidence"]
    if hands:
        for side in ("left", "right"):
            wanted += [f"hand.{side}.world", f"hand.{side}.image", f"hand.{side}.landmarks", f"hand.{side}.confidence"]
    every = RAW_CHANNELS | SOLVED_CHANNELS
    return {name: every[name] for name in wanted}


def solve_channels(stabilized: dict[str, Stabilized], channels: dict[str, ChannelSpec]) -> dict[str, np.ndarray]:
    """The solved channels among `channels` from one frame of `CaptureStabilizer` output."""
    solved: dict[str, np.ndarray] = {}
    if "face.weights" in channels:
        solved["face.weights"] = np.clip(stabilized["face.blendshapes"].values, 0.0, 1.0).astype(np.float32)
        rotation = np.asarray(stabilized["face.matrix"].values, np.float64)[:3, :3]
        solved["face.head_rotation"] = quat_from_rotation_matrix(rotation).astype(np.float32)
    for source, target in (("pose.world", "body"), ("hand.left.world", "hand.left"), ("hand.right.world", "hand.right")):
        if f"{target}.landmarks" in channels:
            solved[f"{target}.landmarks"] = np.asarray(stabilized[source].values, np.float32)
            solved[f"{target}.confidence"] = np.asarray(stabilized[source].confidence, np.float32)
    return solved


class CapturePipeline:
    """Trackers and stabiliser for one performer; `process` gives (raw, solved) channel dicts."""

    def __init__(self, *, face: bool, pose: bool, hands: bool, mode: str = "video", models=None,
                 mirrored_input: bool = False):
        self.channels = take_channels(face, pose, hands)
        self.tracker = CaptureTracker(face=face, pose=pose, hands=hands, mode=mode, models=models,
                                      mirrored_input=mirrored_input)
        self.stabilizer = CaptureStabilizer()

    def process(self, rgb: np.ndarray, t: float) -> tuple[dict, dict]:
        frame = self.tracker.process(rgb, t)
        raw = {name: value for name, value in frame_channels(frame).items() if name in self.channels}
        solved = solve_channels(self.stabilizer.update(t, raw), self.channels)
        return raw, solved

    def idle(self, t: float) -> dict:
        """The solved channels at `t` when no new frame came: predicted, then easing to rest."""
        return solve_channels(self.stabilizer.update(t, {}), self.channels)

    def close(self) -> None:
        self.tracker.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

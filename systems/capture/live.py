"""Live capture: a camera (or a file played as if live) drives characters while the scene plays.

Once per frame, in the capture phase, `poll_live_capture` takes the newest source frame
(never waiting: a camera is read on its own thread and MediaPipe runs in LIVE_STREAM
mode), runs the capture pipeline and solves every bound character's pose. In the animate
phase `apply_live_capture` writes the solved poses over whatever the clips sampled.

A source that drops out (camera unplugged, performer out of view, file ended) never stops
the frame loop: the stabiliser predicts briefly, then each character eases to its rest
pose by the tracking confidence, and eases back when tracking returns. Errors inside a
session are reported once and the session goes idle.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field

import numpy as np

from components.capture import LiveCapture
from components.model import ModelInstance
from engine.assets.library import AssetLibrary
from engine.clock import Clock
from engine.query import Query, Read
from engine.schedule import Res, ResMut
from systems.animation.pose_pool import PosePool

EASE_TIME_S = 0.3  # how fast a character blends to rest when tracking goes, and back when it returns


@dataclass
class LiveRig:
    """One character's solver state and its latest pose (asset-local nodes and weights)."""

    retargeter: object  # systems.capture.retarget.LiveRetargeter
    face: object | None  # systems.capture.face_retarget.FaceRetarget
    rest_rotation: np.ndarray
    rest_translation: np.ndarray
    rotation: np.ndarray  # (N, 4) latest local rotations
    hips_translation: np.ndarray
    weights: np.ndarray | None  # (W,) latest morph weights
    blend: float = 0.0  # 0 rest .. 1 fully tracked


@dataclass
class LiveSession:
    source: object
    pipeline: object
    spec: str
    rigs: dict[int, LiveRig] = field(default_factory=dict)  # entity -> rig
    frames: object | None = None  # iterator for file sources (one frame per poll)
    last_source_t: float | None = None
    failed: bool = False

    def next_frame(self):
        """The newest frame not seen yet, or None; never waits on a camera."""
        from systems.capture.sources import CameraSource

        if isinstance(self.source, CameraSource):
            latest = self.source.latest() if self.source.alive else None
            if latest is None or latest[0] == self.last_source_t:
                return None
            self.last_source_t = latest[0]
            return latest[1]
        if self.frames is None:
            self.frames = iter(self.source)
        frame = next(self.frames, None)
        return None if frame is None else frame[1]

    def close(self) -> None:
        self.pipeline.close()
        close = getattr(self.source, "close", None)
        if close is not None:
            close()


class LiveCaptureSessions:
    """Open live sessions, indexed by `LiveCapture.session`."""

    def __init__(self):
        self.sessions: list[LiveSession] = []

    def open(self, spec: str, *, face: bool, pose: bool, hands: bool, models=None, mirrored: bool = False) -> int:
        from systems.capture.pipeline import CapturePipeline
        from systems.capture.sources import CameraSource, open_source

        source = open_source(spec)
        try:
            camera = isinstance(source, CameraSource)
            pipeline = CapturePipeline(face=face, pose=pose, hands=hands, mode="live_stream" if camera else "video",
                                       models=models, mirrored_input=mirrored)
        except BaseException:
            getattr(source, "close", lambda: None)()
            raise
        self.sessions.append(LiveSession(source, pipeline, str(spec)))
        return len(self.sessions) - 1

    def bind(self, session: int, entity: int, model, bone_map=None) -> None:
        """Prepare `entity` (an instance of the prepared `model`) to follow `session`."""
        from systems.capture.face_retarget import FaceRetarget
        from systems.capture.retarget import LiveRetargeter, RigTarget

        asset = model.asset
        retargeter = LiveRetargeter(RigTarget.from_asset(asset, bone_map))
        face = FaceRetarget(asset)
        self.sessions[session].rigs[entity] = LiveRig(
            retargeter, face if len(face.shapes) else None, model.rest_rotation.copy(), model.rest_translation.copy(),
            model.rest_rotation.copy(), model.rest_translation[retargeter.rig.hips_node].copy(),
            None if not len(face.shapes) else face.rest_weights.astype(np.float32))

    def close(self) -> None:
        sessions, self.sessions = self.sessions, []
        for session in sessions:
            session.close()


def poll_live_capture(sessions: ResMut[LiveCaptureSessions], clock: Res[Clock]):
    """Capture phase: newest frame -> trackers -> each bound character's solved pose."""
    for session in sessions.sessions:
        if session.failed:
            continue
        try:
            _poll(session, clock.time)
        except Exception as error:  # noqa: BLE001 - the frame loop must survive a broken device or model
            session.failed = True
            print(f"moviola: live capture {session.spec} stopped: {error}", file=sys.stderr)


def _poll(session: LiveSession, t: float) -> None:
    from systems.capture.retarget import humanoid_motion_from_landmarks

    frame = session.next_frame()
    refine = {}
    if frame is not None:
        raw, solved = session.pipeline.process(frame, t)
        if raw.get("pose.image") is not None:  # image landmarks sit on the joints: sharper arms and legs
            refine = {"pose_image": raw["pose.image"][None], "image_aspect": frame.shape[1] / frame.shape[0]}
    else:
        solved = session.pipeline.idle(t)
    landmarks = solved.get("body.landmarks")
    confidence = solved.get("body.confidence")
    tracked = 0.0 if confidence is None else float(np.mean(confidence))
    for rig in session.rigs.values():
        target_blend = 1.0 if tracked > 0.5 else tracked * 2.0
        step = 1.0 - math.exp(-1.0 / (30.0 * EASE_TIME_S))  # per polled frame at ~30 fps
        rig.blend += (target_blend - rig.blend) * step
        if landmarks is not None and tracked > 0.0:
            pose_world = np.concatenate([landmarks, confidence[:, None]], axis=1)[None]
            motion = humanoid_motion_from_landmarks(np.array([t]), pose_world, **refine)
            solved_pose = rig.retargeter.update(**motion.frame(0))
            rig.rotation = _nlerp(rig.rest_rotation, solved_pose.local_rotations, rig.blend)
            rest_hips = rig.rest_translation[rig.retargeter.rig.hips_node]
            rig.hips_translation = rest_hips + (solved_pose.hips_translation - rest_hips) * rig.blend
        else:  # nothing tracked: ease from the last pose towards rest
            rig.rotation = _nlerp(rig.rotation, rig.rest_rotation, step)
            rest_hips = rig.rest_translation[rig.retargeter.rig.hips_node]
            rig.hips_translation = rig.hips_translation + (rest_hips - rig.hips_translation) * step
        weights = solved.get("face.weights")
        if rig.face is not None and weights is not None:
            rig.weights = rig.face.weights(weights).astype(np.float32)


def _nlerp(rest: np.ndarray, target: np.ndarray, amount: float) -> np.ndarray:
    target = np.where(np.sum(rest * target, axis=-1, keepdims=True) < 0, -target, target)
    mixed = rest + (target - rest) * amount
    return (mixed / np.linalg.norm(mixed, axis=-1, keepdims=True)).astype(np.float32)


def apply_live_capture(
    characters: Query[Read[LiveCapture], Read[ModelInstance]],
    sessions: Res[LiveCaptureSessions],
    library: Res[AssetLibrary],
    pool: ResMut[PosePool],
):
    """Animate phase: the live poses over the sampled clips (a handful of characters: a loop is fine)."""
    for view in characters:
        for entity, session_index, offset, weight_base in zip(
            view.entities, view[LiveCapture.session], view[ModelInstance.pose_offset], view[ModelInstance.weight_offset]
        ):
            if not 0 <= session_index < len(sessions.sessions):
                continue
            rig = sessions.sessions[session_index].rigs.get(int(entity))
            if rig is None:
                continue
            count = len(rig.rotation)
            pool.rotation[offset : offset + count] = rig.rotation
            pool.translation[offset + rig.retargeter.rig.hips_node] = rig.hips_translation
            if rig.weights is not None:
                pool.weights[weight_base : weight_base + len(rig.weights)] = rig.weights

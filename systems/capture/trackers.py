"""MediaPipe Tasks trackers (face, body pose, hands) behind one `CaptureTracker`, returning plain numpy arrays.

Input: RGB uint8 frames (H, W, 3) as a performer-facing camera sees them, NOT mirrored (OpenCV and video files are
not; a selfie preview usually is: pass `mirrored_input=True` and the frame is un-mirrored before the models, so every
output below is in the un-mirrored convention).

Outputs (`TrackerFrame`), all float32:

- `face_blendshapes` (52,): weights 0..1 in ARKit order (`engine.capture.arkit.ARKIT_BLENDSHAPES`), mapped by name.
  MediaPipe's model returns 52 categories: `_neutral` (dropped) and 51 ARKit names; it has no `tongueOut`, which
  stays 0. Left/Right are the performer's sides.
- `face_matrix` (4, 4): MediaPipe's facial transformation matrix, canonical face -> camera space, column-vector
  convention (`p_cam = M @ [p, 1]`, translation in `M[:3, 3]`; transpose it for the engine's row-vector layout).
  Camera space is OpenGL's: x right, y up, the camera looks down -z. Translation is in METRES (MediaPipe gives
  centimetres; converted as `S M S^-1`, which scales the translation and leaves the rotation alone, so the matrix maps
  the canonical face in metres to camera space in metres).
- `face_landmarks` (478, 3): normalised image coordinates x, y in 0..1 (x right, y down), z relative depth at the
  scale of x (smaller = nearer the camera).
- `pose_world` (33, 4): [x, y, z, visibility], MediaPipe world landmarks: metres, origin at the centre of the hips,
  x towards image right (the performer's left when facing the camera), y DOWN, z away from the camera. Landmark
  names are anatomical (11 = left shoulder is the performer's own left).
- `pose_image` (33, 4): [x, y normalised image coordinates, z relative depth, visibility].
- `hands`: {"left" | "right": HandLandmarks(world (21, 3) metres around the hand's centre with the pose's axes,
  image (21, 3) like `face_landmarks`, score)}. The side is the performer's own hand. MediaPipe Tasks (this version)
  reports handedness for the subject as seen in an un-mirrored image ("Left and Right handedness correspond to the
  subject's hands, not the viewer"), so no flip is needed; the legacy `mp.solutions.hands` assumed mirrored selfie
  input, which is where the common advice to swap comes from. Two hands labelled the same side are split by score:
  the surer one keeps its label.

Running modes: IMAGE for single images; VIDEO for files and folders (timestamps are made monotonic integer ms, as the
models require); LIVE_STREAM for cameras: `process` hands the frame over and returns at once with the newest results
that have arrived (MediaPipe drops frames it cannot keep up with), never waiting for the model.

`close()` (or the `with` block) closes every landmarker at once: MediaPipe's own `__del__` otherwise runs at
interpreter exit and prints errors. Nothing global (atexit, weakref finalizers) is registered.
"""

from __future__ import annotations

import enum
import os
import time
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from itertools import chain
from operator import attrgetter
from typing import Self

import numpy as np

from engine.capture.arkit import ARKIT_BLENDSHAPES
from engine.errors import AssetError
from systems.capture.model_bundles import resolve_model
from systems.capture.native_logs import native_logs_silenced

CHANNEL_NAMES = (
    "face.blendshapes", "face.matrix", "pose.world", "pose.image",
    "hand.left.world", "hand.right.world", "hand.left.image", "hand.right.image",
)

_CM_TO_M = 0.01
_XYZ = attrgetter("x", "y", "z")
_XYZV = attrgetter("x", "y", "z", "visibility")
_SCORE = attrgetter("score")


class TrackerMode(str, enum.Enum):
    IMAGE = "image"
    VIDEO = "video"
    LIVE_STREAM = "live_stream"


@dataclass(slots=True)
class HandLandmarks:
    world: np.ndarray  # (21, 3) metres
    image: np.ndarray  # (21, 3) normalised image x, y and relative z
    score: float  # handedness confidence


@dataclass(slots=True)
class TrackerFrame:
    t: float
    face_blendshapes: np.ndarray | None = None
    face_matrix: np.ndarray | None = None
    face_landmarks: np.ndarray | None = None
    pose_world: np.ndarray | None = None
    pose_image: np.ndarray | None = None
    hands: dict[str, HandLandmarks] = field(default_factory=dict)


def frame_channels(frame: TrackerFrame) -> dict[str, np.ndarray | None]:
    """The take channels of a frame: every name in `CHANNEL_NAMES`, None where nothing was tracked."""
    left, right = frame.hands.get("left"), frame.hands.get("right")
    return {
        "face.blendshapes": frame.face_blendshapes,
        "face.matrix": frame.face_matrix,
        "pose.world": frame.pose_world,
        "pose.image": frame.pose_image,
        "hand.left.world": None if left is None else left.world,
        "hand.right.world": None if right is None else right.world,
        "hand.left.image": None if left is None else left.image,
        "hand.right.image": None if right is None else right.image,
    }


def _landmark_array(landmarks, fields: attrgetter, width: int) -> np.ndarray:
    """(n, width) float32 from MediaPipe landmark objects; the attribute reads run in C (map/chain), not in a
    Python loop."""
    count = len(landmarks)
    try:
        flat = np.fromiter(chain.from_iterable(map(fields, landmarks)), np.float32, count=count * width)
    except TypeError:  # an unset optional field (None): missing data, not an error
        flat = np.array([np.nan if v is None else v for v in chain.from_iterable(map(fields, landmarks))], np.float32)
    return flat.reshape(count, width)


class _FaceConverter:
    """Face result -> arrays. The MediaPipe -> ARKit index map is built once, from the category names."""

    def __init__(self):
        self._gather: np.ndarray | None = None

    def __call__(self, result, out: dict) -> None:
        if not result.face_landmarks:
            return
        out["face_landmarks"] = _landmark_array(result.face_landmarks[0], _XYZ, 3)
        if result.face_blendshapes:
            categories = result.face_blendshapes[0]
            if self._gather is None or len(categories) != self._category_count:
                self._build_gather([c.category_name for c in categories])
            scores = np.zeros(len(categories) + 1, np.float32)  # the extra last slot is the 0 of untracked names
            scores[:-1] = np.fromiter(map(_SCORE, categories), np.float32, count=len(categories))
            out["face_blendshapes"] = scores[self._gather]
        if result.facial_transformation_matrixes:
            matrix = np.array(result.facial_transformation_matrixes[0], dtype=np.float32).reshape(4, 4)
            matrix[:3, 3] *= _CM_TO_M
            out["face_matrix"] = matrix

    def _build_gather(self, names: list[str]) -> None:
        index = {name: i for i, name in enumerate(names)}
        untracked = len(names)  # the zero slot
        if sum(name in index for name in ARKIT_BLENDSHAPES) < len(ARKIT_BLENDSHAPES) // 2:
            raise RuntimeError(f"face model blendshapes are not ARKit names ({names[:3]}...); is it face_landmarker?")
        self._gather = np.array([index.get(name, untracked) for name in ARKIT_BLENDSHAPES], dtype=np.intp)
        self._category_count = len(names)


def _convert_pose(result, out: dict) -> None:
    if not result.pose_world_landmarks:
        return
    out["pose_world"] = _landmark_array(result.pose_world_landmarks[0], _XYZV, 4)
    out["pose_image"] = _landmark_array(result.pose_landmarks[0], _XYZV, 4)


def _convert_hands(result, out: dict) -> None:
    if not result.hand_landmarks:
        return
    labelled = []
    for handedness, image, world in zip(result.handedness, result.hand_landmarks, result.hand_world_landmarks):
        best = handedness[0]
        labelled.append([best.category_name.lower(), float(best.score), image, world])
    if len(labelled) == 2 and labelled[0][0] == labelled[1][0]:
        labelled.sort(key=lambda hand: -hand[1])
        labelled[1][0] = "right" if labelled[0][0] == "left" else "left"
    out["hands"] = {
        side: HandLandmarks(_landmark_array(world, _XYZ, 3), _landmark_array(image, _XYZ, 3), score)
        for side, score, image, world in labelled
        if side in ("left", "right")
    }


class CaptureTracker:
    """Face, pose and hand landmarkers run together on each frame.

    `models`: an explicit bundle location for `resolve_model` (a folder for all kinds, or {kind: path}); otherwise
    MOVIOLA_MODELS or the installed bundle package. `min_confidence` is MediaPipe's detection/presence/tracking
    threshold for every task.
    """

    def __init__(self, *, face: bool = True, pose: bool = True, hands: bool = False,
                 mode: TrackerMode | str = TrackerMode.VIDEO, models: str | os.PathLike | Mapping | None = None,
                 mirrored_input: bool = False, num_hands: int = 2, min_confidence: float = 0.5):
        self.mode = TrackerMode(mode)
        self.mirrored_input = mirrored_input
        self.last_model_seconds = 0.0  # time spent inside MediaPipe's detect calls by the last process()
        self._tasks: dict[str, object] = {}  # kind -> landmarker, in processing order
        self._converters = {"face": _FaceConverter(), "pose": _convert_pose, "hands": _convert_hands}
        # kind -> (timestamp ms, converted fields) | None; keys fixed up front so the callback thread never resizes it
        self._live_results: dict[str, tuple[int, dict] | None] = {}
        self._last_timestamp_ms = -1
        self._warmed_up = False

        import mediapipe as mp  # heavy (TFLite runtime): loaded only when a tracker is made
        from mediapipe.tasks.python import BaseOptions, vision

        self._mp = mp
        running_mode = {
            TrackerMode.IMAGE: vision.RunningMode.IMAGE,
            TrackerMode.VIDEO: vision.RunningMode.VIDEO,
            TrackerMode.LIVE_STREAM: vision.RunningMode.LIVE_STREAM,
        }[self.mode]
        wanted = [kind for kind, on in (("face", face), ("pose", pose), ("hands", hands)) if on]
        if not wanted:
            raise ValueError("CaptureTracker needs at least one of face, pose, hands")
        self._live_results = dict.fromkeys(wanted)
        thresholds = {"min_tracking_confidence": min_confidence}
        try:
            for kind in wanted:
                explicit = models.get(kind) if isinstance(models, Mapping) else models
                path = resolve_model(kind, explicit)
                base = BaseOptions(model_asset_path=str(path))
                live = {"result_callback": self._live_callback(kind)} if self.mode is TrackerMode.LIVE_STREAM else {}
                if kind == "face":
                    options = vision.FaceLandmarkerOptions(
                        base_options=base, running_mode=running_mode, num_faces=1,
                        min_face_detection_confidence=min_confidence, min_face_presence_confidence=min_confidence,
                        output_face_blendshapes=True, output_facial_transformation_matrixes=True,
                        **thresholds, **live)
                    factory = vision.FaceLandmarker
                elif kind == "pose":
                    options = vision.PoseLandmarkerOptions(
                        base_options=base, running_mode=running_mode, num_poses=1,
                        min_pose_detection_confidence=min_confidence, min_pose_presence_confidence=min_confidence,
                        **thresholds, **live)
                    factory = vision.PoseLandmarker
                else:
                    options = vision.HandLandmarkerOptions(
                        base_options=base, running_mode=running_mode, num_hands=num_hands,
                        min_hand_detection_confidence=min_confidence, min_hand_presence_confidence=min_confidence,
                        **thresholds, **live)
                    factory = vision.HandLandmarker
                try:
                    with native_logs_silenced():
                        self._tasks[kind] = factory.create_from_options(options)
                except (RuntimeError, ValueError, OSError) as exc:  # MediaPipe maps its status codes to these
                    raise AssetError(path, f"cannot load MediaPipe {kind} model: {_one_line(exc)}") from None
        except BaseException:
            self.close()
            raise

    # -- lifecycle --------------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Close every landmarker (waits for in-flight live results). Safe to call more than once."""
        tasks, self._tasks = self._tasks, {}
        with native_logs_silenced():
            for task in tasks.values():
                task.close()

    @property
    def closed(self) -> bool:
        return not self._tasks

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- per frame --------------------------------------------------------------------------------------------------

    def process(self, rgb: np.ndarray, t_s: float) -> TrackerFrame:
        """Track one RGB uint8 (H, W, 3) frame taken at `t_s` seconds."""
        if not self._tasks:
            raise RuntimeError("CaptureTracker is closed")
        if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"expected an RGB uint8 (H, W, 3) frame, got {rgb.dtype} {rgb.shape}")
        if self.mirrored_input:
            rgb = rgb[:, ::-1]
        # MediaPipe copies the pixels into its own image once; it reads the buffer raw, so it must be contiguous
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))

        if self.mode is TrackerMode.LIVE_STREAM:
            return self._process_live(image, t_s)

        video = self.mode is TrackerMode.VIDEO
        timestamp_ms = self._next_timestamp_ms(t_s) if video else 0
        fields: dict = {}
        model_seconds = 0.0
        first = not self._warmed_up  # the runtime logs its set-up on the first frame
        self._warmed_up = True
        for kind, task in self._tasks.items():
            start = time.perf_counter()
            with native_logs_silenced() if first else nullcontext():
                result = task.detect_for_video(image, timestamp_ms) if video else task.detect(image)
            model_seconds += time.perf_counter() - start
            self._converters[kind](result, fields)
        self.last_model_seconds = model_seconds
        return TrackerFrame(t=_seconds(t_s, fallback=timestamp_ms / 1000.0), **fields)

    def _process_live(self, image, t_s: float) -> TrackerFrame:
        timestamp_ms = self._next_timestamp_ms(t_s)
        start = time.perf_counter()
        for task in self._tasks.values():
            task.detect_async(image, timestamp_ms)  # returns once queued; results come to _live_callback
        self.last_model_seconds = time.perf_counter() - start
        fields: dict = {}
        newest_ms = None
        for stamped in list(self._live_results.values()):
            if stamped is None:
                continue
            result_ms, converted = stamped
            fields.update(converted)
            newest_ms = result_ms if newest_ms is None else max(newest_ms, result_ms)
        # the frame's time is that of the newest result it holds (results lag the submitted frame)
        t = float(t_s) if newest_ms is None else newest_ms / 1000.0
        return TrackerFrame(t=t, **fields)

    def _live_callback(self, kind: str):
        convert = self._converters[kind]

        def on_result(result, _image, timestamp_ms: int) -> None:
            fields: dict = {}
            convert(result, fields)
            # one reference assignment: the frame loop reads whole (timestamp, fields) pairs, never half of one
            self._live_results[kind] = (int(timestamp_ms), fields)

        return on_result

    def _next_timestamp_ms(self, t_s: float) -> int:
        """Integer ms, strictly increasing as VIDEO and LIVE_STREAM modes require (a repeated or NaN time steps on)."""
        try:
            timestamp_ms = round(float(t_s) * 1000.0)
        except (TypeError, ValueError, OverflowError):
            timestamp_ms = self._last_timestamp_ms + 1
        timestamp_ms = max(timestamp_ms, self._last_timestamp_ms + 1)
        self._last_timestamp_ms = timestamp_ms
        return timestamp_ms


def _seconds(t_s, fallback: float) -> float:
    try:
        t = float(t_s)
    except (TypeError, ValueError):
        return fallback
    return t if np.isfinite(t) else fallback


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__

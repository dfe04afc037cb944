"""A recorded performance from any capture file, in one shape the retargeting reads.

    .take               a Moviola take (solved channels; raw ones re-solved if a take has only raw)
    .bvh                motion capture (CMU, DAZ, ASF, Mixamo ... namings)
    .csv                a Live Link Face recording (ARKit weights, head rotation)
    video / images      captured now through the trackers (progress bar), as `main.py capture` would

`Performance` holds what was found: body motion (MediaPipe landmarks or a BVH skeleton),
face weights and head rotation, hands, each with its own times.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.errors import InputError

VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


@dataclass
class Performance:
    path: str
    kind: str  # take | bvh | livelink
    times: np.ndarray  # (F,) seconds from the first frame
    body_landmarks: np.ndarray | None = None  # (F, 33, 4) MediaPipe world landmarks + confidence, NaN when lost
    pose_image: np.ndarray | None = None  # (F, 33, 4) MediaPipe image landmarks (sharper in the image plane)
    image_aspect: float | None = None  # width / height of the frames the image landmarks are normalised to
    hands: dict[str, np.ndarray] = field(default_factory=dict)  # side -> (F, 21, 3), NaN when lost
    bvh: object | None = None  # engine.capture.bvh.BvhMotion
    face_weights: np.ndarray | None = None  # (F, 52) ARKit order, NaN when lost
    head_rotation: np.ndarray | None = None  # (F, 4) xyzw, character frame, NaN when lost

    @property
    def duration(self) -> float:
        return float(self.times[-1] - self.times[0]) if len(self.times) > 1 else 0.0

    @property
    def has_body(self) -> bool:
        return self.body_landmarks is not None or self.bvh is not None

    @property
    def has_face(self) -> bool:
        return self.face_weights is not None


def load_performance(path: str | Path, models=None) -> Performance:
    path = Path(path)
    if not path.exists():
        raise InputError(path, "file not found")
    suffix = path.suffix.lower()
    if suffix == ".take":
        from engine.capture.take import read_take

        return performance_from_take(read_take(path), str(path))
    if suffix == ".bvh":
        from engine.capture.bvh import read_bvh

        motion = read_bvh(path)
        times = np.arange(motion.frame_count, dtype=np.float64) * motion.frame_time
        return Performance(str(path), "bvh", times, bvh=motion)
    if suffix == ".csv":
        from engine.capture.livelink import read_livelink_csv

        track = read_livelink_csv(path)
        return Performance(str(path), "livelink", np.asarray(track.times, np.float64),
                           face_weights=np.asarray(track.weights, np.float32),
                           head_rotation=np.asarray(track.head_rotation, np.float32))
    if path.is_dir() or suffix in VIDEO_SUFFIXES + IMAGE_SUFFIXES:
        return capture_performance(path, models)
    raise InputError(path, f"not a capture file: expected .take, .bvh, .csv, a video, an image or a folder of images")


def performance_from_take(take, path: str) -> Performance:
    if take.frame_count == 0:
        raise InputError(path, "the take has no frames")
    channels = take.channels
    times = np.asarray(take.times, np.float64) - float(take.times[0])
    performance = Performance(path, "take", times)
    if "body.landmarks" in channels:
        landmarks = np.asarray(channels["body.landmarks"], np.float32)
        confidence = np.asarray(channels.get("body.confidence", np.ones(landmarks.shape[:2])), np.float32)
        performance.body_landmarks = np.concatenate([landmarks, np.nan_to_num(confidence)[..., None]], axis=2)
    elif "pose.world" in channels:  # a raw-only take: landmarks as tracked, visibility as confidence
        performance.body_landmarks = np.asarray(channels["pose.world"], np.float32)
    image_size = take.meta.get("image_size")
    if "pose.image" in channels and isinstance(image_size, list) and len(image_size) == 2 and image_size[1]:
        performance.pose_image = np.asarray(channels["pose.image"], np.float32)
        performance.image_aspect = float(image_size[0]) / float(image_size[1])
    for side in ("left", "right"):
        for name in (f"hand.{side}.landmarks", f"hand.{side}.world"):
            if name in channels:
                performance.hands[side] = np.asarray(channels[name], np.float32)
                break
    if "face.weights" in channels:
        performance.face_weights = np.asarray(channels["face.weights"], np.float32)
    elif "face.blendshapes" in channels:
        performance.face_weights = np.asarray(channels["face.blendshapes"], np.float32)
    if "face.head_rotation" in channels:
        performance.head_rotation = np.asarray(channels["face.head_rotation"], np.float32)
    if not (performance.has_body or performance.has_face or performance.hands):
        raise InputError(path, f"the take has no body, face or hand channels (it has: {', '.join(channels) or 'none'})")
    return performance


def capture_performance(path: Path, models=None) -> Performance:
    """Run the trackers over a video, an image or a folder of images (face and body)."""
    from tqdm import tqdm

    from engine.capture.take import Take
    from systems.capture.pipeline import CapturePipeline
    from systems.capture.sources import open_source

    times, rows, image_size = [], [], None
    with open_source(path) as source, CapturePipeline(face=True, pose=True, hands=False, models=models) as pipeline:
        with tqdm(total=source.frame_count, unit="frame", desc=f"capture {path.name}", leave=False) as progress:
            for t, rgb in source:
                raw, solved = pipeline.process(rgb, t)
                image_size = [int(rgb.shape[1]), int(rgb.shape[0])]
                times.append(t)
                rows.append({**raw, **solved})
                progress.update()
        specs = pipeline.channels
    if not rows:
        raise InputError(path, "the source gave no frames")
    channels, present = {}, {}
    for name, spec in specs.items():
        stacked = np.full((len(rows), *spec.shape), np.nan, np.float32)
        mask = np.zeros(len(rows), bool)
        for index, row in enumerate(rows):
            if row.get(name) is not None:
                stacked[index] = row[name]
                mask[index] = True
        channels[name], present[name] = stacked, mask
    take = Take(meta={"source": str(path), "image_size": image_size}, times=np.asarray(times, np.float64), channels=channels, present=present,
                specs=specs, path=path)
    return performance_from_take(take, str(path))

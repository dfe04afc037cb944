"""Benchmark of the capture pipeline: video file -> face + pose trackers -> take channels -> stabiliser.

`bench_capture(frames, size)` builds a short clip from public-domain scikit-image photos of people (the astronaut,
the cameraman), each frame slightly shifted and scaled so the trackers see motion, encodes it to H.264 with the
engine's own writer, then runs the real pipeline on it and reports:

- `model_ms`: median per-frame time inside MediaPipe's detect calls (face + pose together);
- `overhead_ms`: median per-frame time of everything else: waiting for the decoded frame, wrapping it as an
  mp.Image, converting results to arrays, packing the channels, filtering and stabilising;
- `overhead_ratio` = overhead_ms / model_ms (the target is <= 0.10);
- `fps`: end-to-end frames per second over the whole loop (the first frame, which also warms the models up, is left
  out);
- `frames`, plus `face_frames` / `pose_frames`: how many frames had a face / a body tracked.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np


def synthetic_clip(frames: int = 30, size: tuple[int, int] = (640, 480)) -> list[np.ndarray]:
    """`frames` RGB frames of `size` (width, height): the astronaut, then the cameraman, gently drifting."""
    import cv2
    from skimage import data

    photos = [data.astronaut(), cv2.cvtColor(data.camera(), cv2.COLOR_GRAY2RGB)]
    width, height = size
    clip = []
    for i in range(frames):
        photo = photos[min(i * len(photos) // max(frames, 1), len(photos) - 1)]
        phase = 2.0 * np.pi * i / max(frames, 1)
        fit = min(width / photo.shape[1], height / photo.shape[0])
        scale = fit * (1.0 + 0.04 * np.sin(phase))
        # centre the scaled photo, then drift it a few pixels
        dx = (width - scale * photo.shape[1]) / 2 + 12.0 * np.sin(phase)
        dy = (height - scale * photo.shape[0]) / 2 + 8.0 * np.cos(phase)
        warp = np.array([[scale, 0.0, dx], [0.0, scale, dy]])
        clip.append(cv2.warpAffine(photo, warp, (width, height), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_CONSTANT, borderValue=(96, 96, 96)))
    return clip


def bench_capture(frames: int = 30, size: tuple[int, int] = (640, 480)) -> dict:
    from engine.video_output import open_frame_sink
    from systems.capture.sources import open_source
    from systems.capture.stabilize import CaptureStabilizer
    from systems.capture.trackers import CaptureTracker, frame_channels

    width, height = size
    with tempfile.TemporaryDirectory(prefix="moviola-capture-bench-") as folder:
        clip_path = Path(folder) / "clip.mp4"
        with open_frame_sink(clip_path, 30.0, width, height) as sink:
            for rgb in synthetic_clip(frames, size):
                sink.write(rgb)

        model_s, frame_s = [], []
        face_frames = pose_frames = 0
        with CaptureTracker(face=True, pose=True, mode="video") as tracker, open_source(clip_path) as source:
            stabilizer = CaptureStabilizer()
            loop_start = previous = time.perf_counter()
            first_frame_end = None
            for t_s, rgb in source:
                frame = tracker.process(rgb, t_s)
                stabilizer.update(frame.t, frame_channels(frame))
                now = time.perf_counter()
                frame_s.append(now - previous)  # includes waiting for the source's next frame
                model_s.append(tracker.last_model_seconds)
                previous = now
                first_frame_end = first_frame_end or now
                face_frames += frame.face_blendshapes is not None
                pose_frames += frame.pose_world is not None
            loop_end = time.perf_counter()

    count = len(frame_s)
    model = np.asarray(model_s)
    overhead = np.asarray(frame_s) - model
    model_ms = float(np.median(model) * 1e3) if count else 0.0
    overhead_ms = float(np.median(overhead) * 1e3) if count else 0.0
    timed = loop_end - (first_frame_end or loop_start)
    return {
        "frames": count,
        "size": f"{width}x{height}",
        "model_ms": round(model_ms, 3),
        "overhead_ms": round(overhead_ms, 3),
        "overhead_ratio": round(overhead_ms / model_ms, 4) if model_ms > 0 else None,
        "fps": round((count - 1) / timed, 2) if count > 1 and timed > 0 else None,
        "face_frames": face_frames,
        "pose_frames": pose_frames,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(bench_capture()))

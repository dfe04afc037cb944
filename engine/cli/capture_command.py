"""`main.py capture SOURCE --out TAKE [--face] [--pose] [--hands]`: record a take.

SOURCE is a video file, an image, a folder of images or a camera index. Files are
processed frame by frame (MediaPipe VIDEO mode) with a progress bar; a camera
records live (LIVE_STREAM mode) with a preview window where there is a display,
until Esc/q in the preview, Ctrl-C, or `--seconds`. The take is written frame by
frame, so an interrupted recording keeps everything up to the interruption.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from engine.errors import InputError


def run(args) -> int:
    from engine.capture.take import TakeWriter
    from systems.capture.pipeline import CapturePipeline
    from systems.capture.sources import CameraSource, open_source

    face, pose, hands = args.face, args.pose, args.hands
    if not (face or pose or hands):
        face = pose = True  # the usual performance capture
    out = Path(args.out)
    if out.suffix.lower() != ".take":
        raise InputError(out, "the take file must end in .take")
    if out.exists() and not args.overwrite:
        raise InputError(out, "already exists (pass --overwrite to replace it)")
    out.parent.mkdir(parents=True, exist_ok=True)

    source = open_source(args.source, fps=args.fps)
    live = isinstance(source, CameraSource)
    with source, CapturePipeline(face=face, pose=pose, hands=hands, mode="live_stream" if live else "video",
                                 models=args.models, mirrored_input=args.mirrored) as pipeline:
        fps = float(getattr(source, "fps", None) or args.fps or 30.0)
        if out.exists():
            out.unlink()  # --overwrite: only once the source and the models have opened
        meta = {"trackers": {"face": face, "pose": pose, "hands": hands}, "image_size": _image_size(source)}
        with TakeWriter(out, pipeline.channels, source=str(args.source), fps=fps, meta=meta) as writer:
            if live:
                frames = _record_camera(source, pipeline, writer, args.seconds, args.no_preview)
            else:
                frames = _record_file(source, pipeline, writer)
    print(f"moviola: wrote {out} ({frames} frames)")
    return 0


def _image_size(source) -> list[int] | None:
    """[width, height] of the frames, which the image landmarks are normalised to (the header comes first)."""
    from systems.capture.sources import CameraSource, FolderSource, read_image_rgb

    size = getattr(source, "size", None)
    if size is None and isinstance(source, FolderSource):
        first = read_image_rgb(source.files[0])
        size = (first.shape[1], first.shape[0])
    if size is None and isinstance(source, CameraSource):
        deadline = time.monotonic() + 5.0
        while size is None and source.alive and time.monotonic() < deadline:
            frame = source.latest()
            size = None if frame is None else (frame[1].shape[1], frame[1].shape[0])
            time.sleep(0.01)
    return [int(size[0]), int(size[1])] if size else None


def _record_file(source, pipeline, writer) -> int:
    from tqdm import tqdm

    frames = 0
    with tqdm(total=source.frame_count, unit="frame", desc="capture", leave=False) as progress:
        for t, rgb in source:
            raw, solved = pipeline.process(rgb, t)
            writer.write_frame(t, {**raw, **solved})
            frames += 1
            progress.update()
    if frames == 0:
        raise InputError(writer.path.name, "the source gave no frames")
    return frames


def _record_camera(source, pipeline, writer, seconds: float | None, no_preview: bool) -> int:
    """Newest camera frame -> pipeline -> take, never waiting on the camera; a lost camera ends the take."""
    from engine.cli.render_command import has_display

    preview = None if no_preview or not has_display() else _Preview()
    started = time.monotonic()
    frames = 0
    last_t = None
    try:
        while source.alive and (seconds is None or time.monotonic() - started < seconds):
            latest = source.latest()
            if latest is None or latest[0] == last_t:
                time.sleep(0.002)
                continue
            last_t, rgb = latest
            raw, solved = pipeline.process(rgb, last_t)
            writer.write_frame(last_t, {**raw, **solved})
            frames += 1
            if preview is not None and not preview.show(rgb, raw):
                break
    except KeyboardInterrupt:
        pass  # stop recording; the take keeps every frame written
    finally:
        if preview is not None:
            preview.close()
    return frames


class _Preview:
    """The camera image with the tracked landmarks drawn on it (OpenCV window)."""

    def __init__(self):
        import cv2

        self.cv2 = cv2
        cv2.namedWindow("Moviola capture (Esc to stop)", cv2.WINDOW_AUTOSIZE)

    def show(self, rgb: np.ndarray, raw: dict) -> bool:
        cv2 = self.cv2
        image = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        height, width = image.shape[:2]
        for name, color in (("pose.image", (80, 220, 80)), ("hand.left.image", (220, 160, 60)),
                            ("hand.right.image", (60, 160, 220))):
            points = raw.get(name)
            if points is None:
                continue
            for x, y in np.asarray(points)[:, :2]:
                cv2.circle(image, (int(x * width), int(y * height)), 3, color, -1)
        cv2.imshow("Moviola capture (Esc to stop)", image)
        return cv2.waitKey(1) & 0xFF not in (27, ord("q"))

    def close(self) -> None:
        self.cv2.destroyAllWindows()

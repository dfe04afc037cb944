"""Capture sources: iterators of `(t_s, rgb)` frames, rgb a C-contiguous uint8 (H, W, 3) array, top row first.

- `CameraSource(index)`: an OpenCV camera, read on a background thread. `t_s` comes from a monotonic clock (seconds
  since the source opened). The consumer always gets the newest frame, never a backlog: `latest()` returns it or
  None without waiting (the frame loop's call); iterating waits only for the next new frame. A failed read pauses
  the stream; after `lost_after_s` without a frame (camera unplugged) the source ends quietly: `alive` turns false,
  `latest()` returns None and iteration stops. Nothing is raised into the frame loop.
- `VideoFileSource(path)`: any file FFmpeg reads (PyAV). `t_s` is the stream's presentation time, from 0 at the
  first frame. With `threaded=True` frames are decoded ahead on a background thread into a bounded queue.
- `ImageSource(path)`: one frame at t = 0.
- `FolderSource(path, fps=30)`: the folder's images in natural name order (frame_2 before frame_10), t = i / fps.

`open_source(spec, fps)` picks one: an int or a digit string is a camera, a folder is a folder, an image extension
is an image, anything else is a video. Missing, unreadable or unsupported input is an `InputError` naming the file.
Each source has `frame_count` (None when unknown, e.g. cameras) for progress bars, and is a context manager.
"""

from __future__ import annotations

import os
import queue
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from engine.errors import InputError

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"})
DEFAULT_FOLDER_FPS = 30.0

Frame = tuple[float, np.ndarray]


class FrameSource(ABC):
    frame_count: int | None = None

    def __iter__(self) -> Iterator[Frame]:
        return self

    @abstractmethod
    def __next__(self) -> Frame: ...

    def close(self) -> None:
        """Release the device or file. Safe to call more than once."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


# -- still images -------------------------------------------------------------------------------------------------

def read_image_rgb(path: str | os.PathLike) -> np.ndarray:
    """An image file as RGB uint8 (H, W, 3); `InputError` naming the file when it cannot be decoded."""
    import cv2

    try:
        encoded = np.fromfile(path, dtype=np.uint8)  # then imdecode: unlike imread, works with any path encoding
    except OSError as exc:
        raise InputError(path, f"cannot read image ({exc.strerror or exc})") from None
    bgr = cv2.imdecode(encoded, cv2.IMREAD_COLOR) if encoded.size else None
    if bgr is None:
        raise InputError(path, "not a readable image (truncated, or an unsupported format)")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


class ImageSource(FrameSource):
    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._rgb = read_image_rgb(self.path)  # decoded now, so a bad file fails at open
        self.frame_count = 1
        self.size = (self._rgb.shape[1], self._rgb.shape[0])

    def __next__(self) -> Frame:
        if self._rgb is None:
            raise StopIteration
        rgb, self._rgb = self._rgb, None
        return 0.0, rgb


def _natural_key(name: str):
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


class FolderSource(FrameSource):
    def __init__(self, path: str | os.PathLike, fps: float | None = None):
        self.path = Path(path)
        self.fps = float(fps) if fps else DEFAULT_FOLDER_FPS
        if not np.isfinite(self.fps) or self.fps <= 0:
            raise InputError(self.path, f"invalid frame rate {fps}")
        try:
            names = [entry.name for entry in os.scandir(self.path)
                     if entry.is_file() and Path(entry.name).suffix.lower() in IMAGE_EXTENSIONS]
        except OSError as exc:
            raise InputError(self.path, f"cannot list folder ({exc.strerror or exc})") from None
        if not names:
            raise InputError(self.path, f"folder has no images ({', '.join(sorted(IMAGE_EXTENSIONS))})")
        self.files = [self.path / name for name in sorted(names, key=_natural_key)]
        self.frame_count = len(self.files)
        self._index = 0

    def __next__(self) -> Frame:
        if self._index >= len(self.files):
            raise StopIteration
        index = self._index
        self._index += 1
        return index / self.fps, read_image_rgb(self.files[index])


# -- video files --------------------------------------------------------------------------------------------------

_END = object()  # end-of-stream marker in the read-ahead queue


class VideoFileSource(FrameSource):
    """Frames of the first video stream. `threaded`: decode ahead on a thread into a queue of `queue_size` frames."""

    def __init__(self, path: str | os.PathLike, threaded: bool = False, queue_size: int = 8):
        import av

        self.path = Path(path)
        self._av_error = av.error.FFmpegError
        try:
            self._container = av.open(str(self.path))
        except (self._av_error, OSError) as exc:
            raise InputError(self.path, f"not a readable video ({_first_line(exc)})") from None
        if not self._container.streams.video:
            self._container.close()
            raise InputError(self.path, "has no video stream")
        self._stream = self._container.streams.video[0]
        self.frame_count = self._stream.frames or None  # 0 when the container doesn't say
        rate = self._stream.average_rate or self._stream.guessed_rate
        self.fps = float(rate) if rate else None
        self.size = (self._stream.codec_context.width, self._stream.codec_context.height)
        self._time_base = float(self._stream.time_base) if self._stream.time_base else None
        self._first_pts = None
        self._index = 0
        self._frames = self._container.decode(self._stream)
        self._closed = False
        self._thread = None
        if threaded:
            self._queue: queue.Queue = queue.Queue(maxsize=max(1, queue_size))
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._read_ahead, name=f"video {self.path.name}", daemon=True)
            self._thread.start()

    def __next__(self) -> Frame:
        if self._thread is None:
            if self._closed:
                raise StopIteration
            return self._decode_next()
        item = self._queue.get()
        if item is _END:
            self._queue.put(_END)  # every later call stops too
            raise StopIteration
        if isinstance(item, InputError):
            self._queue.put(_END)
            raise item
        return item

    def _decode_next(self) -> Frame:
        try:
            frame = next(self._frames)
        except StopIteration:
            raise
        except self._av_error as exc:
            raise InputError(self.path, f"cannot decode frame {self._index} ({_first_line(exc)})") from None
        return self._timestamp(frame), frame.to_ndarray(format="rgb24")

    def _timestamp(self, frame) -> float:
        index = self._index
        self._index += 1
        if frame.pts is None or self._time_base is None:  # no timing in the stream: fall back to its nominal rate
            return index / (self.fps or DEFAULT_FOLDER_FPS)
        if self._first_pts is None:
            self._first_pts = frame.pts
        return (frame.pts - self._first_pts) * self._time_base

    def _read_ahead(self) -> None:
        while not self._stop.is_set():
            try:
                item = self._decode_next()
            except StopIteration:
                item = _END
            except InputError as exc:
                item = exc
            # a bounded put that still notices close(): the consumer may never come back for this frame
            while not self._stop.is_set():
                try:
                    self._queue.put(item, timeout=0.05)
                    break
                except queue.Full:
                    continue
            if item is _END or isinstance(item, InputError):
                return

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            # leave an end marker for any later __next__
            while True:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    break
            self._queue.put(_END)
        self._container.close()


# -- cameras ------------------------------------------------------------------------------------------------------

class CameraSource(FrameSource):
    """An OpenCV camera read on a background thread; see the module docstring for the newest-frame contract."""

    def __init__(self, index: int, width: int | None = None, height: int | None = None, fps: float | None = None,
                 lost_after_s: float = 2.0):
        import cv2

        self.index = index
        self.name = f"camera {index}"
        self.frame_count = None
        self.lost_after_s = lost_after_s
        self._cv2 = cv2
        self._capture = cv2.VideoCapture(index)
        if not self._capture.isOpened():
            self._capture.release()
            raise InputError(self.name, "cannot open camera (not connected, or in use by another program)")
        if width:
            self._capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        if height:
            self._capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        if fps:
            self._capture.set(cv2.CAP_PROP_FPS, fps)
        self._clock_start = time.monotonic()
        self._newest: tuple[int, float, np.ndarray] | None = None  # (sequence number, t, rgb), swapped whole
        self._taken = 0  # sequence number of the last frame handed out
        self._new_frame = threading.Condition()
        self._stop = threading.Event()
        self._alive = True
        self._thread = threading.Thread(target=self._read_loop, name=self.name, daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        """False once the camera stopped delivering (unplugged, failed) or the source was closed."""
        return self._alive

    def latest(self) -> Frame | None:
        """The newest frame not handed out yet, or None; never waits."""
        newest = self._newest
        if newest is None or newest[0] == self._taken:
            return None
        self._taken = newest[0]
        return newest[1], newest[2]

    def __next__(self) -> Frame:
        with self._new_frame:
            self._new_frame.wait_for(lambda: not self._alive or (self._newest or (0,))[0] != self._taken)
        frame = self.latest()
        if frame is None:
            raise StopIteration
        return frame

    def _read_loop(self) -> None:
        last_good = time.monotonic()
        sequence = 0
        try:
            while not self._stop.is_set():
                try:
                    ok, bgr = self._capture.read()
                except Exception:  # noqa: BLE001 - a driver error is a failed read, never a crash of the app
                    ok, bgr = False, None
                now = time.monotonic()
                if not ok or bgr is None:
                    if now - last_good > self.lost_after_s:
                        break
                    self._stop.wait(0.01)  # paused: retry shortly
                    continue
                last_good = now
                sequence += 1
                rgb = self._cv2.cvtColor(bgr, self._cv2.COLOR_BGR2RGB)
                self._newest = (sequence, now - self._clock_start, rgb)
                with self._new_frame:
                    self._new_frame.notify_all()
        finally:
            self._alive = False
            with self._new_frame:
                self._new_frame.notify_all()
            self._capture.release()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=max(1.0, self.lost_after_s))
        self._alive = False


# -- picking a source ---------------------------------------------------------------------------------------------

def open_source(spec: str | int | os.PathLike, fps: float | None = None, *, threaded: bool = True) -> FrameSource:
    """A source for `spec`: camera index, folder, image file or video file. `fps` is the rate of a folder's frames
    (default 30) or the rate requested from a camera; videos keep their own timing. `threaded` decodes videos
    ahead on a background thread."""
    if isinstance(spec, (int, np.integer)) and not isinstance(spec, bool):
        return CameraSource(int(spec), fps=fps)
    if isinstance(spec, str) and spec.strip().isdigit():
        return CameraSource(int(spec.strip()), fps=fps)
    path = Path(spec)
    if not path.exists():
        raise InputError(path, "no such file or folder")
    if path.is_dir():
        return FolderSource(path, fps=fps)
    if path.suffix.lower() in IMAGE_EXTENSIONS:
        return ImageSource(path)
    return VideoFileSource(path, threaded=threaded)


def _first_line(exc: BaseException) -> str:
    # FFmpeg errors carry the message alone in strerror; str() repeats the errno and the file name
    text = (getattr(exc, "strerror", None) or str(exc)).strip().splitlines()
    return text[0] if text else type(exc).__name__

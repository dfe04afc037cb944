"""Where rendered frames go: an H.264 movie or a numbered PNG sequence.

`open_frame_sink(path, fps, width, height)` picks by path: .mp4/.mov/.mkv
write H.264 (yuv420p, BT.709) with PyAV, anything else is a directory of
frame_00001.png, frame_00002.png, ... Movies are written under a temporary
name and moved into place by `close()`, and each PNG is written then renamed,
so an interrupted render never replaces a good file with a broken one.
Progress reporting is the caller's job.
"""

from __future__ import annotations

import os
import re
from abc import ABC, abstractmethod
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from engine.errors import InputError

VIDEO_FORMATS = {".mp4": "mp4", ".mov": "mov", ".mkv": "matroska"}
# File names that clearly are not meant as a PNG folder.
UNSUPPORTED_SUFFIXES = {".avi", ".webm", ".gif", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv", ".png", ".jpg", ".jpeg"}
PNG_PATTERN = "frame_{:05d}.png"
_PNG_NAME = re.compile(r"^frame_(\d{5,})\.png$")


class FrameSink(ABC):
    """Accepts (height, width, 3) uint8 RGB frames, top row first. As a context
    manager it closes on success and aborts when an exception escapes."""

    frames_written: int

    @abstractmethod
    def write(self, rgb: np.ndarray) -> None: ...

    @abstractmethod
    def close(self) -> None:
        """Finish the output and put it in place."""

    @abstractmethod
    def abort(self) -> None:
        """Drop unfinished output, leaving whatever was at the path before."""

    def __enter__(self) -> FrameSink:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def open_frame_sink(path: str | os.PathLike, fps: float, width: int, height: int) -> FrameSink:
    path = Path(path)
    if fps <= 0 or width <= 0 or height <= 0:
        raise InputError(path, f"invalid output settings: {width}x{height} at {fps} fps")
    suffix = path.suffix.lower()
    if suffix in UNSUPPORTED_SUFFIXES:
        raise InputError(path, "unsupported output type; use .mp4, .mov or .mkv, or a folder for PNG frames")
    container_format = VIDEO_FORMATS.get(suffix)
    if container_format is not None:
        return VideoSink(path, container_format, fps, width, height)
    return PngSequenceSink(path, width, height)


class VideoSink(FrameSink):
    def __init__(self, path: Path, container_format: str, fps: float, width: int, height: int):
        if not path.parent.is_dir():
            raise InputError(path, "output folder does not exist")
        self.path = path
        self.size = (width, height)
        self.frames_written = 0
        self._temporary = path.with_name(f".{path.name}.partial")
        self._container = av.open(str(self._temporary), mode="w", format=container_format)
        codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
        rate = Fraction(fps).limit_denominator(1001)
        self._stream = self._container.add_stream(codec, rate=rate)
        # 4:2:0 chroma needs even dimensions; odd ones are padded by repeating the edge.
        self._stream.width = width + width % 2
        self._stream.height = height + height % 2
        self._stream.pix_fmt = "yuv420p"
        self._stream.codec_context.time_base = 1 / rate
        context = self._stream.codec_context
        context.color_primaries = context.color_trc = context.colorspace = 1  # BT.709 tags
        context.color_range = 1  # limited ("TV") range, what players expect for H.264
        if codec == "libx264":
            self._stream.options = {"crf": "18", "preset": "fast"}
        else:
            self._stream.bit_rate = 12_000_000

    def write(self, rgb: np.ndarray) -> None:
        _check_frame(rgb, self.size, self.path)
        if rgb.shape[0] % 2 or rgb.shape[1] % 2:
            rgb = np.pad(rgb, ((0, rgb.shape[0] % 2), (0, rgb.shape[1] % 2), (0, 0)), mode="edge")
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        # Convert with the BT.709 matrix the stream is tagged with (swscale defaults to BT.601).
        frame = frame.reformat(format="yuv420p", dst_colorspace="ITU709", dst_color_range="MPEG")
        frame.pts = self.frames_written
        self._container.mux(self._stream.encode(frame))
        self.frames_written += 1

    def close(self) -> None:
        if self._container is None:
            return
        self._container.mux(self._stream.encode(None))  # flush delayed frames
        self._container.close()
        self._container = None
        os.replace(self._temporary, self.path)

    def abort(self) -> None:
        if self._container is None:
            return
        self._container.close()
        self._container = None
        self._temporary.unlink(missing_ok=True)


class PngSequenceSink(FrameSink):
    def __init__(self, directory: Path, width: int, height: int):
        if directory.exists() and not directory.is_dir():
            raise InputError(directory, "PNG output needs a folder, or a .mp4/.mov/.mkv file name")
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.size = (width, height)
        self.frames_written = 0

    def write(self, rgb: np.ndarray) -> None:
        _check_frame(rgb, self.size, self.directory)
        path = self.directory / PNG_PATTERN.format(self.frames_written + 1)
        temporary = path.with_name(f".{path.name}.partial")
        # Low compression: PNG deflate at the default level costs more than rendering.
        Image.fromarray(rgb).save(temporary, format="PNG", compress_level=1)
        os.replace(temporary, path)
        self.frames_written += 1

    def close(self) -> None:
        """Remove frames beyond this render's length left by an earlier, longer one."""
        for stale in self.directory.iterdir():
            match = _PNG_NAME.match(stale.name)
            if match and int(match.group(1)) > self.frames_written:
                stale.unlink()

    def abort(self) -> None:
        """Frames already written are complete files; keep them."""


def _check_frame(rgb: np.ndarray, size: tuple[int, int], path: Path) -> None:
    width, height = size
    if rgb.shape != (height, width, 3) or rgb.dtype != np.uint8:
        raise ValueError(f"{path}: frame must be ({height}, {width}, 3) uint8, got {rgb.shape} {rgb.dtype}")

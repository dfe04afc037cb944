"""Takes: what a capture session records, raw tracker output and solved channels with their timestamps.

File format (`.take`, version 1)
================================

A take is a UTF-8 JSON Lines file: every line is one JSON object (RFC 8259; no NaN/Infinity literals) ending with
`\\n`. Line 1 is the header, every further line is one frame.

Header::

    {"format": "moviola-take", "version": 1, "created": "2025-01-31T14:02:11.123456+00:00",
     "source": "webcam:0", "fps": 30.0,
     "channels": {"face.blendshapes": {"shape": [52], "kind": "raw", "dtype": "float32"},
                  "face.weights":     {"shape": [52], "kind": "solved", "dtype": "float32"}},
     ...any further keys: free-form metadata (TakeWriter's `meta`)...}

- `format` is always `"moviola-take"`; `version` is an integer. A reader refuses versions it does not know.
- `created` is an ISO 8601 timestamp (UTC), `source` a free-form description of the capture device or file,
  `fps` the nominal capture rate (frames may still be irregular: `t` is the truth).
- `channels` maps a channel name to its `shape` (list of non-negative integers; `[]` is a scalar), its `kind`
  (`"raw"`: tracker output, `"solved"`: engine-ready values derived from it) and its `dtype` (`"float32"` or
  `"float64"`, default `"float32"`).

Frame::

    {"t": 0.0333333, "raw": {"face.blendshapes": [0.1, 0.0, ...]}, "solved": {"face.weights": null}}

- `t` is the frame's time in seconds (any origin; it never decreases from one frame to the next).
- `raw` and `solved` map channel names of that kind to values. A value is a flat array of `prod(shape)` numbers in
  row-major (C) order, or `null` when the tracker lost the channel in that frame; a channel left out of a frame is
  absent too. Inside an array, `null` stands for a NaN element. Both objects may be omitted when empty. A name
  that the header does not declare, or declares with the other kind, makes the frame invalid.
- Readers ignore keys they do not know, in the header and in frames (room for later additions in version 1).
- Numbers are written as the shortest decimal that reads back as the same float64 (for float32 channels: of the
  float32 value widened to float64). Read them as float64 and narrow to the channel's dtype: values round-trip
  bit-exactly.

Crash safety. The writer creates the file exclusively (never over an existing take unless asked), writes the
header, then appends each frame as a single line and flushes it to the operating system at once; it fsyncs the
header, then at least once per second and on close. A recording killed at any moment therefore leaves a valid take
holding every frame written before the kill (a power cut loses at most the last second). A reader must ignore a
final line that is not terminated by `\\n` (the frame being written when the process died) and may ignore a final
line that does not parse; a bad line followed by further lines is corruption and an error.

Standard channels
=================

The format is generic; these are the names and shapes the rest of the engine reads and writes:

========================  ============  =======  ===========================================================
name                      shape         kind     meaning
========================  ============  =======  ===========================================================
``face.blendshapes``      (52,)         raw      tracker's ARKit blendshape scores, `engine.capture.arkit` order
``face.matrix``           (4, 4)        raw      tracker's facial transformation matrix (row-major)
``pose.world``            (33, 4)       raw      body landmarks, metres: x, y, z, visibility
``pose.image``            (33, 4)       raw      body landmarks in the image: x, y (normalised), z, visibility
``hand.left.world``       (21, 3)       raw      left hand landmarks, metres
``hand.right.world``      (21, 3)       raw      right hand landmarks, metres
``hand.left.image``       (21, 3)       raw      left hand landmarks in the image: x, y (normalised), z
``hand.right.image``      (21, 3)       raw      right hand landmarks in the image
``body.joints``           (K, 3)        solved   humanoid joint world positions (K joints of the rig)
``face.weights``          (52,)         solved   ARKit blendshape weights in [0, 1], `engine.capture.arkit` order
``face.head_rotation``    (4,)          solved   head rotation, xyzw quaternion in the engine frame
``face.eye_rotations``    (2, 4)        solved   left and right eye rotations, xyzw quaternions
========================  ============  =======  ===========================================================
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Self

import numpy as np

from engine.errors import InputError

if TYPE_CHECKING:
    from engine.capture.livelink import FaceTrack

TAKE_FORMAT = "moviola-take"
TAKE_VERSION = 1
TAKE_EXTENSION = ".take"
FSYNC_INTERVAL_S = 1.0
_DTYPES = {"float32": np.float32, "float64": np.float64}
_RESERVED_HEADER_KEYS = {"format", "version", "created", "source", "fps", "channels"}


@dataclass(frozen=True)
class ChannelSpec:
    """One channel of a take: the shape of a frame's value, raw tracker output or solved, and its float type."""

    shape: tuple[int, ...]
    kind: Literal["raw", "solved"]
    dtype: Literal["float32", "float64"] = "float32"

    def __post_init__(self):
        object.__setattr__(self, "shape", tuple(int(n) for n in self.shape))
        if any(n < 0 for n in self.shape):
            raise ValueError(f"negative channel shape {self.shape}")
        if self.kind not in ("raw", "solved"):
            raise ValueError(f"channel kind must be 'raw' or 'solved', not {self.kind!r}")
        if self.dtype not in _DTYPES:
            raise ValueError(f"channel dtype must be 'float32' or 'float64', not {self.dtype!r}")

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def to_json(self) -> dict:
        return {"shape": list(self.shape), "kind": self.kind, "dtype": self.dtype}


STANDARD_CHANNELS: dict[str, ChannelSpec] = {
    "face.blendshapes": ChannelSpec((52,), "raw"),
    "face.matrix": ChannelSpec((4, 4), "raw"),
    "pose.world": ChannelSpec((33, 4), "raw"),
    "pose.image": ChannelSpec((33, 4), "raw"),
    "hand.left.world": ChannelSpec((21, 3), "raw"),
    "hand.right.world": ChannelSpec((21, 3), "raw"),
    "hand.left.image": ChannelSpec((21, 3), "raw"),
    "hand.right.image": ChannelSpec((21, 3), "raw"),
    "face.weights": ChannelSpec((52,), "solved"),
    "face.head_rotation": ChannelSpec((4,), "solved"),
    "face.eye_rotations": ChannelSpec((2, 4), "solved"),
}


def body_joints_spec(joint_count: int) -> ChannelSpec:
    """The standard solved `body.joints` channel for a rig of `joint_count` joints."""
    return ChannelSpec((joint_count, 3), "solved")


# ---------------------------------------------------------------------------------------------------- writing

class TakeWriter:
    """Appends frames to a new `.take` file; see the module docstring for the format and its crash safety.

    >>> with TakeWriter("a.take", {"face.weights": STANDARD_CHANNELS["face.weights"]}, "webcam:0", 30) as take:
    ...     take.write_frame(0.0, {"face.weights": weights})
    """

    def __init__(self, path: str | os.PathLike, channels: dict[str, ChannelSpec], source: str, fps: float,
                 meta: dict | None = None, *, overwrite: bool = False, fsync_interval_s: float = FSYNC_INTERVAL_S):
        meta = dict(meta or {})
        clashing = _RESERVED_HEADER_KEYS & meta.keys()
        if clashing:
            raise ValueError(f"meta keys {sorted(clashing)} are reserved for the take header")
        self.path = Path(path)
        self.channels = dict(channels)
        self._groups = {kind: [name for name, spec in self.channels.items() if spec.kind == kind]
                        for kind in ("raw", "solved")}
        self._fsync_interval_s = fsync_interval_s
        self._last_time = -math.inf
        self.frame_count = 0
        header = {
            "format": TAKE_FORMAT,
            "version": TAKE_VERSION,
            "created": datetime.now(UTC).isoformat(),
            "source": str(source),
            "fps": float(fps),
            "channels": {name: spec.to_json() for name, spec in self.channels.items()},
            **meta,
        }
        header_line = json.dumps(header, allow_nan=False) + "\n"  # before opening: a bad meta leaves no file
        try:
            # Kept open for the writer's lifetime (closed by close() / __exit__), hence no `with`.
            self._file = open(self.path, "w" if overwrite else "x", encoding="utf-8", newline="\n")  # noqa: SIM115
        except FileExistsError:
            raise InputError(self.path, "already exists (refusing to overwrite a take)") from None
        except OSError as error:
            raise InputError(self.path, f"cannot create: {error.strerror}") from None
        self._file.write(header_line)
        self._sync()
        _sync_directory(self.path.parent)  # the new file's directory entry survives a power cut too

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._file.closed

    def write_frame(self, t: float, values: dict[str, np.ndarray | None]) -> None:
        """Append one frame at time `t` (seconds, never decreasing). Channels missing from `values` or None are
        absent in this frame; every name must be a declared channel."""
        if self._file.closed:
            raise ValueError(f"{self.path}: write_frame after close")
        t = float(t)
        if not math.isfinite(t) or t < self._last_time:
            raise ValueError(f"{self.path}: frame time {t} is not finite or goes back (last {self._last_time})")
        unknown = values.keys() - self.channels.keys()
        if unknown:
            raise ValueError(f"{self.path}: undeclared channels {sorted(unknown)}")
        frame: dict = {"t": t}
        for kind, names in self._groups.items():
            group = {name: self._encode(name, values[name]) for name in names if values.get(name) is not None}
            if group:
                frame[kind] = group
        self._file.write(json.dumps(frame, separators=(",", ":"), allow_nan=False) + "\n")
        self._file.flush()  # the OS has the line now: a killed process loses nothing written before
        self._last_time = t
        self.frame_count += 1
        if time.monotonic() - self._last_sync >= self._fsync_interval_s:
            self._sync()

    def _encode(self, name: str, value: np.ndarray) -> list:
        spec = self.channels[name]
        array = np.asarray(value, dtype=_DTYPES[spec.dtype])
        if array.shape != spec.shape:
            raise ValueError(f"{self.path}: channel {name!r} has shape {array.shape}, declared {spec.shape}")
        flat = array.reshape(-1)
        if np.isfinite(flat).all():
            return flat.tolist()  # float32 widens exactly to float64, whose repr round-trips
        if np.isinf(flat).any():
            raise ValueError(f"{self.path}: channel {name!r} holds infinities")
        return [None if math.isnan(x) else x for x in flat.tolist()]  # NaN elements → null

    def _sync(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._last_sync = time.monotonic()

    def close(self) -> None:
        if not self._file.closed:
            self._sync()
            self._file.close()


def _sync_directory(directory: Path) -> None:
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. Windows, where directories cannot be opened
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


# ---------------------------------------------------------------------------------------------------- reading

@dataclass
class Take:
    """A take in memory. `channels[name]` is (F, *shape) in the channel's dtype with NaN where absent;
    `present[name]` (F,) bool says in which frames the channel was recorded. `meta` is the header object."""

    meta: dict
    times: np.ndarray
    channels: dict[str, np.ndarray]
    present: dict[str, np.ndarray]
    specs: dict[str, ChannelSpec] = field(default_factory=dict)
    path: Path | None = None

    @property
    def frame_count(self) -> int:
        return len(self.times)

    @property
    def duration_s(self) -> float:
        """Time from the first frame to the last."""
        return float(self.times[-1] - self.times[0]) if len(self.times) else 0.0

    @property
    def fps(self) -> float:
        return float(self.meta.get("fps", 0.0))

    @property
    def source(self) -> str:
        return str(self.meta.get("source", ""))


def _parse_header(path: Path, line: bytes) -> tuple[dict, dict[str, ChannelSpec]]:
    try:
        header = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        raise InputError(path, "line 1: not a take header (not JSON)") from None
    if not isinstance(header, dict) or header.get("format") != TAKE_FORMAT:
        raise InputError(path, f"line 1: not a take (format is not {TAKE_FORMAT!r})")
    version = header.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InputError(path, "line 1: take version is missing or not a positive integer")
    if version > TAKE_VERSION:
        raise InputError(path, f"take version {version} is newer than this reader (version {TAKE_VERSION})")
    declared = header.get("channels")
    if not isinstance(declared, dict):
        raise InputError(path, "line 1: 'channels' is missing or not an object")
    specs: dict[str, ChannelSpec] = {}
    for name, entry in declared.items():
        try:
            shape = entry["shape"]
            if not isinstance(shape, list) or not all(isinstance(n, int) and not isinstance(n, bool) for n in shape):
                raise ValueError("shape must be a list of integers")
            specs[name] = ChannelSpec(tuple(shape), entry["kind"], entry.get("dtype", "float32"))
        except (TypeError, KeyError, ValueError, AttributeError) as error:
            raise InputError(path, f"line 1: channel {name!r}: invalid declaration ({error})") from None
    return header, specs


def _split_lines(data: bytes) -> list[bytes]:
    """Complete lines only: a tail without its `\\n` is the frame being written when the writer died."""
    lines = data.split(b"\n")
    lines.pop()  # b"" after the final "\n", or an unterminated tail
    return lines


def read_take(path: str | os.PathLike) -> Take:
    """Read a `.take` file. Tolerates a truncated last line; anything else malformed raises InputError naming
    the file and the line."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory, not a take") from None
    except OSError as error:
        raise InputError(path, f"cannot read: {error.strerror}") from None
    lines = _split_lines(data)
    if not lines:
        raise InputError(path, "no complete header line (empty, or cut short before the recording began)")
    header, specs = _parse_header(path, lines[0])
    kind_of = {name: spec.kind for name, spec in specs.items()}

    times: list[float] = []
    values: dict[str, list] = {name: [] for name in specs}  # present values, in frame order
    present_frames: dict[str, list[int]] = {name: [] for name in specs}
    for index, line in enumerate(lines[1:]):
        line_number = index + 2
        is_last = index == len(lines) - 2
        try:
            frame = json.loads(line)
            t = _frame_time(frame, times)
            groups = [(kind, {} if frame.get(kind) is None else frame[kind]) for kind in ("raw", "solved")]
            for kind, group in groups:
                if not isinstance(group, dict):
                    raise _FrameError(f"{kind!r} is not an object")
                for name, value in group.items():
                    if kind_of.get(name) != kind:
                        raise _FrameError(f"channel {name!r} is not a declared {kind} channel")
                    if value is None:
                        continue
                    if not isinstance(value, list) or len(value) != specs[name].size:
                        count = len(value) if isinstance(value, list) else type(value).__name__
                        raise _FrameError(f"channel {name!r} has {count} values, expected {specs[name].size}")
        except (ValueError, UnicodeDecodeError, _FrameError) as error:
            if is_last:
                break  # a last line cut short by a crash (its bytes were lost, not just its "\n")
            reason = error if isinstance(error, _FrameError) else "not valid JSON"
            raise InputError(path, f"line {line_number}: {reason}") from None
        frame_index = len(times)
        times.append(t)
        for _, group in groups:
            for name, value in group.items():
                if value is not None:
                    values[name].append(value)
                    present_frames[name].append(frame_index)

    frame_count = len(times)
    channels: dict[str, np.ndarray] = {}
    present: dict[str, np.ndarray] = {}
    for name, spec in specs.items():
        dtype = _DTYPES[spec.dtype]
        array = np.full((frame_count, spec.size), np.nan, dtype=dtype)
        mask = np.zeros(frame_count, dtype=bool)
        if present_frames[name]:
            rows = np.array(present_frames[name])
            array[rows] = _stack_values(path, name, values[name], rows)  # float64 → dtype: exact for float32
            mask[rows] = True
        channels[name] = array.reshape((frame_count, *spec.shape))
        present[name] = mask
    return Take(meta=header, times=np.array(times, dtype=np.float64), channels=channels, present=present,
                specs=specs, path=path)


def _stack_values(path: Path, name: str, rows: list[list], frame_indices: np.ndarray) -> np.ndarray:
    """One channel's present values as (n, size) float64; `null` elements become NaN."""
    try:
        stacked = np.array(rows, dtype=np.float64)  # the common case: numbers only, one C-level conversion
        if stacked.shape == (len(rows), len(rows[0])):
            return stacked
    except (TypeError, ValueError, OverflowError):
        pass
    converted = np.empty((len(rows), len(rows[0])))
    for row, (values, frame_index) in enumerate(zip(rows, frame_indices.tolist())):
        for column, value in enumerate(values):
            if value is None:
                converted[row, column] = math.nan
                continue
            try:
                if not isinstance(value, (int, float)):
                    raise TypeError
                converted[row, column] = float(value)
            except (TypeError, OverflowError):
                raise InputError(path, f"line {frame_index + 2}: channel {name!r}: value {column} is not a "
                                       f"number") from None
    return converted


class _FrameError(Exception):
    """A frame line that parses as JSON but is not a valid frame."""


def _frame_time(frame, earlier_times: list[float]) -> float:
    if not isinstance(frame, dict):
        raise _FrameError("not a frame object")
    t = frame.get("t")
    if not isinstance(t, (int, float)) or isinstance(t, bool) or not math.isfinite(t):
        raise _FrameError("frame time 't' is missing or not a number")
    if earlier_times and t < earlier_times[-1]:
        raise _FrameError(f"frame time {t} is earlier than the frame before ({earlier_times[-1]})")
    return float(t)


# ---------------------------------------------------------------------------------------------------- Live Link

def take_from_face_track(track: FaceTrack, path: str | os.PathLike, *, source: str = "livelink",
                         overwrite: bool = False) -> None:
    """Write a Live Link Face recording as a take: solved `face.weights`, `face.head_rotation` and, when the track
    has them, `face.eye_rotations` (the phone's ARKit already solved them). The timecode goes into the header
    (`timecode_start_s`, `timecode_fps`) so `face_track_from_take` can restore it."""
    from engine.capture.arkit import ARKIT_BLENDSHAPES

    if tuple(track.names) != ARKIT_BLENDSHAPES:
        raise ValueError("face track names must be the 52 ARKit blendshapes in engine.capture.arkit order")
    channels = {"face.weights": STANDARD_CHANNELS["face.weights"],
                "face.head_rotation": STANDARD_CHANNELS["face.head_rotation"]}
    if track.eye_rotations is not None:
        channels["face.eye_rotations"] = STANDARD_CHANNELS["face.eye_rotations"]
    meta = {"timecode_start_s": float(track.timecode_start_s), "timecode_fps": float(track.timecode_fps)}
    with TakeWriter(path, channels, source, round(track.fps, 3), meta, overwrite=overwrite,
                    fsync_interval_s=math.inf) as writer:  # a conversion, not a live capture: one fsync at close
        for i, t in enumerate(track.times.tolist()):
            frame = {"face.weights": track.weights[i], "face.head_rotation": track.head_rotation[i]}
            if track.eye_rotations is not None:
                frame["face.eye_rotations"] = track.eye_rotations[i]
            writer.write_frame(t, frame)


def face_track_from_take(take: Take) -> FaceTrack:
    """A FaceTrack from a take's face channels: `face.weights` (else raw `face.blendshapes`), `face.head_rotation`
    and `face.eye_rotations`. Frames where a channel is absent get zero weights and identity rotations."""
    from engine.capture.arkit import ARKIT_BLENDSHAPES
    from engine.capture.livelink import DEFAULT_TIMECODE_FPS, FaceTrack

    weights_name = next((name for name in ("face.weights", "face.blendshapes") if name in take.channels), None)
    if weights_name is None:
        raise InputError(take.path, "take has no face.weights or face.blendshapes channel")
    frames = take.frame_count
    weights = np.nan_to_num(take.channels[weights_name].astype(np.float32), nan=0.0)

    def rotations(name: str, shape: tuple[int, ...]) -> np.ndarray:
        out = np.zeros((frames, *shape, 4), dtype=np.float32)
        out[..., 3] = 1.0
        if name in take.channels:
            recorded = take.present[name]
            out[recorded] = take.channels[name][recorded].astype(np.float32)
            out[np.isnan(out).any(axis=-1)] = (0.0, 0.0, 0.0, 1.0)
        return out

    eyes = rotations("face.eye_rotations", (2,)) if "face.eye_rotations" in take.channels else None
    times = take.times - take.times[0] if frames else take.times.copy()
    start = float(take.meta.get("timecode_start_s", 0.0)) + (float(take.times[0]) if frames else 0.0)
    return FaceTrack(times=times, weights=np.clip(weights, 0.0, 1.0), names=ARKIT_BLENDSHAPES,
                     head_rotation=rotations("face.head_rotation", ()), eye_rotations=eyes,
                     timecode_start_s=start, timecode_fps=float(take.meta.get("timecode_fps", DEFAULT_TIMECODE_FPS)))

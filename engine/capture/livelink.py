"""Live Link Face CSV: the recording that Epic's iPhone app exports next to each take's video.

Layout (as the app writes it, one header line then one line per captured frame, `\\n` line ends)::

    Timecode,BlendShapeCount,EyeBlinkLeft,...,TongueOut,HeadYaw,HeadPitch,HeadRoll,
    LeftEyeYaw,LeftEyePitch,LeftEyeRoll,RightEyeYaw,RightEyePitch,RightEyeRoll
    00:32:09:07.867,61,0.0491091609,...

- `Timecode` is `HH:MM:SS:FF.fff`: hours, minutes, seconds, then the timecode frame with a fractional sub-frame (the
  app samples ARKit at ~60 Hz, slightly off the timecode grid, hence the fraction). The timecode rate is not in the
  file. We take it to be the smallest standard rate (24, 25, 30, 48, 50, 60, 72, 90, 100, 120) above the largest
  frame number seen, when the recording crosses a second boundary (so the frame number has wrapped at least once);
  a recording shorter than that is assumed to be 60 fps, the app's rate. `read_livelink_csv(timecode_fps=...)`
  overrides the guess. A timecode that wraps past midnight keeps counting up.
- `BlendShapeCount` is 61 (52 blendshapes + 9 rotation values); it is ignored on reading.
- The 52 blendshape columns are the ARKit names in UpperCamel case, in the app's order (which differs from
  ARKit's documented order: JawRight before JawLeft, MouthRight before MouthLeft). Values are 0..1.
- Head and eye rotations are radians.

Reading matches columns by name, ignoring case and `_`/`-`/space (so `eyeBlinkLeft`, `EYE_BLINK_LEFT` and
`eyeBlink_L` all match); blendshape columns that are missing read as zeros and unknown columns are ignored.

Rotation conventions. The engine frame is right-handed, Y up, the character faces +Z and its left is +X (the axes
of ARKit's face anchor). Live Link Face's angles behave as right-handed yaw (about Y), pitch (about X) and roll
(about Z) in the front camera's mirrored view, where +X is the character's *right*. Mirroring X flips the sense of
rotations about Y and Z, so a row's yaw/pitch/roll becomes the engine rotation

    R = Ry(-yaw) · Rx(pitch) · Rz(-roll)        (each a right-handed rotation about the engine axis)

- positive yaw turns the face towards the character's right (-X),
- positive pitch tips the face down (chin towards chest),
- positive roll tilts the top of the head towards the character's left shoulder (+X).

The eye columns of the sample recording (`MySlate_3_iPhone.csv`) pin yaw and pitch down: `LeftEyeYaw` rises with
`EyeLookInLeft` (the left eye turning towards the nose, the character's right) and `RightEyeYaw` falls with
`EyeLookInRight`, and both pitches rise with `EyeLookDown*` (correlations above 0.98). Roll cannot be checked
against blendshapes; it follows from the same mirroring. The head columns are taken to use the eyes' convention
(head tracking was off in the sample, its head columns are zero). Quaternions are xyzw.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.capture.arkit import ARKIT_BLENDSHAPES
from engine.capture.bvh import quat_multiply
from engine.errors import InputError

# The app's column order, exactly as its header spells it.
LIVELINK_BLENDSHAPE_COLUMNS: tuple[str, ...] = (
    "EyeBlinkLeft", "EyeLookDownLeft", "EyeLookInLeft", "EyeLookOutLeft", "EyeLookUpLeft", "EyeSquintLeft",
    "EyeWideLeft", "EyeBlinkRight", "EyeLookDownRight", "EyeLookInRight", "EyeLookOutRight", "EyeLookUpRight",
    "EyeSquintRight", "EyeWideRight", "JawForward", "JawRight", "JawLeft", "JawOpen", "MouthClose", "MouthFunnel",
    "MouthPucker", "MouthRight", "MouthLeft", "MouthSmileLeft", "MouthSmileRight", "MouthFrownLeft",
    "MouthFrownRight", "MouthDimpleLeft", "MouthDimpleRight", "MouthStretchLeft", "MouthStretchRight",
    "MouthRollLower", "MouthRollUpper", "MouthShrugLower", "MouthShrugUpper", "MouthPressLeft", "MouthPressRight",
    "MouthLowerDownLeft", "MouthLowerDownRight", "MouthUpperUpLeft", "MouthUpperUpRight", "BrowDownLeft",
    "BrowDownRight", "BrowInnerUp", "BrowOuterUpLeft", "BrowOuterUpRight", "CheekPuff", "CheekSquintLeft",
    "CheekSquintRight", "NoseSneerLeft", "NoseSneerRight", "TongueOut",
)
HEAD_COLUMNS = ("HeadYaw", "HeadPitch", "HeadRoll")
EYE_COLUMNS = ("LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll", "RightEyeYaw", "RightEyePitch", "RightEyeRoll")
LIVELINK_HEADER: tuple[str, ...] = ("Timecode", "BlendShapeCount", *LIVELINK_BLENDSHAPE_COLUMNS, *HEAD_COLUMNS,
                                    *EYE_COLUMNS)
_CANONICAL = {name: name[0].lower() + name[1:] for name in LIVELINK_BLENDSHAPE_COLUMNS}
assert sorted(_CANONICAL.values()) == sorted(ARKIT_BLENDSHAPES)
LIVELINK_BLENDSHAPE_COUNT = 61  # what the app writes: 52 blendshapes + 9 rotation values

TIMECODE_RATES = (24, 25, 30, 48, 50, 60, 72, 90, 100, 120)
DEFAULT_TIMECODE_FPS = 60

_TIMECODE = re.compile(r"\s*(\d{1,2}):(\d{2}):(\d{2})[:;.](\d{1,3}(?:\.\d*)?)\s*")


@dataclass
class FaceTrack:
    """A face performance: ARKit blendshape weights and head/eye rotations per frame.

    `times` (F,) float64 seconds from the first frame; `weights` (F, len(names)) float32 in [0, 1];
    `head_rotation` (F, 4) float32 xyzw quaternions in the engine frame; `eye_rotations` (F, 2, 4) float32
    (left eye, right eye) or None. `timecode_start_s` is the first frame's timecode as seconds since midnight and
    `timecode_fps` the timecode rate, kept so that a written CSV carries the original timecode.
    """

    times: np.ndarray
    weights: np.ndarray
    head_rotation: np.ndarray
    eye_rotations: np.ndarray | None = None
    names: tuple[str, ...] = ARKIT_BLENDSHAPES
    timecode_start_s: float = 0.0
    timecode_fps: float = DEFAULT_TIMECODE_FPS

    def __post_init__(self):
        frames = len(self.times)
        if self.weights.shape != (frames, len(self.names)):
            raise ValueError(f"weights shape {self.weights.shape} != ({frames}, {len(self.names)})")
        if self.head_rotation.shape != (frames, 4):
            raise ValueError(f"head_rotation shape {self.head_rotation.shape} != ({frames}, 4)")
        if self.eye_rotations is not None and self.eye_rotations.shape != (frames, 2, 4):
            raise ValueError(f"eye_rotations shape {self.eye_rotations.shape} != ({frames}, 2, 4)")

    @property
    def frame_count(self) -> int:
        return len(self.times)

    @property
    def duration_s(self) -> float:
        return float(self.times[-1] - self.times[0]) if len(self.times) else 0.0

    @property
    def fps(self) -> float:
        """The sampling rate, from the median frame interval (the timecode rate for fewer than two frames)."""
        if len(self.times) < 2:
            return float(self.timecode_fps)
        step = float(np.median(np.diff(self.times)))
        return 1.0 / step if step > 0 else float(self.timecode_fps)


# ---------------------------------------------------------------------------------------------------- rotations

def _axis_quaternion(angle: np.ndarray, axis: int) -> np.ndarray:
    half = 0.5 * np.asarray(angle, dtype=np.float64)
    q = np.zeros(half.shape + (4,))
    q[..., axis] = np.sin(half)
    q[..., 3] = np.cos(half)
    return q


def yaw_pitch_roll_to_quaternion(yaw_pitch_roll: np.ndarray) -> np.ndarray:
    """(..., 3) radians → (..., 4) float64 xyzw quaternions of `R = Ry(yaw) · Rx(pitch) · Rz(roll)`, right-handed
    rotations about the engine axes (positive yaw turns +Z towards +X, positive pitch turns +Z towards -Y)."""
    ypr = np.asarray(yaw_pitch_roll, dtype=np.float64)
    yaw_pitch = quat_multiply(_axis_quaternion(ypr[..., 0], 1), _axis_quaternion(ypr[..., 1], 0))
    return quat_multiply(yaw_pitch, _axis_quaternion(ypr[..., 2], 2))


def quaternion_to_yaw_pitch_roll(quaternion: np.ndarray) -> np.ndarray:
    """(..., 4) xyzw → (..., 3) radians, the inverse of `yaw_pitch_roll_to_quaternion` (pitch in [-π/2, π/2])."""
    q = np.asarray(quaternion, dtype=np.float64)
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    x, y, z, w = np.moveaxis(q, -1, 0)
    # Rotation-matrix entries of Ry·Rx·Rz: R02 = sin(yaw)cos(pitch), R22 = cos(yaw)cos(pitch), R12 = -sin(pitch),
    # R10 = cos(pitch)sin(roll), R11 = cos(pitch)cos(roll).
    yaw = np.arctan2(2 * (x * z + w * y), 1 - 2 * (x * x + y * y))
    pitch = np.arcsin(np.clip(-2 * (y * z - w * x), -1.0, 1.0))
    roll = np.arctan2(2 * (x * y + w * z), 1 - 2 * (x * x + z * z))
    return np.stack([yaw, pitch, roll], axis=-1)


# Live Link Face angles → engine yaw/pitch/roll: the app's frame is mirrored in X (see the module docstring).
_LIVELINK_ANGLE_SIGNS = np.array([-1.0, 1.0, -1.0])


def livelink_angles_to_quaternion(yaw_pitch_roll: np.ndarray) -> np.ndarray:
    """Live Link Face yaw/pitch/roll (..., 3) radians → engine-frame xyzw quaternions (..., 4) float64."""
    return yaw_pitch_roll_to_quaternion(np.asarray(yaw_pitch_roll, dtype=np.float64) * _LIVELINK_ANGLE_SIGNS)


def quaternion_to_livelink_angles(quaternion: np.ndarray) -> np.ndarray:
    """Engine-frame xyzw quaternions (..., 4) → Live Link Face yaw/pitch/roll (..., 3) radians."""
    return quaternion_to_yaw_pitch_roll(quaternion) * _LIVELINK_ANGLE_SIGNS


# ---------------------------------------------------------------------------------------------------- reading

def _column_key(name: str) -> str:
    """Header cell → lookup key: lower case, `_L`/`_R` suffixes spelled out, separators dropped."""
    key = name.strip().strip('"').lower()
    key = re.sub(r"[_.\-\s]l$", "left", key)
    key = re.sub(r"[_.\-\s]r$", "right", key)
    return re.sub(r"[^a-z0-9]", "", key)


_KNOWN_COLUMNS: dict[str, str] = {
    _column_key(name): name for name in (*ARKIT_BLENDSHAPES, "Timecode", "BlendShapeCount", *HEAD_COLUMNS,
                                          *EYE_COLUMNS)
}


def _read_lines(path: Path) -> list[str]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory, not a CSV file") from None
    except OSError as error:
        raise InputError(path, f"cannot read: {error.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(path, f"not a text file (byte {error.start} is not UTF-8)") from None
    return text.splitlines()


def _parse_header(path: Path, header_line: str) -> dict[str, int]:
    """Known column name → its index in the row. Unknown columns are left out."""
    columns: dict[str, int] = {}
    for index, cell in enumerate(header_line.split(",")):
        name = _KNOWN_COLUMNS.get(_column_key(cell))
        if name is None:
            continue
        if name in columns:
            raise InputError(path, f"line 1: column {name!r} appears twice")
        columns[name] = index
    if "Timecode" not in columns:
        raise InputError(path, "line 1: no Timecode column (not a Live Link Face CSV?)")
    if not any(name in columns for name in (*ARKIT_BLENDSHAPES, *HEAD_COLUMNS)):
        raise InputError(path, "line 1: no ARKit blendshape or head rotation columns")
    return columns


def _timecode_seconds(path: Path, timecodes: list[str], line_numbers: list[int],
                      timecode_fps: float | None) -> tuple[np.ndarray, int]:
    """Timecode strings → (seconds since midnight of the first day, float64; the timecode rate)."""
    fields = np.empty((len(timecodes), 4))
    for row, text in enumerate(timecodes):
        match = _TIMECODE.fullmatch(text)
        if match is None:
            raise InputError(path, f"line {line_numbers[row]}: timecode {text.strip()!r} is not HH:MM:SS:FF.fff")
        fields[row] = [float(group) for group in match.groups()]
    hours, minutes, seconds, frames = fields.T
    if timecode_fps is None:
        crosses_a_second = len(np.unique(fields[:, :3], axis=0)) > 1
        largest_frame = int(frames.max())
        if not crosses_a_second and largest_frame < DEFAULT_TIMECODE_FPS:
            rate = DEFAULT_TIMECODE_FPS
        else:
            rate = next((r for r in TIMECODE_RATES if r > largest_frame), None)
            if rate is None:
                row = int(np.argmax(frames))
                raise InputError(path, f"line {line_numbers[row]}: timecode frame {largest_frame} is above any "
                                       f"known timecode rate")
    else:
        rate = round(timecode_fps)
    bad = np.flatnonzero((minutes >= 60) | (seconds >= 60) | (frames >= rate))
    if len(bad):
        row = int(bad[0])
        raise InputError(path, f"line {line_numbers[row]}: timecode {timecodes[row].strip()!r} is out of range "
                               f"(at {rate} fps)")
    absolute = hours * 3600.0 + minutes * 60.0 + seconds + frames / rate
    steps = np.diff(absolute)
    absolute[1:] += 86400.0 * np.cumsum(steps < -43200.0)  # passed midnight
    backwards = np.flatnonzero(np.diff(absolute) < 0)
    if len(backwards):
        row = int(backwards[0]) + 1
        raise InputError(path, f"line {line_numbers[row]}: timecode {timecodes[row].strip()!r} is earlier than "
                               f"the line before")
    return absolute, rate


def _parse_numbers(path: Path, cells: list[list[str]], names: list[str], line_numbers: list[int]) -> np.ndarray:
    """(rows, columns) of strings → float64, or an InputError naming the first bad cell (by its header name)."""
    try:
        values = np.array(cells, dtype=np.float64).reshape(len(cells), len(names))
    except ValueError:
        values = None
    if values is not None:
        bad = np.argwhere(~np.isfinite(values))
        if not len(bad):
            return values
        row, column = bad[0]
        raise InputError(path, f"line {line_numbers[row]}: {names[column]}: {cells[row][column].strip()!r} is not "
                               f"a finite number")
    for row, row_cells in enumerate(cells):
        for column, cell in enumerate(row_cells):
            try:
                float(cell)
            except ValueError:
                raise InputError(path, f"line {line_numbers[row]}: {names[column]}: {cell.strip()!r} is not a "
                                       f"number") from None
    raise AssertionError("unreachable: numpy refused cells that float() accepts")


def read_livelink_csv(path: str | os.PathLike, *, timecode_fps: float | None = None) -> FaceTrack:
    """Read a Live Link Face CSV into a FaceTrack (see the module docstring for the conventions).

    Malformed input raises `InputError` naming the file, the line and what is wrong.
    """
    path = Path(path)
    lines = _read_lines(path)
    if not lines or not lines[0].strip():
        raise InputError(path, "empty file (expected a Live Link Face CSV header)")
    column_count = len(lines[0].split(","))
    columns = _parse_header(path, lines[0])
    numeric_names = [name for name in columns if name not in ("Timecode", "BlendShapeCount")]
    numeric_indices = [columns[name] for name in numeric_names]
    timecode_index = columns["Timecode"]

    timecodes: list[str] = []
    cells: list[list[str]] = []
    line_numbers: list[int] = []
    for line_number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        row = line.split(",")
        if len(row) != column_count:
            raise InputError(path, f"line {line_number}: expected {column_count} values, got {len(row)}")
        timecodes.append(row[timecode_index])
        cells.append([row[i] for i in numeric_indices])
        line_numbers.append(line_number)
    if not timecodes:
        raise InputError(path, "no frames after the header")

    absolute, rate = _timecode_seconds(path, timecodes, line_numbers, timecode_fps)
    header_cells = [cell.strip().strip('"') for cell in lines[0].split(",")]
    values = _parse_numbers(path, cells, [header_cells[i] for i in numeric_indices], line_numbers)
    column_of = {name: i for i, name in enumerate(numeric_names)}

    def gather(names: tuple[str, ...]) -> np.ndarray:
        """The named columns as (F, len(names)); missing ones are zeros."""
        out = np.zeros((len(values), len(names)))
        for i, name in enumerate(names):
            if name in column_of:
                out[:, i] = values[:, column_of[name]]
        return out

    weights = np.clip(gather(ARKIT_BLENDSHAPES), 0.0, 1.0).astype(np.float32)
    head = livelink_angles_to_quaternion(gather(HEAD_COLUMNS)).astype(np.float32)
    eyes = None
    if any(name in column_of for name in EYE_COLUMNS):
        eyes = livelink_angles_to_quaternion(gather(EYE_COLUMNS).reshape(-1, 2, 3)).astype(np.float32)
    return FaceTrack(times=absolute - absolute[0], weights=weights, head_rotation=head, eye_rotations=eyes,
                     timecode_start_s=float(absolute[0]), timecode_fps=rate)


def has_head_motion(track: FaceTrack) -> bool:
    """Whether any head rotation differs from identity (the app writes zeros when head tracking is off)."""
    return bool(np.any(np.abs(track.head_rotation[:, :3]) > 1e-7))


# ---------------------------------------------------------------------------------------------------- writing

def _format_timecodes(absolute_seconds: np.ndarray, rate: int) -> list[str]:
    """Seconds since midnight → `HH:MM:SS:FF.fff`, rounded to the app's 1/1000 of a frame."""
    milliframes = np.rint(absolute_seconds * rate * 1000.0).astype(np.int64)
    whole_seconds, milliframe = np.divmod(milliframes, rate * 1000)
    frame, thousandths = np.divmod(milliframe, 1000)
    hours, rest = np.divmod(whole_seconds, 3600)
    minutes, seconds = np.divmod(rest, 60)
    return [f"{h % 24:02d}:{m:02d}:{s:02d}:{f:02d}.{k:03d}"
            for h, m, s, f, k in zip(hours.tolist(), minutes.tolist(), seconds.tolist(), frame.tolist(),
                                     thousandths.tolist())]


def write_livelink_csv(path: str | os.PathLike, track: FaceTrack) -> None:
    """Write `track` in the app's layout (same header and order, 10 decimals), replacing `path` atomically.

    Timecodes are `track.timecode_start_s + track.times` at `track.timecode_fps`, rounded to 1/1000 of a frame as
    the app writes them; eye rotations are written as zeros when the track has none.
    """
    path = Path(path)
    frames = track.frame_count
    index_of = {name: i for i, name in enumerate(track.names)}
    blendshapes = np.zeros((frames, len(LIVELINK_BLENDSHAPE_COLUMNS)))
    for column, name in enumerate(LIVELINK_BLENDSHAPE_COLUMNS):
        if _CANONICAL[name] in index_of:
            blendshapes[:, column] = track.weights[:, index_of[_CANONICAL[name]]]
    head = quaternion_to_livelink_angles(track.head_rotation)
    eyes = (np.zeros((frames, 6)) if track.eye_rotations is None
            else quaternion_to_livelink_angles(track.eye_rotations).reshape(frames, 6))
    values = np.concatenate([blendshapes, head, eyes], axis=1)

    rate = round(track.timecode_fps)
    timecodes = _format_timecodes(track.timecode_start_s + np.asarray(track.times, dtype=np.float64), rate)
    row_format = "%s," + str(LIVELINK_BLENDSHAPE_COUNT) + ",%.10f" * values.shape[1] + "\n"
    body = "".join(row_format % (timecode, *row) for timecode, row in zip(timecodes, values.tolist()))

    temporary = path.with_name(path.name + ".partial")
    try:
        with open(temporary, "w", encoding="utf-8", newline="\n") as file:
            file.write(",".join(LIVELINK_HEADER) + "\n")
            file.write(body)
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise InputError(path, f"cannot write: {error.strerror}") from None

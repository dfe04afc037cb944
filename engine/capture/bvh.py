"""BVH motion files: `read_bvh` and `write_bvh`.

Conventions
- Joints are listed parents first, in the file's depth-first order. End Sites are kept as joints without channels
  (`end_site[j]` is True, named `<parent>_End`), so the skeleton's extremities (head top, toe tips) have positions.
- Rotations are (x, y, z, w) quaternions. A joint's CHANNELS order is honoured: `Zrotation Yrotation Xrotation`
  means R = Rz @ Ry @ Rx acting on column vectors (intrinsic Z, then Y, then X), the usual BVH reading.
- `translations[f, j]` is joint j's translation in its parent's frame: its OFFSET, with any position channel
  replacing the matching component (the root's position channels, and positions on other joints when present).
- Lengths are in the file's units; `metres_per_unit` says how to get metres (declared by the caller or detected
  from the rest skeleton's height) and `scale_to_metres()` returns a copy in metres. The world is whatever the file
  uses (BVH is normally Y up); `engine/capture` turns it to the engine frame when retargeting.

`write_bvh` writes every joint with `Zrotation Yrotation Xrotation` channels, the root (and any joint whose
translation is animated) with `Xposition Yposition Zposition` in front. Reading what it wrote gives the same
rotations and translations to within 1e-6.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from engine.capture.humanoid import detect_bone_map
from engine.errors import InputError

ROTATION_CHANNELS = {"xrotation": 0, "yrotation": 1, "zrotation": 2}
POSITION_CHANNELS = {"xposition": 0, "yposition": 1, "zposition": 2}
CHANNEL_NAMES = {"xrotation": "Xrotation", "yrotation": "Yrotation", "zrotation": "Zrotation",
                 "xposition": "Xposition", "yposition": "Yposition", "zposition": "Zposition"}

# Units a caller may declare, in metres per file unit. "cmu" is the CMU database's ASF unit (1/0.45 inch), which
# cgspeed's BVH conversions keep.
UNITS = {"m": 1.0, "cm": 0.01, "mm": 0.001, "inch": 0.0254, "cmu": 0.0254 / 0.45}
# Rest skeleton height (lowest to highest joint, end sites included) -> likely unit; a human's joint height is
# about 1.2-2.1 m (the head top end site sits below the scalp and the ankle above the sole).
_HEIGHT_RANGES = (("m", 0.5, 2.6), ("cmu", 15.0, 45.0), ("inch", 45.0, 90.0), ("cm", 90.0, 260.0),
                  ("mm", 900.0, 2600.0))


@dataclass(eq=False)
class BvhMotion:
    names: list[str]
    parents: np.ndarray  # (J,) int32, -1 for roots; parents come first
    offsets: np.ndarray  # (J, 3) float64 rest translation from the parent (a root's OFFSET)
    channels: list[tuple[str, ...]]  # per joint, e.g. ("Xposition", ..., "Zrotation", ...); () for End Sites
    frame_time: float  # seconds
    local_rotations: np.ndarray  # (F, J, 4) float64 xyzw, identity for End Sites
    translations: np.ndarray  # (F, J, 3) float64 local translations (see the module docstring)
    end_site: np.ndarray  # (J,) bool
    metres_per_unit: float = 1.0
    units: str = "m"  # a key of UNITS, "detected-from-height", or "custom"
    path: str | None = None

    @property
    def frame_count(self) -> int:
        return int(self.local_rotations.shape[0])

    @property
    def joint_count(self) -> int:
        return len(self.names)

    @property
    def times(self) -> np.ndarray:
        return np.arange(self.frame_count) * self.frame_time

    @property
    def root_positions(self) -> np.ndarray:
        """(F, 3) translation of the first root, in file units."""
        return self.translations[:, int(np.flatnonzero(self.parents < 0)[0])]

    def index(self, name: str) -> int:
        return self.names.index(name)

    def rest_positions(self) -> np.ndarray:
        """(J, 3) joint positions of the rest pose (offsets only, every rotation identity), file units."""
        positions = np.zeros((self.joint_count, 3))
        for joint, parent in enumerate(self.parents):
            positions[joint] = self.offsets[joint] + (positions[parent] if parent >= 0 else 0.0)
        return positions

    def rest_height(self) -> float:
        """Extent of the rest skeleton along Y (lowest to highest joint or end site), file units."""
        rest = self.rest_positions()
        return float(np.ptp(rest[:, 1])) if len(rest) else 0.0

    def world_transforms(self) -> tuple[np.ndarray, np.ndarray]:
        """(F, J, 4) world rotations and (F, J, 3) world positions, file units; vectorised over frames."""
        rotations = np.empty_like(self.local_rotations)
        positions = np.empty_like(self.translations)
        for joint, parent in enumerate(self.parents):
            if parent < 0:
                rotations[:, joint] = self.local_rotations[:, joint]
                positions[:, joint] = self.translations[:, joint]
            else:
                rotations[:, joint] = quat_multiply(rotations[:, parent], self.local_rotations[:, joint])
                positions[:, joint] = positions[:, parent] + quat_rotate(rotations[:, parent],
                                                                         self.translations[:, joint])
        return rotations, positions

    def world_positions(self) -> np.ndarray:
        """(F, J, 3) world joint positions in file units."""
        return self.world_transforms()[1]

    def scale_to_metres(self, height_m: float | None = None) -> BvhMotion:
        """A copy with lengths in metres: by `metres_per_unit`, or so the rest skeleton is `height_m` tall."""
        if height_m is not None:
            height = self.rest_height()
            if height <= 0:
                raise InputError(self.path, "cannot scale a BVH skeleton with no height")
            factor = float(height_m) / height
        else:
            factor = self.metres_per_unit
        return replace(self, offsets=self.offsets * factor, translations=self.translations * factor,
                       metres_per_unit=1.0, units="m")

    def bone_map(self, override: dict[str, str] | None = None) -> dict[str, int]:
        """Canonical humanoid bone -> joint index, as for a rig (`engine.capture.humanoid.detect_bone_map`)."""
        return detect_bone_map(self, override)


# ---------------------------------------------------------------------------------------------------------------
# Quaternion helpers (xyzw, column-vector convention: quat_multiply(a, b) applies b first), broadcasting.


def quat_multiply(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ax, ay, az, aw = np.moveaxis(np.asarray(a, np.float64), -1, 0)
    bx, by, bz, bw = np.moveaxis(np.asarray(b, np.float64), -1, 0)
    return np.stack([aw * bx + ax * bw + ay * bz - az * by,
                     aw * by - ax * bz + ay * bw + az * bx,
                     aw * bz + ax * by - ay * bx + az * bw,
                     aw * bw - ax * bx - ay * by - az * bz], axis=-1)


def quat_rotate(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    q = np.asarray(q, np.float64)
    xyz, w = q[..., :3], q[..., 3:]
    t = 2.0 * np.cross(xyz, v)
    return v + w * t + np.cross(xyz, t)


def _axis_quaternions(axis: int, degrees: np.ndarray) -> np.ndarray:
    half = np.radians(degrees) * 0.5
    out = np.zeros(degrees.shape + (4,))
    out[..., axis] = np.sin(half)
    out[..., 3] = np.cos(half)
    return out


def quat_to_euler_zyx_degrees(q: np.ndarray) -> np.ndarray:
    """(..., 3) angles (z, y, x) in degrees with R = Rz @ Ry @ Rx."""
    x, y, z, w = np.moveaxis(np.asarray(q, np.float64), -1, 0)
    r00 = 1 - 2 * (y * y + z * z)
    r10 = 2 * (x * y + z * w)
    r20 = 2 * (x * z - y * w)
    r21 = 2 * (y * z + x * w)
    r22 = 1 - 2 * (x * x + y * y)
    return np.degrees(np.stack([np.arctan2(r10, r00), np.arcsin(np.clip(-r20, -1.0, 1.0)),
                                np.arctan2(r21, r22)], axis=-1))


# ---------------------------------------------------------------------------------------------------------------
# Reading


def read_bvh(path: str | os.PathLike, units: str | float | None = None) -> BvhMotion:
    """Parse a BVH file. `units`: a key of `UNITS`, metres per unit, or None to detect from the rest height.

    Malformed input raises `InputError` naming the file and line.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")
    except FileNotFoundError:
        raise InputError(path, "file not found") from None
    except OSError as exc:
        raise InputError(path, f"cannot read file ({exc.strerror or exc})") from None
    lines = text.splitlines()
    parser = _HierarchyParser(path, lines)
    parser.parse()
    motion_line = parser.line_index
    frames, frame_time, data_start = _read_motion_header(path, lines, motion_line)
    columns = sum(len(c) for c in parser.channels)
    data = _read_frames(path, lines, data_start, frames, columns)
    local_rotations, translations = _channels_to_pose(data, parser.channels, np.array(parser.offsets))
    motion = BvhMotion(
        names=parser.names, parents=np.array(parser.parents, np.int32), offsets=np.array(parser.offsets, np.float64),
        channels=[tuple(CHANNEL_NAMES[c] for c in joint) for joint in parser.channels], frame_time=frame_time,
        local_rotations=local_rotations, translations=translations, end_site=np.array(parser.end_site, bool),
        path=os.fspath(path))
    motion.metres_per_unit, motion.units = _units(motion, units)
    return motion


class _HierarchyParser:
    def __init__(self, path: Path, lines: list[str]):
        self.path, self.lines = path, lines
        self.line_index = 0  # next line to read
        self.current = 0  # the line whose tokens are being parsed
        self.names: list[str] = []
        self.parents: list[int] = []
        self.offsets: list[list[float]] = []
        self.channels: list[list[str]] = []
        self.end_site: list[bool] = []

    def fail(self, message: str, line_index: int | None = None):
        line = (self.current if line_index is None else line_index) + 1
        raise InputError(self.path, f"line {line}: {message}")

    def _tokens(self) -> list[str]:
        """Tokens of the next non-blank line, with braces split off; [] at the end of the file."""
        while self.line_index < len(self.lines):
            raw = self.lines[self.line_index].replace("{", " { ").replace("}", " } ").split()
            self.current = self.line_index
            self.line_index += 1
            if raw:
                return raw
        return []

    def parse(self) -> None:
        tokens = self._tokens()
        if not tokens or tokens[0].upper() != "HIERARCHY":
            self.fail("expected 'HIERARCHY' (is this a BVH file?)")
        stack: list[int] = []  # open joints
        pending: int | None = None  # a joint declared but whose '{' has not come yet
        while True:
            tokens = self._tokens()
            here = self.current
            if not tokens:
                self.fail("unexpected end of file inside HIERARCHY (missing MOTION section)", len(self.lines) - 1)
            while tokens:
                keyword = tokens[0].upper()
                if keyword == "{":
                    if pending is None:
                        self.fail("'{' without a joint")
                    stack.append(pending)
                    pending = None
                    tokens = tokens[1:]
                elif keyword == "}":
                    if not stack:
                        self.fail("unbalanced '}'")
                    stack.pop()
                    tokens = tokens[1:]
                elif keyword in ("ROOT", "JOINT"):
                    name_tokens = [t for t in tokens[1:] if t not in ("{", "}")]
                    if not name_tokens:
                        self.fail(f"{tokens[0]} without a name")
                    if keyword == "JOINT" and not stack:
                        self.fail("JOINT outside any ROOT")
                    if keyword == "ROOT" and stack:
                        self.fail("ROOT inside another joint")
                    pending = self._add(" ".join(name_tokens), stack[-1] if stack else -1, end=False)
                    tokens = tokens[1 + len(name_tokens):]
                elif keyword == "END":
                    if not stack:
                        self.fail("End Site outside any joint")
                    parent = stack[-1]
                    pending = self._add(f"{self.names[parent]}_End", parent, end=True)
                    tokens = [t for t in tokens[1:] if t.upper() != "SITE"]
                elif keyword == "OFFSET":
                    self._offset(stack, tokens, here)
                    tokens = []
                elif keyword == "CHANNELS":
                    self._channels(stack, tokens, here)
                    tokens = []
                elif keyword == "MOTION":
                    if stack or pending is not None:
                        self.fail("MOTION before every joint was closed with '}'")
                    if not self.names:
                        self.fail("HIERARCHY declares no joints")
                    self.line_index = here  # the MOTION line
                    return
                else:
                    self.fail(f"unexpected '{tokens[0]}' in HIERARCHY")

    def _add(self, name: str, parent: int, end: bool) -> int:
        self.names.append(name)
        self.parents.append(parent)
        self.offsets.append([0.0, 0.0, 0.0])
        self.channels.append([])
        self.end_site.append(end)
        return len(self.names) - 1

    def _offset(self, stack: list[int], tokens: list[str], here: int) -> None:
        if not stack:
            self.fail("OFFSET outside any joint", here)
        try:
            values = [float(t) for t in tokens[1:4]]
        except ValueError:
            self.fail(f"OFFSET needs 3 numbers, got {' '.join(tokens[1:])!r}", here)
        if len(values) != 3 or len(tokens) != 4:
            self.fail(f"OFFSET needs 3 numbers, got {' '.join(tokens[1:])!r}", here)
        self.offsets[stack[-1]] = values

    def _channels(self, stack: list[int], tokens: list[str], here: int) -> None:
        if not stack or self.end_site[stack[-1]]:
            self.fail("CHANNELS outside a joint", here)
        try:
            count = int(tokens[1])
        except (IndexError, ValueError):
            self.fail("CHANNELS needs a count", here)
        names = [t.lower() for t in tokens[2:]]
        if count != len(names):
            self.fail(f"CHANNELS says {count} but lists {len(names)}", here)
        unknown = [t for t, n in zip(tokens[2:], names) if n not in CHANNEL_NAMES]
        if unknown:
            self.fail(f"unknown channel '{unknown[0]}' (expected X/Y/Z position or rotation)", here)
        if len(set(names)) != len(names):
            self.fail("a channel is listed twice", here)
        self.channels[stack[-1]] = names


def _read_motion_header(path: Path, lines: list[str], index: int) -> tuple[int, float, int]:
    def fail(message, at):
        raise InputError(path, f"line {at + 1}: {message}")

    index += 1  # past MOTION
    values = {}
    for key in ("frames", "frame time"):
        while index < len(lines) and not lines[index].strip():
            index += 1
        if index >= len(lines):
            fail(f"missing '{key.title()}:' line", len(lines) - 1)
        label, _, value = lines[index].partition(":")
        if " ".join(label.lower().split()) != key:
            fail(f"expected '{key.title()}:', got {lines[index].strip()!r}", index)
        try:
            values[key] = float(value) if key == "frame time" else int(value)
        except ValueError:
            fail(f"bad {key} value {value.strip()!r}", index)
        index += 1
    if values["frames"] < 0:
        fail("negative frame count", index - 2)
    if not values["frame time"] > 0:
        fail("Frame Time must be positive", index - 1)
    return values["frames"], values["frame time"], index


def _read_frames(path: Path, lines: list[str], start: int, frames: int, columns: int) -> np.ndarray:
    rows = [(i, line) for i, line in enumerate(lines[start:], start) if line.strip()]
    if len(rows) < frames:
        last = rows[-1][0] + 1 if rows else start
        raise InputError(path, f"line {last + 1}: file ends after {len(rows)} of {frames} frames (truncated?)")
    rows = rows[:frames]  # some exporters leave trailing junk after the declared frames
    try:
        data = np.array(" ".join(line for _, line in rows).split(), dtype=np.float64)
    except ValueError:
        for i, line in rows:
            try:
                [float(token) for token in line.split()]
            except ValueError as exc:
                raise InputError(path, f"line {i + 1}: not a number ({exc})") from None
        raise
    if data.size != frames * columns:
        for i, line in rows:
            if len(line.split()) != columns:
                raise InputError(path, f"line {i + 1}: expected {columns} channel values, found {len(line.split())}")
    return data.reshape(frames, columns)


def _channels_to_pose(data: np.ndarray, channels: list[list[str]], offsets: np.ndarray):
    frames, joints = data.shape[0], len(channels)
    rotations = np.zeros((frames, joints, 4))
    rotations[..., 3] = 1.0
    translations = np.broadcast_to(offsets, (frames, joints, 3)).copy()
    column = 0
    for joint, names in enumerate(channels):
        for name in names:
            values = data[:, column]
            column += 1
            if name in POSITION_CHANNELS:
                translations[:, joint, POSITION_CHANNELS[name]] = values
            else:  # listed order = multiplication order: R = R_first @ R_second @ R_third
                rotations[:, joint] = quat_multiply(rotations[:, joint],
                                                    _axis_quaternions(ROTATION_CHANNELS[name], values))
    return rotations, translations


def _units(motion: BvhMotion, units: str | float | None) -> tuple[float, str]:
    if isinstance(units, (int, float)) and not isinstance(units, bool):
        if not units > 0:
            raise InputError(motion.path, f"units must be positive metres per unit, got {units}")
        return float(units), "custom"
    if units is not None:
        if units not in UNITS:
            raise InputError(motion.path, f"unknown units {units!r} (choose from {', '.join(UNITS)})")
        return UNITS[units], units
    height = motion.rest_height()
    for name, low, high in _HEIGHT_RANGES:
        if low <= height < high:
            return UNITS[name], name
    # Nothing plausible: assume a 1.7 m tall performer.
    return (1.7 / height if height > 0 else 1.0), "detected-from-height"


# ---------------------------------------------------------------------------------------------------------------
# Writing


def write_bvh(path: str | os.PathLike, motion: BvhMotion) -> None:
    """Write `motion` as BVH (ZYX rotation channels, positions on roots and on joints whose translation moves)."""
    children: list[list[int]] = [[] for _ in motion.names]
    for joint, parent in enumerate(motion.parents):
        if parent >= 0:
            children[parent].append(joint)
    animated = np.any(np.abs(motion.translations - motion.offsets[None]) > 1e-9, axis=0).any(axis=-1)
    with_position = (motion.parents < 0) | animated
    lines = ["HIERARCHY"]
    order: list[int] = []  # joints in the order their channels are written

    def emit(joint: int, depth: int) -> None:
        pad = "\t" * depth
        offset = " ".join(_number(v) for v in motion.offsets[joint])
        if motion.end_site[joint]:
            lines.extend([f"{pad}End Site", f"{pad}{{", f"{pad}\tOFFSET {offset}", f"{pad}}}"])
            return
        keyword = "ROOT" if motion.parents[joint] < 0 else "JOINT"
        channels = (["Xposition", "Yposition", "Zposition"] if with_position[joint] else []) + \
            ["Zrotation", "Yrotation", "Xrotation"]
        lines.extend([f"{pad}{keyword} {motion.names[joint]}", f"{pad}{{", f"{pad}\tOFFSET {offset}",
                      f"{pad}\tCHANNELS {len(channels)} {' '.join(channels)}"])
        order.append(joint)
        for child in children[joint]:
            emit(child, depth + 1)
        lines.append(f"{pad}}}")

    for root in np.flatnonzero(motion.parents < 0):
        emit(int(root), 0)
    columns = []
    for joint in order:
        if with_position[joint]:
            columns.append(motion.translations[:, joint])
        columns.append(quat_to_euler_zyx_degrees(motion.local_rotations[:, joint]))
    data = np.concatenate(columns, axis=1) if columns else np.zeros((motion.frame_count, 0))
    lines += ["MOTION", f"Frames: {motion.frame_count}", f"Frame Time: {motion.frame_time:.8g}"]
    lines += [" ".join(_number(v) for v in row) for row in data]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _number(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text

"""Stabilising captured channels: dropouts, glitches and gaps handled before retargeting.

A `Stabilizer` wraps a `OneEuroFilter` around one channel of N points with D components each (a (33, 3) skeleton, or a
(52,) blendshape vector = 52 points of 1 component). Every point runs its own small state machine, all vectorised:

    TRACKED    a usable sample arrived: One Euro filtered, confidence 1.
    PREDICTED  up to `max_gap_frames` (default 5) updates without a usable sample: the point coasts along its last
               filtered velocity, which decays with time constant `velocity_decay_s` (hold/extrapolate); confidence
               falls linearly, 1 - gap / (max_gap_frames + 1).
    EASING     the gap went on: the output eases exponentially to the rest value, time constant `rest_time_constant_s`
               (0.3 s: ~95% there after 0.9 s); confidence eases to 0 with it.
    REST       the ease is within `rest_snap` of the end: output = rest, confidence 0.

A sample is unusable when it is None or NaN (a dropped frame), when its visibility/presence is below `min_visibility`,
or when it jumps farther from the last accepted sample than `max_speed` times the time since then (the velocity gate:
a landmark teleporting at 10 m/s is a tracker glitch, not motion, so it is treated as a dropout and not followed;
because the allowance grows with time, a real relocation is accepted a few frames later). When tracking returns after
a prediction or an ease, the output does not jump: it starts from where it was and the difference to the tracked
signal decays with `return_time_constant_s` (the ease back), while the signal underneath is followed without lag.

`confidence` (per point, 0..1) lets the retargeting blend with its own rest pose. Units follow the channel: metres for
landmarks, unitless for blendshape weights, quaternion components for rotations (`params.rotation`: inputs are kept
on the previous output's hemisphere and outputs renormalised). Time `t` is in seconds; an update whose `t` does not
advance (repeated or NaN) changes nothing and returns the previous output. Nothing here is random: the same inputs
give the same outputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from engine.math_kernels import quat_from_rotation_matrix
from systems.capture.one_euro import (
    BLENDSHAPE_WEIGHTS,
    LANDMARK_METRES,
    ROTATION_QUATERNION,
    OneEuroFilter,
    OneEuroParams,
)

TRACKED, PREDICTED, EASING, REST = 0, 1, 2, 3


@dataclass(frozen=True)
class StabilizerParams:
    filter: OneEuroParams = LANDMARK_METRES
    min_visibility: float = 0.5  # below this visibility/presence score a point counts as missing
    max_speed: float = 10.0  # channel units per second; a faster jump is a glitch (np.inf disables the gate)
    max_gap_frames: int = 5  # updates of prediction before easing to rest
    velocity_decay_s: float = 0.1  # time constant of the predicted velocity's decay
    rest_time_constant_s: float = 0.3  # ease to rest
    return_time_constant_s: float = 0.15  # ease back onto the tracked signal
    rest_snap: float = 0.01  # fraction of the ease left at which a point is declared at rest
    rotation: bool = False  # the points are unit quaternions (D = 4)
    clip: tuple[float, float] | None = None  # output range, e.g. (0, 1) for blendshape weights


# Landmarks in metres: 10 m/s is faster than any limb (a fast punch peaks around 8-10 m/s at the fist).
LANDMARKS = StabilizerParams()
# Blendshape weights legitimately cross 0..1 within a frame (blinks), so there is no velocity gate.
BLENDSHAPES = StabilizerParams(filter=BLENDSHAPE_WEIGHTS, max_speed=np.inf, clip=(0.0, 1.0))
# Quaternions: |dq| is about half the rotation angle, so 8 /s allows ~900 deg/s, beyond a violent head shake.
ROTATIONS = StabilizerParams(filter=ROTATION_QUATERNION, max_speed=8.0, rotation=True)


class Stabilized(NamedTuple):
    values: np.ndarray  # float32, the channel's shape
    confidence: np.ndarray  # float32 (N,), 1 tracked .. 0 at rest
    state: np.ndarray  # int8 (N,): TRACKED, PREDICTED, EASING or REST


class Stabilizer:
    """Stabilises one channel. `rest` (the channel's shape) is what a lost point eases to; with `rest=None` (give
    `shape`) a lost point holds its last value while its confidence still falls to 0, and before any tracking the
    output is zeros at confidence 0."""

    def __init__(self, rest=None, params: StabilizerParams = LANDMARKS, shape: tuple[int, ...] | None = None):
        if rest is None and shape is None:
            raise ValueError("Stabilizer needs a rest array or a shape")
        self.shape = tuple(np.shape(rest)) if rest is not None else tuple(shape)
        # one leading axis of points; a 1-D channel is N points of one component
        self.points = self.shape[0] if self.shape else 1
        self.components = int(np.prod(self.shape[1:], dtype=np.int64)) if len(self.shape) > 1 else 1
        if params.rotation and self.components != 4:
            raise ValueError(f"rotation channels hold quaternions (N, 4), got shape {self.shape}")
        self.params = params
        n, d = self.points, self.components
        self._rest = None if rest is None else np.asarray(rest, dtype=np.float64).reshape(n, d).copy()
        self._filter = OneEuroFilter((n, d), params.filter, vector_axis=-1)
        self._t: float | None = None
        self._mode = np.full(n, REST, dtype=np.int8)
        self._gap = np.zeros(n, dtype=np.int64)
        self._confidence = np.zeros(n)
        self._ease_left = np.zeros(n)  # fraction of the ease to rest still to go
        self._confidence_at_ease = np.zeros(n)
        self._base = np.zeros((n, d))  # filtered (tracked), predicted, or rest target (easing)
        self._offset = np.zeros((n, d))  # decaying difference that keeps the output continuous
        self._velocity = np.zeros((n, d))  # coasting velocity while predicted
        self._accepted = np.zeros((n, d))  # last sample that passed the gates, and its time
        self._accepted_t = np.full(n, -np.inf)
        self.reset()

    def reset(self) -> None:
        """Back to the state of a new stabiliser: every point at rest."""
        self._t = None
        self._filter.reset()
        self._mode[:] = REST
        self._gap[:] = 0
        self._confidence[:] = 0.0
        self._ease_left[:] = 0.0
        self._base[:] = 0.0 if self._rest is None else self._rest
        self._offset[:] = 0.0
        self._offset_live = False  # any offset non-zero (saves the decay work once every ease is over)
        self._velocity[:] = 0.0
        self._accepted_t[:] = -np.inf
        self._ever_tracked = np.zeros(self.points, dtype=bool)
        self._at_rest = True
        self._output = self._compose()

    def update(self, t: float, values=None, visibility=None) -> Stabilized:
        """One time step. `values` in the channel's shape, or None for a dropped frame (NaN marks missing points);
        `visibility` (N,) optional presence scores."""
        try:
            t = float(t)
        except (TypeError, ValueError):
            t = float("nan")
        if not np.isfinite(t) or (self._t is not None and t <= self._t):
            return self.result()
        dt = 0.0 if self._t is None else t - self._t
        self._t = t
        if values is None and self._at_rest:  # nothing tracked, nothing moving (e.g. hands out of view)
            return self.result()
        p = self.params
        samples, seen = self._observe(values, visibility)

        if p.rotation:  # q and -q are one rotation: stay on the previous output's hemisphere
            flip = np.einsum("nd,nd->n", samples, self._output) < 0.0
            samples[flip] = -samples[flip]

        # velocity gate against the last accepted sample; the allowance grows with the time since then
        ok = seen
        if np.isfinite(p.max_speed):
            step = np.where(seen[:, None], samples - self._accepted, 0.0)
            distance = np.sqrt(np.einsum("nd,nd->n", step, step))
            ok = seen & (distance <= p.max_speed * (t - self._accepted_t))
        all_ok = bool(ok.all())
        np.copyto(self._accepted, samples, where=ok[:, None])
        self._accepted_t[ok] = t

        mode, base, offset = self._mode, self._base, self._offset
        return_decay = np.exp(-dt / p.return_time_constant_s)

        # tracked: points back from easing/rest start their filter afresh; every returning point keeps its previous
        # output and eases onto the signal (the offset decays), while the signal underneath is followed without lag
        restart = ok & (mode >= EASING)
        if restart.any():
            self._filter.reset(restart[:, None])
        filtered = self._filter(t, samples, None if all_ok else ok[:, None])
        returning = ok & (mode != TRACKED)
        if self._rest is None:  # without a rest there is nothing to ease in from before the first sample
            returning &= self._ever_tracked
            self._ever_tracked |= ok
        if returning.any():
            offset[returning] = self._output[returning] - filtered[returning]
            self._offset_live = True
        np.copyto(base, filtered, where=ok[:, None])
        if self._offset_live:
            offset[ok] *= return_decay
        mode[ok] = TRACKED
        self._gap[ok] = 0
        self._confidence[ok] = 1.0

        if all_ok:
            if self._offset_live and np.abs(offset).max() < 1e-9:  # the ease back is over: skip it from now on
                offset[:] = 0.0
                self._offset_live = False
        else:
            self._update_missing(~ok, dt, return_decay)

        self._output = self._compose()
        self._at_rest = bool((mode == REST).all())
        return self.result()

    def _update_missing(self, missing: np.ndarray, dt: float, return_decay: float) -> None:
        p = self.params
        mode, base, offset = self._mode, self._base, self._offset
        self._gap[missing] += 1
        # predicted: coast on the filtered velocity, decaying (integrated exactly over dt)
        starts_coasting = missing & (mode == TRACKED)
        self._velocity[starts_coasting] = self._filter.derivative[starts_coasting]
        coasting = missing & (mode <= PREDICTED) & (self._gap <= p.max_gap_frames)
        if coasting.any():
            velocity_decay = np.exp(-dt / p.velocity_decay_s)
            base[coasting] += self._velocity[coasting] * (p.velocity_decay_s * (1.0 - velocity_decay))
            self._velocity[coasting] *= velocity_decay
            offset[coasting] *= return_decay
            mode[coasting] = PREDICTED
            self._confidence[coasting] = 1.0 - self._gap[coasting] / (p.max_gap_frames + 1.0)

        # easing: the gap outlived the prediction; ease from the current output to rest
        starts_easing = missing & (mode <= PREDICTED) & (self._gap > p.max_gap_frames)
        if starts_easing.any():
            target = self._output[starts_easing] if self._rest is None else self._rest[starts_easing].copy()
            if p.rotation:  # ease along the short way round
                flip = np.einsum("nd,nd->n", target, self._output[starts_easing]) < 0.0
                target[flip] = -target[flip]
            base[starts_easing] = target
            offset[starts_easing] = self._output[starts_easing] - target
            self._offset_live = True
            self._ease_left[starts_easing] = 1.0
            self._confidence_at_ease[starts_easing] = self._confidence[starts_easing]
            mode[starts_easing] = EASING
        easing = missing & (mode == EASING)
        if easing.any():
            rest_decay = np.exp(-dt / p.rest_time_constant_s)
            offset[easing] *= rest_decay
            self._ease_left[easing] *= rest_decay
            self._confidence[easing] = self._confidence_at_ease[easing] * self._ease_left[easing]
            settled = easing & (self._ease_left < p.rest_snap)
            offset[settled] = 0.0
            self._confidence[settled] = 0.0
            mode[settled] = REST

    def result(self) -> Stabilized:
        """The latest output (fresh arrays)."""
        return Stabilized(
            self._output.astype(np.float32).reshape(self.shape),
            self._confidence.astype(np.float32),
            self._mode.copy(),
        )

    def _compose(self) -> np.ndarray:
        output = self._base + self._offset if self._offset_live else self._base.copy()
        if self.params.rotation:
            norm = np.linalg.norm(output, axis=1, keepdims=True)
            output = np.divide(output, norm, out=np.zeros_like(output), where=norm > 1e-12)
            output[norm[:, 0] <= 1e-12, 3] = 1.0  # a degenerate blend falls back to identity (x, y, z, w)
        if self.params.clip is not None:
            np.clip(output, *self.params.clip, out=output)
        return output

    def _observe(self, values, visibility) -> tuple[np.ndarray, np.ndarray]:
        n, d = self.points, self.components
        if values is None:
            return np.full((n, d), np.nan), np.zeros(n, dtype=bool)
        try:
            samples = np.array(values, dtype=np.float64)  # a copy: the caller's array is never modified
        except (TypeError, ValueError):  # e.g. None entries: a dropped frame
            return np.full((n, d), np.nan), np.zeros(n, dtype=bool)
        if samples.size != n * d:
            raise ValueError(f"channel of shape {self.shape} got values of shape {samples.shape}")
        samples = samples.reshape(n, d)
        seen = np.isfinite(samples).all(axis=1)
        if visibility is not None:
            try:
                scores = np.asarray(visibility, dtype=np.float64).reshape(n)
            except (TypeError, ValueError):
                scores = np.zeros(n)
            seen &= scores >= self.params.min_visibility  # NaN compares false: missing
        return samples, seen


# -- all take channels at once ------------------------------------------------------------------------------------

_IDENTITY_QUAT = np.array([[0.0, 0.0, 0.0, 1.0]])


def matrix_from_quaternion(q) -> np.ndarray:
    """3x3 column-vector rotation matrix of a unit quaternion (x, y, z, w)."""
    x, y, z, w = np.asarray(q, dtype=np.float64).reshape(4)
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])


class CaptureStabilizer:
    """Stabilises the world-space take channels of `trackers.frame_channels` in one call per frame.

    Channels and their outputs (`Stabilized.values` shape, confidence shape):
      face.blendshapes (52,), (52,)   BLENDSHAPES; rest all zeros
      face.matrix      (4, 4), (1,)   rotation with ROTATIONS (rest: facing the camera), translation with LANDMARKS
                                      (rest: hold); same layout as the tracker's (column vectors, metres)
      pose.world       (33, 3), (33,) LANDMARKS; column 3 of the (33, 4) input is the visibility score
      hand.left.world / hand.right.world  (21, 3), (21,)  LANDMARKS
    `rest` overrides the rest value of a channel (its output shape); landmark channels without one hold their last
    value when lost. Image-space channels are not stabilised here (they are overlays, not animation).
    """

    def __init__(self, rest: Mapping[str, np.ndarray] | None = None,
                 params: Mapping[str, StabilizerParams] | None = None):
        rest = dict(rest or {})
        params = dict(params or {})
        self._blendshapes = Stabilizer(rest.get("face.blendshapes", np.zeros(52)),
                                       params.get("face.blendshapes", BLENDSHAPES))
        face_rest = rest.get("face.matrix")
        self._head_rotation = Stabilizer(
            _IDENTITY_QUAT if face_rest is None else quat_from_rotation_matrix(_rotation_part(face_rest))[None],
            params.get("face.rotation", ROTATIONS))
        self._head_translation = Stabilizer(None if face_rest is None else np.asarray(face_rest)[:3, 3][None],
                                            params.get("face.translation", LANDMARKS), shape=(1, 3))
        self._landmarks = {
            name: Stabilizer(rest.get(name), params.get(name, LANDMARKS), shape=(count, 3))
            for name, count in (("pose.world", 33), ("hand.left.world", 21), ("hand.right.world", 21))
        }

    def reset(self) -> None:
        for stabilizer in (self._blendshapes, self._head_rotation, self._head_translation, *self._landmarks.values()):
            stabilizer.reset()

    def update(self, t: float, channels: Mapping[str, np.ndarray | None]) -> dict[str, Stabilized]:
        out = {"face.blendshapes": self._blendshapes.update(t, channels.get("face.blendshapes"))}

        matrix = channels.get("face.matrix")
        rotation = translation = None
        if matrix is not None and np.isfinite(matrix).all():
            rotation = quat_from_rotation_matrix(_rotation_part(matrix))[None]
            translation = np.asarray(matrix, dtype=np.float64)[:3, 3][None]
        head_rotation = self._head_rotation.update(t, rotation)
        head_translation = self._head_translation.update(t, translation)
        head = np.eye(4, dtype=np.float32)
        head[:3, :3] = matrix_from_quaternion(head_rotation.values[0])
        head[:3, 3] = head_translation.values[0]
        out["face.matrix"] = Stabilized(head, head_rotation.confidence, head_rotation.state)

        for name, stabilizer in self._landmarks.items():
            values = channels.get(name)
            if values is not None and np.shape(values)[-1] == 4:  # [x, y, z, visibility]
                out[name] = stabilizer.update(t, values[:, :3], values[:, 3])
            else:
                out[name] = stabilizer.update(t, values)
        return out


def _rotation_part(matrix) -> np.ndarray:
    """The 3x3 rotation of a rigid 4x4, re-orthonormalised (removes any uniform scale and numeric drift)."""
    u, _, vt = np.linalg.svd(np.asarray(matrix, dtype=np.float64)[:3, :3])
    return u @ vt


__all__ = [
    "BLENDSHAPES", "EASING", "LANDMARKS", "PREDICTED", "REST", "ROTATIONS", "TRACKED",
    "CaptureStabilizer", "Stabilized", "Stabilizer", "StabilizerParams", "matrix_from_quaternion",
]

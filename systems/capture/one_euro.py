"""The One Euro filter (Casiez, Roussel & Vogel, CHI 2012), vectorised over any number of channels.

A One Euro filter is a first-order low-pass whose cutoff rises with speed: at rest it smooths hard (jitter goes), when
the signal moves the cutoff opens up (little lag). Per sample, with `dt` the time since that channel's previous sample:

    alpha(fc) = r / (r + 1),  r = 2*pi*fc*dt          (exact for variable dt, so dropped frames are fine)
    dx_hat   += alpha(d_cutoff) * ((x - x_hat) / dt - dx_hat)
    fc        = min_cutoff + beta * |dx_hat|
    x_hat    += alpha(fc) * (x - x_hat)

Every element of the array is its own channel with its own state (value, derivative, time of its last sample), so one
filter serves a whole skeleton; masked-out or NaN elements keep their state and their previous output. With
`vector_axis` set, the speed that opens the cutoff is the norm over that axis (a 3D point opens equally whatever the
direction it moves in) instead of per component.

Parameters and the presets below:

- `min_cutoff` (Hz): the cutoff at rest. Lower = smoother when still, more lag on slow motion.
- `beta` (1/unit): how fast the cutoff opens with speed (in the signal's units per second). The lag on a steady ramp
  tends to `1 / (2*pi*beta)` units as the speed grows, so beta sets the worst-case lag.
- `d_cutoff` (Hz): the cutoff of the derivative estimate; 1 Hz is the paper's value and rarely needs changing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_TWO_PI = 2.0 * np.pi


@dataclass(frozen=True)
class OneEuroParams:
    min_cutoff: float = 1.0
    beta: float = 10.0
    d_cutoff: float = 1.0


# Landmarks in metres (MediaPipe world landmarks, head translation): MediaPipe's jitter at rest is a few millimetres,
# 1 Hz removes it; beta = 10 /m keeps the lag of a fast limb under ~1.6 cm.
LANDMARK_METRES = OneEuroParams(min_cutoff=1.0, beta=10.0, d_cutoff=1.0)

# Blendshape weights (unitless, 0..1): jitter is ~0.01-0.03 and a blink crosses the whole range in ~0.1 s, so the
# filter starts more open and opens fast (worst-case lag ~0.04 of the range).
BLENDSHAPE_WEIGHTS = OneEuroParams(min_cutoff=3.0, beta=4.0, d_cutoff=1.0)

# Unit quaternion components (filter with `QuaternionOneEuroFilter`: sign continuity, then renormalised). A component
# moves at up to half the angular speed in rad/s; 1 Hz holds a still head steady, beta = 4 keeps the lag of a fast
# head turn around 2 degrees.
ROTATION_QUATERNION = OneEuroParams(min_cutoff=1.0, beta=4.0, d_cutoff=1.0)


def _alpha(cutoff_hz, dt):
    r = _TWO_PI * cutoff_hz * dt
    return r / (r + 1.0)


class OneEuroFilter:
    """One Euro filter over an array of `shape` independent channels (float64 state)."""

    def __init__(self, shape, params: OneEuroParams = LANDMARK_METRES, vector_axis: int | None = None):
        self.shape = (int(shape),) if np.isscalar(shape) else tuple(int(n) for n in shape)
        self.params = params
        self.vector_axis = vector_axis
        self.value = np.zeros(self.shape)  # x_hat: the filtered output
        self.derivative = np.zeros(self.shape)  # dx_hat: smoothed rate of change, units per second
        self._last_t = np.full(self.shape, -np.inf)
        self._seen = np.zeros(self.shape, dtype=bool)

    def reset(self, mask=None) -> None:
        """Forget the history of every channel, or of the channels where `mask` (broadcastable) is true."""
        if mask is None:
            self._seen[...] = False
            self.derivative[...] = 0.0
            return
        mask = np.broadcast_to(mask, self.shape)
        self._seen[mask] = False
        self.derivative[mask] = 0.0

    @property
    def initialised(self) -> np.ndarray:
        """True for channels that have had at least one sample since creation or their last reset."""
        return self._seen

    def __call__(self, t: float, x, valid=None) -> np.ndarray:
        """Feed samples `x` (shape of the filter) taken at time `t` seconds; returns the filtered values (a view of
        the state: copy it to keep it). Elements that are NaN or where `valid` (broadcastable) is false are skipped:
        they keep their state and previous output. A channel's first sample passes through unchanged."""
        x = np.asarray(x, dtype=np.float64)
        usable = np.isfinite(x)
        if valid is not None:
            usable &= np.broadcast_to(np.asarray(valid, dtype=bool), self.shape)
        if not np.isfinite(t):
            return self.value

        first = usable & ~self._seen
        dt = t - self._last_t
        # dt <= 0 (a repeated timestamp) carries no new information: keep the state rather than divide by zero.
        update = usable & self._seen & (dt > 0.0)
        if update.any():
            safe_dt = np.where(update, dt, 1.0)
            safe_x = np.where(update, x, self.value)
            rate = (safe_x - self.value) / safe_dt
            derivative = self.derivative + _alpha(self.params.d_cutoff, safe_dt) * (rate - self.derivative)
            if self.vector_axis is None:
                speed = np.abs(derivative)
            else:
                speed = np.sqrt(np.sum(derivative * derivative, axis=self.vector_axis, keepdims=True))
            cutoff = self.params.min_cutoff + self.params.beta * speed
            value = self.value + _alpha(cutoff, safe_dt) * (safe_x - self.value)
            np.copyto(self.derivative, derivative, where=update)
            np.copyto(self.value, value, where=update)
        if first.any():
            np.copyto(self.value, x, where=first)
            self.derivative[first] = 0.0
            self._seen |= first
        np.copyto(self._last_t, t, where=first | update)
        return self.value


class QuaternionOneEuroFilter:
    """One Euro filter over unit quaternions, shape `(..., 4)` (any component order, as long as it is consistent).

    q and -q are the same rotation, so each input is first flipped onto the hemisphere of the previous output (sign
    continuity; without it a sign flip from the tracker reads as a huge jump), the four components are filtered, and
    the result is renormalised. `valid` is per quaternion, shape `(...)`."""

    def __init__(self, shape, params: OneEuroParams = ROTATION_QUATERNION):
        shape = tuple(shape)
        if shape[-1] != 4:
            raise ValueError(f"quaternion filter needs a trailing axis of 4, got shape {shape}")
        self.shape = shape
        self._filter = OneEuroFilter(shape, params, vector_axis=-1)
        self._output = np.zeros(shape)
        self._output[..., 3] = 1.0

    @property
    def params(self) -> OneEuroParams:
        return self._filter.params

    def reset(self, mask=None) -> None:
        self._filter.reset(None if mask is None else np.asarray(mask, dtype=bool)[..., None])

    def __call__(self, t: float, q, valid=None) -> np.ndarray:
        q = np.asarray(q, dtype=np.float64)
        flip = np.einsum("...i,...i->...", q, self._filter.value) < 0.0
        q = np.where((flip & self._filter.initialised[..., 0])[..., None], -q, q)
        filtered = self._filter(t, q, None if valid is None else np.asarray(valid, dtype=bool)[..., None])
        norm = np.linalg.norm(filtered, axis=-1, keepdims=True)
        np.divide(filtered, norm, out=self._output, where=norm > 1e-12)
        return self._output

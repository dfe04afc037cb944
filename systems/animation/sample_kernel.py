"""numba kernel: sample every playing instance's clip into the pose pool in one call."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

STEP, LINEAR, CUBIC = 0, 1, 2
ROTATION, WEIGHTS = 1, 3


@njit(cache=True, fastmath=True, inline="always")
def _find_key(times, start, count, t):
    """Index k of the key interval [k, k+1] holding t, and the fraction inside it."""
    if t <= times[start]:
        return 0, 0.0
    last = count - 1
    if t >= times[start + last]:
        return last, 0.0
    lo, hi = 0, last
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        if times[start + mid] <= t:
            lo = mid
        else:
            hi = mid
    t0 = times[start + lo]
    span = times[start + lo + 1] - t0
    return lo, (t - t0) / span if span > 0.0 else 0.0


@njit(cache=True, fastmath=True)
def _sample_channel(times, values, key_start, key_count, value_start, width, interpolation, is_rotation, t, out):
    k, s = _find_key(times, key_start, key_count, t)
    if interpolation == CUBIC:
        stride = 3 * width
        base = value_start + k * stride
        if s == 0.0 or k + 1 >= key_count:
            for c in range(width):
                out[c] = values[base + width + c]
        else:
            dt = times[key_start + k + 1] - times[key_start + k]
            nxt = base + stride
            s2, s3 = s * s, s * s * s
            h00, h10, h01, h11 = 2 * s3 - 3 * s2 + 1, s3 - 2 * s2 + s, -2 * s3 + 3 * s2, s3 - s2
            for c in range(width):
                out[c] = (h00 * values[base + width + c] + h10 * dt * values[base + 2 * width + c]
                          + h01 * values[nxt + width + c] + h11 * dt * values[nxt + c])
    else:
        a = value_start + k * width
        if interpolation == STEP or s == 0.0 or k + 1 >= key_count:
            for c in range(width):
                out[c] = values[a + c]
        elif is_rotation:
            b = a + width
            dot = 0.0
            for c in range(4):
                dot += values[a + c] * values[b + c]
            sign = 1.0
            if dot < 0.0:  # take the short way round
                sign, dot = -1.0, -dot
            if dot > 0.9995:  # nearly parallel: nlerp is exact enough and avoids 0/0
                w0, w1 = 1.0 - s, s * sign
            else:
                theta = np.arccos(dot)
                inv_sin = 1.0 / np.sin(theta)
                w0, w1 = np.sin((1.0 - s) * theta) * inv_sin, np.sin(s * theta) * inv_sin * sign
            for c in range(4):
                out[c] = w0 * values[a + c] + w1 * values[b + c]
        else:
            b = a + width
            for c in range(width):
                out[c] = values[a + c] + s * (values[b + c] - values[a + c])
    if is_rotation:
        norm = np.sqrt(out[0] * out[0] + out[1] * out[1] + out[2] * out[2] + out[3] * out[3])
        if norm > 0.0:
            for c in range(4):
                out[c] /= norm


@njit(cache=True, fastmath=True, parallel=True)
def sample_clips(inst_clip, inst_time, inst_offset, inst_node_count, inst_weight_base, inst_weight_count,
                 clip_channel_start, clip_channel_count,
                 ch_node, ch_path, ch_interp, ch_key_start, ch_key_count, ch_value_start, ch_width,
                 times, values,
                 rest_t, rest_r, rest_s, rest_w, pose_t, pose_r, pose_s, weight_offset, weights, scratch_rows):
    """`scratch_rows` is (instances, 256) float32 owned by the caller, so the kernel allocates nothing."""
    for i in prange(inst_clip.shape[0]):
        base = inst_offset[i]
        for j in range(base, base + inst_node_count[i]):
            pose_t[j] = rest_t[j]
            pose_r[j] = rest_r[j]
            pose_s[j] = rest_s[j]
        wb = inst_weight_base[i]
        for j in range(wb, wb + inst_weight_count[i]):
            weights[j] = rest_w[j]
        clip = inst_clip[i]
        if clip < 0:
            continue
        scratch = scratch_rows[i]
        t = inst_time[i]
        first = clip_channel_start[clip]
        for ch in range(first, first + clip_channel_count[clip]):
            width = ch_width[ch]
            if width > 256:
                continue
            path = ch_path[ch]
            _sample_channel(times, values, ch_key_start[ch], ch_key_count[ch], ch_value_start[ch], width,
                            ch_interp[ch], path == ROTATION, t, scratch)
            slot = base + ch_node[ch]
            if path == 0:
                pose_t[slot, 0], pose_t[slot, 1], pose_t[slot, 2] = scratch[0], scratch[1], scratch[2]
            elif path == ROTATION:
                pose_r[slot, 0], pose_r[slot, 1], pose_r[slot, 2], pose_r[slot, 3] = scratch[0], scratch[1], scratch[2], scratch[3]
            elif path == 2:
                pose_s[slot, 0], pose_s[slot, 1], pose_s[slot, 2] = scratch[0], scratch[1], scratch[2]
            else:
                w0 = weight_offset[slot]
                if w0 >= 0:
                    for c in range(width):
                        weights[w0 + c] = scratch[c]

"""Shape building blocks: lofted tubes with rounded ends, blend weights along them, parts.

A body segment is a *sweep*: rings of superellipse cross-sections stacked
along a straight axis, radii following a smooth profile, closed by domes. The
ring parameter `t` (distance along the axis) also drives skin weights and
material bands, so cuffs, hems and joint blends line up with edge loops.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.assets.gltf_geometry import smooth_normals

_DOME_KEYS = 7


def smoothstep(edge0, edge1, x) -> np.ndarray:
    s = np.clip((np.asarray(x, np.float64) - edge0) / (edge1 - edge0), 0.0, 1.0)
    return s * s * (3.0 - 2.0 * s)


def monotone_cubic(xs: np.ndarray, ys: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Fritsch-Carlson monotone cubic interpolation of `ys` (K, C) at `x`: smooth, never overshoots."""
    xs, ys = np.asarray(xs, np.float64), np.asarray(ys, np.float64)
    h = np.diff(xs)[:, None]
    slopes = np.diff(ys, axis=0) / h
    tangents = np.zeros_like(ys)
    left, right = slopes[:-1], slopes[1:]
    same_sign = left * right > 0
    # Harmonic mean of neighbouring slopes; flat at local extrema so keys are never overshot.
    tangents[1:-1] = np.where(same_sign, 2.0 * left * right / np.where(same_sign, left + right, 1.0), 0.0)
    tangents[0], tangents[-1] = slopes[0], slopes[-1]
    k = np.clip(np.searchsorted(xs, x, side="right") - 1, 0, len(xs) - 2)
    s = ((x - xs[k]) / h[k, 0])[:, None]
    h00, h10, h01, h11 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s, -2 * s**3 + 3 * s**2, s**3 - s**2
    return h00 * ys[k] + h10 * h[k] * tangents[k] + h01 * ys[k + 1] + h11 * h[k] * tangents[k + 1]


@dataclass(frozen=True)
class Profile:
    """Cross-section keys along a sweep axis: t, radii (ru, rv), centre offsets (cu, cv), exponent."""

    keys: np.ndarray  # (K, 6) rows t, ru, rv, cu, cv, exponent

    @staticmethod
    def of(rows, start_dome: float, end_dome: float) -> "Profile":
        """Key rows (t, ru, rv[, cu, cv[, exponent]]) closed by elliptic domes `start/end_dome` long."""
        rows = [tuple(row) + (0.0, 0.0, 2.0)[len(row) - 3:] for row in rows]
        keys = np.array(rows, np.float64)
        angles = np.linspace(0.0, np.pi / 2, _DOME_KEYS)[1:]

        def dome(row: np.ndarray, length: float) -> np.ndarray:
            out = np.repeat(row[None], len(angles), axis=0)
            out[:, 0] = row[0] + length * np.sin(angles)
            out[:, 1:3] = row[1:3] * np.cos(angles)[:, None]
            return out

        return Profile(np.concatenate([dome(keys[0], -start_dome)[::-1], keys, dome(keys[-1], end_dome)]))


@dataclass
class Part:
    """A closed piece of the body: geometry, dense per-joint weights, one material name per triangle."""

    positions: np.ndarray  # (V, 3) float64
    triangles: np.ndarray  # (F, 3) int64
    weights: np.ndarray  # (V, J) float64, rows sum to 1
    materials: np.ndarray  # (F,) str
    morphs: np.ndarray | None = None  # (T, V, 3) morph target position deltas

    @property
    def normals(self) -> np.ndarray:
        return smooth_normals(self.positions, self.triangles)


@dataclass
class Sweep:
    positions: np.ndarray  # (V, 3)
    triangles: np.ndarray  # (F, 3)
    t: np.ndarray  # (V,) distance along the axis
    angle: np.ndarray  # (V,) angle around the axis, 0 on +u, pi/2 on +v


def sweep(origin, axis, u_axis, profile: Profile, rings: int, segments: int) -> Sweep:
    """Loft `profile` along `axis` from `origin`; ring spacing follows the silhouette's arc length."""
    origin, axis, u_axis = (np.asarray(v, np.float64) for v in (origin, axis, u_axis))
    v_axis = np.cross(axis, u_axis)
    keys = profile.keys
    dense_t = np.linspace(keys[0, 0], keys[-1, 0], 800)
    dense = monotone_cubic(keys[:, 0], keys[:, 1:], dense_t)
    # Rings are spaced evenly along the outline, so domes and steps get as many as straight parts.
    steps = np.hypot(np.diff(dense_t), np.abs(np.diff(dense[:, :4], axis=0)).max(axis=1))
    arc = np.concatenate([[0.0], np.cumsum(steps)])
    ring_t = np.interp(np.linspace(0.0, arc[-1], rings), arc, dense_t)
    ru, rv, cu, cv, exponent = monotone_cubic(keys[:, 0], keys[:, 1:], ring_t).T
    ru[[0, -1]] = rv[[0, -1]] = 0.0  # the domes close in single pole vertices

    angle = 2.0 * np.pi * np.arange(segments) / segments
    cos, sin = np.cos(angle), np.sin(angle)
    power = 2.0 / exponent[:, None]
    across_u = cu[:, None] + ru[:, None] * np.sign(cos) * np.abs(cos) ** power
    across_v = cv[:, None] + rv[:, None] * np.sign(sin) * np.abs(sin) ** power
    grid = (origin + ring_t[:, None, None] * axis + across_u[..., None] * u_axis + across_v[..., None] * v_axis)
    inner = grid[1:-1].reshape(-1, 3)
    positions = np.concatenate([grid[0, :1], inner, grid[-1, :1]])
    t = np.concatenate([ring_t[:1], np.repeat(ring_t[1:-1], segments), ring_t[-1:]])
    angles = np.concatenate([[0.0], np.tile(angle, rings - 2), [0.0]])

    triangles = outward(positions, closed_grid_triangles(rings, segments))
    return Sweep(positions, triangles, t, angles)


def closed_grid_triangles(rings: int, segments: int) -> np.ndarray:
    """Triangles for vertices laid out as [pole, (rings - 2) rings of `segments`, pole]."""
    j = np.arange(segments)
    j_next = (j + 1) % segments
    ring = 1 + segments * np.arange(rings - 3)[:, None]
    quads_a = np.stack([ring + j, ring + j_next, ring + segments + j_next], -1).reshape(-1, 3)
    quads_b = np.stack([ring + j, ring + segments + j_next, ring + segments + j], -1).reshape(-1, 3)
    start_fan = np.stack([np.zeros(segments, int), 1 + j_next, 1 + j], -1)
    last_ring = 1 + segments * (rings - 3)
    end_fan = np.stack([np.full(segments, last_ring + segments), last_ring + j, last_ring + j_next], -1)
    return np.concatenate([start_fan, quads_a, quads_b, end_fan]).astype(np.int64)


def outward(positions: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """`triangles` wound counter-clockwise seen from outside (positive enclosed volume)."""
    a, b, c = (positions[triangles[:, k]] for k in range(3))
    volume = np.einsum("ij,ij->i", a, np.cross(b, c)).sum()
    return triangles if volume > 0 else triangles[:, ::-1].copy()


def chain_weights(t: np.ndarray, joints: list[int], boundaries, half_widths, joint_count: int) -> np.ndarray:
    """Dense weights for a chain of joints along `t`.

    `boundaries[k]` is where joints[k] hands over to joints[k + 1], blended over
    +-half_widths[k]; the fractions telescope, so rows sum to exactly 1.
    """
    beyond = [smoothstep(b - w, b + w, t) for b, w in zip(boundaries, half_widths)]
    fractions = [np.ones_like(t)] + beyond + [np.zeros_like(t)]
    weights = np.zeros((len(t), joint_count))
    for k, joint in enumerate(joints):
        weights[:, joint] += np.clip(fractions[k] - fractions[k + 1], 0.0, None)
    return weights / weights.sum(axis=1, keepdims=True)


def mirror_part(part: Part, mirror_joint: np.ndarray) -> Part:
    """The same part on the other side: x negated, winding flipped, weights moved to mirrored joints."""
    positions = part.positions * np.array([-1.0, 1.0, 1.0])
    weights = np.zeros_like(part.weights)
    weights[:, mirror_joint] = part.weights
    return Part(positions, part.triangles[:, ::-1].copy(), weights, part.materials.copy())
